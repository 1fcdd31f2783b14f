func.func @main(%a0: tensor<6x256xf32>) -> (tensor<6x256xf32>) {
  %e = tensor.empty() : tensor<6x256xf32>
  %r0 = linalg.softmax dimension(1) ins(%a0 : tensor<6x256xf32>) outs(%e : tensor<6x256xf32>) -> tensor<6x256xf32>
  return %r0 : tensor<6x256xf32>
}
