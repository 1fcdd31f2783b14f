// RUN: braid-opt %s -split-input-file -verify-diagnostics

shard.grid @tp(shape = 4)
func.func @count_not_group(%x: tensor<16x8xf32>, %w: tensor<8x16xf32>, %c: tensor<16x16xf32>) -> tensor<4x16xf32> {
  // expected-error @+1 {{a ring fuses whole ring steps: count must be a multiple of the group size 4, not 2}}
  %r = braid.fused_collective trigger = #braid.trigger<chunk, count = 2> order = ring {
    %y = linalg.matmul ins(%x, %w : tensor<16x8xf32>, tensor<8x16xf32>) outs(%c : tensor<16x16xf32>) -> tensor<16x16xf32>
    %s = braid.reduce_scatter %y on @tp axes = [0] dim = 0 reduction = sum : tensor<16x16xf32> -> tensor<4x16xf32>
    braid.yield %s : tensor<4x16xf32>
  } : tensor<4x16xf32>
  return %r : tensor<4x16xf32>
}

// -----

// Two chunks per ring step, but the 16 rows do not cut into 32.
shard.grid @tp(shape = 4)
func.func @count_uneven(%x: tensor<16x8xf32>, %w: tensor<8x16xf32>, %c: tensor<16x16xf32>) -> tensor<4x16xf32> {
  // expected-error @+1 {{the 16 entries of dim 0 do not divide into 32 ring chunks; pad them or leave the collective unfused}}
  %r = braid.fused_collective trigger = #braid.trigger<chunk, count = 32> order = ring {
    %y = linalg.matmul ins(%x, %w : tensor<16x8xf32>, tensor<8x16xf32>) outs(%c : tensor<16x16xf32>) -> tensor<16x16xf32>
    %s = braid.reduce_scatter %y on @tp axes = [0] dim = 0 reduction = sum : tensor<16x16xf32> -> tensor<4x16xf32>
    braid.yield %s : tensor<4x16xf32>
  } : tensor<4x16xf32>
  return %r : tensor<4x16xf32>
}

// -----

// Rows that do not divide into the ring's chunks are declined.
shard.grid @tp(shape = 4)
func.func @rows_do_not_divide(%x: tensor<10x8xf32>, %w: tensor<8x16xf32>, %c: tensor<10x16xf32>) -> tensor<10x16xf32> {
  // expected-error @+1 {{the 10 entries of dim 0 do not divide into 4 ring chunks; pad them or leave the collective unfused}}
  %r = braid.fused_collective trigger = #braid.trigger<chunk, count = 4> order = ring {
    %y = linalg.matmul ins(%x, %w : tensor<10x8xf32>, tensor<8x16xf32>) outs(%c : tensor<10x16xf32>) -> tensor<10x16xf32>
    %s = braid.all_reduce %y on @tp axes = [0] reduction = sum : tensor<10x16xf32>
    braid.yield %s : tensor<10x16xf32>
  } : tensor<10x16xf32>
  return %r : tensor<10x16xf32>
}

// -----

shard.grid @tp(shape = 2)
func.func @gather_shard_does_not_divide(%x: tensor<6x8xf32>, %w: tensor<8x16xf32>, %c: tensor<6x16xf32>) -> tensor<12x16xf32> {
  // expected-error @+1 {{the shard's 6 entries of dim 0 do not divide into 4 chunks}}
  %r = braid.fused_collective trigger = #braid.trigger<chunk, count = 4> order = arrival {
    %y = linalg.matmul ins(%x, %w : tensor<6x8xf32>, tensor<8x16xf32>) outs(%c : tensor<6x16xf32>) -> tensor<6x16xf32>
    %g = braid.all_gather %y on @tp axes = [0] dim = 0 : tensor<6x16xf32> -> tensor<12x16xf32>
    braid.yield %g : tensor<12x16xf32>
  } : tensor<12x16xf32>
  return %r : tensor<12x16xf32>
}

// -----

shard.grid @tp(shape = 4)
func.func @tile_straddles(%x: tensor<16x8xf32>, %w: tensor<8x16xf32>, %c: tensor<16x16xf32>) -> tensor<4x16xf32> {
  // expected-error @+1 {{a tile of 3 along dim 0 would straddle two chunks of 4}}
  %r = braid.fused_collective trigger = #braid.trigger<tile, m = 3, n = 8, threshold = 1> order = ring {
    %y = linalg.matmul ins(%x, %w : tensor<16x8xf32>, tensor<8x16xf32>) outs(%c : tensor<16x16xf32>) -> tensor<16x16xf32>
    %s = braid.reduce_scatter %y on @tp axes = [0] dim = 0 reduction = sum : tensor<16x16xf32> -> tensor<4x16xf32>
    braid.yield %s : tensor<4x16xf32>
  } : tensor<4x16xf32>
  return %r : tensor<4x16xf32>
}

// -----

