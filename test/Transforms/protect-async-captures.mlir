// RUN: braid-opt %s --pass-pipeline='builtin.module(func.func(braid-protect-async-captures))' | FileCheck %s
// RUN: braid-opt %s -braid-buffer-pipeline --mlir-print-op-on-diagnostic=false 2>&1 | FileCheck %s --check-prefix=BUFFERS

shard.grid @tp(shape = 2)
// %v (a view of %x) is read by the running start; the generic between the
// start and its await would otherwise write its result into %v's buffer.
// CHECK-LABEL: func.func @captured
// BUFFERS-LABEL: func.func @captured
func.func @captured(%x: tensor<4x4xf32>) -> (tensor<16xf32>, tensor<16xf32>) {
  %y = arith.negf %x : tensor<4x4xf32>
  %v = tensor.collapse_shape %y [[0, 1]] : tensor<4x4xf32> into tensor<16xf32>
  // CHECK: braid.start
  %f = braid.start stream = 1 {
    %r = braid.all_reduce %v on @tp axes = [0] reduction = sum : tensor<16xf32>
    braid.yield %r : tensor<16xf32>
  } : !braid.future<tensor<16xf32>>
  // CHECK: %[[COPY:.*]] = bufferization.alloc_tensor() copy(%{{.*}}) : tensor<16xf32>
  // CHECK: linalg.generic {{.*}} outs(%[[COPY]] : tensor<16xf32>)
  // BUFFERS: braid.cmd.launch
  // BUFFERS: linalg.generic
  // BUFFERS-NOT: outs(%collapse_shape
  // BUFFERS: braid.cmd.wait
  %e = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} outs(%v : tensor<16xf32>) {
  ^bb0(%out: f32):
    %one = arith.constant 1.0 : f32
    linalg.yield %one : f32
  } -> tensor<16xf32>
  %r = braid.await %f : !braid.future<tensor<16xf32>>
  return %r, %e : tensor<16xf32>, tensor<16xf32>
}
