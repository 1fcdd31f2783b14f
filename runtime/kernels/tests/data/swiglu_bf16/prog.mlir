func.func @main(%a0: tensor<6x128xbf16>, %a1: tensor<6x128xbf16>) -> (tensor<6x128xbf16>) {
  %r0 = braid.swiglu %a0, %a1 : tensor<6x128xbf16>
  return %r0 : tensor<6x128xbf16>
}
