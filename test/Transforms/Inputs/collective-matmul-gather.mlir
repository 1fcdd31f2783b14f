// all_gather -> matmul on 3 ranks (input for decompose-collective-matmul.mlir).
shard.grid @tp(shape = 3)
func.func @main(%x: tensor<5x16xf32>, %w: tensor<16x8xf32>) -> tensor<15x8xf32> {
  %zero = arith.constant 0.0 : f32
  %g = braid.all_gather %x on @tp axes = [0] dim = 0 : tensor<5x16xf32> -> tensor<15x16xf32>
  %e = tensor.empty() : tensor<15x8xf32>
  %i = linalg.fill ins(%zero : f32) outs(%e : tensor<15x8xf32>) -> tensor<15x8xf32>
  %y = linalg.matmul ins(%g, %w : tensor<15x16xf32>, tensor<16x8xf32>) outs(%i : tensor<15x8xf32>) -> tensor<15x8xf32>
  return %y : tensor<15x8xf32>
}
