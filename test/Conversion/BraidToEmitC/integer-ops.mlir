// RUN: braid-opt %s -convert-braid-to-emitc | FileCheck %s
// RUN: braid-opt %s -convert-braid-to-emitc | braid-translate --braid-to-cpp | FileCheck %s --check-prefix=CPP
// Integer max/min (ONNX Clip, Max and Min on integers) become a compare and
// a conditional: signed on the values as they are, unsigned through the
// unsigned type; math.absi (jnp.abs on integers) the value or its negation.

// CHECK-LABEL: emitc.func @braid_step_body
// CHECK: %[[ZERO:.*]] = "emitc.constant"() <{value = 0 : i64}> : () -> i64
// CHECK: %[[A:.*]] = load
// CHECK: %[[B:.*]] = load
// CHECK: %[[GT:.*]] = cmp gt, %[[A]], %[[B]] : (i64, i64) -> i1
// CHECK: conditional %[[GT]], %[[A]], %[[B]] : i64
// CHECK: cmp lt, %[[A]], %[[B]] : (i64, i64) -> i1
// CHECK: cmp gt, %{{.*}}, %{{.*}} : (ui64, ui64) -> i1
// CHECK: cmp lt, %{{.*}}, %{{.*}} : (ui64, ui64) -> i1
// CHECK: %[[NEG:.*]] = cmp lt, %[[A]], %[[ZERO]] : (i64, i64) -> i1
// CHECK: sub
// CHECK: %[[MINUS:.*]] = cast %{{.*}} : ui64 to i64
// CHECK: conditional %[[NEG]], %[[MINUS]], %[[A]] : i64
// CHECK-NOT: arith.
// CHECK-NOT: math.
// CPP: int64_t [[A:v[0-9]+]] = v1[{{v[0-9]+}}];
// CPP: int64_t [[B:v[0-9]+]] = v1[{{v[0-9]+}}];
// CPP: bool [[GT:v[0-9]+]] = [[A]] > [[B]];
// CPP: int64_t {{v[0-9]+}} = [[GT]] ? [[A]] : [[B]];
// CPP: uint64_t [[UA:v[0-9]+]] = (uint64_t) [[A]];
// CPP: uint64_t [[UB:v[0-9]+]] = (uint64_t) [[B]];
// CPP: bool {{v[0-9]+}} = [[UA]] > [[UB]];
func.func @clamp(%x: memref<2xi64>, %y: memref<5xi64> {braid.result = 0 : i64}) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c3 = arith.constant 3 : index
  %a = memref.load %x[%c0] : memref<2xi64>
  %b = memref.load %x[%c1] : memref<2xi64>
  %maxs = arith.maxsi %a, %b : i64
  %mins = arith.minsi %a, %b : i64
  %maxu = arith.maxui %a, %b : i64
  %minu = arith.minui %a, %b : i64
  %abs = math.absi %a : i64
  memref.store %maxs, %y[%c0] : memref<5xi64>
  memref.store %mins, %y[%c1] : memref<5xi64>
  memref.store %maxu, %y[%c2] : memref<5xi64>
  memref.store %minu, %y[%c3] : memref<5xi64>
  %c4 = arith.constant 4 : index
  memref.store %abs, %y[%c4] : memref<5xi64>
  return
}
