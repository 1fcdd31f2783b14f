func.func @main(%a0: tensor<16x8xbf16>) -> (tensor<16x2xbf16>, tensor<16x2xi64>) {
  %r0, %r1 = braid.moe_gate %a0 {k = 2 : i64, normalize} : tensor<16x8xbf16> -> tensor<16x2xbf16>, tensor<16x2xi64>
  return %r0, %r1 : tensor<16x2xbf16>, tensor<16x2xi64>
}
