func.func @main(%a0: tensor<32x16xbf16>, %a1: tensor<32x2xi64>) -> (tensor<64x16xbf16>, tensor<8xi32>, tensor<64xi64>) {
  %r0, %r1, %r2 = braid.moe_permute %a0, %a1 {num_experts = 8 : i64} : tensor<32x16xbf16>, tensor<32x2xi64> -> tensor<64x16xbf16>, tensor<8xi32>, tensor<64xi64>
  return %r0, %r1, %r2 : tensor<64x16xbf16>, tensor<8xi32>, tensor<64xi64>
}
