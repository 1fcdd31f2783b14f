// Buffer-level programs the interpreter refuses, each with an error at the
// op (naming the rank) or at the function, never a crash.
// RUN: rm -rf %t && mkdir -p %t
// RUN: %python %S/Inputs/split.py %s %t
// RUN: not braid-interp %t/view-outside.mlir 2>&1 | FileCheck %s --check-prefix=VIEW
// VIEW: view-outside.mlir:3:8: error: rank 0: the view memref<16x8xf32> (byte offset 3840 of the aligned pointer) reaches outside the 4096 bytes of %arena (memref<4096xi8>)
// RUN: not braid-interp %t/load-outside.mlir 2>&1 | FileCheck %s --check-prefix=LOAD
// LOAD: load-outside.mlir:4:8: error: rank 0: index [2, 8] is out of bounds for memref<4x8xf32>
// RUN: not braid-interp %t/subview-outside.mlir 2>&1 | FileCheck %s --check-prefix=SUBVIEW
// SUBVIEW: subview-outside.mlir:3:8: error: rank 0: slice out of bounds in dimension 1 of the source memref<4x8xf32>: offset 6, size 2 and stride 2 cover indices 6 to 8, outside [0, 8)
// RUN: not braid-interp %t/constant-global.mlir 2>&1 | FileCheck %s --check-prefix=GLOBAL
// GLOBAL: constant-global.mlir:5:3: error: rank 0: writes @table (memref<4xf32>), a constant memref.global
// RUN: not braid-interp %t/nested-collective.mlir 2>&1 | FileCheck %s --check-prefix=NESTED
// NESTED: nested-collective.mlir:7:7: error: rank {{[01]}}: the interpreter issues the communication of a launch when the host launches it, so it runs collectives only directly in the launch body, not nested in 'scf.for'
// RUN: not braid-interp %t/mismatch.mlir 2>&1 | FileCheck %s --check-prefix=MISMATCH
// MISMATCH: error: rank {{[01]}}: ranks disagree on collective #0 of @tp axes [0]: rank {{[01]}} (position {{[01]}}) issues braid.cmd.{{all_reduce|broadcast}} {{.*}}; rank {{[01]}} (position {{[01]}}) issues braid.cmd.{{all_reduce|broadcast}}
// RUN: not braid-interp %t/select.mlir 2>&1 | FileCheck %s --check-prefix=SELECT
// SELECT: select.mlir:3:8: error: rank 0: the interpreter does not support 'arith.select' on buffers
// RUN: not braid-interp %t/results-gap.mlir 2>&1 | FileCheck %s --check-prefix=GAP
// GAP: results-gap.mlir:1:1: error: argument #1 holds result #1 but no argument holds result #0; results are numbered from 0 without gaps
// RUN: not braid-interp %t/result-tensor.mlir 2>&1 | FileCheck %s --check-prefix=RESULTTYPE
// RESULTTYPE: result-tensor.mlir:1:1: error: argument #0 holds a result but has type 'tensor<4xf32>'; the interpreter allocates memrefs of static shape, identity layout and a supported element type
// RUN: not braid-interp %t/two-arenas.mlir 2>&1 | FileCheck %s --check-prefix=ARENAS
// ARENAS: two-arenas.mlir:1:1: error: arguments #0 and #1 are both the arena
//
// Bytes nobody wrote read as the arena's garbage: 0xFF, a NaN in f32.
// RUN: braid-interp %t/garbage.mlir | FileCheck %s --check-prefix=GARBAGE
// GARBAGE: rank 0 result #0: tensor<4xf32> sum {{-?}}nan {{.*}} [{{-?}}nan, {{-?}}nan, {{-?}}nan, {{-?}}nan]
// GARBAGE: rank 0 result #1: tensor<2xi32> sum -2 min -1 max -1 [-1, -1]

