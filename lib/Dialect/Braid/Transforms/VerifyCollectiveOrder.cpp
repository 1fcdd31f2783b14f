//===- VerifyCollectiveOrder.cpp - every rank, same collectives, same order ===//

#include "braid/Analysis/CollectiveMatching.h"
#include "braid/Dialect/Braid/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"

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

/// The values of `function` that may differ between ranks of a group: those
/// computed from braid.rank, through regions too (a value an scf.if yields
/// may come from the rank). One pass forward from the rank ops, each op
/// reached once, instead of a walk back to the function's start for every
/// op asked about.
llvm::DenseSet<Value> rankDependentValues(func::FuncOp function) {
  llvm::DenseSet<Value> dependent;
  llvm::DenseSet<Operation *> reached;
  SmallVector<Value> worklist;
  auto markResults = [&](Operation *op) {
    for (Value result : op->getResults())
      if (dependent.insert(result).second)
        worklist.push_back(result);
  };
  function.walk([&](RankOp rank) { markResults(rank); });
  // An op that reads such a value, or holds an op that does, yields values
  // that may differ too.
  while (!worklist.empty())
    for (Operation *user : worklist.pop_back_val().getUsers())
      for (Operation *op = user; op && op != function.getOperation();
           op = op->getParentOp()) {
        if (!reached.insert(op).second)
          break;
        markResults(op);
      }
  return dependent;
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
    llvm::DenseSet<Value> rankDependent = rankDependentValues(function);
    auto dependsOnRank = [&](Value value) {
      return rankDependent.contains(value);
    };
    WalkResult walk = function.walk<WalkOrder::PreOrder>([&](Operation *op) {
      if (auto collective = dyn_cast<CollectiveOpInterface>(op)) {
        issued.push_back(collective);
        return WalkResult::advance();
      }
      // Collectives under rank-dependent control flow cannot be proven to
      // match: each rank may take another path.
      if (op->getNumRegions() && !isa<StartOp, func::FuncOp>(op) &&
          llvm::any_of(op->getOperands(), dependsOnRank)) {
        bool communicates = false;
        op->walk([&](CollectiveOpInterface) { communicates = true; });
        if (communicates) {
          op->emitError() << "collectives under control flow that depends on "
                             "braid.rank: the ranks of a group may issue "
                             "different collectives, which would hang";
          return WalkResult::interrupt();
        }
      }
      return WalkResult::advance();
    });
    if (walk.wasInterrupted())
      return failure();

    // Every rank, in host order, through the interpreter's matcher.
    CollectiveMatcher matcher;
    int64_t numRanks =
        getLargestDeviceCount(function->getParentOfType<ModuleOp>());
    // What does not depend on the rank is looked up (and printed) once.
    SmallVector<shard::GridOp> grids;
    SmallVector<CollectiveSignature> signatures;
    for (CollectiveOpInterface op : issued) {
      grids.push_back(lookupGrid(op, op.getGridSymbol(), &tables));
      signatures.push_back(CollectiveSignature::of(op));
    }
    for (int64_t rank = 0; rank < numRanks; ++rank)
      for (auto [op, grid, signature] : llvm::zip(issued, grids, signatures)) {
        FailureOr<GroupInstance> group =
            grid ? resolveGroup(grid, op.getGroupAxes(), rank)
                 : FailureOr<GroupInstance>(failure());
        if (failed(group))
          continue; // rank outside this grid
        std::string error;
        if (failed(matcher.arrive(*group, rank, signature, error)))
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
