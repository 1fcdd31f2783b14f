func.func @main(%a0: tensor<40x128xf32>, %a1: tensor<5x128x24xf32>, %a2: tensor<5xi32>) -> (tensor<40x24xf32>) {
  %r0 = braid.grouped_matmul %a0, %a1, %a2 : tensor<40x128xf32>, tensor<5x128x24xf32>, tensor<5xi32> -> tensor<40x24xf32>
  return %r0 : tensor<40x24xf32>
}
