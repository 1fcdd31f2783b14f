func.func @main(%a0: tensor<2x3x64xf32>, %a1: tensor<64xf32>) -> (tensor<2x3x64xf32>) {
  %r0 = braid.rmsnorm %a0, %a1 : tensor<2x3x64xf32>, tensor<64xf32> -> tensor<2x3x64xf32>
  return %r0 : tensor<2x3x64xf32>
}
