func.func @main(%a0: tensor<12x40xf64>, %a1: tensor<40x10xf64>, %a2: tensor<12x10xf64>) -> (tensor<12x10xf64>) {
  %r0 = linalg.matmul ins(%a0, %a1 : tensor<12x40xf64>, tensor<40x10xf64>) outs(%a2 : tensor<12x10xf64>) -> tensor<12x10xf64>
  return %r0 : tensor<12x10xf64>
}
