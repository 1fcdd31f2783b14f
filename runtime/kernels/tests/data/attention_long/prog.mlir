func.func @main(%a0: tensor<1x2x64x32xf32>, %a1: tensor<1x1x96x32xf32>, %a2: tensor<1x1x96x32xf32>) -> (tensor<1x2x64x32xf32>) {
  %r0 = braid.attention %a0, %a1, %a2 {causal} : tensor<1x2x64x32xf32>, tensor<1x1x96x32xf32>, tensor<1x1x96x32xf32> -> tensor<1x2x64x32xf32>
  return %r0 : tensor<1x2x64x32xf32>
}
