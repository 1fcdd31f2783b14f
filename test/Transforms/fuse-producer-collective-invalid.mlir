// A hand-written plan that does not fit is an error naming the reason.
// RUN: braid-opt %s --pass-pipeline='builtin.module(func.func(braid-fuse-producer-collective))' -split-input-file -verify-diagnostics

shard.grid @tp(shape = 4)
func.func @count_not_group(%x: tensor<16x8xf32>, %w: tensor<8x16xf32>, %c: tensor<16x16xf32>) -> tensor<4x16xf32> {
  %y = linalg.matmul ins(%x, %w : tensor<16x8xf32>, tensor<8x16xf32>) outs(%c : tensor<16x16xf32>) -> tensor<16x16xf32>
  // expected-error @+1 {{cannot apply braid.fusion = #braid.trigger<chunk, count = 3>: a ring fuses whole ring steps: count must be a multiple of the group size 4, not 3}}
  %s = braid.reduce_scatter %y on @tp axes = [0] dim = 0 reduction = sum {braid.fusion = #braid.trigger<chunk, count = 3>} : tensor<16x16xf32> -> tensor<4x16xf32>
  return %s : tensor<4x16xf32>
}

// -----

shard.grid @tp(shape = 2)
func.func @shard_does_not_divide(%x: tensor<6x8xf32>, %w: tensor<8x16xf32>, %c: tensor<6x16xf32>) -> tensor<12x16xf32> {
  %y = linalg.matmul ins(%x, %w : tensor<6x8xf32>, tensor<8x16xf32>) outs(%c : tensor<6x16xf32>) -> tensor<6x16xf32>
  // expected-error @+1 {{cannot apply braid.fusion = #braid.trigger<chunk, count = 4>: the shard's 6 entries of dim 0 do not divide into 4 chunks}}
  %g = braid.all_gather %y on @tp axes = [0] dim = 0 {braid.fusion = #braid.trigger<chunk, count = 4>} : tensor<6x16xf32> -> tensor<12x16xf32>
  return %g : tensor<12x16xf32>
}

// -----

shard.grid @tp(shape = 4)
func.func @no_producer(%y: tensor<16x16xf32>) -> tensor<4x16xf32> {
  // expected-error @+1 {{cannot apply braid.fusion = #braid.trigger<chunk, count = 4>: its input is not computed in the same block}}
  %s = braid.reduce_scatter %y on @tp axes = [0] dim = 0 reduction = sum {braid.fusion = #braid.trigger<chunk, count = 4>} : tensor<16x16xf32> -> tensor<4x16xf32>
  return %s : tensor<4x16xf32>
}
