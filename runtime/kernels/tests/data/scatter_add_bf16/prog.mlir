func.func @main(%a0: tensor<12x8xbf16>, %a1: tensor<6x8xbf16>, %a2: tensor<12xi64>) -> (tensor<6x8xbf16>) {
  %r0 = braid.scatter %a0 into %a1[%a2] axis = 0 kind = add : tensor<12x8xbf16>, tensor<6x8xbf16>, tensor<12xi64> -> tensor<6x8xbf16>
  return %r0 : tensor<6x8xbf16>
}
