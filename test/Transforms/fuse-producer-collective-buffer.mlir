// Bufferization turns braid.fused_collective into the counter form: a
// fresh counter and epoch, the matmul (and its epilogue) inside a
// braid.cmd.chunked_compute that releases it (launched on a worker stream
// of its own by braid-launch-fused-producers), and the collective
// triggered by it on the host stream, which then waits for the producer.
// What the buffer level cannot run is refused with the reason.
// RUN: braid-opt %s -split-input-file --braid-buffer-pipeline 2>&1 | FileCheck %s
// RUN: rm -rf %t && mkdir -p %t
// RUN: %python %S/../Interpreter/Inputs/split.py %S/Inputs/fused-collective-unsupported.mlir %t
// RUN: not braid-opt %t/epilogue.mlir --braid-buffer-pipeline -o %t/ignored 2>&1 | FileCheck %S/Inputs/fused-collective-unsupported.mlir --check-prefix=EPILOGUE
// RUN: not braid-opt %t/columns.mlir --braid-buffer-pipeline -o %t/ignored 2>&1 | FileCheck %S/Inputs/fused-collective-unsupported.mlir --check-prefix=COLUMNS
// RUN: not braid-opt %t/batched.mlir --braid-buffer-pipeline -o %t/ignored 2>&1 | FileCheck %S/Inputs/fused-collective-unsupported.mlir --check-prefix=BATCHED
// RUN: not test -e %t/ignored
// (test/Interpreter/buffer-counters.mlir runs the counter form.)

// CHECK-LABEL: func.func @ring
// CHECK: %[[COUNTER:.*]] = braid.cmd.counter : !braid.counter
// CHECK: %[[EPOCH:.*]] = braid.cmd.next_epoch %[[COUNTER]] : i64
// CHECK: %[[DONE:.*]] = braid.cmd.launch stream = 2 {
// CHECK-NEXT: braid.cmd.chunked_compute %[[C:.*]] release %[[COUNTER]][%[[EPOCH]]] chunks = 4 tiles = 1 order = ring on @tp axes = [0] : memref<16x16xf32> {
// CHECK-NEXT: linalg.matmul ins(%{{.*}}, %{{.*}} : memref<16x8xf32>, memref<8x16xf32>) outs(%[[C]] : memref<16x16xf32>)
// CHECK: braid.cmd.reduce_scatter %[[C]], %{{.*}} on @tp axes = [0] reduction = sum after %[[COUNTER]][%[[EPOCH]]] chunks = 4 tiles = 1
// CHECK-NEXT: braid.cmd.wait %[[DONE]]
shard.grid @tp(shape = 4)
func.func @ring(%x: tensor<16x8xf32>, %w: tensor<8x16xf32>, %c: tensor<16x16xf32>, %h: tensor<4x4xf32>) -> (tensor<4x16xf32>, tensor<4x4xf32>) {
  // Another start on stream 1: the producer goes one past it.
  %f = braid.start stream = 1 {
    %a = braid.all_reduce %h on @tp axes = [0] reduction = sum : tensor<4x4xf32>
    braid.yield %a : tensor<4x4xf32>
  } : !braid.future<tensor<4x4xf32>>
  %r = braid.fused_collective trigger = #braid.trigger<chunk, count = 4> order = ring {
    %y = linalg.matmul ins(%x, %w : tensor<16x8xf32>, tensor<8x16xf32>) outs(%c : tensor<16x16xf32>) -> tensor<16x16xf32>
    %s = braid.reduce_scatter %y on @tp axes = [0] dim = 0 reduction = sum : tensor<16x16xf32> -> tensor<4x16xf32>
    braid.yield %s : tensor<4x16xf32>
  } : tensor<4x16xf32>
  %a = braid.await %f : !braid.future<tensor<4x4xf32>>
  return %r, %a : tensor<4x16xf32>, tensor<4x4xf32>
}

// -----

// A tile trigger: tile blocks of m = 2 rows, released every 2 tiles, in
// chunks of 8 rows: 2 releases per chunk. The all_reduce runs in place.
// CHECK-LABEL: func.func @tiles
// CHECK: braid.cmd.launch stream = 1 {
// CHECK-NEXT: braid.cmd.chunked_compute %[[C:.*]] release {{.*}} chunks = 2 tiles = 2 order = ring
// CHECK: braid.cmd.all_reduce %[[C]], %[[C]] on @tp axes = [0] reduction = sum after {{.*}} chunks = 2 tiles = 2
shard.grid @tp(shape = 2)
func.func @tiles(%x: tensor<16x8xf32>, %w: tensor<8x16xf32>) -> tensor<16x16xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<16x16xf32>
  %c = linalg.fill ins(%zero : f32) outs(%e : tensor<16x16xf32>) -> tensor<16x16xf32>
  %r = braid.fused_collective trigger = #braid.trigger<tile, m = 2, n = 16, threshold = 2> order = ring {
    %y = linalg.matmul ins(%x, %w : tensor<16x8xf32>, tensor<8x16xf32>) outs(%c : tensor<16x16xf32>) -> tensor<16x16xf32>
    %s = braid.all_reduce %y on @tp axes = [0] reduction = sum : tensor<16x16xf32>
    braid.yield %s : tensor<16x16xf32>
  } : tensor<16x16xf32>
  return %r : tensor<16x16xf32>
}

