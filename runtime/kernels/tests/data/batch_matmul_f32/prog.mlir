func.func @main(%a0: tensor<3x16x64xf32>, %a1: tensor<3x64x24xf32>, %a2: tensor<3x16x24xf32>) -> (tensor<3x16x24xf32>) {
  %r0 = linalg.batch_matmul ins(%a0, %a1 : tensor<3x16x64xf32>, tensor<3x64x24xf32>) outs(%a2 : tensor<3x16x24xf32>) -> tensor<3x16x24xf32>
  return %r0 : tensor<3x16x24xf32>
}
