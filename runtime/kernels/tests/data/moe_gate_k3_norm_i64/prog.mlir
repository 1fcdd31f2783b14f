func.func @main(%a0: tensor<6x8xf32>) -> (tensor<6x3xf32>, tensor<6x3xi64>) {
  %r0, %r1 = braid.moe_gate %a0 {k = 3 : i64, normalize} : tensor<6x8xf32> -> tensor<6x3xf32>, tensor<6x3xi64>
  return %r0, %r1 : tensor<6x3xf32>, tensor<6x3xi64>
}
