//===- Passes.td - braid transformation passes ---------------*- tablegen -*-===//

#ifndef BRAID_DIALECT_BRAID_TRANSFORMS_PASSES_TD
#define BRAID_DIALECT_BRAID_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def BraidInlineAsync : Pass<"braid-inline-async"> {
  let summary = "Run every braid.start body in place and drop its futures";
  let description = [{
    The inverse of the sync-to-async conversion: each `braid.start` is
    replaced by its body at the point of the start, and each `braid.await`
    of its future by the values the body yields. The result is the
    synchronous program the async one must be equivalent to — what the
    interpreter compares against, and a way to rule async scheduling out
    when hunting a bug.

    Example:
    ```mlir
    %f = braid.start stream = 1 {
      %r = braid.all_reduce %x on @tp axes = [0] reduction = sum : tensor<8xf32>
      braid.yield %r : tensor<8xf32>
    } : !braid.future<tensor<8xf32>>
    %v = braid.await %f : !braid.future<tensor<8xf32>>
    ```
    becomes
    ```mlir
    %v = braid.all_reduce %x on @tp axes = [0] reduction = sum : tensor<8xf32>
    ```
  }];
  let dependentDialects = ["::mlir::braid::BraidDialect"];
}

def BraidSetTarget : Pass<"braid-set-target", "::mlir::ModuleOp"> {
  let summary = "Record the machine the module is compiled for as its #braid.target";
  let description = [{
    Sets the module attribute `braid.target` that every deciding pass,
    `braid-estimate` and the lowering read (see `#braid.target`). `profile`
    is a profile name (looked up in `$BRAID_PROFILE_PATH`, then
    `share/braid/profiles` beside the tools, then the source tree's
    `bench/profiles`; the name is recorded) or a path to a `.json` profile
    (its numbers are recorded inline, so the IR alone says the machine).
    A target already on the module is replaced.

    ```mlir
    // braid-opt -braid-set-target=profile=cpu-1gbe
    module attributes {braid.target = #braid.target<"cpu-1gbe">} { ... }
    ```
  }];
  let options = [
    Option<"profile", "profile", "std::string", /*default=*/"\"h100-sxm-x8\"",
           "Hardware profile: a name or a path to a .json file">
  ];
  let dependentDialects = ["::mlir::braid::BraidDialect"];
}

def BraidWorkSummary : Pass<"braid-work-summary"> {
  let summary = "Report each function's per-rank FLOPs, bytes and communication";
  let description = [{
    Sums what one rank does in each function through the cost and
    collective interfaces and reports it as a remark on the function:

    ```
    remark: work per rank: 4194304 flops, 81920 B read, 49152 B written in
    3 compute ops; 2 collectives, 65536 B payload, 98304 B on the bus
    ```

    Bus bytes are what a bandwidth-optimal algorithm sends per rank
    (nccl-tests' definition). With `per-op`, every op that does work gets its
    own remark. Ops whose work depends on a dynamic shape or a dynamic group
    size are counted separately and named. Hardware-independent: the cost
    model turns these numbers into time.
  }];
  let options = [
    Option<"perOp", "per-op", "bool", /*default=*/"false",
           "Also report the work of every op">
  ];
}

def BraidEstimate : Pass<"braid-estimate", "::mlir::ModuleOp"> {
  let summary = "Predict each function's step time on a hardware profile";
  let description = [{
    Runs the cost model over every function with a body and reports, as a
    remark on the function, its predicted step time as written (every op in
    order on one stream) and as scheduled (`braid.start` bodies on their
    streams, awaits as stream waits, GEMMs slowed while communication kernels
    hold SMs), the compute and communication it contains, the communication
    left exposed, and the ideal bound max(compute, communication):

    ```
    remark: estimate on h100-sxm-x8: sequential 512.3 us, scheduled 431.0 us;
    compute 402.1 us, communication 110.2 us, exposed 28.9 us, ideal 402.1 us
    ```

    The machine is the module's `#braid.target` (`braid-set-target`; the
    default profile, h100-sxm-x8, when there is none). With `per-op`, every op gets a
    remark with its prediction and how it was made. With `trace`, the
    scheduled timeline is written as Chrome trace JSON (one track per stream
    per rank) that Perfetto opens. Ops the model cannot cost (dynamic shapes)
    are named in a remark and counted as free.
  }];
  let options = [
    Option<"trace", "trace", "std::string", /*default=*/"\"\"",
           "Write the scheduled timeline as Chrome trace JSON to this file">,
    Option<"perOp", "per-op", "bool", /*default=*/"false",
           "Report the predicted time of every op">
  ];
}

