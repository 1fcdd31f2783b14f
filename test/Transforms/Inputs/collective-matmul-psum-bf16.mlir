// What JAX emits for `psum(x @ w)` in bf16 on 4 ranks: the f32 accumulator
// truncated to bf16, the rows split back into (batch, sequence), then the
// all_reduce (input for decompose-collective-matmul.mlir).
shard.grid @mesh(shape = 4)
func.func @main(%a: tensor<10x16xbf16>, %w: tensor<16x8xbf16>) -> tensor<2x5x8xbf16> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<10x8xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<10x8xf32>) -> tensor<10x8xf32>
  %p = linalg.matmul ins(%a, %w : tensor<10x16xbf16>, tensor<16x8xbf16>) outs(%z : tensor<10x8xf32>) -> tensor<10x8xf32>
  %t = arith.truncf %p : tensor<10x8xf32> to tensor<10x8xbf16>
  %x = tensor.expand_shape %t [[0, 1], [2]] output_shape [2, 5, 8] : tensor<10x8xbf16> into tensor<2x5x8xbf16>
  %r = braid.all_reduce %x on @mesh axes = [0] reduction = sum : tensor<2x5x8xbf16>
  return %r : tensor<2x5x8xbf16>
}
