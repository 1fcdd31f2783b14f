// all_gather -> two matmuls (gate and up, bf16 operands, f32 accumulators)
// on 4 ranks (input for decompose-collective-matmul.mlir).
shard.grid @tp(shape = 4)
func.func @main(%x: tensor<5x16xbf16>, %wg: tensor<16x8xbf16>, %wu: tensor<16x8xbf16>) -> (tensor<20x8xf32>, tensor<20x8xf32>) {
  %zero = arith.constant 0.0 : f32
  %g = braid.all_gather %x on @tp axes = [0] dim = 0 : tensor<5x16xbf16> -> tensor<20x16xbf16>
  %e = tensor.empty() : tensor<20x8xf32>
  %i = linalg.fill ins(%zero : f32) outs(%e : tensor<20x8xf32>) -> tensor<20x8xf32>
  %gate = linalg.matmul ins(%g, %wg : tensor<20x16xbf16>, tensor<16x8xbf16>) outs(%i : tensor<20x8xf32>) -> tensor<20x8xf32>
  %up = linalg.matmul ins(%g, %wu : tensor<20x16xbf16>, tensor<16x8xbf16>) outs(%i : tensor<20x8xf32>) -> tensor<20x8xf32>
  return %gate, %up : tensor<20x8xf32>, tensor<20x8xf32>
}