def BraidCalibrationShapes
    : Pass<"braid-calibration-shapes", "::mlir::ModuleOp"> {
  let summary = "List the GEMM shapes, kernel sizes and collectives of a "
                "program for braid-calibrate";
  let description = [{
    Writes one `braid-calibrate` option per distinct shape the program's
    functions run, in program order, each with how many ops have it and
    where the first one is:

    ```
    --gemm 64x512x256:bf16  # 2 ops, first at tp_mlp.mlir:12:8 (linalg.matmul)
    --rmsnorm 64x512:f32  # 1 op, first at ...
    --collective all_reduce:65536:4  # 1 op, first at ...
    ```

    GEMMs (linalg contractions, `braid.grouped_matmul`) as
    `[BATCHx]MxNxK:dtype` (the operands' type), `braid.rmsnorm` as
    `ROWSxWIDTH`, `linalg.softmax` as `OUTERxEXTENTxINNER`, `braid.swiglu`
    and `braid.activation` as element counts, `braid.attention` as
    `BxHxHKVxSQxSKVxDxDV[:causal]`, other element-wise linalg ops as
    `--elementwise N`, and collectives as `KIND:PAYLOAD_BYTES:GROUP_SIZE`.
    `braid-calibrate --shapes FILE` reads the file. Ops with dynamic shapes
    are skipped with a remark. The IR is not changed.
  }];
  let options = [
    Option<"output", "output", "std::string", /*default=*/"\"-\"",
           "File to write the options to ('-': standard output)">
  ];
}

def BraidConvertToAsync : Pass<"braid-convert-to-async", "::mlir::ModuleOp"> {
  let summary = "Turn each collective into a start/await pair on its communicator's stream";
  let description = [{
    Wraps every collective that is not yet asynchronous in a `braid.start`
    on the stream of its communicator (one stream per grid and axes across
    the whole module, numbered from 1 in order of first use; a communicator
    already used by a hand-written start keeps that start's stream) and
    awaits it right away. The program
    means the same; `braid-schedule` then moves the starts early and the
    awaits late.

    ```mlir
    %r = braid.all_reduce %x on @tp axes = [0] reduction = sum : tensor<8xf32>
    ```
    becomes
    ```mlir
    %f = braid.start stream = 1 {
      %r = braid.all_reduce %x on @tp axes = [0] reduction = sum : tensor<8xf32>
      braid.yield %r : tensor<8xf32>
    } : !braid.future<tensor<8xf32>>
    %r = braid.await %f : !braid.future<tensor<8xf32>>
    ```

    With `branches` (on by default), an independent branch that
    communicates — the ops feeding one operand of a join (say the MoE path
    beside a dense FFN, joined by the residual add) that neither depend on
    the other operand's ops nor feed anything but the join — first moves
    whole into a `braid.start` on a stream of its own, awaited right before
    the join, so its communication and compute run beside the other branch.
  }];
  let options = [
    Option<"branches", "branches", "bool", /*default=*/"true",
           "Move independent branches that communicate to their own stream">
  ];
  let dependentDialects = ["::mlir::braid::BraidDialect"];
}

def BraidDecomposeCollectiveMatmul
    : InterfacePass<"braid-decompose-collective-matmul",
                    "::mlir::FunctionOpInterface"> {
  let summary = "Cut collective matmuls into ring steps or chunks, where the cost model says it pays";
  let description = [{
    Rewrites the collective matmuls of tensor-parallel layers into pieces
    whose communication can hide behind the next piece's GEMM (XLA's
    windowed einsum, PyTorch async-TP, TransformerEngine's split pipelines,
    the software form of T3):

    - `all_gather(x, dim 0) -> matmuls`: at step s the rank at group
      position r multiplies the shard in hand — rank (r - s) mod P's — while
      passing it on. A matmul using the gathered value as its left operand
      (forward QKV/FC1, backward dgrad) computes those rows: one full-K GEMM
      per row block, bitwise equal to the original. A matmul using it as its
      right operand (backward wgrad, `xᵀ · dY`) accumulates the K chunk into
      its result: a K cut, within the f64-relative numerics contract.
      Bidirectional order (`bidirectional`): shards travel both ways and
      meet half way, ceil((P-1)/2) communication steps instead of P-1; at
      P = 2 both directions reach the same peer, so one is used.
    - `matmul -> reduce_scatter(dim 0)` (T3 ring order): at step s rank r
      computes the rows of chunk (r - s - 1) mod P (of every matmul of an
      accumulating chain, backward dgrad `dX = dG·Wgᵀ + dU·Wuᵀ`), combines
      the partial received from r - 1 and passes it to r + 1; after P - 1
      steps it holds its own chunk, reduced. Reassociated: f64 contract.
    - `matmul -> all_reduce`: either that ring followed by an all_gather of
      the reduced chunks (`ring`; rows that do not divide by P are padded —
      the left operand with zeros, the accumulator with the reduction's
      identity — and sliced off after the gather, the padding charged in the
      cost), or the matmul cut into C row chunks each all-reduced as soon as
      it is computed (`chunked`; bitwise equal; C from the cost model or
      `chunks`). The cost model picks unless `all-reduce` says. JAX's bf16
      `psum(x @ w)` — the accumulator truncated and its rows reshaped
      before the all_reduce — is taken in the chunked form, each chunk
      truncated before its all_reduce (bitwise equal).

    Partial sums travel in `wire-type`: by default the accumulator type of
    the matmul (f32 in the canonical form, as NCCL reduces the original);
    `bf16` halves the bytes and adds P - 1 roundings; `f16` may overflow.

    The pass plans, then rewrites. Planning plays every allowed cut
    through the timing model on the module's `#braid.target` (GEMM pieces
    on the compute stream, transfers on a communication stream over the
    group's link, each piece on the SMs communication leaves while it
    runs) against the program as written (the collective beside the
    compute between its operands and its first use, which the scheduler
    can hide it behind), keeps the fastest, and declines when it does not
    save at least the target's `min_gain` (5% by default: below that the
    prediction is within the model's error), saying so with both numbers
    under `-braid-explain`; `force` cuts anyway and reports every
    collective, cut or not. The decision is recorded on the collective as
    `braid.decomposition = #braid.decomposition<form = ring | chunks |
    bidirectional_ring, count = N[, wire = T]>` and then applied by the
    public rewrite `decomposeCollectiveMatmul` (Transforms.h). A plan
    written by hand is applied as written, without the cost model, and is
    an error when it does not fit (a ring whose count is not the group
    size, more chunks than rows); `plan-only` stops after recording. The
    chunk a rank works on
    is computed from `braid.rank` with `arith`, never from per-rank
    constants; every GEMM piece carries `braid.ring_step = array<i64: ring,
    step, steps>` for `braid-verify-ring-coverage`. Steps are unrolled up to
    `max-steps`. Also declined, with a remark: other users of the
    intermediate, another gather/scatter dimension, dynamic shapes, groups
    of one or larger than `max-steps`, collectives already inside a
    `braid.start`, and collectives with no collective-matmul form.
  }];
  let options = [
    Option<"maxSteps", "max-steps", "int64_t", /*default=*/"16",
           "Largest number of steps or chunks the rewrite unrolls">,
    Option<"force", "force", "bool", /*default=*/"false",
           "Cut even where the cost model predicts no gain">,
    Option<"bidirectional", "bidirectional", "::mlir::braid::Choice",
           /*default=*/"::mlir::braid::Choice::Auto",
           "all_gather ring order", [{::llvm::cl::values(
             clEnumValN(::mlir::braid::Choice::Auto, "auto",
                        "as the cost model predicts faster"),
             clEnumValN(::mlir::braid::Choice::Always, "always",
                        "both directions (P > 2)"),
             clEnumValN(::mlir::braid::Choice::Never, "never",
                        "one direction"))}]>,
    Option<"allReduce", "all-reduce", "::mlir::braid::AllReduceStrategy",
           /*default=*/"::mlir::braid::AllReduceStrategy::Auto",
           "matmul -> all_reduce as", [{::llvm::cl::values(
             clEnumValN(::mlir::braid::AllReduceStrategy::Auto, "auto",
                        "as the cost model predicts faster"),
             clEnumValN(::mlir::braid::AllReduceStrategy::Ring, "ring",
                        "reduce-scatter ring + all_gather"),
             clEnumValN(::mlir::braid::AllReduceStrategy::Chunked, "chunked",
                        "row chunks, each all-reduced"))}]>,
    Option<"chunks", "chunks", "int64_t", /*default=*/"0",
           "Chunk count of a chunked all_reduce (0: from the cost model)">,
    Option<"wireType", "wire-type", "::mlir::braid::WireType",
           /*default=*/"::mlir::braid::WireType::Accumulator",
           "Element type partial sums travel in", [{::llvm::cl::values(
             clEnumValN(::mlir::braid::WireType::Accumulator, "accumulator",
                        "the matmul's accumulator type"),
             clEnumValN(::mlir::braid::WireType::F32, "f32", "f32"),
             clEnumValN(::mlir::braid::WireType::BF16, "bf16",
                        "bf16: half the bytes, P - 1 more roundings"),
             clEnumValN(::mlir::braid::WireType::F16, "f16",
                        "f16: half the bytes, may overflow"))}]>,
    Option<"planOnly", "plan-only", "bool", /*default=*/"false",
           "Record each decision as a braid.decomposition attribute and stop "
           "(no rewrite)">,
    Option<"explain", "explain", "bool", /*default=*/"false",
           "Report every decision as a remark (as -braid-explain does)">
  ];
  let dependentDialects = ["::mlir::braid::BraidDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::tensor::TensorDialect"];
}

