func.func @main(%a0: tensor<6x128xf16>, %a1: tensor<6x128xf16>) -> (tensor<6x128xf16>) {
  %r0 = braid.swiglu %a0, %a1 : tensor<6x128xf16>
  return %r0 : tensor<6x128xf16>
}
