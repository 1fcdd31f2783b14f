func.func @main(%a0: tensor<80x20xf32>, %a1: tensor<80x12xf32>, %a2: tensor<20x12xf32>) -> (tensor<20x12xf32>) {
  %r0 = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (k, m)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>] ins(%a0, %a1 : tensor<80x20xf32>, tensor<80x12xf32>) outs(%a2 : tensor<20x12xf32>) -> tensor<20x12xf32>
  return %r0 : tensor<20x12xf32>
}
