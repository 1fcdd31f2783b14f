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

#endif // BRAID_DIALECT_BRAID_TRANSFORMS_PASSES_TD
