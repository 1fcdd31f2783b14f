// An all_reduce on stream 1 beside a GEMM on stream 0 (trace input for
// estimate.mlir).
shard.grid @tp(shape = 8)
func.func @overlapped(%a: tensor<1024x1024xbf16>, %b: tensor<1024x1024xbf16>, %x: tensor<1024x2048xf32>) -> (tensor<1024x1024xf32>, tensor<1024x2048xf32>) {
  %zero = arith.constant 0.0 : f32
  %f = braid.start stream = 1 {
    %r = braid.all_reduce %x on @tp axes = [0] reduction = sum : tensor<1024x2048xf32>
    braid.yield %r : tensor<1024x2048xf32>
  } : !braid.future<tensor<1024x2048xf32>>
  %e = tensor.empty() : tensor<1024x1024xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<1024x1024xf32>) -> tensor<1024x1024xf32>
  %m = linalg.matmul ins(%a, %b : tensor<1024x1024xbf16>, tensor<1024x1024xbf16>) outs(%init : tensor<1024x1024xf32>) -> tensor<1024x1024xf32>
  %r = braid.await %f : !braid.future<tensor<1024x2048xf32>>
  return %m, %r : tensor<1024x1024xf32>, tensor<1024x2048xf32>
}
