func.func @main(%a0: tensor<2x10xi1>) -> (tensor<2x10xi1>, tensor<2x10xi32>) {
  %r0, %r1 = braid.sort %a0 {descending} : tensor<2x10xi1> -> tensor<2x10xi1>, tensor<2x10xi32>
  return %r0, %r1 : tensor<2x10xi1>, tensor<2x10xi32>
}
