// RUN: braid-opt %s --pass-pipeline='builtin.module(func.func(braid-protect-async-captures))' | FileCheck %s
// RUN: braid-opt %s -braid-buffer-pipeline --mlir-print-op-on-diagnostic=false 2>&1 | FileCheck %s --check-prefix=BUFFERS
// The lowered programs equal their tensor forms, with no race between the
// host and the start's stream (a copy of a buffer the start writes would be
// one).
// RUN: braid-opt %s -braid-buffer-pipeline -o %t.buffers.mlir 2> /dev/null
// RUN: %braid-diff %s --compare=%t.buffers.mlir --entry=captured
// RUN: %braid-diff %s --compare=%t.buffers.mlir --entry=reads_init
// RUN: %braid-diff %s --compare=%t.buffers.mlir --entry=shared_empty

shard.grid @tp(shape = 2)
// %v (a view of %x) is read by the running start; the generic between the
// start and its await would otherwise write its result into %v's buffer. It
// does not read %v: a fresh buffer, no copy.
// CHECK-LABEL: func.func @captured
// BUFFERS-LABEL: func.func @captured(%arg0: memref
func.func @captured(%x: tensor<4x4xf32>) -> (tensor<16xf32>, tensor<16xf32>) {
  %y = arith.negf %x : tensor<4x4xf32>
  %v = tensor.collapse_shape %y [[0, 1]] : tensor<4x4xf32> into tensor<16xf32>
  // CHECK: braid.start
  %f = braid.start stream = 1 {
    %r = braid.all_reduce %v on @tp axes = [0] reduction = sum : tensor<16xf32>
    braid.yield %r : tensor<16xf32>
  } : !braid.future<tensor<16xf32>>
  // CHECK: %[[FRESH:.*]] = bufferization.alloc_tensor() : tensor<16xf32>
  // CHECK: linalg.generic {{.*}} outs(%[[FRESH]] : tensor<16xf32>)
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

// A generic that reads its init gets a copy of it.
// CHECK-LABEL: func.func @reads_init
func.func @reads_init(%x: tensor<4x4xf32>) -> (tensor<16xf32>, tensor<16xf32>) {
  %y = arith.negf %x : tensor<4x4xf32>
  %v = tensor.collapse_shape %y [[0, 1]] : tensor<4x4xf32> into tensor<16xf32>
  %f = braid.start stream = 1 {
    %r = braid.all_reduce %v on @tp axes = [0] reduction = sum : tensor<16xf32>
    braid.yield %r : tensor<16xf32>
  } : !braid.future<tensor<16xf32>>
  // CHECK: %[[COPY:.*]] = bufferization.alloc_tensor() copy(%{{.*}}) : tensor<16xf32>
  // CHECK: linalg.generic {{.*}} outs(%[[COPY]] : tensor<16xf32>)
  %e = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} outs(%v : tensor<16xf32>) {
  ^bb0(%out: f32):
    %one = arith.constant 1.0 : f32
    %inc = arith.addf %out, %one : f32
    linalg.yield %inc : f32
  } -> tensor<16xf32>
  %r = braid.await %f : !braid.future<tensor<16xf32>>
  return %r, %e : tensor<16xf32>, tensor<16xf32>
}

// An empty tensor the start fills in place and the host writes too (the
// overlap pipeline moves one of its users into the start): the host's write
// gets a fresh buffer, not a copy of the one the start is filling.
// CHECK-LABEL: func.func @shared_empty
// BUFFERS-LABEL: func.func @shared_empty(%arg0: memref
func.func @shared_empty(%x: tensor<16xf32>, %b: tensor<16xf32>) -> (tensor<16xf32>, tensor<16xf32>) {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<16xf32>
  // BUFFERS: braid.cmd.launch
  %f = braid.start stream = 1 {
    %z = linalg.fill ins(%zero : f32) outs(%e : tensor<16xf32>) -> tensor<16xf32>
    %s = linalg.add ins(%x, %z : tensor<16xf32>, tensor<16xf32>) outs(%z : tensor<16xf32>) -> tensor<16xf32>
    %r = braid.all_reduce %s on @tp axes = [0] reduction = sum : tensor<16xf32>
    braid.yield %r : tensor<16xf32>
  } : !braid.future<tensor<16xf32>>
  // CHECK: %[[FRESH:.*]] = bufferization.alloc_tensor() : tensor<16xf32>
  // CHECK: linalg.negf ins(%{{.*}} : tensor<16xf32>) outs(%[[FRESH]] : tensor<16xf32>)
  // BUFFERS-NOT: memref.copy
  // BUFFERS: braid.cmd.wait
  %n = linalg.negf ins(%b : tensor<16xf32>) outs(%e : tensor<16xf32>) -> tensor<16xf32>
  %r = braid.await %f : !braid.future<tensor<16xf32>>
  return %r, %n : tensor<16xf32>, tensor<16xf32>
}
