//===- BraidCommandOps.td - buffer-level braid ops -----------*- tablegen -*-===//
//
// The buffer level (docs/Lowering.md): collectives on memrefs, tensor
// computations applied to buffers, work launched on streams and the events
// that join it. A family of its own, as IREE's stream.cmd.* ops are apart
// from its async value ops: tensor-level passes never see these ops, and
// the lowering to host code sees nothing else from braid.
//
//===----------------------------------------------------------------------===//

#ifndef BRAID_DIALECT_BRAID_IR_BRAIDCOMMANDOPS_TD
#define BRAID_DIALECT_BRAID_IR_BRAIDCOMMANDOPS_TD

include "braid/Dialect/Braid/IR/BraidDialect.td"
include "braid/Dialect/Braid/IR/BraidAttrs.td"
include "braid/Dialect/Braid/IR/BraidTypes.td"
include "braid/Dialect/Braid/IR/BraidInterfaces.td"
include "mlir/Interfaces/ControlFlowInterfaces.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/IR/SymbolInterfaces.td"
include "mlir/IR/CommonAttrConstraints.td"

class Braid_CommandOp<string mnemonic, list<Trait> traits = []>
    : Braid_Op<"cmd." # mnemonic, traits>;

def Braid_CommandGridAxes : DenseArrayAttrBase<"DenseI16ArrayAttr", "int16_t", "i16">;

//===----------------------------------------------------------------------===//
// Collectives on buffers
//===----------------------------------------------------------------------===//

class Braid_CommandCollectiveOp<string mnemonic, list<Trait> traits = []>
    : Braid_CommandOp<mnemonic, !listconcat(traits, [
        DeclareOpInterfaceMethods<SymbolUserOpInterface>,
        Braid_CommandCollectiveOpInterface])> {
  dag commonArgs = (ins Arg<AnyStaticShapeMemRef, "", [MemRead]>:$source,
                        Arg<AnyStaticShapeMemRef, "", [MemWrite]>:$target,
                        FlatSymbolRefAttr:$grid, Braid_CommandGridAxes:$axes);
  let hasVerifier = 1;
  // all_reduce, reduce_scatter and all_gather may be triggered by a
  // braid.cmd.chunked_compute producer (producer fusion).
  dag triggerArgs = (ins Optional<Braid_CounterType>:$counter,
                         Optional<I64>:$epoch,
                         OptionalAttr<ConfinedAttr<I64Attr, [IntPositive]>>:$chunks,
                         OptionalAttr<ConfinedAttr<I64Attr, [IntPositive]>>:$tiles);
  code triggerFormat = [{
    (`after` $counter^ `[` $epoch `]` `chunks` `=` $chunks `tiles` `=` $tiles)?
  }];
  code triggerDescription = [{

    Triggered form (`after %counter[%epoch] chunks = C tiles = T`, from
    `braid.fused_collective`): `source` is the output of the
    `braid.cmd.chunked_compute` that releases `%counter` with the same
    epoch, chunks and tiles. The source is cut into `C` contiguous chunks;
    the collective sends a chunk only once the producer has stored it
    (the counter reached `(epoch * C + position + 1) * T`, position being
    the chunk's place in the producer's order), so it may be issued before
    its producer and overlap it. A reduce_scatter or all_reduce then runs as
    the T3 ring: every chunk is reduced starting at the rank after its owner
    (ring order, reassociated within the numerics contract); an all_gather
    moves the chunks in natural order and is bitwise the plain one.
  }];
  code commonDescription = [{
    Buffer level: reads `source` and writes `target`, both contiguous
    row-major buffers of the same element type, on the stream of the
    enclosing `braid.cmd.launch` (the host stream outside one). The group is
    formed by `axes` of the `shard.grid` named `grid`, as for the tensor
    collective this op comes from. Blocks are contiguous: block `i` of a
    buffer holding `P` blocks is its `i`-th `1/P` of the elements, so a
    gather or scatter along an inner dimension is lowered to this op and a
    copy through a transposed view.
  }];
  let extraClassDeclaration = [{
    /// Elements of `source` and of `target`.
    int64_t getSourceElements() { return getSource().getType().getNumElements(); }
    int64_t getTargetElements() { return getTarget().getType().getNumElements(); }
  }];
}

