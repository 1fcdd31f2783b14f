func.func @main(%a0: tensor<16x64xf16>, %a1: tensor<8x64xf16>, %a2: tensor<16x8xf32>) -> (tensor<16x8xf32>) {
  %r0 = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>] ins(%a0, %a1 : tensor<16x64xf16>, tensor<8x64xf16>) outs(%a2 : tensor<16x8xf32>) -> tensor<16x8xf32>
  return %r0 : tensor<16x8xf32>
}
