func.func @main(%a0: tensor<1x4x3x4xf32>, %a1: tensor<1x1x3x4xf32>, %a2: tensor<1x1x3x4xf32>) -> (tensor<1x4x3x4xf32>) {
  %r0 = braid.attention %a0, %a1, %a2 : tensor<1x4x3x4xf32>, tensor<1x1x3x4xf32>, tensor<1x1x3x4xf32> -> tensor<1x4x3x4xf32>
  return %r0 : tensor<1x4x3x4xf32>
}
