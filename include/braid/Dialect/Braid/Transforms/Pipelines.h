//===- Pipelines.h - named pass pipelines -----------------------*- C++ -*-===//

#ifndef BRAID_DIALECT_BRAID_TRANSFORMS_PIPELINES_H
#define BRAID_DIALECT_BRAID_TRANSFORMS_PIPELINES_H

#include "braid/Dialect/Braid/Transforms/Transforms.h"

#include "mlir/Pass/PassOptions.h"

namespace mlir {
class OpPassManager;
namespace braid {

struct OverlapPipelineOptions
    : public PassPipelineOptions<OverlapPipelineOptions> {
  PassOptions::Option<std::string> profile{
      *this, "profile",
      llvm::cl::desc("Set the module's #braid.target to this profile (name "
                     "or .json) first; empty: keep the module's target (or "
                     "the default, h100-sxm-x8)"),
      llvm::cl::init("")};
  PassOptions::Option<int64_t> memoryBudget{
      *this, "memory-budget",
      llvm::cl::desc("Arena bytes per rank the schedule may need (0: no "
                     "limit)"),
      llvm::cl::init(0)};
  PassOptions::Option<bool> decompose{
      *this, "decompose",
      llvm::cl::desc("Cut collective matmuls into ring steps where the cost "
                     "model says it pays"),
      llvm::cl::init(true)};
  PassOptions::Option<bool> forceDecompose{
      *this, "force-decompose",
      llvm::cl::desc("Cut every collective matmul the rewrite can take, "
                     "paying or not"),
      llvm::cl::init(false)};
  PassOptions::Option<FusionChoice> fuse{
      *this, "fuse",
      llvm::cl::desc("Fuse GEMM producers with the collectives they feed "
                     "(braid-fuse-producer-collective) before decomposing; "
                     "never by default"),
      llvm::cl::values(
          clEnumValN(FusionChoice::Auto, "auto",
                     "where the cost model says it pays"),
          clEnumValN(FusionChoice::Never, "never", "no fusion"),
          clEnumValN(FusionChoice::Chunk, "chunk",
                     "the chunk trigger wherever it fits"),
          clEnumValN(FusionChoice::Tile, "tile",
                     "the tile trigger wherever it fits")),
      llvm::cl::init(FusionChoice::Never)};
  PassOptions::Option<bool> fuseLowerableOnly{
      *this, "fuse-lowerable-only",
      llvm::cl::desc("Fuse only what the buffer level lowers "
                     "(braid-fuse-producer-collective{lowerable-only})"),
      llvm::cl::init(true)};
  PassOptions::Option<bool> explain{
      *this, "explain", llvm::cl::desc("Report every decision as a remark"),
      llvm::cl::init(false)};
};

/// set-target (with `profile`), fuse-producer-collective (with `fuse`),
/// decompose-collective-matmul +
/// verify-ring-coverage (with `decompose`),
/// convert-to-async, schedule, verify-collective-order.
void buildOverlapPipeline(OpPassManager &pm,
                          const OverlapPipelineOptions &options);
struct BufferPipelineOptions
    : public PassPipelineOptions<BufferPipelineOptions> {
  PassOptions::Option<int64_t> memoryBudget{
      *this, "memory-budget",
      llvm::cl::desc("Largest arena in bytes (0: no limit)"),
      llvm::cl::init(0)};
};

/// The buffer pipeline up to arena planning: the tensor + async level
/// bufferized, results as output parameters, temporaries still
/// `memref.alloc` (what `estimateArena` plans).
void buildBufferizationPipeline(OpPassManager &pm);

/// Tensor + async level -> buffer level (docs/Lowering.md): element-wise
/// ops to linalg and fused, captures of in-flight starts protected,
/// One-Shot Bufferize across function boundaries, starts to launches on
/// streams, results to output parameters, one arena per function.
void buildBufferPipeline(OpPassManager &pm,
                         const BufferPipelineOptions &options);

/// Registers `braid-overlap-pipeline` and `braid-buffer-pipeline`.
void registerBraidPipelines();

} // namespace braid
} // namespace mlir

#endif // BRAID_DIALECT_BRAID_TRANSFORMS_PIPELINES_H
