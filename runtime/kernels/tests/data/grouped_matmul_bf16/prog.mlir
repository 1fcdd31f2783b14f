func.func @main(%a0: tensor<16x32xbf16>, %a1: tensor<2x32x8xbf16>, %a2: tensor<2xi32>) -> (tensor<16x8xbf16>) {
  %r0 = braid.grouped_matmul %a0, %a1, %a2 : tensor<16x32xbf16>, tensor<2x32x8xbf16>, tensor<2xi32> -> tensor<16x8xbf16>
  return %r0 : tensor<16x8xbf16>
}
