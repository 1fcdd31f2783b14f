// cpu-1gbe with a 10x faster link between its hosts, inline (input for set-target.mlir).
module attributes {braid.target = #braid.target<"cpu-1gbe", {links = {inter_node = {bus_bandwidth = 1.177e9}}}>} {
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
