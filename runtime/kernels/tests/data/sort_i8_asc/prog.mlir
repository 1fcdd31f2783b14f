func.func @main(%a0: tensor<2x16xi8>) -> (tensor<2x16xi8>, tensor<2x16xi64>) {
  %r0, %r1 = braid.sort %a0 : tensor<2x16xi8> -> tensor<2x16xi8>, tensor<2x16xi64>
  return %r0, %r1 : tensor<2x16xi8>, tensor<2x16xi64>
}
