// RUN: braid-opt %s -convert-braid-to-emitc | FileCheck %s
// RUN: braid-opt %s -convert-braid-to-emitc | braid-translate --braid-to-cpp | FileCheck %s --check-prefix=CPP
// Compute in a launch body runs on the launch's worker stream: each run of
// compute ops becomes a function of its own, enqueued with the pointers the
// host computed; communication stays issued by the host on that stream.

shard.grid @tp(shape = 2)
// CHECK-LABEL: emitc.func private @braid_launch_0
// CHECK-SAME: (%{{.*}}: !emitc.ptr<f32>, %{{.*}}: !emitc.ptr<f32>, %{{.*}}: !emitc.size_t
// CHECK: for
// CHECK: return
// CHECK-LABEL: emitc.func @braid_step_body
// CHECK: call_opaque "braid_exec_fork"
// CHECK: call_opaque "braid_exec_all_reduce"({{.*}}) {args = [{{.*}}, 1 : i32, #emitc.opaque
// CHECK: call_opaque "braid_emit_launch"(%{{.*}}, %{{.*}}, {{.*}}) {args = [1 : i32, #emitc.opaque<"\22{{.*}}launch-outlining.mlir:{{[0-9]+}}:{{[0-9]+}} scf.for\22">, 0 : index, 1 : index, {{.*}}], template_args = [#emitc.opaque<"braid_launch_0">]}
// CHECK: call_opaque "braid_exec_record"
// CPP: static void braid_launch_0(float* {{v[0-9]+}}, float* {{v[0-9]+}}, size_t
// CPP: braid_emit_launch<braid_launch_0>(1, "{{.*}} scf.for", {{v[0-9]+}}, {{v[0-9]+}},
func.func @step(%x: memref<8xf32>, %out: memref<8xf32> {braid.result = 0 : i64},
                %arena: memref<64xi8> {braid.arena}) {
  %c0 = arith.constant 0 : index
  %sum = memref.view %arena[%c0][] : memref<64xi8> to memref<8xf32>
  %done = braid.cmd.launch stream = 1 {
    braid.cmd.all_reduce %x, %sum on @tp axes = [0] reduction = sum : memref<8xf32>, memref<8xf32>
    linalg.copy ins(%sum : memref<8xf32>) outs(%out : memref<8xf32>)
  }
  braid.cmd.wait %done
  return
}
