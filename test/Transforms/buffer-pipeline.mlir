// RUN: braid-opt %s -braid-buffer-pipeline -split-input-file -verify-diagnostics --mlir-print-op-on-diagnostic=false | FileCheck %s
// The tensor/async level becomes the buffer level: a layer op on buffers,
// a start on stream 1 as a launch whose event the host waits for before
// reading its result, element-wise ops fused into one loop nest, the
// result an output parameter, every temporary a view of one arena.

shard.grid @tp(shape = 4)
// CHECK-LABEL: func.func @overlap
// CHECK-SAME: (%[[X:.*]]: memref<16x8xf32>, %[[W:.*]]: memref<8xf32>, %[[OUT:.*]]: memref<16x8xf32> {braid.result = 0 : i64}, %[[ARENA:.*]]: memref<1024xi8> {braid.arena})
// CHECK-SAME: braid.arena_bytes = 1024
// expected-remark @below {{arena: 1024 bytes for 2 buffers (peak of live buffers 1024 bytes)}}
func.func @overlap(%x: tensor<16x8xf32>, %w: tensor<8xf32>) -> tensor<16x8xf32> {
  // CHECK: %[[NORM:.*]] = memref.view %[[ARENA]][%{{.*}}][] : memref<1024xi8> to memref<16x8xf32>
  // CHECK: braid.cmd.compute ins(%[[X]], %[[W]] : memref<16x8xf32>, memref<8xf32>) outs(%[[NORM]] : memref<16x8xf32>)
  // CHECK: braid.rmsnorm
  %n = braid.rmsnorm %x, %w {epsilon = 1.0e-5 : f32} : tensor<16x8xf32>, tensor<8xf32> -> tensor<16x8xf32>
  // CHECK: %[[SUM:.*]] = memref.view %[[ARENA]]
  // CHECK: %[[DONE:.*]] = braid.cmd.launch stream = 1 priority = 1 {
  // The argument is the caller's: reduced in place in a copy.
  // CHECK-NEXT: memref.copy %[[X]], %[[SUM]]
  // CHECK-NEXT: braid.cmd.all_reduce %[[SUM]], %[[SUM]] on @tp axes = [0] reduction = sum
  // CHECK-NEXT: }
  %f = braid.start stream = 1 priority = 1 {
    %r = braid.all_reduce %x on @tp axes = [0] reduction = sum : tensor<16x8xf32>
    braid.yield %r : tensor<16x8xf32>
  } : !braid.future<tensor<16x8xf32>>
  %y = arith.mulf %n, %n : tensor<16x8xf32>
  %r = braid.await %f : !braid.future<tensor<16x8xf32>>
  // CHECK: braid.cmd.wait %[[DONE]]
  // CHECK: linalg.generic {{.*}} ins(%[[NORM]], %[[SUM]] : memref<16x8xf32>, memref<16x8xf32>) outs(%[[OUT]] : memref<16x8xf32>)
  // CHECK: arith.mulf
  // CHECK: arith.addf
  // CHECK-NOT: linalg.generic
  %z = arith.addf %y, %r : tensor<16x8xf32>
  // CHECK: return{{$}}
  return %z : tensor<16x8xf32>
}

// -----

// A gather along an inner dimension: contiguous blocks gathered into
// [P, ...], then transposed into place. Matmuls stay named ops.
shard.grid @tp(shape = 2)
// CHECK-LABEL: func.func @inner_gather
// expected-remark @below {{arena:}}
func.func @inner_gather(%x: tensor<4x3xf32>, %b: tensor<6x5xf32>) -> tensor<4x5xf32> {
  // CHECK: %[[BLOCKS:.*]] = memref.view {{.*}} to memref<2x4x3xf32>
  // CHECK: braid.cmd.all_gather %{{.*}}, %[[BLOCKS]] on @tp axes = [0] : memref<4x3xf32>, memref<2x4x3xf32>
  // CHECK: %[[SPLIT:.*]] = memref.expand_shape %{{.*}} {{\[\[}}0], [1, 2]] output_shape [4, 2, 3] : memref<4x6xf32> into memref<4x2x3xf32>
  // CHECK: linalg.transpose ins(%[[BLOCKS]] : memref<2x4x3xf32>) outs(%[[SPLIT]] : memref<4x2x3xf32>) permutation = [1, 0, 2]
  %g = braid.all_gather %x on @tp axes = [0] dim = 1 : tensor<4x3xf32> -> tensor<4x6xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x5xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e : tensor<4x5xf32>) -> tensor<4x5xf32>
  // CHECK: linalg.matmul
  %m = linalg.matmul ins(%g, %b : tensor<4x6xf32>, tensor<6x5xf32>) outs(%acc : tensor<4x5xf32>) -> tensor<4x5xf32>
  %t = arith.negf %m : tensor<4x5xf32>
  return %t : tensor<4x5xf32>
}

// -----

// all_reduce runs in place on a temporary nobody reads afterwards; the
// function's argument is never written.
shard.grid @tp(shape = 2)
// CHECK-LABEL: func.func @in_place
// CHECK-SAME: (%[[X:[a-z0-9]+]]: memref<8xf32>
// expected-remark @below {{arena: 64 bytes for 1 buffers}}
func.func @in_place(%x: tensor<8xf32>) -> tensor<8xf32> {
  // CHECK: %[[T:.*]] = memref.view
  // CHECK: linalg.generic {{.*}} ins(%[[X]] : memref<8xf32>) outs(%[[T]] : memref<8xf32>)
  // CHECK-NOT: memref.copy
  // CHECK: braid.cmd.all_reduce %[[T]], %[[T]] on @tp axes = [0] reduction = sum
  // CHECK-NOT: memref.copy
  %n = arith.negf %x : tensor<8xf32>
  %r = braid.all_reduce %n on @tp axes = [0] reduction = sum : tensor<8xf32>
  %y = arith.mulf %r, %r : tensor<8xf32>
  return %y : tensor<8xf32>
}
