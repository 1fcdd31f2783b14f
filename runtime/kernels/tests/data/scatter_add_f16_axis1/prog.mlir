func.func @main(%a0: tensor<2x9x4xf16>, %a1: tensor<2x3x4xf16>, %a2: tensor<9xi32>) -> (tensor<2x3x4xf16>) {
  %r0 = braid.scatter %a0 into %a1[%a2] axis = 1 kind = add : tensor<2x9x4xf16>, tensor<2x3x4xf16>, tensor<9xi32> -> tensor<2x3x4xf16>
  return %r0 : tensor<2x3x4xf16>
}
