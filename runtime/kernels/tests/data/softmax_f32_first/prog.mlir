func.func @main(%a0: tensor<16x6xf32>) -> (tensor<16x6xf32>) {
  %e = tensor.empty() : tensor<16x6xf32>
  %r0 = linalg.softmax dimension(0) ins(%a0 : tensor<16x6xf32>) outs(%e : tensor<16x6xf32>) -> tensor<16x6xf32>
  return %r0 : tensor<16x6xf32>
}
