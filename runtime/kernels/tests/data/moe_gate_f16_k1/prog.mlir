func.func @main(%a0: tensor<16x8xf16>) -> (tensor<16x1xf16>, tensor<16x1xi32>) {
  %r0, %r1 = braid.moe_gate %a0 {k = 1 : i64} : tensor<16x8xf16> -> tensor<16x1xf16>, tensor<16x1xi32>
  return %r0, %r1 : tensor<16x1xf16>, tensor<16x1xi32>
}
