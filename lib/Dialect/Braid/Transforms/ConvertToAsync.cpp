//===- ConvertToAsync.cpp - collectives become start/await pairs ----------===//

#include "braid/Dialect/Braid/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"
#include "llvm/ADT/SetVector.h"

#include <map>
#include <set>

namespace mlir {
namespace braid {
#define GEN_PASS_DEF_BRAIDCONVERTTOASYNC
#include "braid/Dialect/Braid/Transforms/Passes.h.inc"
} // namespace braid
} // namespace mlir

using namespace mlir;
using namespace mlir::braid;

namespace {

/// Ops any branch may read from above: they do no work and need no stream.
bool isFree(Operation *op) {
  return op->hasTrait<OpTrait::ConstantLike>() || isa<tensor::EmptyOp>(op);
}

/// The ops of `block` that `value` needs, stopping at free ops and block
/// arguments; empty when it needs something with side effects.
SetVector<Operation *> branchOf(Value value, Block &block) {
  SetVector<Operation *> slice;
  SmallVector<Value> worklist{value};
  while (!worklist.empty()) {
    Operation *def = worklist.pop_back_val().getDefiningOp();
    if (!def || def->getBlock() != &block || isFree(def) ||
        slice.contains(def))
      continue;
    if (!isPure(def) && !isa<CollectiveOpInterface>(def))
      return {};
    slice.insert(def);
    def->walk([&](Operation *nested) {
      for (Value operand : nested->getOperands())
        if (Operation *d = operand.getDefiningOp(); d && d->getBlock() == &block)
          worklist.push_back(operand);
    });
  }
  return slice;
}

/// Whether `ops` do arithmetic (not only data movement or communication).
bool computes(const SetVector<Operation *> &ops) {
  return llvm::any_of(ops, [](Operation *op) {
    auto costed = dyn_cast<CostOpInterface>(op);
    if (!costed)
      return false;
    FailureOr<OpCost> cost = costed.getCost();
    return failed(cost) || cost->flops > 0;
  });
}

/// Moves each independent branch of `block` that both computes and
/// communicates on one communicator into a start on that communicator's
/// stream (a fresh one if it has none), awaited before the join, when
/// another operand of the join computes too: that is what it can hide
/// behind. `streamOf` maps communicators to streams; `nextStream` advances.
void isolateBranches(Block &block, std::map<std::string, int64_t> &streamOf,
                     int64_t &nextStream) {
  for (Operation &join : llvm::make_early_inc_range(block)) {
    if (join.getNumOperands() < 2 || !isPure(&join) ||
        join.getNumRegions() != 0)
      continue;
    SmallVector<SetVector<Operation *>> slices;
    for (Value operand : join.getOperands())
      slices.push_back(branchOf(operand, block));
    for (auto [i, slice] : llvm::enumerate(slices)) {
      std::set<std::string> communicators;
      for (Operation *op : slice)
        op->walk([&](CollectiveOpInterface collective) {
          communicators.insert(getCommunicatorName(collective));
        });
      bool besideCompute = false;
      for (auto [j, other] : llvm::enumerate(slices))
        besideCompute |= j != i && computes(other);
      if (communicators.size() != 1 || !computes(slice) || !besideCompute)
        continue;
      // Disjoint from every other operand's branch, and feeding only the
      // join: then nothing else waits for it.
      bool independent = true;
      for (auto [j, other] : llvm::enumerate(slices))
        if (j != i && llvm::any_of(other, [&](Operation *op) {
              return slice.contains(op);
            }))
          independent = false;
      Value result = join.getOperand(i);
      for (Operation *op : slice)
        for (Operation *user : op->getUsers()) {
          Operation *top = block.findAncestorOpInBlock(*user);
          if (top != &join && !slice.contains(top))
            independent = false;
        }
      if (!independent || llvm::count(join.getOperands(), result) != 1)
        continue;
      // Program order inside the branch.
      SmallVector<Operation *> ops(slice.begin(), slice.end());
      llvm::sort(ops, [](Operation *a, Operation *b) {
        return a->isBeforeInBlock(b);
      });
      OpBuilder builder(ops.front());
      Location loc = result.getLoc();
      auto [stream, fresh] =
          streamOf.try_emplace(*communicators.begin(), nextStream);
      if (fresh)
        ++nextStream;
      auto start = StartOp::create(
          builder, loc, FutureType::get(builder.getContext(), {result.getType()}),
          builder.getI64IntegerAttr(stream->second),
          builder.getI64IntegerAttr(0));
      Block *body = new Block();
      start.getBody().push_back(body);
      for (Operation *op : ops)
        op->moveBefore(body, body->end());
      builder.setInsertionPointToEnd(body);
      YieldOp::create(builder, loc, result);
      builder.setInsertionPoint(&join);
      auto await = AwaitOp::create(builder, loc, start.getFuture());
      join.setOperand(i, await.getResult(0));
      if (isExplainRequested())
        start.emitRemark() << "moved a branch of " << ops.size()
                           << " ops communicating on "
                           << *communicators.begin() << " to stream "
                           << stream->second
                           << ", beside the compute of the join's other "
                              "operands";
      // Free ops the branch reads must be defined before the start.
      for (Operation *op : ops)
        op->walk([&](Operation *nested) {
          for (Value operand : nested->getOperands())
            if (Operation *def = operand.getDefiningOp();
                def && def->getBlock() == &block && isFree(def) &&
                start->isBeforeInBlock(def))
              def->moveBefore(start);
        });
      break;
    }
  }
}

struct BraidConvertToAsyncPass
    : braid::impl::BraidConvertToAsyncBase<BraidConvertToAsyncPass> {
  using Base::Base;

  void runOnOperation() override {
    std::map<std::string, int64_t> streamOf;
    SmallVector<CollectiveOpInterface> collectives;
    // Streams already in use keep their communicators.
    int64_t nextStream = 1;
    getOperation().walk([&](StartOp start) {
      nextStream = std::max<int64_t>(nextStream, start.getStream() + 1);
      start.getBody().walk([&](CollectiveOpInterface op) {
        streamOf.try_emplace(getCommunicatorName(op), start.getStream());
      });
    });
    if (branches)
      getOperation().walk([&](func::FuncOp function) {
        if (!function.isExternal())
          isolateBranches(function.getBody().front(), streamOf, nextStream);
      });
    getOperation().walk([&](CollectiveOpInterface op) {
      if (!op->getParentOfType<StartOp>())
        collectives.push_back(op);
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