def Braid_CommandAllReduceOp : Braid_CommandCollectiveOp<"all_reduce",
                                                         [AttrSizedOperandSegments]> {
  let summary = "all_reduce of a buffer; `source` and `target` may be the same";
  let description = !strconcat([{
    ```mlir
    braid.cmd.all_reduce %x, %x on @tp axes = [0] reduction = sum
        : memref<64x128xf32>, memref<64x128xf32>
    ```
  }], commonDescription, triggerDescription);
  let arguments = !con(commonArgs, (ins Braid_ReductionKind:$reduction), triggerArgs);
  let assemblyFormat = !strconcat([{
    $source `,` $target `on` $grid `axes` `=` $axes `reduction` `=` $reduction
  }], triggerFormat, [{
    attr-dict `:` type($source) `,` type($target)
  }]);
}

def Braid_CommandAllGatherOp : Braid_CommandCollectiveOp<"all_gather",
                                                         [AttrSizedOperandSegments]> {
  let summary = "concatenate every member's buffer in group order";
  let description = !strconcat([{
    `target` holds `P` blocks, block `i` being member `i`'s `source`.

    ```mlir
    braid.cmd.all_gather %x, %y on @tp axes = [0]
        : memref<64x256xbf16>, memref<256x256xbf16>
    ```
  }], commonDescription, triggerDescription);
  let arguments = !con(commonArgs, triggerArgs);
  let assemblyFormat = !strconcat([{
    $source `,` $target `on` $grid `axes` `=` $axes
  }], triggerFormat, [{
    attr-dict `:` type($source) `,` type($target)
  }]);
}

def Braid_CommandReduceScatterOp : Braid_CommandCollectiveOp<"reduce_scatter",
                                                             [AttrSizedOperandSegments]> {
  let summary = "reduce every member's buffer; member i keeps block i";
  let description = !strconcat([{
    `source` holds `P` blocks; `target` of member `i` is the reduction of
    block `i` over the group.

    ```mlir
    braid.cmd.reduce_scatter %p, %y on @tp axes = [0] reduction = sum
        : memref<256x256xf32>, memref<64x256xf32>
    braid.cmd.reduce_scatter %p, %y on @tp axes = [0] reduction = sum
        after %counter[%epoch] chunks = 4 tiles = 1
        : memref<256x256xf32>, memref<64x256xf32>
    ```
  }], commonDescription, triggerDescription);
  let arguments = !con(commonArgs, (ins Braid_ReductionKind:$reduction), triggerArgs);
  let assemblyFormat = !strconcat([{
    $source `,` $target `on` $grid `axes` `=` $axes `reduction` `=` $reduction
  }], triggerFormat, [{
    attr-dict `:` type($source) `,` type($target)
  }]);
}

def Braid_CommandAllToAllOp : Braid_CommandCollectiveOp<"all_to_all"> {
  let summary = "block j of member i's source becomes block i of member j's target";
  let description = !strconcat([{
    ```mlir
    braid.cmd.all_to_all %x, %y on @ep axes = [0]
        : memref<64x32xf32>, memref<64x32xf32>
    ```
  }], commonDescription);
  let arguments = commonArgs;
  let assemblyFormat = [{
    $source `,` $target `on` $grid `axes` `=` $axes attr-dict
    `:` type($source) `,` type($target)
  }];
}

