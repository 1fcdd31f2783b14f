func.func @main(%a0: tensor<4x16xf64>) -> (tensor<4x16xf64>) {
  %r0 = braid.activation gelu_tanh %a0 : tensor<4x16xf64>
  return %r0 : tensor<4x16xf64>
}
