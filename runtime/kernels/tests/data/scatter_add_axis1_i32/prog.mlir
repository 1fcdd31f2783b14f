func.func @main(%a0: tensor<2x4xi32>, %a1: tensor<2x5xi32>, %a2: tensor<4xi64>) -> (tensor<2x5xi32>) {
  %r0 = braid.scatter %a0 into %a1[%a2] axis = 1 kind = add : tensor<2x4xi32>, tensor<2x5xi32>, tensor<4xi64> -> tensor<2x5xi32>
  return %r0 : tensor<2x5xi32>
}
