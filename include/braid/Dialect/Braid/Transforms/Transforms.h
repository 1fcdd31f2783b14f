//===- Transforms.h - braid rewrites, callable on their own -----*- C++ -*-===//
//
// Rewrites are public functions driven by a plan, as upstream's
// linalg::splitReduction is: a pass decides (with the timing model) and
// records its plan as an attribute, then calls these; tests and later
// levels (the buffer level) call them with plans of their own.
//
//===----------------------------------------------------------------------===//

#ifndef BRAID_DIALECT_BRAID_TRANSFORMS_TRANSFORMS_H
#define BRAID_DIALECT_BRAID_TRANSFORMS_TRANSFORMS_H

#include "braid/Analysis/CostModel.h"
#include "braid/Dialect/Braid/IR/BraidDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir {
namespace braid {

//===----------------------------------------------------------------------===//
// Collective-matmul decomposition
//===----------------------------------------------------------------------===//

/// Option values of `braid-decompose-collective-matmul`.
enum class Choice { Auto, Always, Never };
enum class AllReduceStrategy { Auto, Ring, Chunked };
enum class WireType { Accumulator, F32, BF16, F16 };

/// Option value of `braid-keep-only`: the work a timing variant keeps.
enum class TimedWork { Compute, Communication };

/// What JAX puts between a matmul and its psum: a truncation of the f32
/// accumulator to the program's type, then an expand_shape that splits the
/// rows back into (batch, sequence). Both act row by row, so a chunk of
/// rows can go through them alone.
struct RowEpilogue {
  arith::TruncFOp trunc;
  tensor::ExpandShapeOp expand;
  explicit operator bool() const { return trunc || expand; }
};

/// The matmuls around a collective that a decomposition cuts.
struct CollectiveMatmulMatch {
  Operation *collective = nullptr;
  int64_t groupSize = 0;
  /// all_gather: matmuls using the gathered value as their left operand
  /// (row cut, exact) and as their right operand (K cut, wgrad).
  SmallVector<linalg::MatmulOp> rowUsers, contractionUsers;
  /// reduce_scatter / all_reduce: the matmuls accumulating into one
  /// another that produce the reduced value, innermost first.
  SmallVector<linalg::MatmulOp> chain;
  /// all_reduce: what sits between the chain and the collective.
  RowEpilogue epilogue;
  /// reduce_scatter / all_reduce: the reduced value as a 2-D matrix (the
  /// epilogue's input type when there is one).
  RankedTensorType reducedType;
};

/// Matches the matmuls a decomposition of `collective` cuts; on failure
/// `whyNot` says why, as the remark a user reads ("not decomposed: ...").
FailureOr<CollectiveMatmulMatch>
matchCollectiveMatmul(Operation *collective, SymbolTableCollection &tables,
                      int64_t maxSteps, std::string &whyNot);

/// Whether `plan` can cut `match` (a ring's count is the group size, a
/// chunked form only for all_reduce, ...); `whyNot` says why not.
LogicalResult checkPlanFits(const CollectiveMatmulMatch &match,
                            DecompositionPlanAttr plan, std::string &whyNot);

/// Numbers the rings GEMM pieces are tagged with (`braid.ring_step`):
/// after every ring already in `scope`.
class RingNumbering {
public:
  explicit RingNumbering(Operation *scope);
  int64_t next() { return nextRing++; }

private:
  int64_t nextRing = 0;
};

/// What a decomposition made.
struct CollectiveMatmulDecomposition {
  /// The GEMM pieces, each tagged `braid.ring_step`.
  SmallVector<Operation *> pieces;
  /// The collectives that carry the data (ring permutes, chunk
  /// all-reduces, the all_gather after a reduce-scatter ring).
  SmallVector<Operation *> transfers;
};

/// Cuts the collective of `match` as `plan` says; the collective and the
/// matched matmuls are replaced. Fails (and changes nothing) when the plan
/// does not fit the match: a ring whose count is not the group size, a
/// ring over a truncating epilogue, more chunks than rows.
FailureOr<CollectiveMatmulDecomposition>
decomposeCollectiveMatmul(RewriterBase &rewriter,
                          const CollectiveMatmulMatch &match,
                          DecompositionPlanAttr plan, RingNumbering &rings);

/// What the planner may choose among (the pass's options).
struct DecompositionOptions {
  int64_t maxSteps = 16;
  Choice bidirectional = Choice::Auto;
  AllReduceStrategy allReduce = AllReduceStrategy::Auto;
  /// Chunks of a chunked all_reduce (0: the fastest by the timing model).
  int64_t chunks = 0;
  WireType wireType = WireType::Accumulator;
};

/// The planner's verdict for one collective.
struct DecompositionDecision {
  /// The fastest plan allowed (null when no plan fits the options).
  DecompositionPlanAttr plan;
  /// Predicted time of the collective with its matmuls, as written and
  /// cut as `plan` says.
  double original = 0;
  double cut = 0;
  /// What the cut is ("4 T3 ring steps with 1 matmul ...") and how its
  /// time was made ("GEMM step ..., transfer ...").
  std::string what, detail;
  /// Why no plan fits, when `plan` is null.
  std::string whyNot;
  /// Whether the predicted saving reaches the target's `min_gain`.
  bool pays(double minGain) const { return cut < original * (1 - minGain); }
};

/// Chooses how to cut `match` with the timing model: every allowed plan is
/// simulated and the fastest kept; the collective as written is simulated
/// beside `hideableCompute` seconds of compute that does not depend on it
/// (ComputeWindows), which the cut pieces do not get.
DecompositionDecision planCollectiveMatmul(const CollectiveMatmulMatch &match,
                                           const CostModel &model,
                                           SymbolTableCollection &tables,
                                           const DecompositionOptions &options,
                                           double hideableCompute);

//===----------------------------------------------------------------------===//
// Producer fusion
//===----------------------------------------------------------------------===//

/// Option value of `braid-fuse-producer-collective` (and of
/// `braid-overlap-pipeline`'s `fuse`): what the planner may choose.
enum class FusionChoice { Auto, Never, Chunk, Tile };

/// How a collective is fused with its producer: the trigger and the order
/// the producer computes its output in.
struct TriggerPlan {
  TriggerAttr trigger;
  FusionOrder order = FusionOrder::Ring;

