func.func @main(%a0: tensor<1x4x8x16xbf16>, %a1: tensor<1x2x12x16xbf16>, %a2: tensor<1x2x12x16xbf16>) -> (tensor<1x4x8x16xbf16>) {
  %r0 = braid.attention %a0, %a1, %a2 {causal} : tensor<1x4x8x16xbf16>, tensor<1x2x12x16xbf16>, tensor<1x2x12x16xbf16> -> tensor<1x4x8x16xbf16>
  return %r0 : tensor<1x4x8x16xbf16>
}
