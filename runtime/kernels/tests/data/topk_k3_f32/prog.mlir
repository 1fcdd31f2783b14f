func.func @main(%a0: tensor<4x8xf32>) -> (tensor<4x3xf32>, tensor<4x3xi64>) {
  %r0, %r1 = braid.topk %a0 {k = 3 : i64} : tensor<4x8xf32> -> tensor<4x3xf32>, tensor<4x3xi64>
  return %r0, %r1 : tensor<4x3xf32>, tensor<4x3xi64>
}
