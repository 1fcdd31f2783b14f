func.func @main(%a0: tensor<8x64xf32>) -> (tensor<8x64xf32>) {
  %r0 = braid.activation sigmoid %a0 : tensor<8x64xf32>
  return %r0 : tensor<8x64xf32>
}
