func.func @main(%a0: tensor<1x6xi64>) -> (tensor<1x6xi64>, tensor<1x6xi32>) {
  %r0, %r1 = braid.sort %a0 {descending} : tensor<1x6xi64> -> tensor<1x6xi64>, tensor<1x6xi32>
  return %r0, %r1 : tensor<1x6xi64>, tensor<1x6xi32>
}
