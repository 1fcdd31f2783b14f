//===- FusedCollective.h - a producer fused with its collective -*- C++ -*-===//
//
// What the timing model needs to play a producer fused with the collective
// it feeds (braid.fused_collective, or a collective a pass considers
// fusing): the producer whole, its output released piece by piece in the
// collective's order as the trigger says, each piece's communication
// starting when the piece is done. One function plays it on the
// StreamSimulator, for the planner and for braid-estimate alike.
//
//===----------------------------------------------------------------------===//

#ifndef BRAID_ANALYSIS_FUSEDCOLLECTIVE_H
#define BRAID_ANALYSIS_FUSEDCOLLECTIVE_H

#include "braid/Analysis/TimingModel.h"

namespace mlir {
namespace braid {

/// The producer of a collective's input: one contraction, then a chain of
/// element-wise ops (its epilogue), each result used only by the next.
struct ProducerChain {
  Operation *contraction = nullptr;
  /// From the contraction's result to the collective's input, in order.
  SmallVector<Operation *> epilogue;
};

/// The producer of the input of `collective` (reduce_scatter, all_reduce or
/// all_gather), in its block; failure with the reason in `whyNot`.
FailureOr<ProducerChain> matchProducerChain(Operation *collective,
                                            std::string &whyNot);

/// The producer chain that computes `value` in `block` (a contraction, then
/// element-wise ops each used only by the next); failure with `whyNot`.
FailureOr<ProducerChain> matchProducerChainOf(Value value, Block *block,
                                              std::string &whyNot);

/// Whether epilogue op `op` (of a producer chain, on tensors or buffers)
/// can run on a block of its output's rows alone, as the chunked producers
/// run it after each tile block of the contraction: an element-wise op, or
/// a linalg op of parallel loops whose every operand indexes the output's
/// row loop by itself (a row of the output reads rows, or all, of each
/// operand). Failure with the reason in `whyNot`.
LogicalResult checkRowBlockEpilogue(Operation *op, std::string &whyNot);

/// The work of a producer and its collective, as the timing model plays it.
struct FusedCollectiveWork {
  CollectiveKind kind = CollectiveKind::ReduceScatter;
  int64_t groupSize = 0;
  /// The contraction, whole, and the bytes it moves.
  GemmShape gemm{0, 0, 0, 0, Type()};
  int64_t gemmBytes = 0;
  /// Which GEMM dimension the collective's dimension cuts.
  enum class Axis { M, N, Batch } cutAxis = Axis::M;
  /// The epilogue, whole: its streaming time without launches, and its
  /// number of kernels.
  double epilogueSeconds = 0;
  int64_t epilogueKernels = 0;
  /// Bytes of the producer's output (the collective's input).
  int64_t outputBytes = 0;
};

/// The work of `collective` with its producer; failure with `whyNot`.
FailureOr<FusedCollectiveWork>
getFusedCollectiveWork(Operation *collective, const CostModel &model,
                       SymbolTableCollection &tables, std::string &whyNot);

/// Streams a fused collective uses besides its caller's compute stream.
struct FusedStreams {
  int64_t compute = 0;
  /// Transfers.
  int64_t communication = 1;
  /// The combines of received partial sums (in the communication kernel,
  /// on the SMs communication holds).
  int64_t combine = 2;
};

/// Plays `work` with `trigger` through `sim`, ready at `ready`:
///   - chunk trigger: the producer as one GEMM per chunk (each with its
///     wave quantization and launch), its epilogue per chunk;
///   - tile trigger: the producer as one GEMM (no piece's quantization) on
///     the SMs communication leaves it while the collective runs beside it,
///     its tiles finishing wave by wave in the collective's order, its
///     epilogue fused (no launches); every `threshold` tiles of a chunk are
///     released;
/// each released piece waits for the profile's `trigger_latency` (the flag
/// its producer sets, polled by the communication side) and then goes:
/// ring order (reduce_scatter, all_reduce) sends the piece's partial sum to
/// the next rank once the partial received for it has been combined (by
/// the communication side, on the combine stream, as soon as it arrives
/// and the own piece is done);
/// an all_reduce then gathers the reduced chunks; arrival order
/// (all_gather) all-gathers each piece. `compute` waits for the result.
/// Returns when the result is available; `detail` says how the time was
/// made (for remarks).
double playFusedCollective(StreamSimulator &sim, const FusedStreams &streams,
                           double ready, const FusedCollectiveWork &work,
                           TriggerAttr trigger, const LinkProfile *link,
                           Operation *op = nullptr,
                           std::string *detail = nullptr);

} // namespace braid
} // namespace mlir

#endif // BRAID_ANALYSIS_FUSEDCOLLECTIVE_H
