func.func @main(%a0: tensor<24x128xbf16>, %a1: tensor<128x32xbf16>, %a2: tensor<24x32xf32>) -> (tensor<24x32xf32>) {
  %r0 = linalg.matmul ins(%a0, %a1 : tensor<24x128xbf16>, tensor<128x32xbf16>) outs(%a2 : tensor<24x32xf32>) -> tensor<24x32xf32>
  return %r0 : tensor<24x32xf32>
}
