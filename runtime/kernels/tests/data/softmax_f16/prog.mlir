func.func @main(%a0: tensor<8x64xf16>) -> (tensor<8x64xf16>) {
  %e = tensor.empty() : tensor<8x64xf16>
  %r0 = linalg.softmax dimension(1) ins(%a0 : tensor<8x64xf16>) outs(%e : tensor<8x64xf16>) -> tensor<8x64xf16>
  return %r0 : tensor<8x64xf16>
}
