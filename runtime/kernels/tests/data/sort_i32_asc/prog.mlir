func.func @main(%a0: tensor<3x6xi32>) -> (tensor<3x6xi32>, tensor<3x6xi64>) {
  %r0, %r1 = braid.sort %a0 : tensor<3x6xi32> -> tensor<3x6xi32>, tensor<3x6xi64>
  return %r0, %r1 : tensor<3x6xi32>, tensor<3x6xi64>
}
