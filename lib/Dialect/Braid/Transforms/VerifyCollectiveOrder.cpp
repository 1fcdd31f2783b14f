//===- VerifyCollectiveOrder.cpp - every rank, same collectives, same order ===//

#include "braid/Analysis/CollectiveMatching.h"
#include "braid/Dialect/Braid/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Interfaces/FunctionInterfaces.h"
#include "mlir/Interfaces/LoopLikeInterface.h"
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

/// Where the value of a region argument comes from, as far as rank
/// dependence goes.
enum class ArgumentSource {
  /// A function argument: the program's inputs, the same on every rank as
  /// far as this verifier is concerned.
  Input,
  /// The values appended: the entry value and every back edge of a loop.
  Incoming,
  /// Anything its owner reads or computes inside.
  Owner,
};

ArgumentSource getIncomingValues(BlockArgument arg,
                                 SmallVectorImpl<Value> &values) {
  Operation *owner = arg.getOwner()->getParentOp();
  if (!owner || isa<FunctionOpInterface>(owner))
    return ArgumentSource::Input;
  if (auto loop = dyn_cast<LoopLikeOpInterface>(owner)) {
    if (OpOperand *init = loop.getTiedLoopInit(arg)) {
      values.push_back(init->get());
      if (OpOperand *yielded = loop.getTiedLoopYieldedValue(arg))
        values.push_back(yielded->get());
      return ArgumentSource::Incoming;
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
      return ArgumentSource::Incoming;
    }
  }
  // The after region of an scf.while receives what its condition forwards.
  if (auto loop = dyn_cast<scf::WhileOp>(owner);
      loop && arg.getOwner() == loop.getAfterBody()) {
    values.push_back(loop.getConditionOp().getArgs()[arg.getArgNumber()]);
    return ArgumentSource::Incoming;
  }
  return ArgumentSource::Owner;
}

/// The values of a function that may differ between the ranks of a group,
/// each with the braid.rank it is computed from. A value depends on the
/// rank when it is a braid.rank, when an op computes it from such a value
/// (through regions too: a value an scf.if yields may come from the rank),
/// or when it is a region argument whose incoming values do, loop back
/// edges included. One sweep records where region arguments come from; a
/// worklist from each braid.rank then visits every value and op at most
/// once, so the analysis is linear in the function whatever the number of
/// control-flow ops or the depth of loop-carried chains.
class RankDependence {
public:
  explicit RankDependence(FunctionOpInterface function) {
    SmallVector<RankOp> ranks;
    function->walk([&](Operation *op) {
      if (auto rank = dyn_cast<RankOp>(op))
        ranks.push_back(rank);
      for (Region &region : op->getRegions())
        for (Block &block : region)
          for (BlockArgument arg : block.getArguments()) {
            SmallVector<Value> incoming;
            switch (getIncomingValues(arg, incoming)) {
            case ArgumentSource::Input:
              break;
            case ArgumentSource::Incoming:
              for (Value value : incoming)
                flowsInto[value].push_back(arg);
              break;
            case ArgumentSource::Owner:
              ownerArguments[op].push_back(arg);
              break;
            }
          }
    });
    // Rank by rank in program order: a value reached from several reads is
    // attributed to the first.
    for (RankOp rank : ranks) {
      mark(rank.getResult(), rank);
      while (!worklist.empty()) {
        Value value = worklist.pop_back_val();
        if (auto it = flowsInto.find(value); it != flowsInto.end())
          for (BlockArgument arg : it->second)
            mark(arg, rank);
        for (Operation *user : value.getUsers())
          markReader(user, rank);
      }
    }
  }

  /// The braid.rank `value` is computed from, if any; null when `value` is
  /// the same on every rank.
  RankOp sourceOf(Value value) const { return source.lookup(value); }

private:
  void mark(Value value, RankOp rank) {
    if (source.try_emplace(value, rank).second)
      worklist.push_back(value);
  }

