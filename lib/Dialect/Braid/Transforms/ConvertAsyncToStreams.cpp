//===- ConvertAsyncToStreams.cpp - start/await to launch/wait -------------===//

#include "braid/Dialect/Braid/Transforms/Passes.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

namespace mlir {
namespace braid {
#define GEN_PASS_DEF_BRAIDCONVERTASYNCTOSTREAMS
#include "braid/Dialect/Braid/Transforms/Passes.h.inc"
} // namespace braid
} // namespace mlir

using namespace mlir;
using namespace mlir::braid;

namespace {

/// Whether `op` may run before `start` instead of in its body: allocations
/// and views (no effect on memory contents) whose operands are available
/// there.
bool canHoist(Operation *op, StartOp start) {
  if (!isa<memref::AllocOp, memref::AllocaOp, ViewLikeOpInterface,
           arith::ConstantOp>(op) ||
      op->getNumRegions() != 0)
    return false;
  return llvm::none_of(op->getOperands(), [&](Value operand) {
    return start->isAncestor(operand.getParentRegion()->getParentOp());
  });
}

LogicalResult convertStart(StartOp start, IRRewriter &rewriter) {
  YieldOp yield = start.getYield();
  for (Value value : yield.getValues())
    if (!isa<MemRefType>(value.getType()))
      return start.emitOpError()
             << "yields a " << value.getType()
             << "; run one-shot-bufferize before converting to streams";
  // Hoist the body's allocations and views (in order, so a view follows
  // the buffer it views).
  for (Operation &op :
       llvm::make_early_inc_range(start.getBody().front().without_terminator()))
    if (canHoist(&op, start))
      rewriter.moveOpBefore(&op, start);
  SmallVector<Value> yielded(yield.getValues());
  for (Value value : yielded)
    if (start->isAncestor(value.getParentRegion()->getParentOp()))
      return start.emitOpError()
             << "yields a buffer its body computes in place of allocating; "
                "only allocated buffers and views can leave a stream";

  SmallVector<AwaitOp> awaits;
  for (Operation *user : start.getFuture().getUsers()) {
    auto await = dyn_cast<AwaitOp>(user);
    if (!await)
      return user->emitOpError() << "uses a future; only braid.await may";
    awaits.push_back(await);
  }

  if (start.getStream() == 0) {
    // The host stream is in order: the body runs where it is issued.
    rewriter.eraseOp(yield);
    rewriter.inlineBlockBefore(&start.getBody().front(), start);
    for (AwaitOp await : awaits)
      rewriter.replaceOp(await, yielded);
    rewriter.eraseOp(start);
    return success();
  }

  rewriter.setInsertionPoint(start);
  auto launch = CommandLaunchOp::create(
      rewriter, start.getLoc(), EventType::get(rewriter.getContext()),
      static_cast<int64_t>(start.getStream()), start.getPriority());
  rewriter.eraseOp(yield);
  Block &body = launch.getBody().emplaceBlock();
  rewriter.inlineBlockBefore(&start.getBody().front(), &body, body.end());
  rewriter.setInsertionPointToEnd(&body);
  CommandEndOp::create(rewriter, start.getLoc());
  for (AwaitOp await : awaits) {
    rewriter.setInsertionPoint(await);
    CommandWaitOp::create(rewriter, await.getLoc(), launch.getDone());
    rewriter.replaceOp(await, yielded);
  }
  rewriter.eraseOp(start);
  return success();
}

struct BraidConvertAsyncToStreamsPass
    : public braid::impl::BraidConvertAsyncToStreamsBase<
          BraidConvertAsyncToStreamsPass> {
  void runOnOperation() override {
    SmallVector<StartOp> starts;
    getOperation()->walk([&](StartOp start) { starts.push_back(start); });
    IRRewriter rewriter(&getContext());
    for (StartOp start : starts) {
      if (start->getParentOfType<CommandLaunchOp>() ||
          start->getParentOfType<StartOp>()) {
        start.emitOpError() << "inside another braid.start cannot become a "
                               "launch: launches are issued by the host";
        return signalPassFailure();
      }
      if (failed(convertStart(start, rewriter)))
        return signalPassFailure();
    }
  }
};

} // namespace