def Braid_CommandCollectivePermuteOp
    : Braid_CommandCollectiveOp<"collective_permute"> {
  let summary = "point-to-point transfers of a buffer within a group";
  let description = !strconcat([{
    Each `[source, target]` pair of group positions copies the source
    rank's `source` into the target rank's `target`; a rank no pair targets
    gets zeros. Sends and receives of one op are posted together.

    ```mlir
    braid.cmd.collective_permute %x, %y on @tp axes = [0]
        pairs = [0, 1, 1, 2, 2, 3, 3, 0] : memref<16x128xf32>, memref<16x128xf32>
    ```
  }], commonDescription);
  let arguments = !con(commonArgs, (ins DenseI64ArrayAttr:$pairs));
  let assemblyFormat = [{
    $source `,` $target `on` $grid `axes` `=` $axes `pairs` `=` $pairs
    attr-dict `:` type($source) `,` type($target)
  }];
}

def Braid_CommandBroadcastOp : Braid_CommandCollectiveOp<"broadcast"> {
  let summary = "every member's target becomes the root's source";
  let description = !strconcat([{
    ```mlir
    braid.cmd.broadcast %x, %y on @tp axes = [0] root = 0
        : memref<16xf32>, memref<16xf32>
    ```
  }], commonDescription);
  let arguments = !con(commonArgs, (ins ConfinedAttr<I64Attr, [IntNonNegative]>:$root));
  let assemblyFormat = [{
    $source `,` $target `on` $grid `axes` `=` $axes `root` `=` $root
    attr-dict `:` type($source) `,` type($target)
  }];
}

//===----------------------------------------------------------------------===//
// Tensor computation on buffers
//===----------------------------------------------------------------------===//

