// RUN: braid-opt %s -split-input-file -verify-diagnostics | FileCheck %s
// The buffer-level calling convention's argument attributes: braid.result
// (which result the buffer holds, an integer >= 0) and braid.arena (unit).

// CHECK-LABEL: func.func @step
// CHECK-SAME: {braid.result = 0 : i64}
// CHECK-SAME: {braid.arena}
func.func @step(%x: memref<4xf32>, %out: memref<4xf32> {braid.result = 0 : i64},
                %arena: memref<64xi8> {braid.arena}) {
  return
}

// -----

// expected-error @+1 {{'braid.result' on argument 0 must be a non-negative integer (the result it holds)}}
func.func @negative(%out: memref<4xf32> {braid.result = -1 : i64}) {
  return
}

// -----

// expected-error @+1 {{'braid.result' on argument 0 must be a non-negative integer (the result it holds)}}
func.func @not_integer(%out: memref<4xf32> {braid.result = "zero"}) {
  return
}

// -----

// expected-error @+1 {{'braid.arena' is a unit attribute}}
func.func @arena_value(%arena: memref<64xi8> {braid.arena = 1 : i64}) {
  return
}

// -----

// expected-error @+1 {{unknown braid argument attribute 'braid.results'}}
func.func @misspelt(%out: memref<4xf32> {braid.results = 0 : i64}) {
  return
}
