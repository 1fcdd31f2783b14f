// cpu-1gbe with a measured all_reduce fit inline (input for set-target-measured.mlir).
module attributes {braid.target = #braid.target<"cpu-1gbe", {links = {inter_node = {collectives = {all_reduce = {"2" = {latency = 1.0e-05, bandwidth = 1.0e+09}}}}}}>} {
shard.grid @g(shape = 2)
func.func @main(%x: tensor<64x512xf32>) -> tensor<64x512xf32> {
  %r = braid.all_reduce %x on @g axes = [0] reduction = sum : tensor<64x512xf32>
  return %r : tensor<64x512xf32>
}
}
