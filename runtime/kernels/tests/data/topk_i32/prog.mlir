func.func @main(%a0: tensor<3x6xi32>) -> (tensor<3x4xi32>, tensor<3x4xi32>) {
  %r0, %r1 = braid.topk %a0 {k = 4 : i64} : tensor<3x6xi32> -> tensor<3x4xi32>, tensor<3x4xi32>
  return %r0, %r1 : tensor<3x4xi32>, tensor<3x4xi32>
}
