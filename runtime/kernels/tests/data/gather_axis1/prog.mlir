func.func @main(%a0: tensor<3x5x2xf32>, %a1: tensor<2x4xi32>) -> (tensor<3x2x4x2xf32>) {
  %r0 = braid.gather %a0[%a1] axis = 1 : tensor<3x5x2xf32>, tensor<2x4xi32> -> tensor<3x2x4x2xf32>
  return %r0 : tensor<3x2x4x2xf32>
}