// ----- view-outside.mlir
func.func @main(%out: memref<16x8xf32> {braid.result = 0 : i64}, %arena: memref<4096xi8> {braid.arena}) {
  %c3840 = arith.constant 3840 : index
  %a = memref.view %arena[%c3840][] : memref<4096xi8> to memref<16x8xf32>
  memref.copy %a, %out : memref<16x8xf32> to memref<16x8xf32>
  return
}

// ----- load-outside.mlir
func.func @main(%x: memref<4x8xf32>) -> f32 {
  %c2 = arith.constant 2 : index
  %c8 = arith.constant 8 : index
  %v = memref.load %x[%c2, %c8] : memref<4x8xf32>
  return %v : f32
}

// ----- subview-outside.mlir
func.func @main(%x: memref<4x8xf32>, %out: memref<2x2xf32> {braid.result = 0 : i64}) {
  %c6 = arith.constant 6 : index
  %s = memref.subview %x[0, %c6] [2, 2] [1, 2] : memref<4x8xf32> to memref<2x2xf32, strided<[8, 2], offset: ?>>
  memref.copy %s, %out : memref<2x2xf32, strided<[8, 2], offset: ?>> to memref<2x2xf32>
  return
}

// ----- constant-global.mlir
memref.global "private" constant @table : memref<4xf32> = dense<1.0>
func.func @main(%out: memref<4xf32> {braid.result = 0 : i64}) {
  %g = memref.get_global @table : memref<4xf32>
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%g : memref<4xf32>)
  memref.copy %g, %out : memref<4xf32> to memref<4xf32>
  return
}

// ----- nested-collective.mlir
shard.grid @tp(shape = 2)
func.func @main(%x: memref<8xf32>) {
  %c0 = arith.constant 0 : index
  %c2 = arith.constant 2 : index
  %done = braid.cmd.launch stream = 1 {
    scf.for %i = %c0 to %c2 step %c2 {
      braid.cmd.all_reduce %x, %x on @tp axes = [0] reduction = sum : memref<8xf32>, memref<8xf32>
    }
  }
  braid.cmd.wait %done
  return
}

// ----- mismatch.mlir
shard.grid @tp(shape = 2)
func.func @main(%x: memref<8xf32>) {
  %r = braid.rank on @tp axes = [0] : index
  %c0 = arith.constant 0 : index
  %first = arith.cmpi eq, %r, %c0 : index
  scf.if %first {
    braid.cmd.all_reduce %x, %x on @tp axes = [0] reduction = sum : memref<8xf32>, memref<8xf32>
  } else {
    braid.cmd.broadcast %x, %x on @tp axes = [0] root = 0 : memref<8xf32>, memref<8xf32>
  }
  return
}

// ----- select.mlir
func.func @main(%x: memref<4x8xf32>, %y: memref<4x8xf32>, %out: memref<4x8xf32> {braid.result = 0 : i64}) {
  %true = arith.constant true
  %s = arith.select %true, %x, %y : memref<4x8xf32>
  memref.copy %s, %out : memref<4x8xf32> to memref<4x8xf32>
  return
}

// ----- results-gap.mlir
func.func @main(%x: memref<4xf32>, %out: memref<4xf32> {braid.result = 1 : i64}) {
  return
}

// ----- result-tensor.mlir
func.func @main(%out: tensor<4xf32> {braid.result = 0 : i64}) {
  return
}

// ----- two-arenas.mlir
func.func @main(%a: memref<64xi8> {braid.arena}, %b: memref<64xi8> {braid.arena}) {
  return
}

// ----- garbage.mlir
func.func @main(%out: memref<4xf32> {braid.result = 0 : i64},
                %ints: memref<2xi32> {braid.result = 1 : i64},
                %arena: memref<64xi8> {braid.arena}) {
  %c0 = arith.constant 0 : index
  %c16 = arith.constant 16 : index
  %a = memref.view %arena[%c0][] : memref<64xi8> to memref<4xf32>
  %b = memref.view %arena[%c16][] : memref<64xi8> to memref<2xi32>
  memref.copy %a, %out : memref<4xf32> to memref<4xf32>
  memref.copy %b, %ints : memref<2xi32> to memref<2xi32>
  return
}
