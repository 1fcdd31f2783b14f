//===- WorkSummary.h - hardware-independent work of a function --*- C++ -*-===//
//
// What one rank does in a function, summed over its ops through the cost and
// collective interfaces: FLOPs, bytes at op boundaries and bytes
// communicated. The hardware cost model turns these into time.
//
//===----------------------------------------------------------------------===//

#ifndef BRAID_ANALYSIS_WORKSUMMARY_H
#define BRAID_ANALYSIS_WORKSUMMARY_H

#include "braid/Dialect/Braid/IR/BraidDialect.h"

#include "mlir/Interfaces/FunctionInterfaces.h"

namespace mlir {
namespace braid {

/// Communication of one collective as the interface reports it.
struct CollectiveWork {
  std::optional<int64_t> groupSize;
  std::optional<int64_t> payloadBytes;
  std::optional<int64_t> busBytes;
};

/// Totals over a function. Ops nested inside a costed op (a linalg payload)
/// are part of that op's cost and are not counted again.
struct WorkSummary {
  OpCost compute;
  int64_t numComputeOps = 0;
  int64_t numCollectives = 0;
  int64_t payloadBytes = 0;
  int64_t busBytes = 0;
  /// Ops whose work depends on a dynamic shape or an unknown group size.
  SmallVector<Operation *> unknown;
};

/// The communication `op` does; fields are empty where shapes or the group
/// size are not static.
CollectiveWork getCollectiveWork(CollectiveOpInterface op,
                                 SymbolTableCollection &symbolTables);

/// Calls `onCompute` / `onCollective` for each op that counts in `function`
/// (in pre-order) and returns the totals.
WorkSummary summarizeWork(
    FunctionOpInterface function, SymbolTableCollection &symbolTables,
    function_ref<void(CostOpInterface, FailureOr<OpCost>)> onCompute = {},
    function_ref<void(CollectiveOpInterface, const CollectiveWork &)>
        onCollective = {});

} // namespace braid
} // namespace mlir

#endif // BRAID_ANALYSIS_WORKSUMMARY_H
