//===- Replication.cpp - which results must be equal across ranks ---------===//

#include "ExecContext.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

#include <map>
#include <set>

using namespace mlir;
using namespace mlir::braid;
using namespace mlir::braid::interp;

namespace {

/// Grid axes across which a value is the same on every rank; `universal`
/// for values every rank computes identically (constants).
struct Replication {
  bool universal = false;
  std::map<std::string, std::set<int16_t>> axes;

  static Replication everywhere() {
    Replication r;
    r.universal = true;
    return r;
  }
  /// Replicated over what both are replicated over.
  Replication meet(const Replication &other) const {
    if (universal)
      return other;
    if (other.universal)
      return *this;
    Replication result;
    for (const auto &[grid, set] : axes) {
      auto it = other.axes.find(grid);
      if (it == other.axes.end())
        continue;
      std::set<int16_t> common;
      for (int16_t axis : set)
        if (it->second.count(axis))
          common.insert(axis);
      if (!common.empty())
        result.axes[grid] = common;
    }
    return result;
  }
};

class ReplicationAnalysis {
public:
  void runOn(Block &block) {
    for (Operation &op : block)
      visit(&op);
  }
  Replication of(Value value) const {
    auto it = state.find(value);
    return it == state.end() ? Replication() : it->second;
  }

private:
  void visit(Operation *op) {
    if (auto collective = dyn_cast<CollectiveOpInterface>(op)) {
      // Grids may cover the same devices in other arrangements: what is
      // known about other grids does not survive a collective.
      Replication in = of(collective.getCommunicatedValue());
      std::string grid = collective.getGridSymbol().getValue().str();
      Replication out;
      std::set<int16_t> axes =
          in.universal ? std::set<int16_t>() : in.axes[grid];
      bool replicates = isa<AllReduceOp, AllGatherOp, BroadcastOp>(op);
      for (int16_t axis : collective.getGroupAxes()) {
        if (replicates)
          axes.insert(axis);
        else
          axes.erase(axis);
      }
      if (!axes.empty())
        out.axes[grid] = axes;
      state[op->getResult(0)] = out;
      return;
    }
    if (auto start = dyn_cast<StartOp>(op)) {
      runOn(start.getBody().front());
      SmallVector<Replication> yielded;
      for (Value value : start.getYield().getValues())
        yielded.push_back(of(value));
      futures[start.getFuture()] = yielded;
      return;
    }
    if (auto fused = dyn_cast<FusedCollectiveOp>(op)) {
      // The body's value, whatever its schedule.
      runOn(fused.getBody().front());
      state[fused.getResult()] = of(fused.getYield().getValues()[0]);
      return;
    }
    if (auto await = dyn_cast<AwaitOp>(op)) {
      auto it = futures.find(await.getFuture());
      if (it != futures.end())
        for (auto [result, replication] :
             llvm::zip(await.getResults(), it->second))
          state[result] = replication;
      return;
    }
    // Loops, branches and calls: assume nothing about their results.
    if (op->getNumRegions() != 0 && !isa<linalg::LinalgOp>(op) &&
        op->getName().getStringRef() != "tensor.pad" &&
        op->getName().getStringRef() != "tensor.generate")
      return;
    if (isa<RankOp>(op))
      return;
    // Any other op computes the same on ranks that agree on its operands.
    Replication result = Replication::everywhere();
    for (Value operand : op->getOperands())
      result = result.meet(of(operand));
    for (Value value : op->getResults())
      state[value] = result;
  }

  llvm::DenseMap<Value, Replication> state;
  llvm::DenseMap<Value, SmallVector<Replication>> futures;
};

} // namespace

std::vector<ReplicatedResult>
mlir::braid::interp::findReplicatedResults(func::FuncOp function) {
  std::vector<ReplicatedResult> results;
  if (function.isExternal())
    return results;
  ReplicationAnalysis analysis;
  Block &body = function.getBody().front();
  analysis.runOn(body);
  for (auto [index, value] :
       llvm::enumerate(body.getTerminator()->getOperands())) {
    Replication replication = analysis.of(value);
    for (const auto &[grid, axes] : replication.axes)
      if (!axes.empty())
        results.push_back(ReplicatedResult{
            static_cast<unsigned>(index), grid,
            SmallVector<int16_t>(axes.begin(), axes.end())});
  }
  return results;
}

std::vector<ReplicationViolation> mlir::braid::interp::findReplicationViolations(
    func::FuncOp function, const RankValues &outputs,
    ArrayRef<ReplicatedResult> replicated) {
  std::vector<ReplicationViolation> violations;
  for (const ReplicatedResult &entry : replicated) {
    auto grid = SymbolTable::lookupNearestSymbolFrom<shard::GridOp>(
        function, StringAttr::get(function.getContext(), entry.grid));
    if (!grid)
      continue;
    for (int64_t rank = 0, e = outputs.size(); rank < e; ++rank) {
      FailureOr<GroupInstance> group = resolveGroup(grid, entry.axes, rank);
      if (failed(group) || group->members.front() != rank)
        continue;
      // Results another program (a rewrite) lacks are reported apart.
      if (llvm::any_of(group->members, [&](int64_t member) {
            return entry.resultIndex >= outputs[member].size();
          }))
        continue;
      const Tensor &first = outputs[rank][entry.resultIndex];
      for (int64_t member : group->members) {
        const Tensor &other = outputs[member][entry.resultIndex];
        if (first.bitwiseEqual(other))
          continue;
        int64_t element = 0;
        while (element < first.numElements() &&
               first.get(element).bitwiseEqual(other.get(element)))
          ++element;
        std::string message;
        llvm::raw_string_ostream os(message);
        os << "result #" << entry.resultIndex << " is replicated over "
           << group->communicator << " but rank " << rank << " and rank "
           << member << " hold different values";
        if (element < first.numElements())
          os << llvm::format(" (element %lld: %.9g vs %.9g)",
                             static_cast<long long>(element),
                             first.get(element).asDouble(),
                             other.get(element).asDouble());
        violations.push_back(
            {entry.resultIndex, rank, member, std::move(message)});
        break;
      }
    }
  }
  return violations;
}

LogicalResult mlir::braid::interp::verifyReplicatedResults(
    func::FuncOp function, const RankValues &outputs,
    ArrayRef<ReplicatedResult> replicated) {
  std::vector<ReplicationViolation> violations =
      findReplicationViolations(function, outputs, replicated);
  for (const ReplicationViolation &violation : violations)
    function.emitError() << violation.message;
  return success(violations.empty());
}
