func.func @main(%a0: tensor<4x32x8xf32>) -> (tensor<4x32x8xf32>) {
  %e = tensor.empty() : tensor<4x32x8xf32>
  %r0 = linalg.softmax dimension(1) ins(%a0 : tensor<4x32x8xf32>) outs(%e : tensor<4x32x8xf32>) -> tensor<4x32x8xf32>
  return %r0 : tensor<4x32x8xf32>
}
