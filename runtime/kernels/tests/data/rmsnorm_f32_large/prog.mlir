func.func @main(%a0: tensor<4x200xf32>, %a1: tensor<200xf32>) -> (tensor<4x200xf32>) {
  %r0 = braid.rmsnorm %a0, %a1 {epsilon = 2.500000000e-01 : f32} : tensor<4x200xf32>, tensor<200xf32> -> tensor<4x200xf32>
  return %r0 : tensor<4x200xf32>
}
