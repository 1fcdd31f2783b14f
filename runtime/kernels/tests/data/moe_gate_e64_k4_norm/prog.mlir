func.func @main(%a0: tensor<32x64xf32>) -> (tensor<32x4xf32>, tensor<32x4xi32>) {
  %r0, %r1 = braid.moe_gate %a0 {k = 4 : i64, normalize} : tensor<32x64xf32> -> tensor<32x4xf32>, tensor<32x4xi32>
  return %r0, %r1 : tensor<32x4xf32>, tensor<32x4xi32>
}
