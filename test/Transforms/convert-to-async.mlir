// RUN: braid-opt %s --pass-pipeline='builtin.module(braid-convert-to-async)' | FileCheck %s
// The asynchronous program means the same on every rank and interleaving.
// RUN: braid-opt %s --pass-pipeline='builtin.module(braid-convert-to-async)' -o %t.mlir
// RUN: %braid-diff %s --compare=%t.mlir --exact --schedules=5

shard.grid @mesh(shape = 2x2)

// CHECK-LABEL: func.func @main
// CHECK-SAME: (%[[X:.*]]: tensor<8x4xf32>)
func.func @main(%x: tensor<8x4xf32>) -> (tensor<8x4xf32>, tensor<16x4xf32>, tensor<8x4xf32>) {
  // One stream per communicator, numbered in order of first use; the
  // stream 1 already in use stays with its work.
  // CHECK: %[[F0:.*]] = braid.start stream = 2 {
  // CHECK-NEXT: %[[R:.*]] = braid.all_reduce %[[X]] on @mesh axes = [1]
  // CHECK-NEXT: braid.yield %[[R]]
  // CHECK: %[[A:.*]] = braid.await %[[F0]]
  %r = braid.all_reduce %x on @mesh axes = [1] reduction = sum : tensor<8x4xf32>
  // CHECK: %[[F1:.*]] = braid.start stream = 3 {
  // CHECK-NEXT: braid.all_gather %[[X]] on @mesh axes = [0]
  // CHECK: braid.await %[[F1]]
  %g = braid.all_gather %x on @mesh axes = [0] dim = 0 : tensor<8x4xf32> -> tensor<16x4xf32>
  // CHECK: %[[F2:.*]] = braid.start stream = 2 {
  // CHECK-NEXT: braid.all_reduce %[[A]] on @mesh axes = [1]
  %r2 = braid.all_reduce %r on @mesh axes = [1] reduction = max : tensor<8x4xf32>
  // Already asynchronous work is left alone.
  // CHECK: braid.start stream = 1 {
  // CHECK-NEXT: math.exp
  // CHECK-NEXT: braid.yield
  // CHECK-NEXT: }
  // CHECK-NEXT: braid.await
  %f = braid.start stream = 1 {
    %e = math.exp %x : tensor<8x4xf32>
    braid.yield %e : tensor<8x4xf32>
  } : !braid.future<tensor<8x4xf32>>
  %e = braid.await %f : !braid.future<tensor<8x4xf32>>
  %s = arith.addf %r2, %e : tensor<8x4xf32>
  return %s, %g, %r : tensor<8x4xf32>, tensor<16x4xf32>, tensor<8x4xf32>
}

// A communicator a hand-written start already uses keeps that start's
// stream, across functions too; the result passes the order verifier.
// RUN: braid-opt %S/Inputs/async-streams.mlir --pass-pipeline='builtin.module(braid-overlap-pipeline{profile=cpu-1gbe})' -o %t.streams.mlir
// RUN: FileCheck %s --check-prefix=STREAMS < %t.streams.mlir
// RUN: %braid-diff %S/Inputs/async-streams.mlir --entry=main --compare=%t.streams.mlir --exact --schedules=8
// STREAMS-LABEL: func.func @helper
// STREAMS: braid.start stream = 2
// STREAMS-NEXT: braid.all_reduce {{.*}} on @tp axes = [1]
// STREAMS-LABEL: func.func @main
// STREAMS: braid.start stream = 1
// STREAMS-NEXT: braid.all_reduce {{.*}} on @tp axes = [0]
// STREAMS: braid.start stream = 1
// STREAMS-NEXT: braid.all_reduce {{.*}} on @tp axes = [0]