def BraidFuseProducerCollective
    : InterfacePass<"braid-fuse-producer-collective",
                    "::mlir::FunctionOpInterface"> {
  let summary = "Fuse a GEMM producer with the collective it feeds (T3), where the cost model says it pays";
  let description = [{
    Wraps a producer — one contraction (`linalg.matmul`, `batch_matmul`,
    `contract`, a matmul-like `generic`) and a chain of element-wise ops
    after it — and the `reduce_scatter`, `all_reduce` or `all_gather` of its
    output into one `braid.fused_collective`, which keeps the producer
    whole and releases its output to the collective piece by piece in the
    collective's order (T3): ring order for reduce_scatter and all_reduce
    (rank r first computes the chunk that travels farthest), arrival order
    for all_gather.

    For every such collective the pass plays, through the one timing model
    on the module's `#braid.target`: the program as written (the collective
    beside the compute that can hide it), the separate ring GEMMs of
    `braid-decompose-collective-matmul` (where that rewrite applies), the
    chunk trigger (`#braid.trigger<chunk, count = P>`: one GEMM per chunk)
    and the tile trigger (`#braid.trigger<tile, m, n, threshold>`: the
    producer as one GEMM of the target's tile, every `threshold` tiles
    released; thresholds from a chunk's tiles down to one are tried), and
    keeps the fastest. It fuses only when the fused form beats both the
    program as written and the separate ring GEMMs by the target's
    `min_gain`; when the separate rings are fastest it leaves the
    collective to `braid-decompose-collective-matmul`. `trigger` restricts
    the choice (`chunk`, `tile`) or turns fusion off (`never`). Decisions
    are remarks under `-braid-explain` or `explain`.

    The decision is recorded on the collective as `braid.fusion =
    #braid.trigger<...>` and applied by the public rewrite
    `fuseProducerCollective` (Transforms.h). A plan written by hand is
    applied as written, without the cost model, and is an error when it
    does not fit (a ring's count other than the group size, a cut
    dimension that does not divide, a tile straddling two chunks, a
    producer that is not a contraction with an element-wise epilogue);
    `plan-only` stops after recording.

    A `tensor.expand_shape` or `collapse_shape` between a producer chain
    and its `braid.all_reduce` (JAX reshapes a matmul's `[B*S, D]` result
    to `[B, S, D]` before its psum) first moves below the collective
    (`sinkReshapeBelowAllReduce`: an all-reduce commutes with any reshape,
    bit for bit), so the producer feeds it; under `plan-only` too, since
    the plan is recorded on the moved collective. `trigger=never` moves
    nothing (unless a plan is written on the all_reduce).
  }];
  let options = [
    Option<"trigger", "trigger", "::mlir::braid::FusionChoice",
           /*default=*/"::mlir::braid::FusionChoice::Auto",
           "What to fuse with", [{::llvm::cl::values(
             clEnumValN(::mlir::braid::FusionChoice::Auto, "auto",
                        "the fastest of chunk, tile, separate rings and "
                        "nothing, by the cost model"),
             clEnumValN(::mlir::braid::FusionChoice::Never, "never",
                        "no fusion (hand-written plans still apply)"),
             clEnumValN(::mlir::braid::FusionChoice::Chunk, "chunk",
                        "the chunk trigger wherever it fits"),
             clEnumValN(::mlir::braid::FusionChoice::Tile, "tile",
                        "the tile trigger wherever it fits"))}]>,
    Option<"tileM", "tile-m", "int64_t", /*default=*/"0",
           "Rows of a tile-trigger tile (0: the target's GEMM tile)">,
    Option<"tileN", "tile-n", "int64_t", /*default=*/"0",
           "Columns of a tile-trigger tile (0: the target's GEMM tile)">,
    Option<"planOnly", "plan-only", "bool", /*default=*/"false",
           "Record each decision as a braid.fusion attribute and stop">,
    Option<"lowerableOnly", "lowerable-only", "bool", /*default=*/"true",
           "Fuse only what the buffer level lowers (a bare linalg.matmul "
           "cut along its output's first dimension); false also fuses "
           "epilogues, batched producers and inner cuts, which the "
           "estimate and the interpreter take">,
    Option<"explain", "explain", "bool", /*default=*/"false",
           "Report every decision as a remark (as -braid-explain does)">
  ];
  let dependentDialects = ["::mlir::braid::BraidDialect"];
}

