func.func @main(%a0: tensor<8x200xbf16>) -> (tensor<8x5xbf16>, tensor<8x5xi32>) {
  %r0, %r1 = braid.topk %a0 {k = 5 : i64} : tensor<8x200xbf16> -> tensor<8x5xbf16>, tensor<8x5xi32>
  return %r0, %r1 : tensor<8x5xbf16>, tensor<8x5xi32>
}
