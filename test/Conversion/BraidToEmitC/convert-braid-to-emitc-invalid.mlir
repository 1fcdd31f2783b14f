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

shard.grid @tp(shape = 2)
func.func @no_kernel(%x: memref<4x8xf32>, %v: memref<4x2xf32>, %i: memref<4x2xi32>) {
  // expected-error @below {{failed to legalize operation 'braid.cmd.compute'}}
  braid.cmd.compute ins(%x : memref<4x8xf32>) outs(%v, %i : memref<4x2xf32>, memref<4x2xi32>) {
  ^bb0(%tx: tensor<4x8xf32>):
    // expected-error @below {{has no runtime kernel on the CPU target yet}}
    %values, %indices = braid.moe_gate %tx {k = 2 : i64} : tensor<4x8xf32> -> tensor<4x2xf32>, tensor<4x2xi32>
    braid.cmd.yield %values, %indices : tensor<4x2xf32>, tensor<4x2xi32>
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
