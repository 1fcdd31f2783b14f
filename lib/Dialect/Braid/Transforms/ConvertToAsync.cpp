//===- ConvertToAsync.cpp - collectives become start/await pairs ----------===//

#include "braid/Dialect/Braid/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/SetVector.h"

#include <map>
#include <queue>

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

/// Whether branches take `def` in: an op of `block` that does work. A value's
/// branch is the ops of `block` it needs, through the operands of nested
/// ops too, stopping at free ops and block arguments.
bool inBranch(Operation *def, Block &block) {
  return def && def->getBlock() == &block && !isFree(def);
}

/// Whether a branch holding `op` runs on a stream: side effects keep it in
/// place.
bool movable(Operation *op) {
  return isPure(op) || isa<CollectiveOpInterface>(op);
}

/// A branch a join owns, and the one communicator it uses (empty when it
/// does not communicate).
struct Branch {
  SetVector<Operation *> ops;
  std::string communicator;
};

/// The branch of `join`'s operand `index` when it may move to a stream of
/// its own: it feeds nothing but the join, shares no op with the join's
/// other operands, has no side effects and communicates on one
/// communicator at most. The ops are visited latest first, so every user an
/// op has inside the branch is known when the op is reached, and the first
/// op that breaks a condition ends the walk: a branch the rest of the
/// program shares is refused after a few ops instead of walked to the
/// block's start (walking it whole for every join would be quadratic in the
/// block's size).
std::optional<Branch>
ownBranchOf(Operation *join, unsigned index, Block &block,
            const llvm::DenseMap<Operation *, unsigned> &operandsProduced) {
  auto earlier = [](Operation *a, Operation *b) {
    return a->isBeforeInBlock(b);
  };
  std::priority_queue<Operation *, std::vector<Operation *>, decltype(earlier)>
      latestFirst(earlier);
  auto push = [&](Value operand) {
    if (Operation *def = operand.getDefiningOp(); inBranch(def, block))
      latestFirst.push(def);
  };
  push(join->getOperand(index));
  // Every user of a branch op is in the branch or the join, so a branch
  // meeting another operand's would hold that operand's producer.
  Operation *ownProducer = join->getOperand(index).getDefiningOp();
  auto producesAnotherOperand = [&](Operation *op) {
    return operandsProduced.lookup(op) > (op == ownProducer ? 1u : 0u);
  };
  Branch branch;
  while (!latestFirst.empty()) {
    Operation *def = latestFirst.top();
    latestFirst.pop();
    if (branch.ops.contains(def))
      continue;
    if (!movable(def) || producesAnotherOperand(def))
      return std::nullopt;
    for (Operation *user : def->getUsers()) {
      Operation *top = block.findAncestorOpInBlock(*user);
      if (top != join && !branch.ops.contains(top))
        return std::nullopt;
    }
    bool oneCommunicator = true;
    def->walk([&](CollectiveOpInterface collective) {
      std::string name = getCommunicatorName(collective);
      if (branch.communicator.empty())
        branch.communicator = name;
      oneCommunicator &= name == branch.communicator;
    });
    if (!oneCommunicator)
      return std::nullopt;
    branch.ops.insert(def);
    def->walk([&](Operation *nested) {
      for (Value operand : nested->getOperands())
        push(operand);
    });
  }
  if (branch.ops.empty())
    return std::nullopt;
  return branch;
}

/// Whether `op` does arithmetic (not only data movement or communication).
bool computes(Operation *op) {
  auto costed = dyn_cast<CostOpInterface>(op);
  if (!costed)
    return false;
  FailureOr<OpCost> cost = costed.getCost();
  return failed(cost) || cost->flops > 0;
}

bool computes(const SetVector<Operation *> &ops) {
  return llvm::any_of(ops, [](Operation *op) { return computes(op); });
}

/// Whether the branch of a value computes and could move, remembered per op
/// of the block so that the joins of a long block do not each walk their
/// operands' branches back to its start. A summary covers an op and every
/// op of the block it needs. Ops only need earlier ones, and a branch that
/// moves fed only its join (not summarised yet: isolateBranches walks
/// forward), so no summary goes stale.
class BranchSummaries {
public:
  explicit BranchSummaries(Block &block) : block(block) {}