shard.grid @tp(shape = 4)
func.func @threshold_too_large(%x: tensor<16x8xf32>, %w: tensor<8x16xf32>, %c: tensor<16x16xf32>) -> tensor<4x16xf32> {
  // expected-error @+1 {{a threshold of 5 tiles exceeds the 4 tiles of a chunk}}
  %r = braid.fused_collective trigger = #braid.trigger<tile, m = 2, n = 8, threshold = 5> order = ring {
    %y = linalg.matmul ins(%x, %w : tensor<16x8xf32>, tensor<8x16xf32>) outs(%c : tensor<16x16xf32>) -> tensor<16x16xf32>
    %s = braid.reduce_scatter %y on @tp axes = [0] dim = 0 reduction = sum : tensor<16x16xf32> -> tensor<4x16xf32>
    braid.yield %s : tensor<4x16xf32>
  } : tensor<4x16xf32>
  return %r : tensor<4x16xf32>
}

// -----

shard.grid @tp(shape = 4)
func.func @wrong_order(%x: tensor<16x8xf32>, %w: tensor<8x16xf32>, %c: tensor<16x16xf32>) -> tensor<4x16xf32> {
  // expected-error @+1 {{'braid.reduce_scatter' is fused in ring order (each chunk's partial sum travels the ring), not 'arrival'}}
  %r = braid.fused_collective trigger = #braid.trigger<chunk, count = 4> order = arrival {
    %y = linalg.matmul ins(%x, %w : tensor<16x8xf32>, tensor<8x16xf32>) outs(%c : tensor<16x16xf32>) -> tensor<16x16xf32>
    %s = braid.reduce_scatter %y on @tp axes = [0] dim = 0 reduction = sum : tensor<16x16xf32> -> tensor<4x16xf32>
    braid.yield %s : tensor<4x16xf32>
  } : tensor<4x16xf32>
  return %r : tensor<4x16xf32>
}

// -----

shard.grid @tp(shape = 2)
func.func @gather_in_ring_order(%x: tensor<4x8xf32>, %w: tensor<8x16xf32>, %c: tensor<4x16xf32>) -> tensor<8x16xf32> {
  // expected-error @+1 {{an all_gather is fused in arrival order (the shard is computed as receivers consume it), not 'ring'}}
  %r = braid.fused_collective trigger = #braid.trigger<chunk, count = 2> order = ring {
    %y = linalg.matmul ins(%x, %w : tensor<4x8xf32>, tensor<8x16xf32>) outs(%c : tensor<4x16xf32>) -> tensor<4x16xf32>
    %g = braid.all_gather %y on @tp axes = [0] dim = 0 : tensor<4x16xf32> -> tensor<8x16xf32>
    braid.yield %g : tensor<8x16xf32>
  } : tensor<8x16xf32>
  return %r : tensor<8x16xf32>
}

// -----

shard.grid @tp(shape = 4)
func.func @producer_used_twice(%x: tensor<16x8xf32>, %w: tensor<8x16xf32>, %c: tensor<16x16xf32>) -> tensor<4x16xf32> {
  // expected-error @+1 {{the producer's result must feed only the collective, but it has 2 uses}}
  %r = braid.fused_collective trigger = #braid.trigger<chunk, count = 4> order = ring {
    %y = linalg.matmul ins(%x, %w : tensor<16x8xf32>, tensor<8x16xf32>) outs(%c : tensor<16x16xf32>) -> tensor<16x16xf32>
    %d = arith.addf %y, %c : tensor<16x16xf32>
    %s = braid.reduce_scatter %y on @tp axes = [0] dim = 0 reduction = sum : tensor<16x16xf32> -> tensor<4x16xf32>
    braid.yield %s : tensor<4x16xf32>
  } : tensor<4x16xf32>
  return %r : tensor<4x16xf32>
}

// -----

shard.grid @tp(shape = 4)
func.func @yields_no_collective(%x: tensor<16x8xf32>, %w: tensor<8x16xf32>, %c: tensor<16x16xf32>) -> tensor<16x16xf32> {
  // expected-error @+1 {{body must yield the result of the braid.reduce_scatter, braid.all_reduce or braid.all_gather it fuses}}
  %r = braid.fused_collective trigger = #braid.trigger<chunk, count = 4> order = ring {
    %y = linalg.matmul ins(%x, %w : tensor<16x8xf32>, tensor<8x16xf32>) outs(%c : tensor<16x16xf32>) -> tensor<16x16xf32>
    braid.yield %y : tensor<16x16xf32>
  } : tensor<16x16xf32>
  return %r : tensor<16x16xf32>
}

// -----

shard.grid @tp(shape = 4)
func.func @no_contraction(%y: tensor<16x16xf32>) -> tensor<4x16xf32> {
  // expected-error @+1 {{the producer must hold exactly one contraction (linalg.matmul, batch_matmul, contract, a matmul-like generic or braid.grouped_matmul), found 0}}
  %r = braid.fused_collective trigger = #braid.trigger<chunk, count = 4> order = ring {
    %z = arith.addf %y, %y : tensor<16x16xf32>
    %s = braid.reduce_scatter %z on @tp axes = [0] dim = 0 reduction = sum : tensor<16x16xf32> -> tensor<4x16xf32>
    braid.yield %s : tensor<4x16xf32>
  } : tensor<4x16xf32>
  return %r : tensor<4x16xf32>
}

