// RUN: braid-opt %s -convert-braid-to-emitc | FileCheck %s
// RUN: braid-opt %s -convert-braid-to-emitc | braid-translate --braid-to-cpp | FileCheck %s --check-prefix=CPP
// A loop nest whose indexing map is not the identity (x[:, ::-1], JAX's
// reverse): linalg's loops index through affine.apply, which becomes index
// arithmetic the emitted code computes.


// Column 7 - j of row i: j * -1 + 7 in size_t (modular, so exact once in
// range), then i * 8 + that.
// CHECK-LABEL: emitc.func @braid_step_body
// CHECK-DAG: %[[SEVEN:.*]] = "emitc.constant"() <{value = 7 : index}>
// CHECK-DAG: %[[MINUS:.*]] = "emitc.constant"() <{value = -1 : index}>
// CHECK: for %[[I:.*]] = %{{.*}} to %{{.*}} step %{{.*}} : !emitc.size_t
// CHECK: for %[[J:.*]] = %{{.*}} to %{{.*}} step %{{.*}} : !emitc.size_t
// CHECK: %[[NJ:.*]] = mul %[[J]], %[[MINUS]]
// CHECK: %[[REV:.*]] = add %[[NJ]], %[[SEVEN]]
// CHECK: %[[ROW:.*]] = mul %[[I]], %{{.*}}
// CHECK: %[[AT:.*]] = add %[[ROW]], %[[REV]]
// CHECK: subscript %arg0[%[[AT]]]
// CHECK-NOT: affine.
// CPP: for (size_t [[J:j[0-9]+]] = {{.*}}) {
// CPP-NEXT: size_t [[NJ:v[0-9]+]] = [[J]] * {{v[0-9]+}};
// CPP-NEXT: size_t {{v[0-9]+}} = [[NJ]] + {{v[0-9]+}};
func.func @reverse(%x: memref<4x8xf32>, %y: memref<4x8xf32> {braid.result = 0 : i64}) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, 7 - d1)>, affine_map<(d0, d1) -> (d0, d1)>],
                  iterator_types = ["parallel", "parallel"]}
      ins(%x : memref<4x8xf32>) outs(%y : memref<4x8xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  }
  return
}
