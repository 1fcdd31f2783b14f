func.func @main(%a0: tensor<4x6xi64>, %a1: tensor<3xi64>) -> (tensor<4x3xi64>) {
  %r0 = braid.gather %a0[%a1] axis = 1 : tensor<4x6xi64>, tensor<3xi64> -> tensor<4x3xi64>
  return %r0 : tensor<4x3xi64>
}