// -----

// Arrival order, inside a loop: one counter, a fresh epoch per iteration.
// CHECK-LABEL: func.func @gather_loop
// CHECK: scf.for
// CHECK: braid.cmd.counter
// CHECK: braid.cmd.next_epoch
// CHECK: braid.cmd.chunked_compute {{.*}} chunks = 3 tiles = 1 order = arrival
// CHECK: braid.cmd.all_gather {{.*}} after {{.*}} chunks = 3 tiles = 1
shard.grid @tp(shape = 2)
func.func @gather_loop(%x: tensor<6x8xf32>, %w: tensor<8x8xf32>) -> tensor<12x8xf32> {
  %zero = arith.constant 0.0 : f32
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  %e0 = tensor.empty() : tensor<12x8xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e0 : tensor<12x8xf32>) -> tensor<12x8xf32>
  %out = scf.for %i = %c0 to %c3 step %c1 iter_args(%acc = %init) -> tensor<12x8xf32> {
    %e = tensor.empty() : tensor<6x8xf32>
    %c = linalg.fill ins(%zero : f32) outs(%e : tensor<6x8xf32>) -> tensor<6x8xf32>
    %g = braid.fused_collective trigger = #braid.trigger<chunk, count = 3> order = arrival {
      %y = linalg.matmul ins(%x, %w : tensor<6x8xf32>, tensor<8x8xf32>) outs(%c : tensor<6x8xf32>) -> tensor<6x8xf32>
      %a = braid.all_gather %y on @tp axes = [0] dim = 0 : tensor<6x8xf32> -> tensor<12x8xf32>
      braid.yield %a : tensor<12x8xf32>
    } : tensor<12x8xf32>
    %sum = arith.addf %acc, %g : tensor<12x8xf32>
    scf.yield %sum : tensor<12x8xf32>
  }
  return %out : tensor<12x8xf32>
}

// -----

// An epilogue chain (a bias broadcast along the rows, then tanh): the
// matmul writes a temporary, the epilogue reads it and writes the buffer
// the chunked_compute releases, both inside it.
// CHECK-LABEL: func.func @epilogue
// CHECK: braid.cmd.launch stream = 1 {
// CHECK-NEXT: braid.cmd.chunked_compute %[[OUT:.*]] release {{.*}} chunks = 2 tiles = 1 order = ring on @tp axes = [0] : memref<8x16xf32> {
// CHECK-NEXT: linalg.matmul ins(%{{.*}}, %{{.*}} : memref<8x8xf32>, memref<8x16xf32>) outs(%[[TEMP:.*]] : memref<8x16xf32>)
// CHECK-NEXT: linalg.generic {{.*}} ins(%[[TEMP]], %{{.*}} : memref<8x16xf32>, memref<16xf32>) outs(%[[OUT]] : memref<8x16xf32>)
// CHECK: braid.cmd.reduce_scatter %[[OUT]], %{{.*}} after {{.*}} chunks = 2 tiles = 1
#rows = affine_map<(d0, d1) -> (d0, d1)>
#bias = affine_map<(d0, d1) -> (d1)>
shard.grid @tp(shape = 2)
func.func @epilogue(%x: tensor<8x8xf32>, %w: tensor<8x16xf32>, %c: tensor<8x16xf32>, %bias: tensor<16xf32>) -> tensor<4x16xf32> {
  %e = tensor.empty() : tensor<8x16xf32>
  %r = braid.fused_collective trigger = #braid.trigger<chunk, count = 2> order = ring {
    %y = linalg.matmul ins(%x, %w : tensor<8x8xf32>, tensor<8x16xf32>) outs(%c : tensor<8x16xf32>) -> tensor<8x16xf32>
    %b = linalg.generic {indexing_maps = [#rows, #bias, #rows], iterator_types = ["parallel", "parallel"]}
        ins(%y, %bias : tensor<8x16xf32>, tensor<16xf32>) outs(%e : tensor<8x16xf32>) {
    ^bb0(%v: f32, %a: f32, %o: f32):
      %s = arith.addf %v, %a : f32
      %t = math.tanh %s : f32
      linalg.yield %t : f32
    } -> tensor<8x16xf32>
    %s = braid.reduce_scatter %b on @tp axes = [0] dim = 0 reduction = sum : tensor<8x16xf32> -> tensor<4x16xf32>
    braid.yield %s : tensor<4x16xf32>
  } : tensor<4x16xf32>
  return %r : tensor<4x16xf32>
}
