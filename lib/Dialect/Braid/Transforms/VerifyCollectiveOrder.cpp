//===- VerifyCollectiveOrder.cpp - every rank, same collectives, same order ===//

#include "braid/Analysis/CollectiveMatching.h"
#include "braid/Dialect/Braid/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Interfaces/FunctionInterfaces.h"
#include "mlir/Interfaces/LoopLikeInterface.h"
#include "llvm/ADT/DenseMap.h"

#include <map>

namespace mlir {
namespace braid {
#define GEN_PASS_DEF_BRAIDVERIFYCOLLECTIVEORDER
#include "braid/Dialect/Braid/Transforms/Passes.h.inc"
} // namespace braid
} // namespace mlir

using namespace mlir;
using namespace mlir::braid;

namespace {

/// Appends the values a region argument takes: on entry and on every back
/// edge of a loop. Function arguments are the program's inputs, the same
/// on every rank as far as this verifier is concerned.
void appendIncomingValues(BlockArgument arg, SmallVectorImpl<Value> &values) {
  Operation *owner = arg.getOwner()->getParentOp();
  if (!owner || isa<FunctionOpInterface>(owner))
    return;
  if (auto loop = dyn_cast<LoopLikeOpInterface>(owner)) {
    if (OpOperand *init = loop.getTiedLoopInit(arg)) {
      values.push_back(init->get());
      if (OpOperand *yielded = loop.getTiedLoopYieldedValue(arg))
        values.push_back(yielded->get());
      return;
    }
    std::optional<SmallVector<Value>> inductionVars =
        loop.getLoopInductionVars();
    if (inductionVars && llvm::is_contained(*inductionVars, arg)) {
      for (auto bounds : {loop.getLoopLowerBounds(), loop.getLoopUpperBounds(),
                          loop.getLoopSteps()})
        if (bounds)
          for (OpFoldResult bound : *bounds)
            if (auto value = dyn_cast<Value>(bound))
              values.push_back(value);
      return;
    }
  }
  // The after region of an scf.while receives what its condition forwards.
  if (auto loop = dyn_cast<scf::WhileOp>(owner);
      loop && arg.getOwner() == loop.getAfterBody()) {
    values.push_back(loop.getConditionOp().getArgs()[arg.getArgNumber()]);
    return;
  }
  // Anything else: whatever the op reads or computes inside.
  owner->walk([&](Operation *nested) {
    llvm::append_range(values, nested->getOperands());
  });
}

/// The braid.rank `value` is computed from, if any: a value that may differ
/// between the ranks of a group. Null when `value` is the same on every rank.
RankOp findRankSource(Value value) {
  SmallVector<Value> worklist{value};
  llvm::DenseSet<Value> seen;
  while (!worklist.empty()) {
    Value current = worklist.pop_back_val();
    if (!seen.insert(current).second)
      continue;
    if (auto arg = dyn_cast<BlockArgument>(current)) {
      appendIncomingValues(arg, worklist);
      continue;
    }
    Operation *def = current.getDefiningOp();
    if (auto rank = dyn_cast<RankOp>(def))
      return rank;
    // Through regions too: a value an scf.if yields may come from the rank.
    def->walk([&](Operation *nested) {
      llvm::append_range(worklist, nested->getOperands());
    });
  }
  return nullptr;
}

/// The values that decide whether, or how often, the regions of `op` run:
/// its operands (an scf.if's condition, a loop's bounds and initial values)
/// and, for an scf.while, the condition it computes on every iteration.
SmallVector<Value> getControlValues(Operation *op) {
  SmallVector<Value> values(op->getOperands());
  if (auto loop = dyn_cast<scf::WhileOp>(op))
    values.push_back(loop.getConditionOp().getCondition());
  return values;
}

struct BraidVerifyCollectiveOrderPass
    : braid::impl::BraidVerifyCollectiveOrderBase<
          BraidVerifyCollectiveOrderPass> {
  void runOnOperation() override {
    SymbolTableCollection tables;
    if (failed(verifyStreams(getOperation())))
      return signalPassFailure();
    bool ok = true;
    getOperation().walk([&](func::FuncOp function) {
      if (!function.isExternal())
        ok &= succeeded(verifyFunction(function, tables));
    });
    if (!ok)
      signalPassFailure();
  }

  LogicalResult verifyFunction(func::FuncOp function,
                               SymbolTableCollection &tables) {
    // Host issue order: program order, start bodies where the start stands.
    SmallVector<CollectiveOpInterface> issued;
    WalkResult walk = function.walk<WalkOrder::PreOrder>([&](Operation *op) {
      if (auto collective = dyn_cast<CollectiveOpInterface>(op)) {
        issued.push_back(collective);
        return WalkResult::advance();
      }
      // Collectives under rank-dependent control flow cannot be proven to
      // match: each rank may take another path.
      if (!op->getNumRegions() || isa<StartOp, func::FuncOp>(op))
        return WalkResult::advance();
      bool communicates = false;
      op->walk([&](CollectiveOpInterface) { communicates = true; });
      if (!communicates)
        return WalkResult::advance();
      for (Value control : getControlValues(op))
        if (RankOp rank = findRankSource(control)) {
          InFlightDiagnostic diag =
              op->emitError() << "collectives under control flow that depends "
                                 "on braid.rank: the ranks of a group may "
                                 "issue different collectives, which would "
                                 "hang";
          diag.attachNote(rank.getLoc()) << "the rank is read here";
          return WalkResult::interrupt();
        }
      return WalkResult::advance();
    });
    if (walk.wasInterrupted())
      return failure();

    // Every rank, in host order, through the interpreter's matcher.
    CollectiveMatcher matcher;
    int64_t numRanks =
        getLargestDeviceCount(function->getParentOfType<ModuleOp>());
    for (int64_t rank = 0; rank < numRanks; ++rank)
      for (CollectiveOpInterface op : issued) {
        shard::GridOp grid = lookupGrid(op, op.getGridSymbol(), &tables);
        FailureOr<GroupInstance> group =
            grid ? resolveGroup(grid, op.getGroupAxes(), rank)
                 : FailureOr<GroupInstance>(failure());
        if (failed(group))
          continue; // rank outside this grid
        std::string error;
        if (failed(matcher.arrive(*group, rank, CollectiveSignature::of(op),
                                  error)))
          return op->emitError() << error;
      }
    std::vector<std::string> incomplete = matcher.describeIncomplete();
    if (!incomplete.empty()) {
      InFlightDiagnostic diag = function.emitError()
                                << "collectives some ranks never issue";
      for (const std::string &line : incomplete)
        diag.attachNote() << line;
      return failure();
    }
    return success();
  }

  /// One stream per communicator and one communicator per stream, across
  /// the module (a collective outside any start runs on stream 0).
  LogicalResult verifyStreams(ModuleOp module) {
    std::map<std::string, std::pair<int64_t, Operation *>> streamOf;
    std::map<int64_t, std::pair<std::string, Operation *>> communicatorOf;
    WalkResult walk = module.walk([&](CollectiveOpInterface collective) {
      auto start = collective->getParentOfType<StartOp>();
      int64_t stream = start ? start.getStream() : 0;
      Operation *site = start ? start.getOperation() : collective.getOperation();
      std::string name = getCommunicatorName(collective);
      auto [byName, newName] = streamOf.try_emplace(name, stream, site);
      if (byName->second.first != stream) {
        InFlightDiagnostic diag =
            site->emitError()
            << "communicator " << name << " is used on streams "
            << byName->second.first << " and " << stream
            << "; collectives of one communicator must share a stream";
        diag.attachNote(byName->second.second->getLoc()) << "first used here";
        return WalkResult::interrupt();
      }
      auto [byStream, newStream] = communicatorOf.try_emplace(stream, name, site);
      if (byStream->second.first != name && stream != 0) {
        InFlightDiagnostic diag =
            site->emitError()
            << "stream " << stream << " carries communicators "
            << byStream->second.first << " and " << name
            << "; give each communicator its own stream";
        diag.attachNote(byStream->second.second->getLoc())
            << "first used here";
        return WalkResult::interrupt();
      }
      return WalkResult::advance();
    });
    return failure(walk.wasInterrupted());
  }
};

} // namespace
