// Seeded interleavings of ranks and streams expose ordering bugs that a
// single run would pass by luck.
// RUN: rm -rf %t && mkdir -p %t
// RUN: %python %S/Inputs/split.py %s %t
// Two streams all-reduce different tensors of the same shape on one
// communicator: signatures match, so NCCL would silently mix them up. Some
// interleavings pair rank 0's x with rank 1's y.
// RUN: not braid-interp %t/racy.mlir --schedules=8 2>&1 | FileCheck %s --check-prefix=RACY
// One communicator per stream: every interleaving agrees, and the async
// program equals its synchronous form.
// RUN: braid-interp %t/ordered.mlir --schedules=8 --quiet
// RUN: braid-opt %t/ordered.mlir -braid-inline-async -o %t/ordered-sync.mlir
// RUN: %braid-diff %t/ordered.mlir --compare=%t/ordered-sync.mlir --exact | FileCheck %s --check-prefix=SYNC

// RACY: error: result #{{[01]}} of rank {{[0-9]}} differs between interleavings (seed 0 vs {{[1-7]}}): a missing await or an ordering bug
// SYNC: bitwise equal on all 4 ranks

// ----- racy.mlir
shard.grid @tp(shape = 2)
func.func @main(%x: tensor<8xf32>) -> (tensor<8xf32>, tensor<8xf32>) {
  %y = arith.mulf %x, %x : tensor<8xf32>
  %f = braid.start stream = 1 {
    %r = braid.all_reduce %x on @tp axes = [0] reduction = sum : tensor<8xf32>
    braid.yield %r : tensor<8xf32>
  } : !braid.future<tensor<8xf32>>
  %g = braid.start stream = 2 {
    %r = braid.all_reduce %y on @tp axes = [0] reduction = sum : tensor<8xf32>
    braid.yield %r : tensor<8xf32>
  } : !braid.future<tensor<8xf32>>
  %a = braid.await %f : !braid.future<tensor<8xf32>>
  %b = braid.await %g : !braid.future<tensor<8xf32>>
  return %a, %b : tensor<8xf32>, tensor<8xf32>
}

// ----- ordered.mlir
shard.grid @m(shape = 2x2)
func.func @main(%x: tensor<8x4xf32>, %w: tensor<4x4xf32>) -> (tensor<8x4xf32>, tensor<16x4xf32>) {
  %zero = arith.constant 0.0 : f32
  // Tensor-parallel partial sums reduced over axis 1 on stream 1 while the
  // sequence shards are gathered over axis 0 on stream 2.
  %e = tensor.empty() : tensor<8x4xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<8x4xf32>) -> tensor<8x4xf32>
  %p = linalg.matmul ins(%x, %w : tensor<8x4xf32>, tensor<4x4xf32>) outs(%init : tensor<8x4xf32>) -> tensor<8x4xf32>
  %f = braid.start stream = 1 priority = 1 {
    %r = braid.all_reduce %p on @m axes = [1] reduction = sum : tensor<8x4xf32>
    braid.yield %r : tensor<8x4xf32>
  } : !braid.future<tensor<8x4xf32>>
  %g = braid.start stream = 2 {
    %a = braid.all_gather %x on @m axes = [0] dim = 0 : tensor<8x4xf32> -> tensor<16x4xf32>
    braid.yield %a : tensor<16x4xf32>
  } : !braid.future<tensor<16x4xf32>>
  %h = braid.start {
    %s = braid.activation silu %p : tensor<8x4xf32>
    braid.yield %s : tensor<8x4xf32>
  } : !braid.future<tensor<8x4xf32>>
  %s = braid.await %h : !braid.future<tensor<8x4xf32>>
  %r = braid.await %f : !braid.future<tensor<8x4xf32>>
  %a = braid.await %g : !braid.future<tensor<16x4xf32>>
  %sum = arith.addf %r, %s : tensor<8x4xf32>
  return %sum, %a : tensor<8x4xf32>, tensor<16x4xf32>
}
