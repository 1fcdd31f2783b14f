// Both router forms on 64 tokens and 8 experts (input for raise-moe.mlir).
func.func @main(%logits: tensor<64x8xf32>) -> (tensor<64x2xf32>, tensor<64x2xi32>, tensor<64x2xf32>, tensor<64x2xi32>) {
  %v, %i = braid.topk %logits {k = 2 : i64} : tensor<64x8xf32> -> tensor<64x2xf32>, tensor<64x2xi32>
  %e = tensor.empty() : tensor<64x2xf32>
  %w = linalg.softmax dimension(1) ins(%v : tensor<64x2xf32>) outs(%e : tensor<64x2xf32>) -> tensor<64x2xf32>
  %e8 = tensor.empty() : tensor<64x8xf32>
  %p = linalg.softmax dimension(1) ins(%logits : tensor<64x8xf32>) outs(%e8 : tensor<64x8xf32>) -> tensor<64x8xf32>
  %v2, %i2 = braid.topk %p {k = 2 : i64} : tensor<64x8xf32> -> tensor<64x2xf32>, tensor<64x2xi32>
  return %w, %i, %v2, %i2 : tensor<64x2xf32>, tensor<64x2xi32>, tensor<64x2xf32>, tensor<64x2xi32>
}