  /// `trigger` in the order `collective` takes (ring for reduce_scatter
  /// and all_reduce, arrival for all_gather).
  static TriggerPlan forCollective(Operation *collective, TriggerAttr trigger);
};

/// Moves the producer of `collective` (a contraction and its element-wise
/// epilogue, see matchProducerChain) and the collective into one
/// braid.fused_collective scheduled by `plan`; the collective's uses take
/// the fused op's result. Fails, changing nothing, when the collective has
/// no such producer or `plan` does not fit it (checkFusionSchedule).
FailureOr<FusedCollectiveOp> fuseProducerCollective(RewriterBase &rewriter,
                                                    Operation *collective,
                                                    const TriggerPlan &plan);

/// all_reduce(reshape(x)) -> reshape(all_reduce(x)), where the reshape (a
/// tensor.expand_shape or tensor.collapse_shape) feeds only the all_reduce:
/// an all-reduce sums element by element, so it commutes with any reshape,
/// bit for bit. It lets the producer of x feed the collective directly, as
/// producer fusion needs (JAX reshapes a matmul's [B*S, D] result to
/// [B, S, D] before its psum). Returns the new all_reduce (its attributes
/// kept); fails, changing nothing, when the input is not such a reshape.
FailureOr<AllReduceOp> sinkReshapeBelowAllReduce(RewriterBase &rewriter,
                                                 AllReduceOp allReduce);

/// What the fusion planner may choose among.
struct FusionOptions {
  FusionChoice choice = FusionChoice::Auto;
  /// Tile of the tile trigger (0: the target's GEMM tile).
  int64_t tileM = 0, tileN = 0;
  /// The options braid-decompose-collective-matmul plans the separate ring
  /// GEMMs with, which fusion must beat.
  DecompositionOptions decomposition;
};

/// The fusion planner's verdict for one collective.
struct FusionDecision {
  /// The fastest trigger allowed (null trigger: leave it unfused).
  TriggerPlan plan;
  /// Predicted times: as written (beside the compute that can hide it),
  /// as separate ring GEMMs (negative when they do not apply or do not
  /// pay), fused with the best chunk and the best tile trigger (negative
  /// when not allowed or not possible).
  double asWritten = 0, separate = -1, chunk = -1, tile = -1;
  /// How the chosen fused time was made, and why a trigger was not
  /// possible.
  std::string chunkDetail, tileDetail, whyNotChunk, whyNotTile;
  /// Why nothing fused could be planned at all.
  std::string whyNot;
};

/// Plans the fusion of `collective` with the timing model on the module's
/// target: the producer and collective as written beside `hideableCompute`
/// seconds of independent compute, the separate ring GEMMs of
/// planCollectiveMatmul (when their rewrite applies), the chunk trigger
/// (one chunk per ring step, or 2..max-steps pieces of a gathered shard)
/// and the tile trigger (the target's GEMM tile, thresholds from a whole
/// chunk down to one tile), each through playFusedCollective.
FusionDecision planProducerFusion(Operation *collective,
                                  const CostModel &model,
                                  SymbolTableCollection &tables,
                                  const FusionOptions &options,
                                  double hideableCompute);

//===----------------------------------------------------------------------===//
// Scheduling
//===----------------------------------------------------------------------===//

/// The scheduler's plan for one block: the order ops are issued in, and a
/// priority for each overlapped start (streams are the starts' own).
struct SchedulePlan {
  SmallVector<Operation *> order;
  SmallVector<std::pair<StartOp, int64_t>> priorities;
};

/// Issues the ops of `block` in `plan.order` (which must be a topological
/// order of its dependences and list every op but the terminator) and
/// sets the priorities.
LogicalResult applySchedule(RewriterBase &rewriter, Block &block,
                            const SchedulePlan &plan);

//===----------------------------------------------------------------------===//
// Arena planning
//===----------------------------------------------------------------------===//

/// The size of a function's arena.
struct ArenaSummary {
  /// The arena: the end of the highest planned buffer, aligned.
  int64_t arenaBytes = 0;
  /// The most bytes of buffers that may be live at once, each rounded up to
  /// the alignment: no arena is smaller; holes the placement leaves may
  /// make it larger.
  int64_t peakBytes = 0;
  int64_t numBuffers = 0;
};

/// A static offset for every `memref.alloc` of `function`.
struct ArenaPlan {
  SmallVector<std::pair<Operation *, int64_t>> offsets;
  ArenaSummary summary;
};

/// Plans the arena of buffer-level `function` (docs/Lowering.md, "Arena
/// planning") without changing it: two buffers share bytes only when one's
/// last access happens before the other's first (host program order, a
/// launch forks after the host's earlier work and is joined by its first
/// wait, a launch's stream runs its body in order). Located errors for
/// allocations it cannot place (dynamic shapes, inside loops).
/// Patterns of braid-fold-transpose-into-matmul: a matmul or batch_matmul
/// operand produced by a linalg.transpose of its two innermost dimensions
/// reads the transpose's input through a swapped indexing map.
void populateFoldTransposeIntoMatmulPatterns(RewritePatternSet &patterns);

FailureOr<ArenaPlan> planArena(func::FuncOp function, int64_t alignment);

/// The arena `braid-buffer-pipeline` plans for the tensor-level `function`
/// with the ops of its body issued in `order` (a permutation of them, the
/// terminator excluded; the body's order when empty). A copy of the
/// function, with the module's other ops but functions with a body (grids,
/// globals, declarations), is bufferized by the pipeline itself and
/// planned; `function` is not changed. So the scheduler's memory budget and
/// `braid-compile --memory-budget` measure one thing: arena bytes, which
/// exclude the caller's buffers (arguments and results). Failure, with the reason in `whyNot`, when the copy does
/// not bufferize or plan, or when `function` calls a function with a body
/// (whose temporaries a call does not show; inline it first).
FailureOr<ArenaSummary> estimateArena(FunctionOpInterface function,
                                      ArrayRef<Operation *> order,
                                      std::string &whyNot);

/// The dialects `estimateArena` may create: a pass that calls it lists
/// them among its dependent dialects (none may be loaded while passes run
/// in parallel).
void getBufferizationPipelineDialects(DialectRegistry &registry);

} // namespace braid
} // namespace mlir

#endif // BRAID_DIALECT_BRAID_TRANSFORMS_TRANSFORMS_H