def Braid_CommandComputeOp : Braid_CommandOp<"compute", [
    AttrSizedOperandSegments, SingleBlock,
    SingleBlockImplicitTerminator<"::mlir::braid::CommandYieldOp">]> {
  let summary = "apply a tensor computation to buffers";
  let description = [{
    Buffer level. Reads `inputs` as tensors (the body's arguments), runs the
    body and writes the yielded tensors into `outputs`. Bufferization wraps
    each braid layer op (rmsnorm, attention, swiglu, ...) in one, so the
    op keeps its tensor semantics, verifier and interpreter, and the
    lowering maps it to one runtime kernel call on the buffers.

    ```mlir
    braid.cmd.compute ins(%x, %w : memref<64x256xbf16>, memref<256xbf16>)
                      outs(%y : memref<64x256xbf16>) {
    ^bb0(%tx: tensor<64x256xbf16>, %tw: tensor<256xbf16>):
      %r = braid.rmsnorm %tx, %tw {epsilon = 1.0e-5 : f32}
          : tensor<64x256xbf16>, tensor<256xbf16> -> tensor<64x256xbf16>
      braid.cmd.yield %r : tensor<64x256xbf16>
    }
    ```
  }];
  let arguments = (ins Arg<Variadic<AnyStaticShapeMemRef>, "", [MemRead]>:$inputs,
                       Arg<Variadic<AnyStaticShapeMemRef>, "", [MemWrite]>:$outputs);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = [{
    (`ins` `(` $inputs^ `:` type($inputs) `)`)?
    `outs` `(` $outputs `:` type($outputs) `)` $body attr-dict
  }];
  let hasRegionVerifier = 1;
  let extraClassDeclaration = [{
    /// The body's single tensor op when the body is exactly one op and the
    /// yield, else nullptr (what the lowering maps to a kernel).
    ::mlir::Operation *getSingleComputation();
    CommandYieldOp getYield();
  }];
}

def Braid_CommandYieldOp : Braid_CommandOp<"yield", [
    Pure, Terminator, ReturnLike, HasParent<"CommandComputeOp">]> {
  let summary = "the tensors a braid.cmd.compute writes into its outputs";
  let arguments = (ins Variadic<AnyRankedTensor>:$values);
  let builders = [OpBuilder<(ins), [{ build($_builder, $_state, ::mlir::ValueRange()); }]>];
  let assemblyFormat = "attr-dict ($values^ `:` type($values))?";
}

//===----------------------------------------------------------------------===//
// Producer fusion: counters, a producer that releases them
//===----------------------------------------------------------------------===//

def Braid_CommandCounterOp : Braid_CommandOp<"counter"> {
  let summary = "a counter of the program (one per producer / collective pair)";
  let description = [{
    Buffer level. Names one of the program's counters (`!braid.counter`);
    the op is a declaration: executed again (in a loop) it names the same
    counter. It has effects so that two counters are never merged.

    ```mlir
    %counter = braid.cmd.counter : !braid.counter
    ```
  }];
  let results = (outs Braid_CounterType:$counter);
  let assemblyFormat = "attr-dict `:` type($counter)";
}

def Braid_CommandNextEpochOp : Braid_CommandOp<"next_epoch", [
    MemoryEffects<[MemRead, MemWrite]>]> {
  let summary = "the epoch of a counter's next producer / collective pair";
  let description = [{
    Buffer level. Returns 0, 1, 2, ... on successive executions over the
    program's life (steps and loop iterations alike), the same on every
    rank. Exactly one `braid.cmd.chunked_compute` and one triggered
    collective use the result, with this op's counter: the producer
    releases values `(epoch * chunks + position) * tiles + tile + 1` and
    the collective waits for `(epoch * chunks + position + 1) * tiles`, so
    no pair is ever satisfied by an earlier pair's releases. The verifier
    checks that pairing, that the producer's output is what the collective
    sends, that their chunks, tiles and order agree, and that no wait is
    issued where its producer could never run (before it on the host
    stream or on the producer's own stream).

    ```mlir
    %epoch = braid.cmd.next_epoch %counter : i64
    ```
  }];
  let arguments = (ins Braid_CounterType:$counter);
  let results = (outs I64:$epoch);
  let assemblyFormat = "$counter attr-dict `:` type($epoch)";
  let hasVerifier = 1;
}

def Braid_CommandChunkedComputeOp : Braid_CommandOp<"chunked_compute", [
    RecursiveMemoryEffects, SingleBlock,
    SingleBlockImplicitTerminator<"::mlir::braid::CommandEndOp">,
    DeclareOpInterfaceMethods<SymbolUserOpInterface>]> {
  let summary = "compute a buffer in chunks, releasing a counter after each";
  let description = [{
    Buffer level: the producer of `braid.fused_collective`. The body (buffer
    ops that write only `output`, a contiguous buffer, and temporaries a
    later op of the body reads) computes `output`;
    the op computes it in `chunks` contiguous chunks, each in `tiles` tile
    blocks, in `order`: `ring` is the ring order of this rank in the group
    (`axes` of `grid`), position `s * k + q` being chunk
    `((rank - s - 1) mod P) * k + q` with `k = chunks / P`, the order a T3
    reduce-scatter consumes them; `arrival` is natural order. After tile `t`
    of position `i` it raises `counter` to `(epoch * chunks + i) * tiles +
    t + 1` (a release: the chunk's stores happen before a waiter's loads).
    Cutting a contraction along M is exact, so every chunk holds the same
    bits as the whole computation.

    ```mlir
    braid.cmd.chunked_compute %c release %counter[%epoch] chunks = 4
        tiles = 1 order = ring on @tp axes = [0] : memref<64x16xf32> {
      linalg.matmul ins(%a, %b : memref<64x32xf32>, memref<32x16xf32>)
                    outs(%c : memref<64x16xf32>)
    }
    ```

    The CPU and CUDA targets lower a body of one `linalg.matmul` (its init
    already in its output buffer) to the runtime's chunked GEMM
    (`braid_exec_gemm_signal`), optionally followed by an epilogue: linalg
    ops of parallel loops from the matmul's result to `output` whose
    operands index the output's row loop by itself. The epilogue is
    outlined into a function of one block of rows, which the chunked GEMM
    runs on each tile block's rows before it releases them (the rows must
    cut into `chunks * tiles` equal blocks):

    ```mlir
    braid.cmd.chunked_compute %out release %counter[%epoch] chunks = 4
        tiles = 1 order = ring on @tp axes = [0] : memref<64x16xf32> {
      linalg.matmul ins(%a, %b : memref<64x32xf32>, memref<32x16xf32>)
                    outs(%c : memref<64x16xf32>)
      linalg.generic {indexing_maps = [#identity, #bias, #identity], ...}
          ins(%c, %bias : memref<64x16xf32>, memref<16xf32>)
          outs(%out : memref<64x16xf32>) { ... }
    }
    ```

    Both targets lower a body of one `braid.cmd.compute` of a
    `braid.grouped_matmul` to the runtime's chunked grouped matmul
    (`braid_exec_grouped_matmul_signal`, row chunks, each row in its
    expert's GEMM).
  }];
  let arguments = (ins AnyStaticShapeMemRef:$output, Braid_CounterType:$counter,
                       I64:$epoch, ConfinedAttr<I64Attr, [IntPositive]>:$chunks,
                       ConfinedAttr<I64Attr, [IntPositive]>:$tiles,
                       Braid_FusionOrder:$order, FlatSymbolRefAttr:$grid,
                       Braid_CommandGridAxes:$axes);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = [{
    $output `release` $counter `[` $epoch `]` `chunks` `=` $chunks
    `tiles` `=` $tiles `order` `=` $order `on` $grid `axes` `=` $axes
    attr-dict `:` type($output) $body
  }];
  let hasRegionVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Streams and events
//===----------------------------------------------------------------------===//

def Braid_CommandLaunchOp : Braid_CommandOp<"launch", [
    RecursiveMemoryEffects, SingleBlock,
    SingleBlockImplicitTerminator<"::mlir::braid::CommandEndOp">]> {
  let summary = "enqueue work on a worker stream; returns its completion event";
  let description = [{
    Buffer level. Enqueues the ops of the body, in order, on worker stream
    `stream` (1 or more; stream 0 is the host) with scheduling priority
    `priority` (higher first), after all work the host stream has issued so
    far (a fork), and returns an event that completes when the body has run.
    Only `braid.cmd.wait` on that event makes the body's writes visible to
    the host stream: reading them before is a race, which the interpreter
    reports. Communication in the body is still issued by the host thread in
    program order on every rank.

    ```mlir
    %done = braid.cmd.launch stream = 1 priority = 2 {
      braid.cmd.all_reduce %x, %y on @tp axes = [0] reduction = sum
          : memref<2x16x64xbf16>, memref<2x16x64xbf16>
    }
    ...
    braid.cmd.wait %done
    ```
  }];
  let arguments = (ins ConfinedAttr<I64Attr, [IntPositive]>:$stream,
                       DefaultValuedAttr<I64Attr, "0">:$priority);
  let results = (outs Braid_EventType:$done);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = [{
    `stream` `=` $stream (`priority` `=` $priority^)? $body attr-dict
  }];
  let hasRegionVerifier = 1;
}

def Braid_CommandEndOp : Braid_CommandOp<"end", [
    Pure, Terminator, ParentOneOf<["CommandLaunchOp", "CommandChunkedComputeOp"]>]> {
  let summary = "end of a braid.cmd.launch or braid.cmd.chunked_compute body";
  let assemblyFormat = "attr-dict";
}

def Braid_CommandWaitOp : Braid_CommandOp<"wait", [
    MemoryEffects<[MemRead, MemWrite]>]> {
  let summary = "the host stream waits for an event";
  let description = [{
    Buffer level. Work the host stream issues after this op starts after the
    launch that produced `event` has completed (a join).

    ```mlir
    braid.cmd.wait %done
    ```
  }];
  let arguments = (ins Braid_EventType:$event);
  let assemblyFormat = "$event attr-dict";
  let hasVerifier = 1;
}

#endif // BRAID_DIALECT_BRAID_IR_BRAIDCOMMANDOPS_TD
