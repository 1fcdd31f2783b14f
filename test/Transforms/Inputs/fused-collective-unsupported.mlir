// Fused ops the buffer level refuses (fuse-producer-collective-buffer.mlir),
// one program each (split by test/Interpreter/Inputs/split.py).

// ----- epilogue.mlir
// EPILOGUE: error: 'braid.fused_collective' op cannot run its epilogue on blocks of rows: its epilogue's 'linalg.generic' indexes operand 1 by d0 + d1, so a block of rows reads outside its own rows
#rows = affine_map<(d0, d1) -> (d0, d1)>
#shifted = affine_map<(d0, d1) -> (d0 + d1)>
shard.grid @tp(shape = 2)
func.func @epilogue(%x: tensor<8x8xf32>, %w: tensor<8x8xf32>, %c: tensor<8x8xf32>, %ramp: tensor<15xf32>) -> tensor<4x8xf32> {
  %e = tensor.empty() : tensor<8x8xf32>
  %r = braid.fused_collective trigger = #braid.trigger<chunk, count = 2> order = ring {
    %y = linalg.matmul ins(%x, %w : tensor<8x8xf32>, tensor<8x8xf32>) outs(%c : tensor<8x8xf32>) -> tensor<8x8xf32>
    %t = linalg.generic {indexing_maps = [#rows, #shifted, #rows], iterator_types = ["parallel", "parallel"]}
        ins(%y, %ramp : tensor<8x8xf32>, tensor<15xf32>) outs(%e : tensor<8x8xf32>) {
    ^bb0(%v: f32, %a: f32, %o: f32):
      %s = arith.addf %v, %a : f32
      linalg.yield %s : f32
    } -> tensor<8x8xf32>
    %s = braid.reduce_scatter %t on @tp axes = [0] dim = 0 reduction = sum : tensor<8x8xf32> -> tensor<4x8xf32>
    braid.yield %s : tensor<4x8xf32>
  } : tensor<4x8xf32>
  return %r : tensor<4x8xf32>
}

// ----- columns.mlir

// COLUMNS: error: 'braid.fused_collective' op cuts its producer along an inner dimension; the buffer level releases contiguous chunks, a cut along the first dimension of the matmul's output
shard.grid @tp(shape = 2)
func.func @columns(%x: tensor<8x8xf32>, %w: tensor<8x8xf32>, %c: tensor<8x8xf32>) -> tensor<8x4xf32> {
  %r = braid.fused_collective trigger = #braid.trigger<chunk, count = 2> order = ring {
    %y = linalg.matmul ins(%x, %w : tensor<8x8xf32>, tensor<8x8xf32>) outs(%c : tensor<8x8xf32>) -> tensor<8x8xf32>
    %s = braid.reduce_scatter %y on @tp axes = [0] dim = 1 reduction = sum : tensor<8x8xf32> -> tensor<8x4xf32>
    braid.yield %s : tensor<8x4xf32>
  } : tensor<8x4xf32>
  return %r : tensor<8x4xf32>
}

// ----- batched.mlir

// BATCHED: error: 'braid.fused_collective' op fuses a linalg.batch_matmul; the buffer level lowers a linalg.matmul or braid.grouped_matmul producer only (the runtime's chunked GEMMs)
shard.grid @tp(shape = 2)
func.func @batched(%x: tensor<4x8x8xf32>, %w: tensor<4x8x8xf32>, %c: tensor<4x8x8xf32>) -> tensor<8x8x8xf32> {
  %r = braid.fused_collective trigger = #braid.trigger<chunk, count = 2> order = arrival {
    %y = linalg.batch_matmul ins(%x, %w : tensor<4x8x8xf32>, tensor<4x8x8xf32>) outs(%c : tensor<4x8x8xf32>) -> tensor<4x8x8xf32>
    %g = braid.all_gather %y on @tp axes = [0] dim = 0 : tensor<4x8x8xf32> -> tensor<8x8x8xf32>
    braid.yield %g : tensor<8x8x8xf32>
  } : tensor<8x8x8xf32>
  return %r : tensor<8x8x8xf32>
}
