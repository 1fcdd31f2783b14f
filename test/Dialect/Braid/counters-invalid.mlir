// RUN: braid-opt %s -split-input-file -verify-diagnostics
// Verifier errors of counters, chunked producers and triggered collectives.

shard.grid @tp(shape = 4)
func.func @waits_unreachable(%a: memref<16x8xf32>, %b: memref<8x16xf32>, %c: memref<16x16xf32>, %r: memref<4x16xf32>) {
  %counter = braid.cmd.counter : !braid.counter
  %epoch = braid.cmd.next_epoch %counter : i64
  braid.cmd.chunked_compute %c release %counter[%epoch] chunks = 4 tiles = 1 order = ring on @tp axes = [0] : memref<16x16xf32> {
    linalg.matmul ins(%a, %b : memref<16x8xf32>, memref<8x16xf32>) outs(%c : memref<16x16xf32>)
  }
  // expected-error @below {{waits for 4 chunks of 2 tiles, but its producer releases 4 chunks of 1 tiles: some waited values are never reached}}
  braid.cmd.reduce_scatter %c, %r on @tp axes = [0] reduction = sum after %counter[%epoch] chunks = 4 tiles = 2 : memref<16x16xf32>, memref<4x16xf32>
  return
}

// -----

shard.grid @tp(shape = 4)
func.func @waits_before_producer(%a: memref<16x8xf32>, %b: memref<8x16xf32>, %c: memref<16x16xf32>, %r: memref<4x16xf32>) {
  %counter = braid.cmd.counter : !braid.counter
  %epoch = braid.cmd.next_epoch %counter : i64
  // expected-error @below {{waits on the host stream for a producer issued after it; the wait can never end}}
  braid.cmd.reduce_scatter %c, %r on @tp axes = [0] reduction = sum after %counter[%epoch] chunks = 4 tiles = 1 : memref<16x16xf32>, memref<4x16xf32>
  braid.cmd.chunked_compute %c release %counter[%epoch] chunks = 4 tiles = 1 order = ring on @tp axes = [0] : memref<16x16xf32> {
    linalg.matmul ins(%a, %b : memref<16x8xf32>, memref<8x16xf32>) outs(%c : memref<16x16xf32>)
  }
  return
}

// -----

shard.grid @tp(shape = 2)
func.func @same_stream(%a: memref<16x8xf32>, %b: memref<8x16xf32>, %c: memref<16x16xf32>, %g: memref<32x16xf32>) {
  %counter = braid.cmd.counter : !braid.counter
  %epoch = braid.cmd.next_epoch %counter : i64
  %first = braid.cmd.launch stream = 1 {
    // expected-error @below {{waits on stream 1 for a producer issued after it on the same stream; the wait can never end}}
    braid.cmd.all_gather %c, %g on @tp axes = [0] after %counter[%epoch] chunks = 2 tiles = 1 : memref<16x16xf32>, memref<32x16xf32>
  }
  %second = braid.cmd.launch stream = 1 {
    braid.cmd.chunked_compute %c release %counter[%epoch] chunks = 2 tiles = 1 order = arrival on @tp axes = [0] : memref<16x16xf32> {
      linalg.matmul ins(%a, %b : memref<16x8xf32>, memref<8x16xf32>) outs(%c : memref<16x16xf32>)
    }
  }
  braid.cmd.wait %first
  braid.cmd.wait %second
  return
}

// -----

shard.grid @tp(shape = 4)
func.func @no_collective(%a: memref<16x8xf32>, %b: memref<8x16xf32>, %c: memref<16x16xf32>) {
  %counter = braid.cmd.counter : !braid.counter
  // expected-error @below {{epoch needs one braid.cmd.chunked_compute and one collective triggered by it; it has no collective}}
  %epoch = braid.cmd.next_epoch %counter : i64
  braid.cmd.chunked_compute %c release %counter[%epoch] chunks = 4 tiles = 1 order = ring on @tp axes = [0] : memref<16x16xf32> {
    linalg.matmul ins(%a, %b : memref<16x8xf32>, memref<8x16xf32>) outs(%c : memref<16x16xf32>)
  }
  return
}

// -----

shard.grid @tp(shape = 2)
func.func @wrong_order(%a: memref<16x8xf32>, %b: memref<8x16xf32>, %c: memref<16x16xf32>, %g: memref<32x16xf32>) {
  %counter = braid.cmd.counter : !braid.counter
  %epoch = braid.cmd.next_epoch %counter : i64
  // expected-error @below {{computes in ring order, but its braid.cmd.all_gather consumes chunks in arrival order}}
  braid.cmd.chunked_compute %c release %counter[%epoch] chunks = 2 tiles = 1 order = ring on @tp axes = [0] : memref<16x16xf32> {
    linalg.matmul ins(%a, %b : memref<16x8xf32>, memref<8x16xf32>) outs(%c : memref<16x16xf32>)
  }
  braid.cmd.all_gather %c, %g on @tp axes = [0] after %counter[%epoch] chunks = 2 tiles = 1 : memref<16x16xf32>, memref<32x16xf32>
  return
}

