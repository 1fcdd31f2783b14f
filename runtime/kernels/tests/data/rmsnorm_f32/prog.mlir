func.func @main(%a0: tensor<8x256xf32>, %a1: tensor<256xf32>) -> (tensor<8x256xf32>) {
  %r0 = braid.rmsnorm %a0, %a1 {epsilon = 9.999999747e-06 : f32} : tensor<8x256xf32>, tensor<256xf32> -> tensor<8x256xf32>
  return %r0 : tensor<8x256xf32>
}
