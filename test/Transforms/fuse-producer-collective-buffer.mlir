// The fused op has no buffer-level lowering yet: the buffer pipeline
// refuses it with the reason instead of producing broken IR.
// RUN: not braid-opt %s --braid-buffer-pipeline -o %t.ignored 2>&1 | FileCheck %s
// CHECK: error: 'braid.fused_collective' op has no buffer-level lowering yet (its counters and triggered communication are to come): compile with braid-overlap-pipeline{fuse=never}

shard.grid @tp(shape = 4)
func.func @main(%x: tensor<16x8xf32>, %w: tensor<8x16xf32>, %c: tensor<16x16xf32>) -> tensor<4x16xf32> {
  %r = braid.fused_collective trigger = #braid.trigger<chunk, count = 4> order = ring {
    %y = linalg.matmul ins(%x, %w : tensor<16x8xf32>, tensor<8x16xf32>) outs(%c : tensor<16x16xf32>) -> tensor<16x16xf32>
    %s = braid.reduce_scatter %y on @tp axes = [0] dim = 0 reduction = sum : tensor<16x16xf32> -> tensor<4x16xf32>
    braid.yield %s : tensor<4x16xf32>
  } : tensor<4x16xf32>
  return %r : tensor<4x16xf32>
}