def BraidVerifyRingCoverage
    : InterfacePass<"braid-verify-ring-coverage", "::mlir::FunctionOpInterface"> {
  let summary = "Prove a decomposed collective matmul covers every chunk once on every rank";
  let description = [{
    For each ring of GEMMs tagged `braid.ring_step = array<i64: ring, s, P>`
    by `braid-decompose-collective-matmul`, evaluates, for every rank
    position of the group, the slice each GEMM works on (the offset
    computed from `braid.rank` with `arith`, or a constant for chunked
    all-reduces) and proves that the P pieces tile the cut dimension —
    every row (or K) chunk computed exactly once, none outside it. Every
    ring `collective_permute` must be a bijection of its group, so every
    send has its receive. Refuses with a located error otherwise.
  }];
}

def BraidSchedule
    : InterfacePass<"braid-schedule", "::mlir::FunctionOpInterface"> {
  let summary = "Latency-hiding list scheduling of starts and awaits under a memory budget";
  let description = [{
    Reorders the ops of each function so that communication starts as early
    as its operands allow and is awaited as late as its first use, letting
    independent compute run in between — unless the timing model says it
    has landed already: such an await is taken at once, because what it
    unlocks may be more communication (the next send of a ring whose step
    combines the received partial). Every choice is played through the one
    timing model on the module's `#braid.target` (the clock `braid-estimate`
    uses): a collective whose predicted time does not pay for a stream
    switch (the target's `stream_switch_cost` policy; by default twice its
    kernel overhead, an event record and wait) stays in place. Starts are
    issued in the order their results are consumed, and get priorities in
    that order. With a memory budget (arena bytes per rank), the number of
    collectives in flight is lowered until the arena fits — the most that
    fit, by bisection; if even none in flight does not fit, the pass says
    so and keeps that order. The arena of an order is what
    `braid-buffer-pipeline` plans for it (`estimateArena` bufferizes a copy
    and plans it), so the budget means the same here and in
    `braid-plan-arena`: the temporaries, not the caller's arguments and
    results. A function that calls another with a body is not estimated
    (inline first); the budget is then ignored, with a warning.
    The plan (order and priorities) is applied by the public
    `applySchedule` (Transforms.h).

    Ops that take no time and touch no memory (slices, reshapes, index
    arithmetic) are then issued just before their first user: picked early
    to fill the wait for an await they hide nothing, and what they define
    would live from there (a slice that bufferizes to a copy, such as a
    ring step's zero init, would hold its bytes for the whole ring).

    With `explain`, every decision is a remark on the op: moved earlier by N
    ops (that take time) and what it hides, kept synchronous and why, held
    back by the budget. The output is deterministic.
  }];
  let options = [
    Option<"memoryBudget", "memory-budget", "int64_t", /*default=*/"0",
           "Arena bytes per rank the schedule may need (0: no limit)">,
    Option<"explain", "explain", "bool", /*default=*/"false",
           "Report every scheduling decision as a remark">
  ];
  let dependentDialects = ["::mlir::braid::BraidDialect"];
}

