//===- CostModel.h - predicted time of ops on a hardware profile -*- C++ -*-===//
//
// Turns the hardware-independent work of an op (CostOpInterface,
// CollectiveOpInterface) into seconds on a HardwareProfile:
//   - GEMMs by waves of output tiles over the SMs available (wave
//     quantization and the small-M/N tax of padded tiles), bounded below by
//     streaming their bytes;
//   - other kernels by bytes over memory bandwidth (or FLOPs over vector
//     peak), plus a launch cost;
//   - collectives by an alpha-beta model per algorithm (ring, tree, star)
//     with launch latency, on the link their group rides, unless the link
//     has a measured fit for that collective and group size;
// Any op's time can be replaced by a measurement with the attribute
// `braid.measured_time_us`.
//
//===----------------------------------------------------------------------===//

#ifndef BRAID_ANALYSIS_COSTMODEL_H
#define BRAID_ANALYSIS_COSTMODEL_H

#include "braid/Analysis/HardwareProfile.h"
#include "braid/Dialect/Braid/IR/BraidDialect.h"

#include <string>

namespace mlir {
namespace braid {

StringRef stringifyCollectiveAlgorithm(CollectiveAlgorithm algorithm);
CollectiveKind getCollectiveKind(CollectiveOpInterface op);

/// The problem a GEMM solves: `batch` x (M x N x K) on operands of
/// `element`.
struct GemmShape {
  int64_t m, n, k, batch;
  Type element;
};
/// The GEMM of a linalg contraction with static shapes or of a
/// braid.grouped_matmul (every row in some group), as the cost model bills
/// it.
std::optional<GemmShape> getGemmShape(Operation *op);

/// A prediction and how it was made, for remarks.
struct OpTime {
  double seconds = 0;
  std::string explanation;
  bool communication = false;
};

class CostModel {
public:
  explicit CostModel(HardwareProfile profile) : hw(std::move(profile)) {}
  const HardwareProfile &profile() const { return hw; }

  /// A GEMM of `batch` x (M x N x K) with operands of `elementType` on `sms`
  /// SMs; `bytes` moved at its boundary.
  OpTime gemmTime(int64_t m, int64_t n, int64_t k, int64_t batch,
                  Type elementType, int64_t bytes, int64_t sms) const;
  /// A kernel that streams `bytes` and does `flops` of vector arithmetic.
  OpTime streamingTime(int64_t bytes, int64_t flops) const;
  /// A collective of `payloadBytes` over `groupSize` ranks on `link`.
  double collectiveTime(CollectiveKind kind, int64_t payloadBytes,
                        int64_t groupSize, const LinkProfile &link,
                        CollectiveAlgorithm algorithm) const;
  /// The fastest algorithm the runtime offers for `kind` and its time. A
  /// measured fit of the link for `kind` and `groupSize` replaces the
  /// algorithms' model (the fit is of whatever the runtime ran; ring is
  /// returned for it).
  std::pair<CollectiveAlgorithm, double>
  bestCollective(CollectiveKind kind, int64_t payloadBytes, int64_t groupSize,
                 const LinkProfile &link) const;

  /// The link the groups of `op` ride: intra-node when the members of every
  /// group instance share a node (through the grid's device order), else
  /// inter-node (the slowest group sets the pace).
  FailureOr<const LinkProfile *> linkFor(CollectiveOpInterface op,
                                         SymbolTableCollection &tables) const;

  /// Predicted time of `op` with `availableSMs` SMs for compute (all when
  /// negative). Failure, with a reason in `why`, when the op cannot be
  /// costed (dynamic shapes, unknown group).
  FailureOr<OpTime> opTime(Operation *op, SymbolTableCollection &tables,
                           int64_t availableSMs, std::string &why) const;

private:
  HardwareProfile hw;
};

} // namespace braid
} // namespace mlir

#endif // BRAID_ANALYSIS_COSTMODEL_H
