// RUN: braid-opt %s | braid-opt | FileCheck %s
// The counter form of producer fusion parses, verifies and prints back.

shard.grid @tp(shape = 4)

// CHECK-LABEL: func.func @ring
// CHECK: %[[COUNTER:.*]] = braid.cmd.counter : !braid.counter
// CHECK: %[[EPOCH:.*]] = braid.cmd.next_epoch %[[COUNTER]] : i64
// CHECK: braid.cmd.launch stream = 1 {
// CHECK-NEXT: braid.cmd.chunked_compute %{{.*}} release %[[COUNTER]][%[[EPOCH]]] chunks = 8 tiles = 2 order = ring on @tp axes = [0] : memref<64x16xf32> {
// CHECK-NEXT: linalg.matmul
// CHECK-NEXT: }
// CHECK: braid.cmd.reduce_scatter %{{.*}}, %{{.*}} on @tp axes = [0] reduction = sum after %[[COUNTER]][%[[EPOCH]]] chunks = 8 tiles = 2 : memref<64x16xf32>, memref<16x16xf32>
func.func @ring(%a: memref<64x32xf32>, %b: memref<32x16xf32>, %c: memref<64x16xf32>, %r: memref<16x16xf32>) {
  %counter = braid.cmd.counter : !braid.counter
  %epoch = braid.cmd.next_epoch %counter : i64
  %done = braid.cmd.launch stream = 1 {
    braid.cmd.chunked_compute %c release %counter[%epoch] chunks = 8 tiles = 2 order = ring on @tp axes = [0] : memref<64x16xf32> {
      linalg.matmul ins(%a, %b : memref<64x32xf32>, memref<32x16xf32>) outs(%c : memref<64x16xf32>)
    }
  }
  braid.cmd.reduce_scatter %c, %r on @tp axes = [0] reduction = sum after %counter[%epoch] chunks = 8 tiles = 2 : memref<64x16xf32>, memref<16x16xf32>
  braid.cmd.wait %done
  return
}

// A collective issued before its producer, on a stream of its own.
// CHECK-LABEL: func.func @gather_first
// CHECK: braid.cmd.launch stream = 2 {
// CHECK-NEXT: braid.cmd.all_gather {{.*}} after
// CHECK: braid.cmd.chunked_compute {{.*}} order = arrival
func.func @gather_first(%a: memref<16x32xf32>, %b: memref<32x16xf32>, %c: memref<16x16xf32>, %g: memref<64x16xf32>) {
  %counter = braid.cmd.counter : !braid.counter
  %epoch = braid.cmd.next_epoch %counter : i64
  %done = braid.cmd.launch stream = 2 {
    braid.cmd.all_gather %c, %g on @tp axes = [0] after %counter[%epoch] chunks = 2 tiles = 1 : memref<16x16xf32>, memref<64x16xf32>
  }
  braid.cmd.chunked_compute %c release %counter[%epoch] chunks = 2 tiles = 1 order = arrival on @tp axes = [0] : memref<16x16xf32> {
    linalg.matmul ins(%a, %b : memref<16x32xf32>, memref<32x16xf32>) outs(%c : memref<16x16xf32>)
  }
  braid.cmd.wait %done
  return
}

// A producer with an epilogue: the matmul writes a temporary that the
// epilogue reads; only the output is released.
// CHECK-LABEL: func.func @epilogue
// CHECK: braid.cmd.chunked_compute %[[OUT:.*]] release {{.*}} chunks = 4 tiles = 1 order = ring on @tp axes = [0] : memref<64x16xf32> {
// CHECK-NEXT: linalg.matmul {{.*}} outs(%[[TEMP:.*]] : memref<64x16xf32>)
// CHECK-NEXT: linalg.generic {{.*}} ins(%[[TEMP]] : memref<64x16xf32>) outs(%[[OUT]] : memref<64x16xf32>)
#rows = affine_map<(d0, d1) -> (d0, d1)>
func.func @epilogue(%a: memref<64x32xf32>, %b: memref<32x16xf32>, %t: memref<64x16xf32>, %c: memref<64x16xf32>, %r: memref<16x16xf32>) {
  %counter = braid.cmd.counter : !braid.counter
  %epoch = braid.cmd.next_epoch %counter : i64
  %done = braid.cmd.launch stream = 1 {
    braid.cmd.chunked_compute %c release %counter[%epoch] chunks = 4 tiles = 1 order = ring on @tp axes = [0] : memref<64x16xf32> {
      linalg.matmul ins(%a, %b : memref<64x32xf32>, memref<32x16xf32>) outs(%t : memref<64x16xf32>)
      linalg.generic {indexing_maps = [#rows, #rows], iterator_types = ["parallel", "parallel"]}
          ins(%t : memref<64x16xf32>) outs(%c : memref<64x16xf32>) {
      ^bb0(%v: f32, %o: f32):
        %n = arith.negf %v : f32
        linalg.yield %n : f32
      }
    }
  }
  braid.cmd.reduce_scatter %c, %r on @tp axes = [0] reduction = sum after %counter[%epoch] chunks = 4 tiles = 1 : memref<64x16xf32>, memref<16x16xf32>
  braid.cmd.wait %done
  return
}
