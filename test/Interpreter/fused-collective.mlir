// braid.fused_collective runs its producer, then its collective in the
// trigger's order. Arrival order (all_gather) is bitwise the plain
// all_gather; ring order reduces each chunk starting at the rank after its
// owner: within the numerics contract of the plain reduce_scatter, and
// bitwise what the separate T3 ring GEMMs compute.
// RUN: %braid-diff %S/Inputs/gather-matmul.mlir --compare=%s --exact
// RUN: %braid-diff %S/../Transforms/Inputs/collective-matmul-p4.mlir --compare=%S/Inputs/fused-mlp-p4.mlir
// RUN: not %braid-diff %S/../Transforms/Inputs/collective-matmul-p4.mlir --compare=%S/Inputs/fused-mlp-p4.mlir --exact 2>&1 | FileCheck %s --check-prefix=REASSOCIATED
// REASSOCIATED: error: not bitwise equal
// RUN: braid-opt %S/../Transforms/Inputs/collective-matmul-p4.mlir --pass-pipeline='builtin.module(func.func(braid-decompose-collective-matmul{force=true}))' -o %t.rings.mlir
// RUN: %braid-diff %t.rings.mlir --compare=%S/Inputs/fused-mlp-p4.mlir --exact
// Three chunks per ring step reduce each in the order of its whole block:
// bitwise the one-chunk ring.
// RUN: sed 's/count = 4> order = ring/count = 12> order = ring/' %S/Inputs/fused-mlp-p4.mlir > %t.k3.mlir
// RUN: grep -q "count = 12> order = ring" %t.k3.mlir
// RUN: %braid-diff %S/Inputs/fused-mlp-p4.mlir --compare=%t.k3.mlir --exact

shard.grid @tp(shape = 2)
func.func @main(%x: tensor<4x8x8xf32>, %w: tensor<4x8x8xf32>, %c: tensor<4x8x8xf32>) -> tensor<8x8x8xf32> {
  %r = braid.fused_collective trigger = #braid.trigger<chunk, count = 2> order = arrival {
    %y = linalg.batch_matmul ins(%x, %w : tensor<4x8x8xf32>, tensor<4x8x8xf32>) outs(%c : tensor<4x8x8xf32>) -> tensor<4x8x8xf32>
    %e = tensor.empty() : tensor<4x8x8xf32>
    %a = linalg.elementwise kind=#linalg.elementwise_kind<exp> ins(%y : tensor<4x8x8xf32>) outs(%e : tensor<4x8x8xf32>) -> tensor<4x8x8xf32>
    %g = braid.all_gather %a on @tp axes = [0] dim = 0 : tensor<4x8x8xf32> -> tensor<8x8x8xf32>
    braid.yield %g : tensor<8x8x8xf32>
  } : tensor<8x8x8xf32>
  return %r : tensor<8x8x8xf32>
}
