func.func @main(%a0: tensor<5x3xf32>, %a1: tensor<5x2xi32>) -> (tensor<10x3xf32>, tensor<4xi64>, tensor<10xi32>) {
  %r0, %r1, %r2 = braid.moe_permute %a0, %a1 {num_experts = 4 : i64} : tensor<5x3xf32>, tensor<5x2xi32> -> tensor<10x3xf32>, tensor<4xi64>, tensor<10xi32>
  return %r0, %r1, %r2 : tensor<10x3xf32>, tensor<4xi64>, tensor<10xi32>
}
