func.func @main(%a0: tensor<2x2x4x8xf16>, %a1: tensor<2x2x6x8xf16>, %a2: tensor<2x2x6x8xf16>, %a3: tensor<2x1x4x6xf16>) -> (tensor<2x2x4x8xf16>) {
  %r0 = braid.attention %a0, %a1, %a2 mask %a3 : tensor<2x2x4x8xf16>, tensor<2x2x6x8xf16>, tensor<2x2x6x8xf16>, tensor<2x1x4x6xf16> -> tensor<2x2x4x8xf16>
  return %r0 : tensor<2x2x4x8xf16>
}
