func.func @main(%a0: tensor<2x2x5x4xf32>, %a1: tensor<2x2x5x4xf32>, %a2: tensor<2x2x5x4xf32>, %a3: tensor<2x1x1x5xf32>) -> (tensor<2x2x5x4xf32>) {
  %r0 = braid.attention %a0, %a1, %a2 mask %a3 : tensor<2x2x5x4xf32>, tensor<2x2x5x4xf32>, tensor<2x2x5x4xf32>, tensor<2x1x1x5xf32> -> tensor<2x2x5x4xf32>
  return %r0 : tensor<2x2x5x4xf32>
}
