func.func @main(%a0: tensor<64x32xbf16>, %a1: tensor<64xi64>, %a2: tensor<16x4xf32>) -> (tensor<16x32xbf16>) {
  %r0 = braid.moe_unpermute %a0, %a1, %a2 : tensor<64x32xbf16>, tensor<64xi64>, tensor<16x4xf32> -> tensor<16x32xbf16>
  return %r0 : tensor<16x32xbf16>
}
