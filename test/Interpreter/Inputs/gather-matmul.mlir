// A batch_matmul with an element-wise epilogue, all-gathered along its
// batch (input for fused-collective.mlir).
shard.grid @tp(shape = 2)
func.func @main(%x: tensor<4x8x8xf32>, %w: tensor<4x8x8xf32>, %c: tensor<4x8x8xf32>) -> tensor<8x8x8xf32> {
  %y = linalg.batch_matmul ins(%x, %w : tensor<4x8x8xf32>, tensor<4x8x8xf32>) outs(%c : tensor<4x8x8xf32>) -> tensor<4x8x8xf32>
  %e = tensor.empty() : tensor<4x8x8xf32>
  %a = linalg.elementwise kind=#linalg.elementwise_kind<exp> ins(%y : tensor<4x8x8xf32>) outs(%e : tensor<4x8x8xf32>) -> tensor<4x8x8xf32>
  %g = braid.all_gather %a on @tp axes = [0] dim = 0 : tensor<4x8x8xf32> -> tensor<8x8x8xf32>
  return %g : tensor<8x8x8xf32>
}
