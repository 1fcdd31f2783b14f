func.func @main(%a0: tensor<6x128xf32>, %a1: tensor<6x128xf32>) -> (tensor<6x128xf32>) {
  %r0 = braid.swiglu %a0, %a1 : tensor<6x128xf32>
  return %r0 : tensor<6x128xf32>
}
