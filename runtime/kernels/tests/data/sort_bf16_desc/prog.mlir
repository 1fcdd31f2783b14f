func.func @main(%a0: tensor<4x64xbf16>) -> (tensor<4x64xbf16>, tensor<4x64xi64>) {
  %r0, %r1 = braid.sort %a0 {descending} : tensor<4x64xbf16> -> tensor<4x64xbf16>, tensor<4x64xi64>
  return %r0, %r1 : tensor<4x64xbf16>, tensor<4x64xi64>
}
