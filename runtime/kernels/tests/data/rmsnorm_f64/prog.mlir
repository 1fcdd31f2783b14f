func.func @main(%a0: tensor<4x32xf64>, %a1: tensor<32xf64>) -> (tensor<4x32xf64>) {
  %r0 = braid.rmsnorm %a0, %a1 {epsilon = 9.999999975e-07 : f32} : tensor<4x32xf64>, tensor<32xf64> -> tensor<4x32xf64>
  return %r0 : tensor<4x32xf64>
}
