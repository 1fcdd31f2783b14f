func.func @main(%a0: tensor<32x16xbf16>, %a1: tensor<4x5xi32>) -> (tensor<4x5x16xbf16>) {
  %r0 = braid.gather %a0[%a1] axis = 0 : tensor<32x16xbf16>, tensor<4x5xi32> -> tensor<4x5x16xbf16>
  return %r0 : tensor<4x5x16xbf16>
}
