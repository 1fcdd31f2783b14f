func.func @main(%a0: tensor<24x64xbf16>, %a1: tensor<3x64x16xbf16>, %a2: tensor<3xi64>) -> (tensor<24x16xf32>) {
  %r0 = braid.grouped_matmul %a0, %a1, %a2 : tensor<24x64xbf16>, tensor<3x64x16xbf16>, tensor<3xi64> -> tensor<24x16xf32>
  return %r0 : tensor<24x16xf32>
}
