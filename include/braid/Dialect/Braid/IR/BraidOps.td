//===- BraidOps.td - braid operations ------------------------*- tablegen -*-===//

#ifndef BRAID_DIALECT_BRAID_IR_BRAIDOPS_TD
#define BRAID_DIALECT_BRAID_IR_BRAIDOPS_TD

include "braid/Dialect/Braid/IR/BraidDialect.td"
include "braid/Dialect/Braid/IR/BraidAttrs.td"
include "braid/Dialect/Braid/IR/BraidTypes.td"
include "braid/Dialect/Braid/IR/BraidInterfaces.td"
include "mlir/Interfaces/ControlFlowInterfaces.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/IR/SymbolInterfaces.td"
include "mlir/IR/OpAsmInterface.td"
include "mlir/IR/CommonAttrConstraints.td"

def Braid_GridAxes : DenseArrayAttrBase<"DenseI16ArrayAttr", "int16_t", "i16">;
def Braid_NonNegI64 : ConfinedAttr<I64Attr, [IntNonNegative]>;
def Braid_PosI64 : ConfinedAttr<I64Attr, [IntPositive]>;
// What collectives and data-movement ops carry: numbers the runtime can send.
def Braid_NumericTensor
    : RankedTensorOf<[AnySignlessInteger, AnyFloat, Index]>;
// Indices, counts and maps the runtime's kernels read.
def Braid_IndexTensor : RankedTensorOf<[I32, I64]>;

//===----------------------------------------------------------------------===//
// Collectives
//===----------------------------------------------------------------------===//

class Braid_CollectiveOp<string mnemonic, list<Trait> traits = [],
                         list<string> overriddenMethods = []>
    : Braid_Op<mnemonic, !listconcat(traits, [
        Pure,
        DeclareOpInterfaceMethods<SymbolUserOpInterface>,
        DeclareOpInterfaceMethods<Braid_CollectiveOpInterface,
            !listconcat(["getPayloadBytes", "getBusFactor"],
                        overriddenMethods)>])> {
  dag commonArgs = (ins Braid_NumericTensor:$input, FlatSymbolRefAttr:$grid,
                        Braid_GridAxes:$axes);
  let results = (outs Braid_NumericTensor:$result);
  let hasFolder = 1;
  code commonDescription = [{
    The group is formed by the `axes` of the `shard.grid` named `grid`;
    ranks are ordered row-major over those axes (the first axis varies
    slowest), so `axes = [0, 1]` and `axes = [1, 0]` are different groups
    orders. Over a group of size 1 the op folds away.
  }];
}

def Braid_AllReduceOp : Braid_CollectiveOp<"all_reduce",
    [SameOperandsAndResultType], ["getReductionKind"]> {
  let summary = "combine a tensor across a group; every rank gets the result";
  let description = !strconcat([{
    Element-wise reduction of `input` over the ranks of the group; the result
    is replicated on every rank of the group.

    ```mlir
    shard.grid @tp(shape = 4)
    %r = braid.all_reduce %x on @tp axes = [0] reduction = sum : tensor<64x128xf32>
    ```
  }], commonDescription);
  let arguments = !con(commonArgs, (ins Braid_ReductionKind:$reduction));
  let assemblyFormat = [{
    $input `on` $grid `axes` `=` $axes `reduction` `=` $reduction attr-dict
    `:` type($input)
  }];
}

def Braid_AllGatherOp : Braid_CollectiveOp<"all_gather",
    [SameOperandsAndResultElementType, SameOperandsAndResultRank]> {
  let summary = "concatenate every rank's tensor along a dimension";
  let description = !strconcat([{
    Concatenates the group's inputs along `dim` in group order; the result is
    replicated on every rank and its `dim` is the group size times the
    input's.

    ```mlir
    shard.grid @tp(shape = 4)
    %g = braid.all_gather %x on @tp axes = [0] dim = 0
        : tensor<16x128xbf16> -> tensor<64x128xbf16>
    ```
  }], commonDescription);
  let arguments = !con(commonArgs, (ins Braid_NonNegI64:$dim));
  let assemblyFormat = [{
    $input `on` $grid `axes` `=` $axes `dim` `=` $dim attr-dict
    `:` type($input) `->` type($result)
  }];
}

