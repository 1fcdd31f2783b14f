func.func @main(%a0: tensor<6x128xf16>, %a1: tensor<128xf16>, %a2: tensor<128xf16>) -> (tensor<6x128xf16>) {
  %r0 = braid.layernorm %a0, %a1, %a2 {epsilon = 9.999999747e-06 : f32} : tensor<6x128xf16>, tensor<128xf16>, tensor<128xf16> -> tensor<6x128xf16>
  return %r0 : tensor<6x128xf16>
}