// -----

shard.grid @tp(shape = 2)
func.func @other_buffer(%a: memref<16x8xf32>, %b: memref<8x16xf32>, %c: memref<16x16xf32>, %d: memref<16x16xf32>, %g: memref<32x16xf32>) {
  %counter = braid.cmd.counter : !braid.counter
  %epoch = braid.cmd.next_epoch %counter : i64
  braid.cmd.chunked_compute %c release %counter[%epoch] chunks = 2 tiles = 1 order = arrival on @tp axes = [0] : memref<16x16xf32> {
    linalg.matmul ins(%a, %b : memref<16x8xf32>, memref<8x16xf32>) outs(%c : memref<16x16xf32>)
  }
  // expected-error @below {{sends a buffer other than the output of the chunked_compute that triggers it}}
  braid.cmd.all_gather %d, %g on @tp axes = [0] after %counter[%epoch] chunks = 2 tiles = 1 : memref<16x16xf32>, memref<32x16xf32>
  return
}

// -----

shard.grid @tp(shape = 3)
func.func @ring_uneven(%a: memref<12x8xf32>, %b: memref<8x16xf32>, %c: memref<12x16xf32>) {
  %counter = braid.cmd.counter : !braid.counter
  %epoch = braid.cmd.next_epoch %counter : i64
  // expected-error @below {{computes 4 chunks in ring order over a group of 3; ring order needs a multiple of the group size}}
  braid.cmd.chunked_compute %c release %counter[%epoch] chunks = 4 tiles = 1 order = ring on @tp axes = [0] : memref<12x16xf32> {
    linalg.matmul ins(%a, %b : memref<12x8xf32>, memref<8x16xf32>) outs(%c : memref<12x16xf32>)
  }
  braid.cmd.all_reduce %c, %c on @tp axes = [0] reduction = sum after %counter[%epoch] chunks = 4 tiles = 1 : memref<12x16xf32>, memref<12x16xf32>
  return
}

// -----

shard.grid @tp(shape = 2)
func.func @uneven_tiles(%a: memref<10x8xf32>, %b: memref<8x3xf32>, %c: memref<10x3xf32>, %g: memref<20x3xf32>) {
  %counter = braid.cmd.counter : !braid.counter
  %epoch = braid.cmd.next_epoch %counter : i64
  // expected-error @below {{output holds 30 elements, which 2 chunks of 4 tiles do not cut evenly}}
  braid.cmd.chunked_compute %c release %counter[%epoch] chunks = 2 tiles = 4 order = arrival on @tp axes = [0] : memref<10x3xf32> {
    linalg.matmul ins(%a, %b : memref<10x8xf32>, memref<8x3xf32>) outs(%c : memref<10x3xf32>)
  }
  braid.cmd.all_gather %c, %g on @tp axes = [0] after %counter[%epoch] chunks = 2 tiles = 4 : memref<10x3xf32>, memref<20x3xf32>
  return
}

// -----

shard.grid @tp(shape = 2)
func.func @writes_other(%a: memref<16x8xf32>, %b: memref<8x16xf32>, %c: memref<16x16xf32>, %d: memref<32x16xf32>, %e: memref<16x16xf32>) {
  %counter = braid.cmd.counter : !braid.counter
  %epoch = braid.cmd.next_epoch %counter : i64
  braid.cmd.chunked_compute %c release %counter[%epoch] chunks = 2 tiles = 1 order = arrival on @tp axes = [0] : memref<16x16xf32> {
    // expected-error @below {{writes a buffer other than the chunked_compute's output that no later op of the body reads (only the output is released chunk by chunk)}}
    linalg.matmul ins(%a, %b : memref<16x8xf32>, memref<8x16xf32>) outs(%e : memref<16x16xf32>)
  }
  braid.cmd.all_gather %c, %d on @tp axes = [0] after %counter[%epoch] chunks = 2 tiles = 1 : memref<16x16xf32>, memref<32x16xf32>
  return
}

// -----

shard.grid @tp(shape = 2)
func.func @partial_trigger(%c: memref<16x16xf32>, %g: memref<32x16xf32>) {
  // expected-error @below {{has a partial trigger; a triggered collective names a counter, an epoch, chunks and tiles}}
  "braid.cmd.all_gather"(%c, %g) <{grid = @tp, axes = array<i16: 0>, chunks = 2 : i64, operandSegmentSizes = array<i32: 1, 1, 0, 0>}> : (memref<16x16xf32>, memref<32x16xf32>) -> ()
  return
}
