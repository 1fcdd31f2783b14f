func.func @main(%a0: tensor<16x16xf16>, %a1: tensor<16xi32>, %a2: tensor<8x2xf16>) -> (tensor<8x16xf16>) {
  %r0 = braid.moe_unpermute %a0, %a1, %a2 : tensor<16x16xf16>, tensor<16xi32>, tensor<8x2xf16> -> tensor<8x16xf16>
  return %r0 : tensor<8x16xf16>
}
