func.func @main(%a0: tensor<10x4xf32>, %a1: tensor<3xi64>) -> (tensor<3x4xf32>) {
  %r0 = braid.gather %a0[%a1] axis = 0 : tensor<10x4xf32>, tensor<3xi64> -> tensor<3x4xf32>
  return %r0 : tensor<3x4xf32>
}
