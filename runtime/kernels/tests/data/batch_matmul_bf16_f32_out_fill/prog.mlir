func.func @main(%a0: tensor<2x8x32xbf16>, %a1: tensor<2x32x16xbf16>) -> (tensor<2x8x16xf32>) {
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x8x16xf32>
  %c = linalg.fill ins(%z : f32) outs(%e : tensor<2x8x16xf32>) -> tensor<2x8x16xf32>
  %r0 = linalg.batch_matmul ins(%a0, %a1 : tensor<2x8x32xbf16>, tensor<2x32x16xbf16>) outs(%c : tensor<2x8x16xf32>) -> tensor<2x8x16xf32>
  return %r0 : tensor<2x8x16xf32>
}
