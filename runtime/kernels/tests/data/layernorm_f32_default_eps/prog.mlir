func.func @main(%a0: tensor<5x96xf32>, %a1: tensor<96xf32>, %a2: tensor<96xf32>) -> (tensor<5x96xf32>) {
  %r0 = braid.layernorm %a0, %a1, %a2 : tensor<5x96xf32>, tensor<96xf32>, tensor<96xf32> -> tensor<5x96xf32>
  return %r0 : tensor<5x96xf32>
}
