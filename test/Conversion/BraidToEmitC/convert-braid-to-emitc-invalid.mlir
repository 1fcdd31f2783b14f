// RUN: braid-opt %s -convert-braid-to-emitc -split-input-file -verify-diagnostics

// expected-error @below {{has 2 functions with a body; a compiled program is one function (inline calls first)}}
module {
  func.func @a() { return }
  func.func @b() { return }
}

// -----

// expected-error @below {{returns values; the buffer level writes results into output parameters (run braid-buffer-pipeline)}}
func.func @returns(%x: memref<4xf32>) -> memref<4xf32> {
  return %x : memref<4xf32>
}

// -----

// expected-error @below {{argument 0 has type 'tensor<4xf32>'; the buffer level passes static row-major memrefs (run braid-buffer-pipeline)}}
func.func @tensors(%x: tensor<4xf32>) {
  return
}

// -----

func.func @allocates(%x: memref<4xf32>) {
  // expected-error @below {{remains: the host code allocates nothing itself (run braid-plan-arena)}}
  %a = memref.alloc() : memref<4xf32>
  memref.copy %x, %a : memref<4xf32> to memref<4xf32>
  return
}

// -----

func.func @launch_in_loop(%x: memref<4xf32>, %y: memref<4xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %n = arith.constant 3 : index
  scf.for %i = %c0 to %n step %c1 {
    // expected-error @below {{computes on worker stream 1 inside a loop or branch; the CPU target outlines compute only from launches in the function's body}}
    %e = braid.cmd.launch stream = 1 {
      memref.copy %x, %y : memref<4xf32> to memref<4xf32>
    }
    braid.cmd.wait %e
  }
  return
}

// -----

// Only layer ops run as kernels; anything else in a compute body is named.
func.func @no_kernel(%x: memref<4x8xf32>, %y: memref<4x8xf32>) {
  // expected-error @below {{failed to legalize operation 'braid.cmd.compute'}}
  braid.cmd.compute ins(%x : memref<4x8xf32>) outs(%y : memref<4x8xf32>) {
  ^bb0(%tx: tensor<4x8xf32>):
    // expected-error @below {{'arith.negf' op has no runtime kernel on the CPU target yet}}
    %n = arith.negf %tx : tensor<4x8xf32>
    braid.cmd.yield %n : tensor<4x8xf32>
  }
  return
}

// -----

shard.grid @tp(shape = 2)
func.func @bitwise(%x: memref<4xi32>, %y: memref<4xi32>) {
  // expected-error @below {{reduction 'xor' has no runtime counterpart}}
  // expected-error @below {{failed to legalize operation 'braid.cmd.all_reduce'}}
  braid.cmd.all_reduce %x, %y on @tp axes = [0] reduction = xor : memref<4xi32>, memref<4xi32>
  return
}

// -----

// The artifact's ABI has no i16 or i1 tensors (compute inside may use them).
// expected-error @below {{has an argument or result of type 'memref<4xi16>'; compiled programs exchange f64, f32, f16, bf16, i64, i32 and i8 tensors of rank <= 8}}
func.func @boundary_type(%x: memref<4xi16>, %y: memref<4xi32> {braid.result = 0 : i64}) {
  return
}

// -----

// A chunked producer the runtime cannot run: only one linalg.matmul of
// floats releases a counter (the chunked GEMM).
shard.grid @tp(shape = 2)
func.func @integer_producer(%a: memref<8x8xi32>, %b: memref<8x8xi32>,
                            %g: memref<16x8xi32> {braid.result = 0 : i64},
                            %arena: memref<256xi8> {braid.arena}) {
  %c0 = arith.constant 0 : index
  %c = memref.view %arena[%c0][] : memref<256xi8> to memref<8x8xi32>
  %counter = braid.cmd.counter : !braid.counter
  %epoch = braid.cmd.next_epoch %counter : i64
  // expected-error @below {{cannot run on the runtime's chunked producers, the only producers that release a counter: its linalg.matmul is not on f64, f32, f16 or bf16 row-major buffers, which the runtime GEMM takes}}
  braid.cmd.chunked_compute %c release %counter[%epoch] chunks = 2 tiles = 1 order = arrival on @tp axes = [0] : memref<8x8xi32> {
    linalg.matmul ins(%a, %b : memref<8x8xi32>, memref<8x8xi32>) outs(%c : memref<8x8xi32>)
  }
  braid.cmd.all_gather %c, %g on @tp axes = [0] after %counter[%epoch] chunks = 2 tiles = 1 : memref<8x8xi32>, memref<16x8xi32>
  return
}

// -----

// An epilogue runs on equal blocks of rows: 10 rows do not cut into 4.
#rows = affine_map<(d0, d1) -> (d0, d1)>
shard.grid @tp(shape = 2)
func.func @uneven_epilogue(%a: memref<10x8xf32>, %b: memref<8x4xf32>,
                           %g: memref<20x4xf32> {braid.result = 0 : i64},
                           %arena: memref<512xi8> {braid.arena}) {
  %c0 = arith.constant 0 : index
  %c256 = arith.constant 256 : index
  %temp = memref.view %arena[%c0][] : memref<512xi8> to memref<10x4xf32>
  %c = memref.view %arena[%c256][] : memref<512xi8> to memref<10x4xf32>
  %counter = braid.cmd.counter : !braid.counter
  %epoch = braid.cmd.next_epoch %counter : i64
  // expected-error @below {{cannot run on the runtime's chunked producers, the only producers that release a counter: its epilogue runs on equal blocks of rows, but the 10 rows do not cut into 4 chunks of 1 tile blocks}}
  braid.cmd.chunked_compute %c release %counter[%epoch] chunks = 4 tiles = 1 order = arrival on @tp axes = [0] : memref<10x4xf32> {
    linalg.matmul ins(%a, %b : memref<10x8xf32>, memref<8x4xf32>) outs(%temp : memref<10x4xf32>)
    linalg.generic {indexing_maps = [#rows, #rows], iterator_types = ["parallel", "parallel"]}
        ins(%temp : memref<10x4xf32>) outs(%c : memref<10x4xf32>) {
    ^bb0(%v: f32, %o: f32):
      %n = arith.negf %v : f32
      linalg.yield %n : f32
    }
  }
  braid.cmd.all_gather %c, %g on @tp axes = [0] after %counter[%epoch] chunks = 4 tiles = 1 : memref<10x4xf32>, memref<20x4xf32>
  return
}
