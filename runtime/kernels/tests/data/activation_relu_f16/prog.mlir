func.func @main(%a0: tensor<4x32xf16>) -> (tensor<4x32xf16>) {
  %r0 = braid.activation relu %a0 : tensor<4x32xf16>
  return %r0 : tensor<4x32xf16>
}
