func.func @main(%a0: tensor<4x8xf16>) -> (tensor<4x4xf16>, tensor<4x4xi64>) {
  %r0, %r1 = braid.topk %a0 {k = 4 : i64} : tensor<4x8xf16> -> tensor<4x4xf16>, tensor<4x4xi64>
  return %r0, %r1 : tensor<4x4xf16>, tensor<4x4xi64>
}
