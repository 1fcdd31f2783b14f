// The counter form of producer fusion in the interpreter.
// RUN: rm -rf %t && mkdir -p %t
// RUN: %python %S/Inputs/split.py %s %t
//
// The bufferized fused program (chunked producers on a worker stream
// releasing counters, triggered collectives on the host) is bitwise the
// fused tensor program over several interleavings, with a fresh epoch per
// loop iteration.
// RUN: braid-opt %t/fused.mlir --braid-buffer-pipeline -o %t/buffers.mlir 2>&1
// RUN: %braid-diff %t/fused.mlir --compare=%t/buffers.mlir --exact | FileCheck %s
// CHECK: bitwise equal on all 2 ranks
//
// The collective reads each chunk only after its release, so it may run
// on a stream launched before its producer; a chunk release is what orders
// the loads after the stores (no wait does).
// RUN: braid-interp %t/ordered.mlir --quiet --schedules=6
//
// The host reads the producer's output before waiting for the producer:
// the counter orders the collective's loads, not this copy: a race with
// the chunk stores under every schedule.
// RUN: not braid-interp %t/peek.mlir --quiet --schedules=1 --schedule-seed=0 2>&1 | FileCheck %s --check-prefix=PEEK
// RUN: not braid-interp %t/peek.mlir --quiet --schedules=1 --schedule-seed=7 2>&1 | FileCheck %s --check-prefix=PEEK
// PEEK: race on bytes [{{[0-9]+}}, {{[0-9]+}}) of {{.*}}: {{'memref.copy' on the host stream reads what 'braid.cmd.chunked_compute' on stream 1 writes|'braid.cmd.chunked_compute' on stream 1 writes what 'memref.copy' on the host stream reads}}
//
// The host waits for the collective's stream before it runs the producer
// the collective waits on: no task can make progress, and the run says
// what each waits for instead of hanging.
// RUN: not braid-interp %t/deadlock.mlir --quiet --schedules=1 2>&1 | FileCheck %s --check-prefix=STUCK
// STUCK: the counter of {{.*}} to reach 1 ('braid.cmd.all_gather'

// ----- fused.mlir
shard.grid @tp(shape = 2)
func.func @main(%x: tensor<6x8xf32>, %w: tensor<8x8xf32>, %v: tensor<8x8xf32>) -> (tensor<12x8xf32>, tensor<6x8xf32>) {
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
  %e1 = tensor.empty() : tensor<6x8xf32>
  %c1i = linalg.fill ins(%zero : f32) outs(%e1 : tensor<6x8xf32>) -> tensor<6x8xf32>
  %r = braid.fused_collective trigger = #braid.trigger<tile, m = 1, n = 8, threshold = 1> order = ring {
    %y = linalg.matmul ins(%x, %v : tensor<6x8xf32>, tensor<8x8xf32>) outs(%c1i : tensor<6x8xf32>) -> tensor<6x8xf32>
    %s = braid.all_reduce %y on @tp axes = [0] reduction = sum : tensor<6x8xf32>
    braid.yield %s : tensor<6x8xf32>
  } : tensor<6x8xf32>
  return %out, %r : tensor<12x8xf32>, tensor<6x8xf32>
}

// ----- ordered.mlir
shard.grid @tp(shape = 2)
func.func @main(%x: memref<6x8xf32>, %w: memref<8x8xf32>,
                %out: memref<12x8xf32> {braid.result = 0 : i64},
                %arena: memref<192xi8> {braid.arena}) {
  %zero = arith.constant 0.0 : f32
  %c0 = arith.constant 0 : index
  %y = memref.view %arena[%c0][] : memref<192xi8> to memref<6x8xf32>
  linalg.fill ins(%zero : f32) outs(%y : memref<6x8xf32>)
  %counter = braid.cmd.counter : !braid.counter
  %epoch = braid.cmd.next_epoch %counter : i64
  %gathered = braid.cmd.launch stream = 1 {
    braid.cmd.all_gather %y, %out on @tp axes = [0] after %counter[%epoch] chunks = 3 tiles = 1 : memref<6x8xf32>, memref<12x8xf32>
  }
  %produced = braid.cmd.launch stream = 2 {
    braid.cmd.chunked_compute %y release %counter[%epoch] chunks = 3 tiles = 1 order = arrival on @tp axes = [0] : memref<6x8xf32> {
      linalg.matmul ins(%x, %w : memref<6x8xf32>, memref<8x8xf32>) outs(%y : memref<6x8xf32>)
    }
  }
  braid.cmd.wait %produced
  braid.cmd.wait %gathered
  return
}

// ----- peek.mlir
shard.grid @tp(shape = 2)
func.func @main(%x: memref<6x8xf32>, %w: memref<8x8xf32>,
                %out: memref<12x8xf32> {braid.result = 0 : i64},
                %peek: memref<6x8xf32> {braid.result = 1 : i64},
                %arena: memref<192xi8> {braid.arena}) {
  %zero = arith.constant 0.0 : f32
  %c0 = arith.constant 0 : index
  %y = memref.view %arena[%c0][] : memref<192xi8> to memref<6x8xf32>
  linalg.fill ins(%zero : f32) outs(%y : memref<6x8xf32>)
  %counter = braid.cmd.counter : !braid.counter
  %epoch = braid.cmd.next_epoch %counter : i64
  %produced = braid.cmd.launch stream = 1 {
    braid.cmd.chunked_compute %y release %counter[%epoch] chunks = 3 tiles = 1 order = arrival on @tp axes = [0] : memref<6x8xf32> {
      linalg.matmul ins(%x, %w : memref<6x8xf32>, memref<8x8xf32>) outs(%y : memref<6x8xf32>)
    }
  }
  memref.copy %y, %peek : memref<6x8xf32> to memref<6x8xf32>
  braid.cmd.all_gather %y, %out on @tp axes = [0] after %counter[%epoch] chunks = 3 tiles = 1 : memref<6x8xf32>, memref<12x8xf32>
  braid.cmd.wait %produced
  return
}

// ----- deadlock.mlir
shard.grid @tp(shape = 2)
func.func @main(%x: memref<6x8xf32>, %w: memref<8x8xf32>,
                %out: memref<12x8xf32> {braid.result = 0 : i64},
                %arena: memref<192xi8> {braid.arena}) {
  %zero = arith.constant 0.0 : f32
  %c0 = arith.constant 0 : index
  %y = memref.view %arena[%c0][] : memref<192xi8> to memref<6x8xf32>
  linalg.fill ins(%zero : f32) outs(%y : memref<6x8xf32>)
  %counter = braid.cmd.counter : !braid.counter
  %epoch = braid.cmd.next_epoch %counter : i64
  %gathered = braid.cmd.launch stream = 1 {
    braid.cmd.all_gather %y, %out on @tp axes = [0] after %counter[%epoch] chunks = 3 tiles = 1 : memref<6x8xf32>, memref<12x8xf32>
  }
  braid.cmd.wait %gathered
  braid.cmd.chunked_compute %y release %counter[%epoch] chunks = 3 tiles = 1 order = arrival on @tp axes = [0] : memref<6x8xf32> {
    linalg.matmul ins(%x, %w : memref<6x8xf32>, memref<8x8xf32>) outs(%y : memref<6x8xf32>)
  }
  return
}