def BraidVerifyCollectiveOrder
    : Pass<"braid-verify-collective-order", "::mlir::ModuleOp"> {
  let summary = "Prove every rank issues the same collectives in the same order";
  let description = [{
    Checks, on shapes alone, what NCCL needs to neither hang nor mix up
    data, and refuses the program with a located error otherwise:

    - every rank of every group issues the same collectives in the same
      order on each communicator (the interpreter's `CollectiveMatcher`,
      fed per rank in host issue order); collectives under control flow that
      depends on the rank cannot be proven and are refused, with a note
      where the rank is read: an `scf.if` condition, loop bounds and
      initial values, an `scf.while` condition, followed through
      loop-carried values. A loop whose trip count is the same on every
      rank is proven by one pass over its body, whatever data it carries;
    - one stream per communicator, and one communicator per stream.

    What needs no check at this level: a ring step's send and receive are
    one `braid.collective_permute`, so they are grouped by construction;
    the host issues every start in program order and streams run their work
    in issue order, and a future can only be awaited where its start
    dominates, so no stream can wait for work issued after it and waits
    between streams cannot form a cycle. Buffer-level signals and counters
    will need their own check.
  }];
}

def BraidRaiseLayerOps : Pass<"braid-raise-layer-ops", "::mlir::ModuleOp"> {
  let summary = "Raise importers' fine-grained layer computations to braid layer ops";
  let description = [{
    Importers emit layers as upstream element-wise `arith`/`math` ops on
    tensors, `linalg.reduce`, `linalg.broadcast`, `linalg.batch_matmul` and
    calls to private helper functions. This pass recognises the exact forms
    listed in `docs/Raising.md` and replaces each by one op, so that the
    overlap passes and the cost model see one op per layer:

    - normalization: `x * rsqrt(mean(x * x) + eps) [* w]` → `braid.rmsnorm`,
      `(x - mean) * rsqrt(mean((x - mean)²) + eps) [* γ] [+ β]` →
      `braid.layernorm`;
    - activation: `x * sigmoid(x)`, `x / (1 + exp(-x))` (also as the body of
      a called private function) → `braid.activation silu`, the sigmoid
      alone → `braid.activation sigmoid`, the erf and tanh GELU forms →
      `gelu` / `gelu_tanh`, `max(x, 0)` → `relu`, `silu(g) * u` →
      `braid.swiglu`;
    - softmax: max / subtract / exp / sum / divide over the last dim →
      `linalg.softmax`;
    - attention: `batch_matmul(softmax(scale * q kᵀ [+ mask]), v)` →
      `braid.attention` (grouped KV heads through the broadcast that
      repeats them, causal flag proven from the mask's index arithmetic,
      any other mask — BERT's additive padding mask, a select — as the
      op's additive `mask`).

    A raised op computes its statistics in f32 and rounds once, so results
    differ from the fine-grained program by reassociation only: within the
    interpreter's f64-relative numerics contract, not bitwise. Casts are
    inserted so every replaced value keeps its type; a `truncf` of a raised
    op whose operands are `extf`s of the narrow type is folded into the op.
    Near misses (another dim, another N, no epsilon, intermediates with
    other users, a mask added before the scale) are left alone, with a remark
    under `-braid-explain`. Private functions whose every call was raised
    are erased.
  }];
  let options = [
    Option<"normalization", "normalization", "bool", /*default=*/"true",
           "Raise RMSNorm and LayerNorm">,
    Option<"activation", "activation", "bool", /*default=*/"true",
           "Raise SiLU, sigmoid, GELU, ReLU and SwiGLU">,
    Option<"softmax", "softmax", "bool", /*default=*/"true",
           "Raise softmax to linalg.softmax">,
    Option<"attention", "attention", "bool", /*default=*/"true",
           "Raise attention (needs softmax raised first, or this run's softmax)">,
    Option<"moe", "moe", "bool", /*default=*/"true",
           "Raise MoE routers (top-k and softmax) to braid.moe_gate">
  ];
  let dependentDialects = ["::mlir::braid::BraidDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::linalg::LinalgDialect",
                           "::mlir::tensor::TensorDialect"];
}

//===----------------------------------------------------------------------===//
// Towards the buffer level (docs/Lowering.md)
//===----------------------------------------------------------------------===//

def BraidFoldTransposeIntoMatmul
    : InterfacePass<"braid-fold-transpose-into-matmul",
                    "::mlir::FunctionOpInterface"> {
  let summary = "Read a transposed matmul operand through the matmul's "
                "indexing map instead of a materialized transpose";
  let description = [{
    A `linalg.matmul` or `linalg.batch_matmul` operand produced by a
    `linalg.transpose` that swaps the two innermost dimensions (and leaves
    a batch dimension in place) is replaced by the transpose's input, and
    the operand's indexing map swaps its two innermost results instead:

    ```mlir
    %t = linalg.transpose ins(%x : tensor<64x32xf32>)
           outs(%e : tensor<32x64xf32>) permutation = [1, 0]
    %r = linalg.matmul ins(%t, %w : tensor<32x64xf32>, tensor<64x16xf32>)
           outs(%acc : tensor<32x16xf32>) -> tensor<32x16xf32>
    // becomes
    %r = linalg.matmul indexing_maps = [
           affine_map<(m, n, k) -> (k, m)>, affine_map<(m, n, k) -> (k, n)>,
           affine_map<(m, n, k) -> (m, n)>]
           ins(%x, %w : tensor<64x32xf32>, tensor<64x16xf32>)
           outs(%acc : tensor<32x16xf32>) -> tensor<32x16xf32>
    ```

    A transposed result of a matmul initialised by a fill (`linalg.fill`
    then `linalg.matmul`, read only by the transpose) becomes one matmul
    writing the transposed layout: Cᵀ = Bᵀ · Aᵀ, the operands swapped and
    both read transposed, the fill on the transposed shape.

    The lowering runs such a matmul as one runtime GEMM with a transposed
    operand (BLAS and cuBLASLt read it in place), where the transpose was a
    loop nest writing with a stride, measured at 1-5 ms per 2-4 MiB on the
    CPU target (docs/Performance.md). The products and their order are
    unchanged: bitwise equal in the interpreter. An operand's transpose
    stays while other ops read it. It runs first in the buffer pipeline, after every
    tensor-level decision, because the passes that match collective matmuls
    expect the canonical maps.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect"];
}

def BraidFuseElementwise
    : InterfacePass<"braid-fuse-elementwise", "::mlir::FunctionOpInterface"> {
  let summary = "Fuse chains of element-wise linalg.generic ops into one";
  let description = [{
    Upstream element-wise fusion restricted to producers and consumers
    whose loops are all parallel, so a chain (extf, add, truncf, ...) becomes
    one generic op and one loop nest in the emitted code, while matmuls and
    other contractions stay named ops the lowering maps to the runtime's
    GEMM (upstream's default also fuses a contraction into its consumer).
    A producer that other ops read too is fused only when all of them are
    element-wise maps (it then disappears) or when it reads only function
    arguments and constants: recomputing it in one consumer while keeping
    it for the others would keep what it reads live until the last consumer
    (a softmax's exp would keep the scores and the row maximum live until
    the divide).
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect"];
}

def BraidMarkInputsReadOnly
    : InterfacePass<"braid-mark-inputs-read-only", "::mlir::FunctionOpInterface"> {
  let summary = "Bufferization may not write into the function's tensor arguments";
  let description = [{
    A compiled step's arguments are the caller's buffers, which repeated
    steps read again: every tensor argument gets
    `bufferization.writable = false`, so One-Shot Bufferize copies before an
    in-place write (an in-place all_reduce, an element-wise op reusing its
    operand) instead of writing into them.
  }];
  let dependentDialects = ["::mlir::bufferization::BufferizationDialect"];
}

def BraidProtectAsyncCaptures
    : InterfacePass<"braid-protect-async-captures", "::mlir::FunctionOpInterface"> {
  let summary = "Copy a tensor an in-flight braid.start reads before an op may overwrite it";
  let description = [{
    Bufferization decides in-place writes in program order, but the body of
    a `braid.start` reads its captured tensors until the matching
    `braid.await`. Every destination operand (a linalg `outs`, an
    `insert_slice` destination) between a start and its await that is, or is
    a view of, a tensor the start reads is replaced by a copy
    (`bufferization.alloc_tensor ... copy(...)`), so no buffer the start
    reads can be written while it runs. Runs right before bufferization.

    ```mlir
    %f = braid.start stream = 1 { ... reads %x ... }
    %y = linalg.generic ... outs(%x : tensor<8xf32>)   // may write %x's buffer
    ```
    becomes
    ```mlir
    %c = bufferization.alloc_tensor() copy(%x) : tensor<8xf32>
    %y = linalg.generic ... outs(%c : tensor<8xf32>)
    ```
  }];
  let dependentDialects = ["::mlir::bufferization::BufferizationDialect"];
}

def BraidLoopYieldsInPlace
    : InterfacePass<"braid-loop-yields-in-place", "::mlir::FunctionOpInterface"> {
  let summary = "Write each loop-carried tensor back into its iteration argument";
  let description = [{
    One-Shot Bufferize keeps one buffer per loop-carried value and refuses an
    `scf.for` or `scf.while` whose yielded tensor is not equivalent to its
    iteration argument (a new value computed into a fresh tensor, as an
    element-wise update does). Every such yielded value (and every value an
    `scf.condition` hands to the after region) is written into the
    corresponding block argument with `bufferization.materialize_in_destination`,
    so the yield is in place: the loop carries its values in the buffers of
    its initial values, the new value is computed into a temporary of the
    body and copied back at the end of the iteration. Values already yielded
    unchanged are left alone. Runs right before bufferization.

    ```mlir
    %r = scf.for %i = %c0 to %n step %c1 iter_args(%a = %x) -> (tensor<8xf32>) {
      %b = arith.mulf %a, %a : tensor<8xf32>
      scf.yield %b : tensor<8xf32>
    }
    ```
    becomes
    ```mlir
    %r = scf.for %i = %c0 to %n step %c1 iter_args(%a = %x) -> (tensor<8xf32>) {
      %b = arith.mulf %a, %a : tensor<8xf32>
      %w = bufferization.materialize_in_destination %b in %a
          : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
      scf.yield %w : tensor<8xf32>
    }
    ```
  }];
  let dependentDialects = ["::mlir::bufferization::BufferizationDialect"];
}

def BraidLaunchFusedProducers
    : InterfacePass<"braid-launch-fused-producers", "::mlir::FunctionOpInterface"> {
  let summary = "Run each fused producer on a worker stream beside its collective";
  let description = [{
    Bufferization turns a `braid.fused_collective` into a
    `braid.cmd.chunked_compute` followed by the collective it triggers, both
    on the host stream: correct, but the producer finishes before the
    collective starts. This pass launches each such producer on a worker
    stream of its own (one past the highest stream the function launches
    on) and makes the host wait for it after the collective, so the
    collective, issued by the host right after the launch, sends each
    chunk as soon as the producer releases it. Producers already inside a
    launch, or whose collective is not on the host after them, are left as
    they are.

    ```mlir
    braid.cmd.chunked_compute %c release %counter[%epoch] chunks = 4 tiles = 1
        order = ring on @tp axes = [0] : memref<64x16xf32> { linalg.matmul ... }
    braid.cmd.reduce_scatter %c, %r on @tp axes = [0] reduction = sum
        after %counter[%epoch] chunks = 4 tiles = 1 : ...
    ```
    becomes
    ```mlir
    %done = braid.cmd.launch stream = 3 {
      braid.cmd.chunked_compute %c release %counter[%epoch] ... { ... }
    }
    braid.cmd.reduce_scatter %c, %r ... after %counter[%epoch] ...
    braid.cmd.wait %done
    ```
  }];
}

def BraidConvertAsyncToStreams
    : InterfacePass<"braid-convert-async-to-streams", "::mlir::FunctionOpInterface"> {
  let summary = "Bufferized braid.start/await become braid.cmd.launch/wait";
  let description = [{
    After bufferization a `braid.start` yields buffers. Each start on a
    worker stream becomes a `braid.cmd.launch` on that stream whose
    allocations are hoisted before it (so the host can plan and free them),
    and each `braid.await` becomes a `braid.cmd.wait` on the launch's event;
    the awaited values are the hoisted buffers. A start on stream 0 runs in
    place (the host stream is in order).

    ```mlir
    %f = braid.start stream = 1 {
      %b = memref.alloc() : memref<8xf32>
      braid.cmd.all_reduce %x, %b on @tp axes = [0] reduction = sum : memref<8xf32>, memref<8xf32>
      braid.yield %b : memref<8xf32>
    } : !braid.future<memref<8xf32>>
    %r = braid.await %f : !braid.future<memref<8xf32>>
    ```
    becomes
    ```mlir
    %b = memref.alloc() : memref<8xf32>
    %done = braid.cmd.launch stream = 1 {
      braid.cmd.all_reduce %x, %b on @tp axes = [0] reduction = sum : memref<8xf32>, memref<8xf32>
    }
    braid.cmd.wait %done
    ```
  }];
  let dependentDialects = ["::mlir::memref::MemRefDialect"];
}

def BraidKeepOnly
    : InterfacePass<"braid-keep-only", "::mlir::FunctionOpInterface"> {
  let summary = "Timing variant: drop the communication (or the compute) of a buffer-level program";
  let description = [{
    Measuring how much communication a schedule hides needs the step time
    of the same program with only its compute and with only its
    communication (the hidden fraction of `bench/overlap/measure.sh`:
    (T_as_written - T_variant) / min(T_compute, T_communication)). This
    pass builds both variants from a buffer-level program (after
    `braid-buffer-pipeline`; `braid-compile --keep-only`), so the arena,
    the streams, the launches and the events stay exactly those of the
    program measured:

    - `work=compute`: every collective on buffers
      (`CommandCollectiveOpInterface`) is erased: its target keeps whatever
      it held, a no-op of the same shape.
    - `work=communication`: every computation on buffers (structured
      `linalg` ops, `braid.cmd.compute`) is erased; collectives, copies
      that pack their buffers, launches and waits stay.

    The results are meaningless: the variants exist to be timed, never to
    be checked.

    ```mlir
    // work=compute
    braid.cmd.all_gather %shard, %gathered on @tp axes = [0]
        : memref<64x256xbf16>, memref<256x256xbf16>
    // is erased; %gathered holds what the arena held.
    ```
  }];
  let options = [
    Option<"work", "work", "::mlir::braid::TimedWork",
           /*default=*/"::mlir::braid::TimedWork::Compute",
           "The work the variant keeps", [{::llvm::cl::values(
             clEnumValN(::mlir::braid::TimedWork::Compute, "compute",
                        "collectives are erased"),
             clEnumValN(::mlir::braid::TimedWork::Communication,
                        "communication", "computations are erased"))}]>
  ];
}

def BraidPlanArena : Pass<"braid-plan-arena", "::mlir::ModuleOp"> {
  let summary = "Give every buffer a static offset in one arena per function";
  let description = [{
    Replaces each `memref.alloc` of a function by a `memref.view` at a
    static offset of one arena, a new last argument marked `braid.arena`.
    A buffer lives from its first to its last access (views are not
    accesses) in the host's issue order, where an access inside a
    `braid.cmd.launch` lasts until the host first waits for the launch's
    event (the launch forks after the host's earlier work, the wait joins);
    buffers accessed only in one launch's body are ordered by the body,
    which its stream runs in order. Two buffers share bytes only when one's
    last access happens before the other's first. Offsets are assigned
    greedily, each buffer at the lowest aligned offset free of the placed
    ones it overlaps, in a few orders (largest first, earliest first,
    longest-lived first); the smallest arena is kept. Output parameters
    marked `bufferize.result` become `braid.result = N`. Reports the arena
    size and the peak of live bytes (each buffer rounded up to the
    alignment: no arena is smaller) as a remark; fails when the arena
    exceeds `memory-budget`.
  }];
  let options = [
    Option<"memoryBudget", "memory-budget", "int64_t", /*default=*/"0",
           "Largest arena in bytes (0: no limit)">,
    Option<"alignment", "alignment", "int64_t", /*default=*/"64",
           "Alignment of every buffer in bytes (a power of two)">,
  ];
  let dependentDialects = ["::mlir::memref::MemRefDialect",
                           "::mlir::arith::ArithDialect"];
}

#endif // BRAID_DIALECT_BRAID_TRANSFORMS_PASSES_TD
