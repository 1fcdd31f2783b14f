// RUN: braid-opt %s -split-input-file | FileCheck %s
// RUN: braid-opt %s -split-input-file | braid-opt -split-input-file | FileCheck %s
// The fused form holds the unfused program; the op adds the schedule.

shard.grid @tp(shape = 4)
// CHECK-LABEL: func.func @reduce_scatter_chunks
// CHECK: braid.fused_collective trigger = #braid.trigger<chunk, count = 4> order = ring {
// CHECK:   linalg.matmul
// CHECK:   braid.reduce_scatter
// CHECK:   braid.yield %{{.*}} : tensor<4x16xf32>
// CHECK: } : tensor<4x16xf32>
func.func @reduce_scatter_chunks(%x: tensor<16x8xf32>, %w: tensor<8x16xf32>, %c: tensor<16x16xf32>) -> tensor<4x16xf32> {
  %r = braid.fused_collective trigger = #braid.trigger<chunk, count = 4> order = ring {
    %y = linalg.matmul ins(%x, %w : tensor<16x8xf32>, tensor<8x16xf32>) outs(%c : tensor<16x16xf32>) -> tensor<16x16xf32>
    %s = braid.reduce_scatter %y on @tp axes = [0] dim = 0 reduction = sum : tensor<16x16xf32> -> tensor<4x16xf32>
    braid.yield %s : tensor<4x16xf32>
  } : tensor<4x16xf32>
  return %r : tensor<4x16xf32>
}

// -----

// A tile trigger; an epilogue chain (bias, truncation) between the matmul
// and an all_reduce.
shard.grid @tp(shape = 2)
// CHECK-LABEL: func.func @all_reduce_tiles
// CHECK: braid.fused_collective trigger = #braid.trigger<tile, m = 4, n = 8, threshold = 2> order = ring {
// CHECK:   linalg.matmul
// CHECK:   arith.addf
// CHECK:   arith.truncf
// CHECK:   braid.all_reduce
func.func @all_reduce_tiles(%x: tensor<16x8xf32>, %w: tensor<8x16xf32>, %c: tensor<16x16xf32>, %b: tensor<16x16xf32>) -> tensor<16x16xbf16> {
  %r = braid.fused_collective trigger = #braid.trigger<tile, m = 4, n = 8, threshold = 2> order = ring {
    %y = linalg.matmul ins(%x, %w : tensor<16x8xf32>, tensor<8x16xf32>) outs(%c : tensor<16x16xf32>) -> tensor<16x16xf32>
    %z = arith.addf %y, %b : tensor<16x16xf32>
    %t = arith.truncf %z : tensor<16x16xf32> to tensor<16x16xbf16>
    %s = braid.all_reduce %t on @tp axes = [0] reduction = sum : tensor<16x16xbf16>
    braid.yield %s : tensor<16x16xbf16>
  } : tensor<16x16xbf16>
  return %r : tensor<16x16xbf16>
}

// -----

// all_gather in arrival order; a batch_matmul cut along its batch.
shard.grid @tp(shape = 2)
// CHECK-LABEL: func.func @all_gather_batch
// CHECK: braid.fused_collective trigger = #braid.trigger<chunk, count = 2> order = arrival {
// CHECK:   linalg.batch_matmul
// CHECK:   linalg.elementwise
// CHECK:   braid.all_gather
func.func @all_gather_batch(%x: tensor<4x8x8xf32>, %w: tensor<4x8x8xf32>, %c: tensor<4x8x8xf32>) -> tensor<8x8x8xf32> {
  %r = braid.fused_collective trigger = #braid.trigger<chunk, count = 2> order = arrival {
    %y = linalg.batch_matmul ins(%x, %w : tensor<4x8x8xf32>, tensor<4x8x8xf32>) outs(%c : tensor<4x8x8xf32>) -> tensor<4x8x8xf32>
    %e = tensor.empty() : tensor<4x8x8xf32>
    %a = linalg.elementwise kind=#linalg.elementwise_kind<exp> ins(%y : tensor<4x8x8xf32>) outs(%e : tensor<4x8x8xf32>) -> tensor<4x8x8xf32>
    %g = braid.all_gather %a on @tp axes = [0] dim = 0 : tensor<4x8x8xf32> -> tensor<8x8x8xf32>
    braid.yield %g : tensor<8x8x8xf32>
  } : tensor<8x8x8xf32>
  return %r : tensor<8x8x8xf32>
}

// -----

// The plan attribute a user may write on a collective.
shard.grid @tp(shape = 4)
// CHECK-LABEL: func.func @plan
// CHECK: braid.fusion = #braid.trigger<tile, m = 128, n = 64, threshold = 3>
func.func @plan(%y: tensor<1024x256xf32>) -> tensor<256x256xf32> {
  %s = braid.reduce_scatter %y on @tp axes = [0] dim = 0 reduction = sum {braid.fusion = #braid.trigger<tile, m = 128, n = 64, threshold = 3>} : tensor<1024x256xf32> -> tensor<256x256xf32>
  return %s : tensor<256x256xf32>
}
