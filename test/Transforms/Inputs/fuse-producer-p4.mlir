// Producers fused with their collectives on 4 ranks (input for
// fuse-producer-collective.mlir): backward dgrad with an element-wise
// epilogue -> reduce_scatter, wgrad -> reduce_scatter of the weight
// gradient, a matmul -> all_gather of its output, and a bf16
// matmul -> truncf -> all_reduce.
shard.grid @tp(shape = 4)
func.func @main(%dg: tensor<16x8xf32>, %w_t: tensor<8x16xf32>, %mask: tensor<16x16xf32>,
                %x_t: tensor<8x12xf32>, %g: tensor<12x8xf32>,
                %a: tensor<4x8xf32>, %w: tensor<8x16xf32>,
                %b: tensor<8x8xbf16>, %v: tensor<8x16xbf16>)
    -> (tensor<4x16xf32>, tensor<2x8xf32>, tensor<16x16xf32>, tensor<8x16xbf16>) {
  %zero = arith.constant 0.0 : f32
  %e0 = tensor.empty() : tensor<16x16xf32>
  %z0 = linalg.fill ins(%zero : f32) outs(%e0 : tensor<16x16xf32>) -> tensor<16x16xf32>
  %dX = linalg.matmul ins(%dg, %w_t : tensor<16x8xf32>, tensor<8x16xf32>) outs(%z0 : tensor<16x16xf32>) -> tensor<16x16xf32>
  %dXm = arith.mulf %dX, %mask : tensor<16x16xf32>
  %dx = braid.reduce_scatter %dXm on @tp axes = [0] dim = 0 reduction = sum : tensor<16x16xf32> -> tensor<4x16xf32>
  %e1 = tensor.empty() : tensor<8x8xf32>
  %z1 = linalg.fill ins(%zero : f32) outs(%e1 : tensor<8x8xf32>) -> tensor<8x8xf32>
  %dW = linalg.matmul ins(%x_t, %g : tensor<8x12xf32>, tensor<12x8xf32>) outs(%z1 : tensor<8x8xf32>) -> tensor<8x8xf32>
  %dw = braid.reduce_scatter %dW on @tp axes = [0] dim = 0 reduction = sum : tensor<8x8xf32> -> tensor<2x8xf32>
  %e2 = tensor.empty() : tensor<4x16xf32>
  %z2 = linalg.fill ins(%zero : f32) outs(%e2 : tensor<4x16xf32>) -> tensor<4x16xf32>
  %y = linalg.matmul ins(%a, %w : tensor<4x8xf32>, tensor<8x16xf32>) outs(%z2 : tensor<4x16xf32>) -> tensor<4x16xf32>
  %yg = braid.all_gather %y on @tp axes = [0] dim = 0 : tensor<4x16xf32> -> tensor<16x16xf32>
  %e3 = tensor.empty() : tensor<8x16xf32>
  %z3 = linalg.fill ins(%zero : f32) outs(%e3 : tensor<8x16xf32>) -> tensor<8x16xf32>
  %o = linalg.matmul ins(%b, %v : tensor<8x8xbf16>, tensor<8x16xbf16>) outs(%z3 : tensor<8x16xf32>) -> tensor<8x16xf32>
  %ob = arith.truncf %o : tensor<8x16xf32> to tensor<8x16xbf16>
  %or = braid.all_reduce %ob on @tp axes = [0] reduction = sum : tensor<8x16xbf16>
  return %dx, %dw, %yg, %or : tensor<4x16xf32>, tensor<2x8xf32>, tensor<16x16xf32>, tensor<8x16xbf16>
}
