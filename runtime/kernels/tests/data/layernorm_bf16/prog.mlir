func.func @main(%a0: tensor<6x128xbf16>, %a1: tensor<128xbf16>, %a2: tensor<128xbf16>) -> (tensor<6x128xbf16>) {
  %r0 = braid.layernorm %a0, %a1, %a2 {epsilon = 9.999999747e-06 : f32} : tensor<6x128xbf16>, tensor<128xbf16>, tensor<128xbf16> -> tensor<6x128xbf16>
  return %r0 : tensor<6x128xbf16>
}
