func.func @main(%a0: tensor<4x8xf32>) -> (tensor<4x8xf32>, tensor<4x8xi32>) {
  %r0, %r1 = braid.sort %a0 {descending} : tensor<4x8xf32> -> tensor<4x8xf32>, tensor<4x8xi32>
  return %r0, %r1 : tensor<4x8xf32>, tensor<4x8xi32>
}
