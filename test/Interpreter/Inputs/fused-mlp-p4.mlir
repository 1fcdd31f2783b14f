// collective-matmul-p4.mlir (Transforms/Inputs) with FC2 fused with its
// reduce_scatter by hand, chunk trigger in ring order (input for
// fused-collective.mlir).
shard.grid @tp(shape = 4)
func.func @main(%x: tensor<3x16xf32>, %w1: tensor<16x8xf32>, %w2: tensor<8x16xf32>) -> tensor<3x16xf32> {
  %zero = arith.constant 0.0 : f32
  %g = braid.all_gather %x on @tp axes = [0] dim = 0 : tensor<3x16xf32> -> tensor<12x16xf32>
  %e1 = tensor.empty() : tensor<12x8xf32>
  %i1 = linalg.fill ins(%zero : f32) outs(%e1 : tensor<12x8xf32>) -> tensor<12x8xf32>
  %h = linalg.matmul ins(%g, %w1 : tensor<12x16xf32>, tensor<16x8xf32>) outs(%i1 : tensor<12x8xf32>) -> tensor<12x8xf32>
  %a = braid.activation gelu %h : tensor<12x8xf32>
  %e2 = tensor.empty() : tensor<12x16xf32>
  %i2 = linalg.fill ins(%zero : f32) outs(%e2 : tensor<12x16xf32>) -> tensor<12x16xf32>
  %s = braid.fused_collective trigger = #braid.trigger<chunk, count = 4> order = ring {
    %y = linalg.matmul ins(%a, %w2 : tensor<12x8xf32>, tensor<8x16xf32>) outs(%i2 : tensor<12x16xf32>) -> tensor<12x16xf32>
    %r = braid.reduce_scatter %y on @tp axes = [0] dim = 0 reduction = sum : tensor<12x16xf32> -> tensor<3x16xf32>
    braid.yield %r : tensor<3x16xf32>
  } : tensor<3x16xf32>
  return %s : tensor<3x16xf32>
}
