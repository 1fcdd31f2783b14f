func.func @main(%a0: tensor<4x8xf32>) -> (tensor<4x1xf32>, tensor<4x1xi64>) {
  %r0, %r1 = braid.topk %a0 {k = 1 : i64} : tensor<4x8xf32> -> tensor<4x1xf32>, tensor<4x1xi64>
  return %r0, %r1 : tensor<4x1xf32>, tensor<4x1xi64>
}
