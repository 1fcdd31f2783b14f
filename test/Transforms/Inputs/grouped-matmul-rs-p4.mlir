// A grouped matmul (3 experts, group boundaries inside the ring chunks and
// rows past the groups) whose partial sums are reduce-scattered over 4
// ranks: the input of the grouped producer-fusion tests.
shard.grid @tp(shape = 4)
func.func @main(%x: tensor<32x16xf32>, %experts: tensor<3x16x8xf32>) -> tensor<8x8xf32> {
  %sizes = arith.constant dense<[11, 5, 13]> : tensor<3xi64>
  %y = braid.grouped_matmul %x, %experts, %sizes
         : tensor<32x16xf32>, tensor<3x16x8xf32>, tensor<3xi64> -> tensor<32x8xf32>
  %r = braid.reduce_scatter %y on @tp axes = [0] dim = 0 reduction = sum
         : tensor<32x8xf32> -> tensor<8x8xf32>
  return %r : tensor<8x8xf32>
}
