// Backward of a column-parallel then row-parallel MLP on 3 ranks with
// sequence parallelism (input for decompose-collective-matmul.mlir): the
// gathered gradient feeds dgrad (left operand: rows) and wgrad (right
// operand: K); dX accumulates two matmuls before its reduce_scatter.
shard.grid @tp(shape = 3)
func.func @main(%dy: tensor<3x16xf32>, %w_down_t: tensor<16x8xf32>, %h_t: tensor<8x9xf32>,
                %dg: tensor<9x8xf32>, %du: tensor<9x8xf32>,
                %w_gate_t: tensor<8x16xf32>, %w_up_t: tensor<8x16xf32>)
    -> (tensor<9x8xf32>, tensor<8x16xf32>, tensor<3x16xf32>) {
  %zero = arith.constant 0.0 : f32
  %dY = braid.all_gather %dy on @tp axes = [0] dim = 0 : tensor<3x16xf32> -> tensor<9x16xf32>
  %e0 = tensor.empty() : tensor<9x8xf32>
  %z0 = linalg.fill ins(%zero : f32) outs(%e0 : tensor<9x8xf32>) -> tensor<9x8xf32>
  %e2 = tensor.empty() : tensor<8x16xf32>
  %z2 = linalg.fill ins(%zero : f32) outs(%e2 : tensor<8x16xf32>) -> tensor<8x16xf32>
  %dH = linalg.matmul ins(%dY, %w_down_t : tensor<9x16xf32>, tensor<16x8xf32>) outs(%z0 : tensor<9x8xf32>) -> tensor<9x8xf32>
  %dW = linalg.matmul ins(%h_t, %dY : tensor<8x9xf32>, tensor<9x16xf32>) outs(%z2 : tensor<8x16xf32>) -> tensor<8x16xf32>
  %e1 = tensor.empty() : tensor<9x16xf32>
  %z1 = linalg.fill ins(%zero : f32) outs(%e1 : tensor<9x16xf32>) -> tensor<9x16xf32>
  %dXg = linalg.matmul ins(%dg, %w_gate_t : tensor<9x8xf32>, tensor<8x16xf32>) outs(%z1 : tensor<9x16xf32>) -> tensor<9x16xf32>
  %dX = linalg.matmul ins(%du, %w_up_t : tensor<9x8xf32>, tensor<8x16xf32>) outs(%dXg : tensor<9x16xf32>) -> tensor<9x16xf32>
  %dx = braid.reduce_scatter %dX on @tp axes = [0] dim = 0 reduction = sum : tensor<9x16xf32> -> tensor<3x16xf32>
  return %dH, %dW, %dx : tensor<9x8xf32>, tensor<8x16xf32>, tensor<3x16xf32>
}
