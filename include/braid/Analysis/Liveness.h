//===- Liveness.h - live tensor bytes and peak memory per rank --*- C++ -*-===//
//
// How many bytes of tensors are live while a block's ops run in a given
// order. The scheduler's memory budget and the arena planner both use this
// one analysis. A value is live from the op that defines it through its
// last use; the values a braid.start yields stay live (as its future) until
// their await.
//
//===----------------------------------------------------------------------===//

#ifndef BRAID_ANALYSIS_LIVENESS_H
#define BRAID_ANALYSIS_LIVENESS_H

#include "braid/Dialect/Braid/IR/BraidDialect.h"

namespace mlir {
namespace braid {

struct MemoryProfile {
  /// Live bytes while each op of the order runs (its operands and results
  /// included).
  SmallVector<int64_t> liveDuring;
  int64_t peakBytes = 0;
  /// The op during which the peak occurs.
  Operation *peakAt = nullptr;
};

/// Live bytes of `block` when its ops run in `order` (a permutation of the
/// block's ops, terminator excluded; the block's order when empty). Block
/// arguments count as live throughout when `countArguments`. Failure when a
/// live value has a dynamic shape or `order` is not a valid permutation.
FailureOr<MemoryProfile> computeMemoryProfile(Block &block,
                                              ArrayRef<Operation *> order = {},
                                              bool countArguments = true);

} // namespace braid
} // namespace mlir

#endif // BRAID_ANALYSIS_LIVENESS_H