// -----

shard.grid @tp(shape = 4)
func.func @input_from_outside(%x: tensor<16x8xf32>, %w: tensor<8x16xf32>, %c: tensor<16x16xf32>, %y: tensor<16x16xf32>) -> tensor<4x16xf32> {
  // expected-error @+1 {{the collective's input must be computed in the body by the producer}}
  %r = braid.fused_collective trigger = #braid.trigger<chunk, count = 4> order = ring {
    %p = linalg.matmul ins(%x, %w : tensor<16x8xf32>, tensor<8x16xf32>) outs(%c : tensor<16x16xf32>) -> tensor<16x16xf32>
    %s = braid.reduce_scatter %y on @tp axes = [0] dim = 0 reduction = sum : tensor<16x16xf32> -> tensor<4x16xf32>
    braid.yield %s : tensor<4x16xf32>
  } : tensor<4x16xf32>
  return %r : tensor<4x16xf32>
}

// -----

// A transpose moves rows to columns: the output cannot be released chunk by
// chunk of the matmul's rows.
shard.grid @tp(shape = 4)
func.func @not_elementwise(%x: tensor<16x8xf32>, %w: tensor<8x16xf32>, %c: tensor<16x16xf32>, %e: tensor<16x16xf32>) -> tensor<4x16xf32> {
  // expected-error @+1 {{'linalg.transpose' reads the contraction's result but is not element-wise on it: the output could not be released chunk by chunk}}
  %r = braid.fused_collective trigger = #braid.trigger<chunk, count = 4> order = ring {
    %y = linalg.matmul ins(%x, %w : tensor<16x8xf32>, tensor<8x16xf32>) outs(%c : tensor<16x16xf32>) -> tensor<16x16xf32>
    %t = linalg.transpose ins(%y : tensor<16x16xf32>) outs(%e : tensor<16x16xf32>) permutation = [1, 0]
    %s = braid.reduce_scatter %t on @tp axes = [0] dim = 0 reduction = sum : tensor<16x16xf32> -> tensor<4x16xf32>
    braid.yield %s : tensor<4x16xf32>
  } : tensor<4x16xf32>
  return %r : tensor<4x16xf32>
}

// -----

shard.grid @tp(shape = 4)
func.func @two_collectives(%x: tensor<16x8xf32>, %w: tensor<8x16xf32>, %c: tensor<16x16xf32>) -> tensor<4x16xf32> {
  // expected-error @+1 {{body fuses one collective; 'braid.all_reduce' is a second}}
  %r = braid.fused_collective trigger = #braid.trigger<chunk, count = 4> order = ring {
    %xr = braid.all_reduce %x on @tp axes = [0] reduction = sum : tensor<16x8xf32>
    %y = linalg.matmul ins(%xr, %w : tensor<16x8xf32>, tensor<8x16xf32>) outs(%c : tensor<16x16xf32>) -> tensor<16x16xf32>
    %s = braid.reduce_scatter %y on @tp axes = [0] dim = 0 reduction = sum : tensor<16x16xf32> -> tensor<4x16xf32>
    braid.yield %s : tensor<4x16xf32>
  } : tensor<4x16xf32>
  return %r : tensor<4x16xf32>
}

// -----

// expected-error @+1 {{a chunk trigger needs at least 2 chunks, not 1}}
func.func private @one_chunk() attributes {t = #braid.trigger<chunk, count = 1>}

// -----

// expected-error @+1 {{a chunk trigger takes only 'count' (tiles are for the tile trigger)}}
func.func private @chunk_with_tile() attributes {t = #braid.trigger<chunk, count = 2, m = 4>}

// -----

// expected-error @+1 {{a tile trigger takes 'm', 'n' and 'threshold', not 'count' (its chunks are the collective's)}}
func.func private @tile_with_count() attributes {t = #braid.trigger<tile, count = 2, m = 4, n = 4, threshold = 1>}

// -----

// expected-error @+1 {{a tile trigger needs a threshold of at least one tile, not 0}}
func.func private @tile_without_threshold() attributes {t = #braid.trigger<tile, m = 4, n = 4>}

// -----

// expected-error @+1 {{expected 'chunk' or 'tile', got 'wave'}}
func.func private @bad_kind() attributes {t = #braid.trigger<wave, count = 2>}

// -----

// expected-error @+1 {{unknown trigger parameter 'rows' (count, m, n, threshold)}}
func.func private @bad_parameter() attributes {t = #braid.trigger<chunk, rows = 2>}

// -----

// expected-error @+1 {{'braid.fusion' belongs on braid.all_gather, braid.reduce_scatter or braid.all_reduce, not on 'func.func'}}
func.func private @plan_on_function() attributes {braid.fusion = #braid.trigger<chunk, count = 2>}

// -----

// expected-error @+1 {{'braid.fusion' must be a #braid.trigger attribute}}
func.func private @plan_not_trigger() attributes {braid.fusion = 4 : i64}