  /// Whether the branch of `value` computes and has no side effects.
  bool branchComputes(Value value) {
    Operation *def = value.getDefiningOp();
    if (!inBranch(def, block))
      return false;
    Summary summary = summarize(def);
    return !summary.sideEffects && summary.computes;
  }

private:
  struct Summary {
    /// Something it needs has side effects.
    bool sideEffects = false;
    bool computes = false;
  };

  /// Post-order without recursion: a chain may be as long as the block.
  Summary summarize(Operation *root) {
    SmallVector<std::pair<Operation *, bool>> stack{{root, false}};
    llvm::DenseSet<Operation *> inProgress;
    while (!stack.empty()) {
      auto [op, expanded] = stack.back();
      if (summaries.count(op) || (!expanded && inProgress.contains(op))) {
        stack.pop_back();
        continue;
      }
      if (!expanded) {
        stack.back().second = true;
        inProgress.insert(op);
        op->walk([&](Operation *nested) {
          for (Value operand : nested->getOperands())
            if (Operation *def = operand.getDefiningOp();
                inBranch(def, block) && !summaries.count(def) &&
                !inProgress.contains(def))
              stack.push_back({def, false});
        });
        continue;
      }
      stack.pop_back();
      inProgress.erase(op);
      Summary summary;
      summary.sideEffects = !movable(op);
      summary.computes = computes(op);
      op->walk([&](Operation *nested) {
        for (Value operand : nested->getOperands())
          if (Operation *def = operand.getDefiningOp(); inBranch(def, block)) {
            // Absent only on a cycle (graph regions): nothing to add.
            auto it = summaries.find(def);
            if (it == summaries.end())
              continue;
            summary.sideEffects |= it->second.sideEffects;
            summary.computes |= it->second.computes;
          }
      });
      summaries[op] = summary;
    }
    return summaries.lookup(root);
  }

  Block &block;
  llvm::DenseMap<Operation *, Summary> summaries;
};

/// Moves each independent branch of `block` that both computes and
/// communicates on one communicator into a start on that communicator's
/// stream (a fresh one if it has none), awaited before the join, when
/// another operand of the join computes too: that is what it can hide
/// behind. `streamOf` maps communicators to streams; `nextStream` advances.
void isolateBranches(Block &block, std::map<std::string, int64_t> &streamOf,
                     int64_t &nextStream) {
  BranchSummaries summaries(block);
  for (Operation &join : llvm::make_early_inc_range(block)) {
    if (join.getNumOperands() < 2 || !isPure(&join) ||
        join.getNumRegions() != 0)
      continue;
    // Counted once per join: a join may have many operands (a function's
    // return of every layer's gradients).
    llvm::DenseMap<Value, unsigned> operandUses;
    llvm::DenseMap<Operation *, unsigned> operandsProduced;
    for (Value operand : join.getOperands()) {
      ++operandUses[operand];
      if (Operation *def = operand.getDefiningOp())
        ++operandsProduced[def];
    }
    for (auto [i, operand] : llvm::enumerate(join.getOperands())) {
      Value result = operand;
      if (operandUses.lookup(result) != 1)
        continue;
      std::optional<Branch> branch =
          ownBranchOf(&join, i, block, operandsProduced);
      if (!branch || branch->communicator.empty() || !computes(branch->ops))
        continue;
      const SetVector<Operation *> &slice = branch->ops;
      bool besideCompute = false;
      for (auto [j, other] : llvm::enumerate(join.getOperands()))
        if (j != i && !besideCompute)
          besideCompute = summaries.branchComputes(other);
      if (!besideCompute)
        continue;
      // Program order inside the branch.
      SmallVector<Operation *> ops(slice.begin(), slice.end());
      llvm::sort(ops, [](Operation *a, Operation *b) {
        return a->isBeforeInBlock(b);
      });
      OpBuilder builder(ops.front());
      Location loc = result.getLoc();
      auto [stream, fresh] =
          streamOf.try_emplace(branch->communicator, nextStream);
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
                           << " ops communicating on " << branch->communicator
                           << " to stream " << stream->second
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
    // A fused collective's communication is its own (it runs beside its
    // producer, triggered by it): the fused op stays where it is.
    getOperation().walk([&](CollectiveOpInterface op) {
      if (!op->getParentOfType<StartOp>() &&
          !op->getParentOfType<FusedCollectiveOp>())
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
