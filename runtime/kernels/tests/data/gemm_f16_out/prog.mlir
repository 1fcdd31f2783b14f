func.func @main(%a0: tensor<16x64xf16>, %a1: tensor<64x8xf16>, %a2: tensor<16x8xf16>) -> (tensor<16x8xf16>) {
  %r0 = linalg.matmul ins(%a0, %a1 : tensor<16x64xf16>, tensor<64x8xf16>) outs(%a2 : tensor<16x8xf16>) -> tensor<16x8xf16>
  return %r0 : tensor<16x8xf16>
}
