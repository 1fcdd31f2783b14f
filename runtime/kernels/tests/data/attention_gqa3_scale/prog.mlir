func.func @main(%a0: tensor<1x6x4x8xf32>, %a1: tensor<1x2x7x8xf32>, %a2: tensor<1x2x7x8xf32>) -> (tensor<1x6x4x8xf32>) {
  %r0 = braid.attention %a0, %a1, %a2 {scale = 3.000000119e-01 : f32} : tensor<1x6x4x8xf32>, tensor<1x2x7x8xf32>, tensor<1x2x7x8xf32> -> tensor<1x6x4x8xf32>
  return %r0 : tensor<1x6x4x8xf32>
}
