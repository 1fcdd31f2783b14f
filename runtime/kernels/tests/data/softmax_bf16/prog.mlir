func.func @main(%a0: tensor<8x64xbf16>) -> (tensor<8x64xbf16>) {
  %e = tensor.empty() : tensor<8x64xbf16>
  %r0 = linalg.softmax dimension(1) ins(%a0 : tensor<8x64xbf16>) outs(%e : tensor<8x64xbf16>) -> tensor<8x64xbf16>
  return %r0 : tensor<8x64xbf16>
}