def Braid_ReduceScatterOp : Braid_CollectiveOp<"reduce_scatter",
    [SameOperandsAndResultElementType, SameOperandsAndResultRank],
    ["getReductionKind"]> {
  let summary = "reduce across a group and leave each rank one chunk";
  let description = !strconcat([{
    Reduces `input` over the group and splits the reduced tensor along `dim`
    into group-size equal chunks; the rank at group position `r` keeps chunk
    `r`. `dim` of the input must divide by the group size (importers pad).

    ```mlir
    shard.grid @tp(shape = 4)
    %s = braid.reduce_scatter %x on @tp axes = [0] dim = 0 reduction = sum
        : tensor<64x128xf32> -> tensor<16x128xf32>
    ```
  }], commonDescription);
  let arguments = !con(commonArgs, (ins Braid_NonNegI64:$dim,
                                        Braid_ReductionKind:$reduction));
  let assemblyFormat = [{
    $input `on` $grid `axes` `=` $axes `dim` `=` $dim `reduction` `=`
    $reduction attr-dict `:` type($input) `->` type($result)
  }];
}

def Braid_AllToAllOp : Braid_CollectiveOp<"all_to_all",
    [SameOperandsAndResultElementType, SameOperandsAndResultRank]> {
  let summary = "exchange chunks: chunk j of every rank goes to rank j";
  let description = !strconcat([{
    Splits `input` along `split_dim` into group-size chunks, sends chunk `j`
    to group position `j`, and concatenates the received chunks along
    `concat_dim` in group order (StableHLO's `all_to_all`). MoE dispatch
    and combine, and the sequence/head exchange of Ulysses-style attention,
    are this op.

    ```mlir
    shard.grid @ep(shape = 4)
    %a = braid.all_to_all %x on @ep axes = [0] split_dim = 0 concat_dim = 0
        : tensor<64x128xbf16> -> tensor<64x128xbf16>
    ```
  }], commonDescription);
  let arguments = !con(commonArgs, (ins Braid_NonNegI64:$split_dim,
                                        Braid_NonNegI64:$concat_dim));
  let assemblyFormat = [{
    $input `on` $grid `axes` `=` $axes `split_dim` `=` $split_dim
    `concat_dim` `=` $concat_dim attr-dict `:` type($input) `->` type($result)
  }];
}

def Braid_CollectivePermuteOp : Braid_CollectiveOp<"collective_permute",
    [SameOperandsAndResultType]> {
  let summary = "point-to-point sends and receives within a group";
  let description = !strconcat([{
    Each `[source, target]` pair of group positions sends `input` of rank
    `source` to rank `target`. A rank is the source of at most one pair and
    the target of at most one pair; a rank that receives nothing gets zeros
    (StableHLO semantics). A ring step (send to r+1, receive from r-1) is one
    permute, so its send and receive are always grouped.

    ```mlir
    shard.grid @tp(shape = 4)
    %p = braid.collective_permute %x on @tp axes = [0]
        pairs = [[0, 1], [1, 2], [2, 3], [3, 0]] : tensor<16x128xf32>
    ```
  }], commonDescription);
  let arguments = !con(commonArgs, (ins DenseI64ArrayAttr:$pairs));
  let assemblyFormat = [{
    $input `on` $grid `axes` `=` $axes `pairs` `=` custom<PairList>($pairs)
    attr-dict `:` type($input)
  }];
  let extraClassDeclaration = [{
    /// Number of [source, target] pairs.
    size_t getNumPairs() { return getPairs().size() / 2; }
    int64_t getSource(size_t i) { return getPairs()[2 * i]; }
    int64_t getTarget(size_t i) { return getPairs()[2 * i + 1]; }
  }];
}

def Braid_BroadcastOp : Braid_CollectiveOp<"broadcast",
    [SameOperandsAndResultType]> {
  let summary = "copy the root rank's tensor to every rank of a group";
  let description = !strconcat([{
    Every rank of the group gets `input` of the rank at group position
    `root`.

    ```mlir
    shard.grid @tp(shape = 4)
    %b = braid.broadcast %x on @tp axes = [0] root = 0 : tensor<16xf32>
    ```
  }], commonDescription);
  let arguments = !con(commonArgs, (ins Braid_NonNegI64:$root));
  let assemblyFormat = [{
    $input `on` $grid `axes` `=` $axes `root` `=` $root attr-dict
    `:` type($input)
  }];
}

def Braid_RankOp : Braid_Op<"rank", [
    Pure, DeclareOpInterfaceMethods<SymbolUserOpInterface>,
    DeclareOpInterfaceMethods<OpAsmOpInterface, ["getAsmResultNames"]>]> {
  let summary = "this rank's position within a group";
  let description = [{
    The position, in `[0, group size)`, of the executing rank within the
    group formed by `axes` of `grid` (row-major over the axes). Decomposed
    collectives compute the chunk a rank works on from this value with
    `arith`, never from per-rank constants. Over a group of size 1 it folds
    to 0.

    ```mlir
    shard.grid @mesh(shape = 2x4)
    %r = braid.rank on @mesh axes = [1] : index
    ```
  }];
  let arguments = (ins FlatSymbolRefAttr:$grid, Braid_GridAxes:$axes);
  let results = (outs Index:$result);
  let assemblyFormat = "`on` $grid `axes` `=` $axes attr-dict `:` type($result)";
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// Async
//===----------------------------------------------------------------------===//

def Braid_StartOp : Braid_Op<"start", [
    RecursiveMemoryEffects, SingleBlock,
    SingleBlockImplicitTerminator<"::mlir::braid::YieldOp">]> {
  let summary = "run ops on a stream; returns a future of their results";
  let description = [{
    Issues the ops of its body, which may be a collective or any compute, on
    stream `stream` with priority `priority` (higher runs first when streams
    compete), and returns a `!braid.future` of the values the body yields.
    The body reads values defined above it; those are captured when the
    start is issued. The only use a future may have is `braid.await`, so a
    result cannot be read before it is ready.

    Stream 0 is the default compute stream. Each communicator gets its own
    stream; the scheduler assigns them.

    ```mlir
    %f = braid.start stream = 1 priority = 2 {
      %r = braid.all_reduce %x on @tp axes = [0] reduction = sum : tensor<64x128xf32>
      braid.yield %r : tensor<64x128xf32>
    } : !braid.future<tensor<64x128xf32>>
    %y = linalg.matmul ins(%a, %b : tensor<64x64xf32>, tensor<64x64xf32>)
                       outs(%c : tensor<64x64xf32>) -> tensor<64x64xf32>
    %r = braid.await %f : !braid.future<tensor<64x128xf32>>
    ```
  }];
  let arguments = (ins DefaultValuedAttr<Braid_NonNegI64, "0">:$stream,
                       DefaultValuedAttr<I64Attr, "0">:$priority);
  let results = (outs Braid_FutureType:$future);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = [{
    (`stream` `=` $stream^)? (`priority` `=` $priority^)? $body attr-dict
    `:` qualified(type($future))
  }];
  let hasRegionVerifier = 1;
  let hasCanonicalizer = 1;
  let extraClassDeclaration = [{
    /// The terminator of the body.
    YieldOp getYield();
  }];
}

def Braid_YieldOp : Braid_Op<"yield", [
    Pure, Terminator, ReturnLike,
    ParentOneOf<["StartOp", "FusedCollectiveOp"]>]> {
  let summary = "the values a braid.start or braid.fused_collective body produces";
  let description = [{
    ```mlir
    braid.yield %r : tensor<64x128xf32>
    ```
  }];
  let arguments = (ins Variadic<AnyType>:$values);
  let builders = [OpBuilder<(ins), [{ build($_builder, $_state, ::mlir::ValueRange()); }]>];
  let assemblyFormat = "attr-dict ($values^ `:` type($values))?";
}

def Braid_AwaitOp : Braid_Op<"await", [
    Pure, DeclareOpInterfaceMethods<InferTypeOpInterface>]> {
  let summary = "the values of a future, once its stream has produced them";
  let description = [{
    Makes the stream of the consumer wait for the stream that computes the
    future (an event wait, never a host synchronisation) and returns the
    future's values.

    ```mlir
    %r = braid.await %f : !braid.future<tensor<64x128xf32>>
    ```
  }];
  let arguments = (ins Braid_FutureType:$future);
  let results = (outs Variadic<AnyType>:$values);
  let assemblyFormat = "$future attr-dict `:` qualified(type($future))";
}

//===----------------------------------------------------------------------===//
// Producer fusion
//===----------------------------------------------------------------------===//

def Braid_FusedCollectiveOp : Braid_Op<"fused_collective", [
    RecursiveMemoryEffects, SingleBlock,
    SingleBlockImplicitTerminator<"::mlir::braid::YieldOp">,
    DeclareOpInterfaceMethods<SymbolUserOpInterface>]> {
  let summary = "a producer and the collective it feeds, run in the collective's order";
  let description = [{
    T3-style producer fusion at the tensor level. The body holds the
    unfused program: one contraction (`linalg.matmul`, `batch_matmul`,
    `contract`, a matmul-like `generic` or `braid.grouped_matmul`), optionally followed by a chain
    of element-wise ops (its epilogue), whose result feeds exactly one
    collective — `braid.reduce_scatter` or `braid.all_reduce` of the
    producer's output, or `braid.all_gather` of it — whose result the body
    yields. The op's value is exactly the body's; what it adds is the
    schedule:

    - `trigger` (`#braid.trigger<chunk, count = C>` or
      `#braid.trigger<tile, m = .., n = .., threshold = ..>`): which piece
      of the producer's output, once computed, releases its communication.
    - `order`: the order the producer computes its output in.
      `ring` (reduce_scatter, all_reduce): rank r first computes the chunk
      that travels farthest, chunk (r - s - 1) mod P at step s, adds the
      partial sum received from r - 1 and passes it to r + 1; after P - 1
      steps it holds chunk r, reduced (an all_reduce then gathers the
      reduced chunks). Every chunk is reduced starting at the rank after
      its owner: the sum is reassociated (f64 numerics contract), and
      every rank gets the same bits. `arrival` (all_gather): the shard is
      computed and sent in the order receivers consume it, piece by piece;
      bitwise equal to the unfused form.

    The cut is along the collective's dimension (dim 0 for an all_reduce),
    a dimension of the contraction's output, so the producer is never cut
    along its reduction. A ring cuts each member's block into `k` chunks
    (`count` = k x group size; the k chunks of a ring step leave one by
    one, each reduced in the same order as the whole block, so the bits do
    not depend on k) and the cut dimension must divide by `count`; an
    all_gather's `count` must divide its shard; a tile must not straddle
    two chunks.

    ```mlir
    %s = braid.fused_collective trigger = #braid.trigger<chunk, count = 4>
                                order = ring {
      %y = linalg.matmul ins(%x, %w : tensor<64x32xf32>, tensor<32x16xf32>)
                         outs(%zero : tensor<64x16xf32>) -> tensor<64x16xf32>
      %r = braid.reduce_scatter %y on @tp axes = [0] dim = 0 reduction = sum
             : tensor<64x16xf32> -> tensor<16x16xf32>
      braid.yield %r : tensor<16x16xf32>
    } : tensor<16x16xf32>
    ```

    `braid-fuse-producer-collective` forms it where the timing model says
    it pays; the reference interpreter runs it in its trigger order.
  }];
  let arguments = (ins Braid_TriggerAttr:$trigger, Braid_FusionOrder:$order);
  let results = (outs Braid_NumericTensor:$result);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = [{
    `trigger` `=` qualified($trigger) `order` `=` $order $body attr-dict
    `:` type($result)
  }];
  let hasRegionVerifier = 1;
  let extraClassDeclaration = [{
    /// The terminator of the body.
    YieldOp getYield();
    /// The collective of the body (whose result the body yields).
    ::mlir::Operation *getCollective();
    /// The contraction of the producer.
    ::mlir::Operation *getContraction();
    /// The dimension of the producer's output the collective cuts.
    int64_t getCutDim();
  }];
}

//===----------------------------------------------------------------------===//
// Layer-level compute
//===----------------------------------------------------------------------===//

class Braid_ComputeOp<string mnemonic, list<Trait> traits = []>
    : Braid_Op<mnemonic, !listconcat(traits, [
        Pure, DeclareOpInterfaceMethods<Braid_CostOpInterface>])> {
  let hasVerifier = 1;
}

def Braid_RMSNormOp : Braid_ComputeOp<"rmsnorm"> {
  let summary = "root-mean-square normalisation over the last dimension";
  let description = [{
    `result = input / sqrt(mean(input^2, last dim) + epsilon) * weight`, with
    the mean accumulated in f32 (f64 for f64 inputs). `weight` has the size
    of the last dimension.

    ```mlir
    %y = braid.rmsnorm %x, %w {epsilon = 1.0e-05 : f32}
        : tensor<64x4096xbf16>, tensor<4096xbf16> -> tensor<64x4096xbf16>
    ```
  }];
  let arguments = (ins RankedTensorOf<[AnyFloat]>:$input,
                       RankedTensorOf<[AnyFloat]>:$weight,
                       DefaultValuedAttr<F32Attr, "1.0e-6f">:$epsilon);
  let results = (outs RankedTensorOf<[AnyFloat]>:$result);
  let assemblyFormat = [{
    $input `,` $weight attr-dict `:` type($input) `,` type($weight) `->` type($result)
  }];
}

def Braid_LayerNormOp : Braid_ComputeOp<"layernorm"> {
  let summary = "layer normalisation over the last dimension";
  let description = [{
    `result = (input - mean) / sqrt(var + epsilon) * gamma + beta` over the
    last dimension (biased variance), statistics in f32 (f64 for f64).

    ```mlir
    %y = braid.layernorm %x, %g, %b {epsilon = 1.0e-05 : f32}
        : tensor<64x768xf32>, tensor<768xf32>, tensor<768xf32> -> tensor<64x768xf32>
    ```
  }];
  let arguments = (ins RankedTensorOf<[AnyFloat]>:$input,
                       RankedTensorOf<[AnyFloat]>:$gamma,
                       RankedTensorOf<[AnyFloat]>:$beta,
                       DefaultValuedAttr<F32Attr, "1.0e-5f">:$epsilon);
  let results = (outs RankedTensorOf<[AnyFloat]>:$result);
  let assemblyFormat = [{
    $input `,` $gamma `,` $beta attr-dict `:` type($input) `,` type($gamma)
    `,` type($beta) `->` type($result)
  }];
}

def Braid_ActivationOp : Braid_ComputeOp<"activation",
    [SameOperandsAndResultType]> {
  let summary = "element-wise activation (silu, gelu, gelu_tanh, relu, sigmoid)";
  let description = [{
    `silu(x) = x / (1 + exp(-x))`; `gelu` is the erf form; `gelu_tanh` the
    tanh approximation; `relu(x) = max(x, 0)`; `sigmoid(x) = 1 / (1 + exp(-x))`.

    ```mlir
    %y = braid.activation gelu_tanh %x : tensor<64x3072xf32>
    ```
  }];
  let arguments = (ins Braid_ActivationKind:$kind,
                       RankedTensorOf<[AnyFloat]>:$input);
  let results = (outs RankedTensorOf<[AnyFloat]>:$result);
  let assemblyFormat = "$kind $input attr-dict `:` type($input)";
}

def Braid_SwiGLUOp : Braid_ComputeOp<"swiglu", [SameOperandsAndResultType]> {
  let summary = "silu(gate) * up";
  let description = [{
    The gated activation of Llama-style MLPs: `silu(gate) * up`.

    ```mlir
    %h = braid.swiglu %gate, %up : tensor<64x14336xbf16>
    ```
  }];
  let arguments = (ins RankedTensorOf<[AnyFloat]>:$gate,
                       RankedTensorOf<[AnyFloat]>:$up);
  let results = (outs RankedTensorOf<[AnyFloat]>:$result);
  let assemblyFormat = "$gate `,` $up attr-dict `:` type($gate)";
}

def Braid_AttentionOp : Braid_ComputeOp<"attention"> {
  let summary = "scaled dot-product attention with grouped KV heads";
  let description = [{
    `query: [B, H, Sq, D]`, `key: [B, Hkv, Skv, D]`, `value: [B, Hkv, Skv, Dv]`
    → `[B, H, Sq, Dv]`, `H` a multiple of `Hkv` (query head `h` reads KV
    head `h / (H / Hkv)`). `result = softmax(scale * Q Kᵀ + mask) V` with
    `scale` defaulting to `1/sqrt(D)`, scores and softmax in f32. With
    `causal`, query `i` attends key `j` iff `j <= i + (Skv - Sq)`
    (bottom-right aligned, so decoding with a cache and training share one
    rule).

    The optional `mask` is added to the scaled scores before the softmax
    (PyTorch's float `attn_mask`, ONNX's additive `attn_mask`, BERT's
    padding mask of 0 and -10000 or -inf). It is rank 4 and broadcasts:
    each dimension is 1 or the matching one of `[B, H, Sq, Skv]`, so a
    padding mask is `[B, 1, 1, Skv]`. Its element type is any float; the
    addition is done in f32. A row whose every score is -inf has no
    maximum to subtract, and its output is NaN, as the fine-grained softmax
    computes it.

    ```mlir
    %o = braid.attention %q, %k, %v {causal}
        : tensor<1x32x128x128xbf16>, tensor<1x8x128x128xbf16>,
          tensor<1x8x128x128xbf16> -> tensor<1x32x128x128xbf16>
    %p = braid.attention %q, %k, %v mask %pad
        : tensor<2x12x128x64xf32>, tensor<2x12x128x64xf32>,
          tensor<2x12x128x64xf32>, tensor<2x1x1x128xf32>
        -> tensor<2x12x128x64xf32>
    ```
  }];
  let arguments = (ins RankedTensorOf<[AnyFloat]>:$query,
                       RankedTensorOf<[AnyFloat]>:$key,
                       RankedTensorOf<[AnyFloat]>:$value,
                       Optional<RankedTensorOf<[AnyFloat]>>:$mask,
                       UnitAttr:$causal, OptionalAttr<F32Attr>:$scale);
  let results = (outs RankedTensorOf<[AnyFloat]>:$result);
  let assemblyFormat = [{
    $query `,` $key `,` $value (`mask` $mask^)? attr-dict `:` type($query)
    `,` type($key) `,` type($value) (`,` type($mask)^)? `->` type($result)
  }];
  let extraClassDeclaration = [{
    /// The softmax scale: the attribute or 1/sqrt(head dim).
    double getEffectiveScale();
    /// Number of (query, key) pairs that attend, per (batch, head); failure
    /// for dynamic sequence lengths or overflow.
    ::mlir::FailureOr<int64_t> getNumAttendedPairs();
  }];
}

def Braid_GroupedMatmulOp : Braid_ComputeOp<"grouped_matmul"> {
  let summary = "one matmul per expert over contiguous groups of rows";
  let description = [{
    `lhs: [T, K]` holds rows grouped by expert, `group_sizes: [E]` their
    counts in order, `rhs: [E, K, N]` one weight per expert; row `t` of
    group `e` gives `result[t] = lhs[t] · rhs[e]`. Rows past the sum of
    `group_sizes` are zero. Accumulation in f32 (f64 for f64).

    ```mlir
    %y = braid.grouped_matmul %x, %w, %sizes
        : tensor<256x512xbf16>, tensor<8x512x1024xbf16>, tensor<8xi64>
        -> tensor<256x1024xbf16>
    ```
  }];
  let arguments = (ins RankedTensorOf<[AnyFloat]>:$lhs,
                       RankedTensorOf<[AnyFloat]>:$rhs,
                       Braid_IndexTensor:$group_sizes);
  let results = (outs RankedTensorOf<[AnyFloat]>:$result);
  let assemblyFormat = [{
    $lhs `,` $rhs `,` $group_sizes attr-dict `:` type($lhs) `,` type($rhs) `,`
    type($group_sizes) `->` type($result)
  }];
}

def Braid_MoEGateOp : Braid_ComputeOp<"moe_gate"> {
  let summary = "router: softmax over experts, then the top k per token";
  let description = [{
    `logits: [T, E]` → `weights: [T, k]` (element type of the logits) and
    `experts: [T, k]` (integer). Softmax over the experts in f32, then the k
    largest probabilities per token in descending order (ties: lower expert
    first). With `normalize`, each token's k weights are rescaled to sum to
    one (Mixtral's top-k-then-softmax is this with `normalize`).

    ```mlir
    %w, %e = braid.moe_gate %logits {k = 2 : i64, normalize}
        : tensor<64x8xf32> -> tensor<64x2xf32>, tensor<64x2xi32>
    ```
  }];
  let arguments = (ins RankedTensorOf<[AnyFloat]>:$logits, Braid_PosI64:$k,
                       UnitAttr:$normalize);
  let results = (outs RankedTensorOf<[AnyFloat]>:$weights,
                      Braid_IndexTensor:$experts);
  let assemblyFormat = [{
    $logits attr-dict `:` type($logits) `->` type($weights) `,` type($experts)
  }];
}

def Braid_MoEPermuteOp : Braid_ComputeOp<"moe_permute"> {
  let summary = "group token copies by expert for the grouped matmul";
  let description = [{
    `input: [T, H]`, `experts: [T, k]` → `permuted: [T*k, H]`,
    `group_sizes: [E]`, `row_map: [T*k]`. The (token, slot) pairs are stably
    sorted by expert id; `permuted[p]` is the token of the p-th pair,
    `row_map[t*k + j]` the row where pair (t, j) landed and `group_sizes[e]`
    the number of pairs routed to expert `e`. Expert ids must lie in
    `[0, num_experts)`. No token is dropped.

    ```mlir
    %p, %sizes, %map = braid.moe_permute %x, %e {num_experts = 8 : i64}
        : tensor<64x512xbf16>, tensor<64x2xi32>
        -> tensor<128x512xbf16>, tensor<8xi64>, tensor<128xi32>
    ```
  }];
  let arguments = (ins RankedTensorOf<[AnyFloat]>:$input,
                       Braid_IndexTensor:$experts,
                       Braid_PosI64:$num_experts);
  let results = (outs RankedTensorOf<[AnyFloat]>:$permuted,
                      Braid_IndexTensor:$group_sizes,
                      Braid_IndexTensor:$row_map);
  let assemblyFormat = [{
    $input `,` $experts attr-dict `:` type($input) `,` type($experts) `->`
    type($permuted) `,` type($group_sizes) `,` type($row_map)
  }];
}

def Braid_MoEUnpermuteOp : Braid_ComputeOp<"moe_unpermute"> {
  let summary = "weighted sum of each token's expert outputs";
  let description = [{
    `input: [T*k, H]` (expert outputs in permuted order), `row_map: [T*k]`
    from `braid.moe_permute`, `weights: [T, k]` → `[T, H]` with
    `result[t] = sum_j weights[t, j] * input[row_map[t*k + j]]`, summed
    over `j` in increasing order in f32 (f64 for f64).

    ```mlir
    %y = braid.moe_unpermute %out, %map, %w
        : tensor<128x512xbf16>, tensor<128xi32>, tensor<64x2xf32> -> tensor<64x512xbf16>
    ```
  }];
  let arguments = (ins RankedTensorOf<[AnyFloat]>:$input,
                       Braid_IndexTensor:$row_map,
                       RankedTensorOf<[AnyFloat]>:$weights);
  let results = (outs RankedTensorOf<[AnyFloat]>:$result);
  let assemblyFormat = [{
    $input `,` $row_map `,` $weights attr-dict `:` type($input) `,`
    type($row_map) `,` type($weights) `->` type($result)
  }];
}

def Braid_TopKOp : Braid_ComputeOp<"topk"> {
  let summary = "the k largest entries along the last dimension";
  let description = [{
    Values in descending order and their indices along the last dimension;
    ties go to the lower index; NaN sorts above every number.

    ```mlir
    %v, %i = braid.topk %x {k = 2 : i64} : tensor<64x8xf32> -> tensor<64x2xf32>, tensor<64x2xi64>
    ```
  }];
  let arguments = (ins RankedTensorOf<[AnyFloat, AnySignlessInteger]>:$input,
                       Braid_PosI64:$k);
  let results = (outs RankedTensorOf<[AnyFloat, AnySignlessInteger]>:$values,
                      Braid_IndexTensor:$indices);
  let assemblyFormat = [{
    $input attr-dict `:` type($input) `->` type($values) `,` type($indices)
  }];
}

def Braid_SortOp : Braid_ComputeOp<"sort"> {
  let summary = "stable sort along the last dimension, with the permutation";
  let description = [{
    Sorts along the last dimension (ascending unless `descending`), stable,
    and returns the source index of every sorted entry (an argsort).

    ```mlir
    %v, %i = braid.sort %x {descending} : tensor<4x16xf32> -> tensor<4x16xf32>, tensor<4x16xi32>
    ```
  }];
  let arguments = (ins RankedTensorOf<[AnyFloat, AnySignlessInteger]>:$input,
                       UnitAttr:$descending);
  let results = (outs RankedTensorOf<[AnyFloat, AnySignlessInteger]>:$values,
                      Braid_IndexTensor:$indices);
  let assemblyFormat = [{
    $input attr-dict `:` type($input) `->` type($values) `,` type($indices)
  }];
}

def Braid_GatherOp : Braid_ComputeOp<"gather"> {
  let summary = "take slices of a tensor at indices along one axis";
  let description = [{
    `numpy.take(source, indices, axis)`: the result shape is
    `source[:axis] ++ indices ++ source[axis+1:]`. Indices must lie in
    `[0, source.shape[axis])`. Embedding lookup is a gather on axis 0.

    ```mlir
    %e = braid.gather %table[%ids] axis = 0
        : tensor<32000x512xbf16>, tensor<4x16xi32> -> tensor<4x16x512xbf16>
    ```
  }];
  let arguments = (ins Braid_NumericTensor:$source,
                       Braid_IndexTensor:$indices,
                       Braid_NonNegI64:$axis);
  let results = (outs Braid_NumericTensor:$result);
  let assemblyFormat = [{
    $source `[` $indices `]` `axis` `=` $axis attr-dict `:` type($source) `,`
    type($indices) `->` type($result)
  }];
}

def Braid_ScatterOp : Braid_ComputeOp<"scatter"> {
  let summary = "write or add slices into a tensor at indices along one axis";
  let description = [{
    The inverse of `braid.gather` with 1-D `indices`: slice `i` of `updates`
    along `axis` is combined into slice `indices[i]` of `dest` (`replace`:
    in increasing `i`, so the last write wins; `add`: summed in increasing
    `i`). The result has the type of `dest`.

    ```mlir
    %r = braid.scatter %upd into %dest[%ids] axis = 0 kind = add
        : tensor<6x8xf32>, tensor<16x8xf32>, tensor<6xi32> -> tensor<16x8xf32>
    ```
  }];
  let arguments = (ins Braid_NumericTensor:$updates, Braid_NumericTensor:$dest,
                       Braid_IndexTensor:$indices,
                       Braid_NonNegI64:$axis, Braid_ScatterKind:$kind);
  let results = (outs Braid_NumericTensor:$result);
  let assemblyFormat = [{
    $updates `into` $dest `[` $indices `]` `axis` `=` $axis `kind` `=` $kind
    attr-dict `:` type($updates) `,` type($dest) `,` type($indices) `->`
    type($result)
  }];
}

#endif // BRAID_DIALECT_BRAID_IR_BRAIDOPS_TD
