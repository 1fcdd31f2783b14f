func.func @main(%a0: tensor<48x256xf32>, %a1: tensor<256x40xf32>, %a2: tensor<48x40xf32>) -> (tensor<48x40xf32>) {
  %r0 = linalg.matmul ins(%a0, %a1 : tensor<48x256xf32>, tensor<256x40xf32>) outs(%a2 : tensor<48x40xf32>) -> tensor<48x40xf32>
  return %r0 : tensor<48x40xf32>
}
