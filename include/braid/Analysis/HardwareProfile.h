//===- HardwareProfile.h - machine numbers for the cost model ---*- C++ -*-===//
//
// A profile is a JSON file (bench/profiles/*.json) in which every number
// carries its source. It describes one accelerator kind, how many share a
// node, and the links inside and across nodes. Which link a collective rides
// follows from its group: members on one node use the intra-node link,
// otherwise the inter-node link. A link may also carry measured fits per
// collective and group size (braid-calibrate), which replace its generic
// alpha-beta model for those.
//
//===----------------------------------------------------------------------===//

#ifndef BRAID_ANALYSIS_HARDWAREPROFILE_H
#define BRAID_ANALYSIS_HARDWAREPROFILE_H

#include "mlir/IR/Types.h"

#include "llvm/Support/Error.h"
#include "llvm/Support/JSON.h"

#include <map>
#include <optional>
#include <string>

namespace mlir {
namespace braid {

enum class CollectiveAlgorithm { Ring, Tree, Star };

enum class CollectiveKind {
  AllReduce,
  AllGather,
  ReduceScatter,
  AllToAll,
  Permute,
  Broadcast
};

/// The op's name without the dialect ("all_reduce", "collective_permute",
/// ...), as profiles spell it.
StringRef stringifyCollectiveKind(CollectiveKind kind);
std::optional<CollectiveKind> parseCollectiveKind(StringRef name);

/// A collective measured end to end (host issue to completion) on a link:
/// `latency + payload / bandwidth`, fitted over a sweep of payloads (the
/// payload as the op's CollectiveOpInterface counts it).
struct CollectiveFit {
  double latency = 0;
  double bandwidth = 0;
};

/// A kernel measured on its own (braid-calibrate): `latency + bytes /
/// bandwidth + flops / flop_rate`, bytes and FLOPs as the op's
/// CostOpInterface counts them; a rate of 0 leaves its term out.
struct KernelFit {
  double latency = 0;
  double bandwidth = 0;
  double flopRate = 0;
  double seconds(int64_t bytes, int64_t flops) const {
    return latency + (bandwidth > 0 ? bytes / bandwidth : 0.0) +
           (flopRate > 0 ? flops / flopRate : 0.0);
  }
};

/// One link class: what a bandwidth-optimal NCCL algorithm achieves on it.
struct LinkProfile {
  /// Bus bandwidth (nccl-tests' busbw) at large messages, bytes/s.
  double busBandwidth = 0;
  /// Per-step latency of a ring/tree step (alpha), seconds.
  double stepLatency = 0;
  /// Algorithms the runtime uses on this link (ring always).
  SmallVector<CollectiveAlgorithm, 3> algorithms = {CollectiveAlgorithm::Ring};
  /// Measured fits (the profile's optional `collectives`), by kind and
  /// group size.
  std::map<std::pair<CollectiveKind, int64_t>, CollectiveFit> measured;

  /// The measured fit of `kind` over `groupSize` ranks, if there is one.
  const CollectiveFit *measuredFit(CollectiveKind kind,
                                   int64_t groupSize) const {
    auto it = measured.find({kind, groupSize});
    return it == measured.end() ? nullptr : &it->second;
  }
};

struct HardwareProfile {
  std::string name;
  std::string description;
  int64_t devicesPerNode = 1;

  /// Dense peak FLOP/s per element type of the operands (tensor cores where
  /// they apply).
  std::map<std::string, double> peakFlops;
  /// Peak for element-wise (non-tensor-core) arithmetic, FLOP/s.
  double vectorFlops = 0;
  double memoryBandwidth = 0;
  int64_t numSMs = 1;
  /// GEMM tile a kernel assigns to one SM per wave.
  int64_t gemmTileM = 128;
  int64_t gemmTileN = 128;
  /// Fraction of peak a GEMM tile sustains (fitted, see docs/CostModel.md).
  double gemmEfficiency = 1.0;
  /// Fixed cost of a GEMM kernel: launch, prologue, epilogue (fitted).
  double gemmOverhead = 0;
  /// Fraction of memory bandwidth streaming kernels reach.
  double memoryEfficiency = 1.0;
  /// Fixed cost of any other kernel launch.
  double kernelOverhead = 0;
  /// Measured fits of single ops (the profile's optional
  /// `compute.kernels`), by op name and element type; they replace the
  /// streaming and attention models for those.
  std::map<std::pair<std::string, std::string>, KernelFit> measuredKernels;
  const KernelFit *kernelFit(StringRef opName, Type elementType) const;

  LinkProfile intraNode;
  LinkProfile interNode;
  /// Host-side cost of issuing one collective.
  double collectiveLaunch = 0;
  /// SMs NCCL kernels occupy while a collective runs.
  int64_t commSMs = 0;
  /// Seconds from a producer's release of a piece of its output (a flag it
  /// sets) to the communication it triggers starting (the poll that sees
  /// it): the profile's optional `links.trigger_latency`. Negative: one
  /// kernel launch (a flag write and a stream wait on it).
  double triggerLatency = -1;
  double getTriggerLatency() const {
    return triggerLatency >= 0 ? triggerLatency : kernelOverhead;
  }

  /// Decision thresholds (the profile's optional `policies`).
  /// Smallest predicted saving, as a fraction of the time as written, a
  /// decomposition must reach (below it the prediction is within the
  /// model's error).
  double minGain = 0.05;
  /// Time an op must take on another stream to pay for the event record
  /// and wait that moving it there costs. Negative: twice the kernel
  /// overhead.
  double streamSwitchCost = -1;
  double getStreamSwitchCost() const {
    return streamSwitchCost >= 0 ? streamSwitchCost : 2 * kernelOverhead;
  }

  /// Peak FLOP/s for operands of `elementType` (f32's when absent).
  double peakFor(Type elementType) const;

  /// Parses a profile in the file format (every number as `{"value": x,
  /// "source": "..."}`); errors name `origin` and the missing field.
  static llvm::Expected<HardwareProfile>
  fromJSON(const llvm::json::Object &root, llvm::StringRef origin);
  /// Reads a profile file as JSON, unparsed.
  static llvm::Expected<llvm::json::Object> readFile(llvm::StringRef path);
  /// Parses a profile file.
  static llvm::Expected<HardwareProfile> load(llvm::StringRef path);
  /// The file of profile `nameOrPath`: itself when it ends in `.json` or
  /// exists, else `<dir>/<name>.json` for the first directory of
  /// `searchPath()` that has it.
  static llvm::Expected<std::string> locate(llvm::StringRef nameOrPath);
  /// Where profiles are looked up by name: `$BRAID_PROFILE_PATH`
  /// (`:`-separated), `share/braid/profiles` next to the running tool,
  /// then the source tree's `bench/profiles`.
  static SmallVector<std::string> searchPath();
};

} // namespace braid
} // namespace mlir

#endif // BRAID_ANALYSIS_HARDWAREPROFILE_H