  /// `reader` reads a rank-dependent value: what it and every op around it
  /// compute depends on the rank. An op already reached had its enclosing
  /// ops marked then.
  void markReader(Operation *reader, RankOp rank) {
    for (Operation *op = reader; op && !isa<FunctionOpInterface>(op) &&
                                 reached.insert(op).second;
         op = op->getParentOp()) {
      for (Value result : op->getResults())
        mark(result, rank);
      if (auto it = ownerArguments.find(op); it != ownerArguments.end())
        for (BlockArgument arg : it->second)
          mark(arg, rank);
    }
  }

  llvm::DenseMap<Value, RankOp> source;
  /// Value -> the region arguments it enters (loop entry and back edges).
  llvm::DenseMap<Value, SmallVector<BlockArgument, 1>> flowsInto;
  /// Op -> its region arguments that take whatever it reads or computes.
  llvm::DenseMap<Operation *, SmallVector<BlockArgument>> ownerArguments;
  llvm::DenseSet<Operation *> reached;
  SmallVector<Value> worklist;
};

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
      return signalPassFailure();
    // Nothing is rewritten: the verifier need not run again after this pass.
    markAllAnalysesPreserved();
  }

  LogicalResult verifyFunction(func::FuncOp function,
                               SymbolTableCollection &tables) {
    // Ops whose regions issue a collective, found once per collective: the
    // walk up stops at the first op already found.
    llvm::DenseSet<Operation *> communicating;
    function.walk([&](CollectiveOpInterface collective) {
      for (Operation *op = collective->getParentOp();
           op && op != function && communicating.insert(op).second;
           op = op->getParentOp()) {
      }
    });
    RankDependence rankDependence(function);

    // Host issue order: program order, start bodies where the start stands.
    SmallVector<CollectiveOpInterface> issued;
    WalkResult walk = function.walk<WalkOrder::PreOrder>([&](Operation *op) {
      if (auto collective = dyn_cast<CollectiveOpInterface>(op)) {
        issued.push_back(collective);
        return WalkResult::advance();
      }
      // Collectives under rank-dependent control flow cannot be proven to
      // match: each rank may take another path.
      if (!op->getNumRegions() || isa<StartOp, func::FuncOp>(op) ||
          !communicating.contains(op))
        return WalkResult::advance();
      for (Value control : getControlValues(op))
        if (RankOp rank = rankDependence.sourceOf(control)) {
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

    // Every rank, in host order, through the interpreter's matcher. What
    // does not depend on the rank is computed once per collective.
    struct IssuedCollective {
      CollectiveOpInterface op;
      shard::GridOp grid;
      ArrayRef<int16_t> groupAxes;
      CollectiveSignature signature;
    };
    std::vector<IssuedCollective> collectives;
    collectives.reserve(issued.size());
    for (CollectiveOpInterface op : issued)
      collectives.push_back({op, lookupGrid(op, op.getGridSymbol(), &tables),
                             op.getGroupAxes(), CollectiveSignature::of(op)});
    CollectiveMatcher matcher;
    int64_t numRanks =
        getLargestDeviceCount(function->getParentOfType<ModuleOp>());
    for (int64_t rank = 0; rank < numRanks; ++rank)
      for (const IssuedCollective &collective : collectives) {
        FailureOr<GroupInstance> group =
            collective.grid
                ? resolveGroup(collective.grid, collective.groupAxes,
                               rank)
                : FailureOr<GroupInstance>(failure());
        if (failed(group))
          continue; // rank outside this grid
        std::string error;
        if (failed(matcher.arrive(*group, rank, collective.signature, error)))
          return collective.op->emitError() << error;
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
  /// the module (a collective outside any start runs on stream 0; one
  /// fused with its producer, on its communicator's).
  LogicalResult verifyStreams(ModuleOp module) {
    std::map<std::string, std::pair<int64_t, Operation *>> streamOf;
    std::map<int64_t, std::pair<std::string, Operation *>> communicatorOf;
    WalkResult walk = module.walk([&](CollectiveOpInterface collective) {
      // A fused collective's pieces go out on its communicator's stream,
      // whatever stream its producer runs on (the lowering puts them
      // there, behind the producer's triggers); it is issued in host order
      // with the rest, which verifyOrder proves.
      if (collective->getParentOfType<FusedCollectiveOp>())
        return WalkResult::advance();
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
