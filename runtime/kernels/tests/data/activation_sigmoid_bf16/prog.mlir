func.func @main(%a0: tensor<4x32xbf16>) -> (tensor<4x32xbf16>) {
  %r0 = braid.activation sigmoid %a0 : tensor<4x32xbf16>
  return %r0 : tensor<4x32xbf16>
}
