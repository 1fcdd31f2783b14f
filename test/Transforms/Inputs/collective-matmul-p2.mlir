// A tensor-parallel MLP on 2 ranks (input for decompose-collective-matmul.mlir).
shard.grid @tp(shape = 2)
func.func @main(%x: tensor<3x16xf32>, %w1: tensor<16x8xf32>, %w2: tensor<8x16xf32>) -> tensor<3x16xf32> {
  %zero = arith.constant 0.0 : f32
  %g = braid.all_gather %x on @tp axes = [0] dim = 0 : tensor<3x16xf32> -> tensor<6x16xf32>
  %e1 = tensor.empty() : tensor<6x8xf32>
  %i1 = linalg.fill ins(%zero : f32) outs(%e1 : tensor<6x8xf32>) -> tensor<6x8xf32>
  %h = linalg.matmul ins(%g, %w1 : tensor<6x16xf32>, tensor<16x8xf32>) outs(%i1 : tensor<6x8xf32>) -> tensor<6x8xf32>
  %a = braid.activation gelu %h : tensor<6x8xf32>
  %e2 = tensor.empty() : tensor<6x16xf32>
  %i2 = linalg.fill ins(%zero : f32) outs(%e2 : tensor<6x16xf32>) -> tensor<6x16xf32>
  %y = linalg.matmul ins(%a, %w2 : tensor<6x8xf32>, tensor<8x16xf32>) outs(%i2 : tensor<6x16xf32>) -> tensor<6x16xf32>
  %s = braid.reduce_scatter %y on @tp axes = [0] dim = 0 reduction = sum : tensor<6x16xf32> -> tensor<3x16xf32>
  return %s : tensor<3x16xf32>
}
