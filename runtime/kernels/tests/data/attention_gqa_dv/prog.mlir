func.func @main(%a0: tensor<2x4x3x4xf32>, %a1: tensor<2x2x5x4xf32>, %a2: tensor<2x2x5x6xf32>) -> (tensor<2x4x3x6xf32>) {
  %r0 = braid.attention %a0, %a1, %a2 : tensor<2x4x3x4xf32>, tensor<2x2x5x4xf32>, tensor<2x2x5x6xf32> -> tensor<2x4x3x6xf32>
  return %r0 : tensor<2x4x3x6xf32>
}
