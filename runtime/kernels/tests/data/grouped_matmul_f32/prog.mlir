func.func @main(%a0: tensor<7x4xf32>, %a1: tensor<3x4x5xf32>, %a2: tensor<3xi64>) -> (tensor<7x5xf32>) {
  %r0 = braid.grouped_matmul %a0, %a1, %a2 : tensor<7x4xf32>, tensor<3x4x5xf32>, tensor<3xi64> -> tensor<7x5xf32>
  return %r0 : tensor<7x5xf32>
}
