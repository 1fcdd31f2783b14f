func.func @main(%a0: tensor<33x64xf32>, %a1: tensor<64x17xf32>) -> (tensor<33x17xf32>) {
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<33x17xf32>
  %c = linalg.fill ins(%z : f32) outs(%e : tensor<33x17xf32>) -> tensor<33x17xf32>
  %r0 = linalg.matmul ins(%a0, %a1 : tensor<33x64xf32>, tensor<64x17xf32>) outs(%c : tensor<33x17xf32>) -> tensor<33x17xf32>
  return %r0 : tensor<33x17xf32>
}
