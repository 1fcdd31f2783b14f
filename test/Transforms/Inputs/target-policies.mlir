// cpu-1gbe with strict policies (input for set-target.mlir).
module attributes {braid.target = #braid.target<"cpu-1gbe", {policies = {min_gain = 0.99, stream_switch_cost = 1.0}}>} {
shard.grid @tp(shape = 4)
func.func @main(%x: tensor<64x512xf32>, %w: tensor<512x512xf32>) -> tensor<64x512xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<64x512xf32>
  %i = linalg.fill ins(%zero : f32) outs(%e : tensor<64x512xf32>) -> tensor<64x512xf32>
  %y = linalg.matmul ins(%x, %w : tensor<64x512xf32>, tensor<512x512xf32>) outs(%i : tensor<64x512xf32>) -> tensor<64x512xf32>
  %r = braid.all_reduce %y on @tp axes = [0] reduction = sum : tensor<64x512xf32>
  return %r : tensor<64x512xf32>
}
}
