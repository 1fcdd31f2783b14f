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

def Braid_CommandAllReduceOp : Braid_CommandCollectiveOp<"all_reduce"> {
  let summary = "all_reduce of a buffer; `source` and `target` may be the same";
  let description = !strconcat([{
    ```mlir
    braid.cmd.all_reduce %x, %x on @tp axes = [0] reduction = sum
        : memref<64x128xf32>, memref<64x128xf32>
    ```
  }], commonDescription);
  let arguments = !con(commonArgs, (ins Braid_ReductionKind:$reduction));
  let assemblyFormat = [{
    $source `,` $target `on` $grid `axes` `=` $axes `reduction` `=` $reduction
    attr-dict `:` type($source) `,` type($target)
  }];
}

def Braid_CommandAllGatherOp : Braid_CommandCollectiveOp<"all_gather"> {
  let summary = "concatenate every member's buffer in group order";
  let description = !strconcat([{
    `target` holds `P` blocks, block `i` being member `i`'s `source`.

    ```mlir
    braid.cmd.all_gather %x, %y on @tp axes = [0]
        : memref<64x256xbf16>, memref<256x256xbf16>
    ```
  }], commonDescription);
  let arguments = commonArgs;
  let assemblyFormat = [{
    $source `,` $target `on` $grid `axes` `=` $axes attr-dict
    `:` type($source) `,` type($target)
  }];
}

def Braid_CommandReduceScatterOp : Braid_CommandCollectiveOp<"reduce_scatter"> {
  let summary = "reduce every member's buffer; member i keeps block i";
  let description = !strconcat([{
    `source` holds `P` blocks; `target` of member `i` is the reduction of
    block `i` over the group.

    ```mlir
    braid.cmd.reduce_scatter %p, %y on @tp axes = [0] reduction = sum
        : memref<256x256xf32>, memref<64x256xf32>
    ```
  }], commonDescription);
  let arguments = !con(commonArgs, (ins Braid_ReductionKind:$reduction));
  let assemblyFormat = [{
    $source `,` $target `on` $grid `axes` `=` $axes `reduction` `=` $reduction
    attr-dict `:` type($source) `,` type($target)
  }];
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
    Pure, Terminator, HasParent<"CommandLaunchOp">]> {
  let summary = "end of a braid.cmd.launch body";
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
