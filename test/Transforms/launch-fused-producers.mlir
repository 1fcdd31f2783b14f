// RUN: braid-opt %s -split-input-file --pass-pipeline='builtin.module(func.func(braid-launch-fused-producers))' | FileCheck %s
// A producer on the host with its collective after it moves onto a worker
// stream one past the highest the function launches on; the host waits
// for it after the collective. Producers already launched, or whose
// collective runs on a stream of its own, stay as they are.

shard.grid @tp(shape = 4)
// CHECK-LABEL: func.func @host_pair
// CHECK: braid.cmd.launch stream = 2
// CHECK: braid.cmd.next_epoch
// CHECK: %[[DONE:.*]] = braid.cmd.launch stream = 3 {
// CHECK-NEXT: braid.cmd.chunked_compute
// CHECK: braid.cmd.reduce_scatter {{.*}} after
// CHECK-NEXT: braid.cmd.wait %[[DONE]]
// CHECK-NEXT: braid.cmd.wait
func.func @host_pair(%a: memref<16x8xf32>, %b: memref<8x16xf32>, %c: memref<16x16xf32>, %r: memref<4x16xf32>, %h: memref<4xf32>) {
  %other = braid.cmd.launch stream = 2 {
    braid.cmd.all_reduce %h, %h on @tp axes = [0] reduction = sum : memref<4xf32>, memref<4xf32>
  }
  %counter = braid.cmd.counter : !braid.counter
  %epoch = braid.cmd.next_epoch %counter : i64
  braid.cmd.chunked_compute %c release %counter[%epoch] chunks = 4 tiles = 1 order = ring on @tp axes = [0] : memref<16x16xf32> {
    linalg.matmul ins(%a, %b : memref<16x8xf32>, memref<8x16xf32>) outs(%c : memref<16x16xf32>)
  }
  braid.cmd.reduce_scatter %c, %r on @tp axes = [0] reduction = sum after %counter[%epoch] chunks = 4 tiles = 1 : memref<16x16xf32>, memref<4x16xf32>
  braid.cmd.wait %other
  return
}

// -----

shard.grid @tp(shape = 2)
// CHECK-LABEL: func.func @collective_first
// CHECK: braid.cmd.launch stream = 1 {
// CHECK-NEXT: braid.cmd.all_gather
// CHECK: }
// CHECK-NEXT: braid.cmd.chunked_compute
// CHECK-NOT: braid.cmd.launch
func.func @collective_first(%a: memref<16x8xf32>, %b: memref<8x16xf32>, %c: memref<16x16xf32>, %g: memref<32x16xf32>) {
  %counter = braid.cmd.counter : !braid.counter
  %epoch = braid.cmd.next_epoch %counter : i64
  %done = braid.cmd.launch stream = 1 {
    braid.cmd.all_gather %c, %g on @tp axes = [0] after %counter[%epoch] chunks = 2 tiles = 1 : memref<16x16xf32>, memref<32x16xf32>
  }
  braid.cmd.chunked_compute %c release %counter[%epoch] chunks = 2 tiles = 1 order = arrival on @tp axes = [0] : memref<16x16xf32> {
    linalg.matmul ins(%a, %b : memref<16x8xf32>, memref<8x16xf32>) outs(%c : memref<16x16xf32>)
  }
  braid.cmd.wait %done
  return
}
