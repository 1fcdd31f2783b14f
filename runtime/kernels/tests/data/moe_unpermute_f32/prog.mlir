func.func @main(%a0: tensor<10x3xf32>, %a1: tensor<10xi32>, %a2: tensor<5x2xf32>) -> (tensor<5x3xf32>) {
  %r0 = braid.moe_unpermute %a0, %a1, %a2 : tensor<10x3xf32>, tensor<10xi32>, tensor<5x2xf32> -> tensor<5x3xf32>
  return %r0 : tensor<5x3xf32>
}
