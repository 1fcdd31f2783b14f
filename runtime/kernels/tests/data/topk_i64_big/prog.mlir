func.func @main(%a0: tensor<1x6xi64>) -> (tensor<1x2xi64>, tensor<1x2xi64>) {
  %r0, %r1 = braid.topk %a0 {k = 2 : i64} : tensor<1x6xi64> -> tensor<1x2xi64>, tensor<1x2xi64>
  return %r0, %r1 : tensor<1x2xi64>, tensor<1x2xi64>
}
