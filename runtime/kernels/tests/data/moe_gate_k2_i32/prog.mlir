func.func @main(%a0: tensor<6x8xf32>) -> (tensor<6x2xf32>, tensor<6x2xi32>) {
  %r0, %r1 = braid.moe_gate %a0 {k = 2 : i64} : tensor<6x8xf32> -> tensor<6x2xf32>, tensor<6x2xi32>
  return %r0, %r1 : tensor<6x2xf32>, tensor<6x2xi32>
}
