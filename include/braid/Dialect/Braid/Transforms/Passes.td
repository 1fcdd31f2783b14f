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

#endif // BRAID_DIALECT_BRAID_TRANSFORMS_PASSES_TD
