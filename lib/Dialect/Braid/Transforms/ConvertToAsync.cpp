//===- ConvertToAsync.cpp - collectives become start/await pairs ----------===//

#include "braid/Dialect/Braid/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"

#include <map>

namespace mlir {
namespace braid {
#define GEN_PASS_DEF_BRAIDCONVERTTOASYNC
#include "braid/Dialect/Braid/Transforms/Passes.h.inc"
} // namespace braid
} // namespace mlir

using namespace mlir;
using namespace mlir::braid;

std::string mlir::braid::getCommunicatorName(CollectiveOpInterface op) {
  std::string name;
  llvm::raw_string_ostream os(name);
  os << op.getGridSymbol() << " axes [";
  llvm::interleaveComma(op.getGroupAxes(), os);
  os << "]";
  return name;
}

namespace {

struct BraidConvertToAsyncPass
    : braid::impl::BraidConvertToAsyncBase<BraidConvertToAsyncPass> {
  void runOnOperation() override {
    std::map<std::string, int64_t> streamOf;
    SmallVector<CollectiveOpInterface> collectives;
    getOperation().walk([&](CollectiveOpInterface op) {
      if (!op->getParentOfType<StartOp>())
        collectives.push_back(op);
    });
    // Streams already in use keep their communicators.
    int64_t nextStream = 1;
    getOperation().walk([&](StartOp start) {
      nextStream = std::max<int64_t>(nextStream, start.getStream() + 1);
      start.getBody().walk([&](CollectiveOpInterface op) {
        streamOf.try_emplace(getCommunicatorName(op), start.getStream());
      });
    });
    for (CollectiveOpInterface op : collectives) {
      auto [it, inserted] =
          streamOf.try_emplace(getCommunicatorName(op), nextStream);
      if (inserted)
        ++nextStream;
      OpBuilder builder(op);
      Location loc = op->getLoc();
      auto futureType =
          FutureType::get(&getContext(), llvm::to_vector(op->getResultTypes()));
      auto start = StartOp::create(builder, loc, futureType,
                                   builder.getI64IntegerAttr(it->second),
                                   builder.getI64IntegerAttr(0));
      Block *body = new Block();
      start.getBody().push_back(body);
      builder.setInsertionPointToEnd(body);
      YieldOp::create(builder, loc, op->getResults());
      auto await = AwaitOp::create(builder, loc, start.getFuture());
      await->moveAfter(start);
      op->getResult(0).replaceAllUsesExcept(await.getResult(0),
                                            body->getTerminator());
      op->moveBefore(body->getTerminator());
    }
  }
};

} // namespace
