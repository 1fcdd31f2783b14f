func.func @main(%a0: tensor<8x256xf32>, %a1: tensor<256xf32>, %a2: tensor<256xf32>) -> (tensor<8x256xf32>) {
  %r0 = braid.layernorm %a0, %a1, %a2 {epsilon = 5.000000000e-01 : f32} : tensor<8x256xf32>, tensor<256xf32>, tensor<256xf32> -> tensor<8x256xf32>
  return %r0 : tensor<8x256xf32>
}
