// RUN: braid-opt %s --pass-pipeline='builtin.module(func.func(braid-convert-async-to-streams))' -split-input-file -verify-diagnostics | FileCheck %s

shard.grid @tp(shape = 2)
// A start on a worker stream: its allocation is hoisted, the body is
// launched, every await waits for the launch's event and reads the buffer.
// CHECK-LABEL: func.func @worker
func.func @worker(%x: memref<8xf32>) -> memref<8xf32> {
  // CHECK: %[[B:.*]] = memref.alloc() : memref<8xf32>
  // CHECK-NEXT: %[[DONE:.*]] = braid.cmd.launch stream = 2 priority = 3 {
  // CHECK-NEXT: braid.cmd.all_reduce %{{.*}}, %[[B]]
  // CHECK-NEXT: }
  %f = braid.start stream = 2 priority = 3 {
    %b = memref.alloc() : memref<8xf32>
    braid.cmd.all_reduce %x, %b on @tp axes = [0] reduction = sum : memref<8xf32>, memref<8xf32>
    braid.yield %b : memref<8xf32>
  } : !braid.future<memref<8xf32>>
  // CHECK-NEXT: memref.alloc
  %c = memref.alloc() : memref<8xf32>
  // CHECK-NEXT: braid.cmd.wait %[[DONE]]
  %r = braid.await %f : !braid.future<memref<8xf32>>
  // CHECK-NEXT: memref.copy %[[B]]
  memref.copy %r, %c : memref<8xf32> to memref<8xf32>
  return %c : memref<8xf32>
}

// -----

shard.grid @tp(shape = 2)
// Stream 0 is the host stream: the body runs where it was issued.
// CHECK-LABEL: func.func @host
// CHECK-NOT: braid.cmd.launch
// CHECK-NOT: braid.start
// CHECK: braid.cmd.all_reduce
// CHECK-NOT: braid.cmd.wait
func.func @host(%x: memref<8xf32>) -> memref<8xf32> {
  %f = braid.start {
    %b = memref.alloc() : memref<8xf32>
    braid.cmd.all_reduce %x, %b on @tp axes = [0] reduction = sum : memref<8xf32>, memref<8xf32>
    braid.yield %b : memref<8xf32>
  } : !braid.future<memref<8xf32>>
  %r = braid.await %f : !braid.future<memref<8xf32>>
  return %r : memref<8xf32>
}

// -----

shard.grid @tp(shape = 2)
func.func @not_bufferized(%x: tensor<8xf32>) -> tensor<8xf32> {
  // expected-error @below {{yields a 'tensor<8xf32>'; run one-shot-bufferize before converting to streams}}
  %f = braid.start stream = 1 {
    %r = braid.all_reduce %x on @tp axes = [0] reduction = sum : tensor<8xf32>
    braid.yield %r : tensor<8xf32>
  } : !braid.future<tensor<8xf32>>
  %r = braid.await %f : !braid.future<tensor<8xf32>>
  return %r : tensor<8xf32>
}
