func.func @main(%a0: tensor<6x3xf32>, %a1: tensor<8x3xf32>, %a2: tensor<6xi32>) -> (tensor<8x3xf32>) {
  %r0 = braid.scatter %a0 into %a1[%a2] axis = 0 kind = add : tensor<6x3xf32>, tensor<8x3xf32>, tensor<6xi32> -> tensor<8x3xf32>
  return %r0 : tensor<8x3xf32>
}
