//===- BraidDialect.td - The braid dialect ------------------*- tablegen -*-===//

#ifndef BRAID_DIALECT_BRAID_IR_BRAIDDIALECT_TD
#define BRAID_DIALECT_BRAID_IR_BRAIDDIALECT_TD

include "mlir/IR/OpBase.td"

def Braid_Dialect : Dialect {
  let name = "braid";
  let cppNamespace = "::mlir::braid";
  let summary = "Collectives, async futures and layer-level ops for overlapping "
                "communication with computation";
  let description = [{
    The `braid` dialect holds only what upstream MLIR lacks for describing
    one rank of a distributed (SPMD) LLM program whose communication is to be
    hidden behind its computation:

    * **Collectives** over a group of ranks. A group is one or more axes of an
      upstream `shard.grid`; its members are ordered row-major over those axes.
      A grid whose devices are permuted carries the discardable attribute
      `braid.device_order` (checked by this dialect).
    * **`braid.rank`**: this rank's position within a group.
    * **Async**: `braid.start` runs any ops (a collective or compute) on a
      stream with a priority and returns a typed `!braid.future`; only
      `braid.await` turns a future back into values, so reading a result
      before it is ready cannot be written.
    * **Layer-level ops** that passes match and the runtime has tuned kernels
      for: normalisations, activations, attention, grouped (expert) matmul and
      the MoE routing ops, plus gather/scatter/top-k/sort.

    Fine-grained tensor computation is expressed with upstream `arith`, `math`,
    `tensor` and `linalg` (including `linalg.softmax`). See
    `docs/Rationale.md`.
  }];
  let useDefaultTypePrinterParser = 1;
  let useDefaultAttributePrinterParser = 1;
  let hasConstantMaterializer = 1;
  let hasOperationAttrVerify = 1;
  let hasRegionArgAttrVerify = 1;
  let hasRegionResultAttrVerify = 1;
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::tensor::TensorDialect",
    "::mlir::shard::ShardDialect"
  ];
  let extraClassDeclaration = [{
    /// Discardable attribute on `shard.grid` giving the device of each
    /// flattened (row-major) grid position when devices are permuted.
    static constexpr ::llvm::StringLiteral kDeviceOrderAttrName =
        "braid.device_order";
    /// Discardable attribute on any op: its measured time in microseconds,
    /// which the cost model uses instead of its prediction.
    static constexpr ::llvm::StringLiteral kMeasuredTimeAttrName =
        "braid.measured_time_us";
    /// Discardable attribute on each GEMM of a decomposed collective
    /// matmul: `array<i64: ring, step, steps>`; `ring` tells the pieces
    /// of one cut GEMM apart from those of another sharing its ring.
    static constexpr ::llvm::StringLiteral kRingStepAttrName =
        "braid.ring_step";
    /// Discardable attribute on a collective: its `#braid.decomposition`.
    static constexpr ::llvm::StringLiteral kDecompositionAttrName =
        "braid.decomposition";
    /// Discardable attribute on a collective: the `#braid.trigger` its
    /// producer is to be fused with it by (braid-fuse-producer-collective).
    static constexpr ::llvm::StringLiteral kFusionAttrName = "braid.fusion";
    /// Discardable attribute on a module: its `#braid.target`.
    static constexpr ::llvm::StringLiteral kTargetAttrName = "braid.target";
    /// Discardable attribute on a module: what the emitted code runs on,
    /// "cpu" or "cuda" (set by `braid-compile --target`; read by
    /// convert-braid-to-emitc).
    static constexpr ::llvm::StringLiteral kDeviceAttrName = "braid.device";
    /// Discardable attribute on the module convert-braid-to-emitc returns:
    /// the compiled program's metadata JSON (the descriptor's), a string.
    static constexpr ::llvm::StringLiteral kProgramMetadataAttrName =
        "braid.program_metadata";
    /// Buffer level: on a function argument, the buffer the function
    /// writes result N into (an i64); on a function argument, the arena
    /// (unit); on a function, the arena's size in bytes (an i64).
    static constexpr ::llvm::StringLiteral kResultArgAttrName = "braid.result";
    static constexpr ::llvm::StringLiteral kArenaArgAttrName = "braid.arena";
    static constexpr ::llvm::StringLiteral kArenaBytesAttrName =
        "braid.arena_bytes";
  private:
    void registerTypes();
    void registerAttributes();
  public:
  }];
}

class Braid_Op<string mnemonic, list<Trait> traits = []>
    : Op<Braid_Dialect, mnemonic, traits>;

#endif // BRAID_DIALECT_BRAID_IR_BRAIDDIALECT_TD
