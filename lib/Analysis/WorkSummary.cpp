//===- WorkSummary.cpp - hardware-independent work of a function ----------===//

#include "braid/Analysis/WorkSummary.h"

using namespace mlir;
using namespace mlir::braid;

static std::optional<int64_t> toOptional(FailureOr<int64_t> value) {
  return succeeded(value) ? std::optional<int64_t>(*value) : std::nullopt;
}

CollectiveWork
mlir::braid::getCollectiveWork(CollectiveOpInterface op,
                               SymbolTableCollection &symbolTables) {
  return CollectiveWork{toOptional(op.getGroupSize(&symbolTables)),
                        toOptional(op.getPayloadBytes()),
                        toOptional(op.getBusBytes(&symbolTables))};
}

WorkSummary mlir::braid::summarizeWork(
    FunctionOpInterface function, SymbolTableCollection &symbolTables,
    function_ref<void(CostOpInterface, FailureOr<OpCost>)> onCompute,
    function_ref<void(CollectiveOpInterface, const CollectiveWork &)>
        onCollective) {
  WorkSummary summary;
  function->walk<WalkOrder::PreOrder>([&](Operation *op) {
    if (auto collective = dyn_cast<CollectiveOpInterface>(op)) {
      CollectiveWork work = getCollectiveWork(collective, symbolTables);
      if (onCollective)
        onCollective(collective, work);
      ++summary.numCollectives;
      if (!work.payloadBytes || !work.busBytes)
        summary.unknown.push_back(op);
      summary.payloadBytes += work.payloadBytes.value_or(0);
      summary.busBytes += work.busBytes.value_or(0);
      return WalkResult::advance();
    }
    if (auto costed = dyn_cast<CostOpInterface>(op)) {
      FailureOr<OpCost> cost = costed.getCost();
      if (onCompute)
        onCompute(costed, cost);
      if (failed(cost)) {
        summary.unknown.push_back(op);
      } else if (cost->flops || cost->bytesRead || cost->bytesWritten) {
        summary.compute += *cost;
        ++summary.numComputeOps;
      }
      // The payload of a costed op is already in its cost.
      return WalkResult::skip();
    }
    return WalkResult::advance();
  });
  return summary;
}
