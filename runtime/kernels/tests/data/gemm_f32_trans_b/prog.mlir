func.func @main(%a0: tensor<16x96xf32>, %a1: tensor<24x96xf32>, %a2: tensor<16x24xf32>) -> (tensor<16x24xf32>) {
  %r0 = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>] ins(%a0, %a1 : tensor<16x96xf32>, tensor<24x96xf32>) outs(%a2 : tensor<16x24xf32>) -> tensor<16x24xf32>
  return %r0 : tensor<16x24xf32>
}
