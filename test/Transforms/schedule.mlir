// Each case states its machine as the module's #braid.target; the scheduler
// plays its choices through the timing model on it.
// RUN: braid-opt %s -split-input-file -verify-diagnostics --pass-pipeline='builtin.module(braid-convert-to-async,func.func(braid-schedule{explain=1}))' --mlir-print-op-on-diagnostic=false | FileCheck %s
// -braid-explain turns on every pass's explanations, as explain=1 does.
// RUN: braid-opt %s -split-input-file -verify-diagnostics --pass-pipeline='builtin.module(braid-convert-to-async,func.func(braid-schedule))' -braid-explain --mlir-print-op-on-diagnostic=false -o %t.ignored
// Differential runs of these schedules: test/Integration/schedule.test.

// Two micro-batches of a sequence-parallel linear layer on 4 ranks, on CPU
// ranks over 1 GbE: every collective is worth overlapping; the second
// all_gather is issued first thing and hides behind the first matmul.
module attributes {braid.target = #braid.target<"cpu-1gbe">} {
shard.grid @tp(shape = 4)
// CHECK-LABEL: func.func @microbatches_slow_link
// CHECK: %[[AG0:.*]] = braid.start stream = 1 priority = 4
// CHECK: %[[AG1:.*]] = braid.start stream = 1 priority = 2
// CHECK: braid.await %[[AG0]]
// CHECK-NEXT: linalg.matmul
// CHECK: %[[RS0:.*]] = braid.start stream = 1 priority = 3
// CHECK: braid.await %[[AG1]]
// CHECK-NEXT: linalg.matmul
// CHECK: %[[RS1:.*]] = braid.start stream = 1 priority = 1
// CHECK: braid.await %[[RS0]]
// CHECK: braid.await %[[RS1]]
func.func @microbatches_slow_link(%x0: tensor<16x64xf32>, %x1: tensor<16x64xf32>, %w: tensor<64x64xf32>) -> (tensor<16x64xf32>, tensor<16x64xf32>) {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<64x64xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<64x64xf32>) -> tensor<64x64xf32>
  // expected-remark @+1 {{moved earlier by 1 ops; hides 3.170 us of 264.401 us behind compute, 261.231 us exposed}}
  %g0 = braid.all_gather %x0 on @tp axes = [0] dim = 0 : tensor<16x64xf32> -> tensor<64x64xf32>
  %m0 = linalg.matmul ins(%g0, %w : tensor<64x64xf32>, tensor<64x64xf32>) outs(%init : tensor<64x64xf32>) -> tensor<64x64xf32>
  // expected-remark @+1 {{issued where written; hides 44.953 us of 264.401 us behind compute, 219.448 us exposed}}
  %s0 = braid.reduce_scatter %m0 on @tp axes = [0] dim = 0 reduction = sum : tensor<64x64xf32> -> tensor<16x64xf32>
  // expected-remark @+1 {{moved earlier by 5 ops; hides 48.123 us of 264.401 us behind compute, 216.278 us exposed}}
  %g1 = braid.all_gather %x1 on @tp axes = [0] dim = 0 : tensor<16x64xf32> -> tensor<64x64xf32>
  %m1 = linalg.matmul ins(%g1, %w : tensor<64x64xf32>, tensor<64x64xf32>) outs(%init : tensor<64x64xf32>) -> tensor<64x64xf32>
  // expected-remark @+1 {{moved earlier by 1 ops; hides 0.000 us of 264.401 us behind compute, 264.401 us exposed}}
  %s1 = braid.reduce_scatter %m1 on @tp axes = [0] dim = 0 reduction = sum : tensor<64x64xf32> -> tensor<16x64xf32>
  return %s0, %s1 : tensor<16x64xf32>, tensor<16x64xf32>
}
}

// -----

// Only the target changes: on 8 H100s these 16 KiB collectives take less
// than a stream switch, so nothing moves.
module attributes {braid.target = #braid.target<"h100-sxm-x8">} {
shard.grid @tp(shape = 4)
// CHECK-LABEL: func.func @microbatches_nvlink
// CHECK: linalg.fill
// CHECK-NEXT: braid.start
// CHECK: braid.await
// CHECK-NEXT: linalg.matmul
// CHECK-NEXT: braid.start
// CHECK: braid.await
// CHECK-NEXT: braid.start
// CHECK: braid.await
func.func @microbatches_nvlink(%x0: tensor<16x64xf32>, %x1: tensor<16x64xf32>, %w: tensor<64x64xf32>) -> (tensor<16x64xf32>, tensor<16x64xf32>) {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<64x64xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<64x64xf32>) -> tensor<64x64xf32>
  // expected-remark @+1 {{kept in place: 7.953 us of communication does not pay for a stream switch (10.000 us)}}
  %g0 = braid.all_gather %x0 on @tp axes = [0] dim = 0 : tensor<16x64xf32> -> tensor<64x64xf32>
  %m0 = linalg.matmul ins(%g0, %w : tensor<64x64xf32>, tensor<64x64xf32>) outs(%init : tensor<64x64xf32>) -> tensor<64x64xf32>
  // expected-remark @+1 {{kept in place: 7.953 us of communication does not pay for a stream switch (10.000 us)}}
  %s0 = braid.reduce_scatter %m0 on @tp axes = [0] dim = 0 reduction = sum : tensor<64x64xf32> -> tensor<16x64xf32>
  // expected-remark @+1 {{kept in place: 7.953 us of communication does not pay for a stream switch (10.000 us)}}
  %g1 = braid.all_gather %x1 on @tp axes = [0] dim = 0 : tensor<16x64xf32> -> tensor<64x64xf32>
  %m1 = linalg.matmul ins(%g1, %w : tensor<64x64xf32>, tensor<64x64xf32>) outs(%init : tensor<64x64xf32>) -> tensor<64x64xf32>
  // expected-remark @+1 {{kept in place: 7.953 us of communication does not pay for a stream switch (10.000 us)}}
  %s1 = braid.reduce_scatter %m1 on @tp axes = [0] dim = 0 reduction = sum : tensor<64x64xf32> -> tensor<16x64xf32>
  return %s0, %s1 : tensor<16x64xf32>, tensor<16x64xf32>
}
}

// -----

// The stream-switch threshold is the target's policy: at 1 us the NVLink
// collectives move.
module attributes {braid.target = #braid.target<"h100-sxm-x8", {policies = {stream_switch_cost = 1.0e-6}}>} {
shard.grid @tp(shape = 4)
// CHECK-LABEL: func.func @cheap_stream_switch
// CHECK: braid.start stream = 1 priority = 2
// CHECK: braid.start stream = 1 priority = 1
func.func @cheap_stream_switch(%x0: tensor<16x64xf32>, %x1: tensor<16x64xf32>) -> (tensor<64x64xf32>, tensor<64x64xf32>) {
  // expected-remark @+1 {{issued where written; hides 0.000 us of 7.953 us behind compute, 7.953 us exposed}}
  %g0 = braid.all_gather %x0 on @tp axes = [0] dim = 0 : tensor<16x64xf32> -> tensor<64x64xf32>
  // expected-remark @+1 {{moved earlier by 1 ops; hides 0.000 us of 7.953 us behind compute, 7.953 us exposed}}
  %g1 = braid.all_gather %x1 on @tp axes = [0] dim = 0 : tensor<16x64xf32> -> tensor<64x64xf32>
  return %g0, %g1 : tensor<64x64xf32>, tensor<64x64xf32>
}
}

// -----

// Ops that take no time and touch no memory (a slice, index arithmetic) are
// issued just before their first user, not ahead of the await to fill its
// wait: picked early they hide nothing, and a slice that bufferizes to a
// copy (a ring step's zero init) would hold its bytes from there. Only ops
// that take time count as moved over in the remarks.
module attributes {braid.target = #braid.target<"cpu-1gbe">} {
shard.grid @tp(shape = 4)
// CHECK-LABEL: func.func @free_ops_sink
// CHECK: braid.await
// CHECK: braid.await
// CHECK-NEXT: tensor.extract_slice
// CHECK-NEXT: arith.addf
func.func @free_ops_sink(%x: tensor<16x64xf32>, %w: tensor<64x64xf32>, %big: tensor<64x64xf32>) -> tensor<16x64xf32> {
  %s = tensor.extract_slice %big[16, 0] [16, 64] [1, 1] : tensor<64x64xf32> to tensor<16x64xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<64x64xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<64x64xf32>) -> tensor<64x64xf32>
  // expected-remark @+1 {{moved earlier by 1 ops; hides 3.170 us of 264.401 us behind compute, 261.231 us exposed}}
  %g = braid.all_gather %x on @tp axes = [0] dim = 0 : tensor<16x64xf32> -> tensor<64x64xf32>
  %m = linalg.matmul ins(%g, %w : tensor<64x64xf32>, tensor<64x64xf32>) outs(%init : tensor<64x64xf32>) -> tensor<64x64xf32>
  // expected-remark @+1 {{issued where written; hides 0.000 us of 264.401 us behind compute, 264.401 us exposed}}
  %r = braid.reduce_scatter %m on @tp axes = [0] dim = 0 reduction = sum : tensor<64x64xf32> -> tensor<16x64xf32>
  %t = arith.addf %r, %s : tensor<16x64xf32>
  return %t : tensor<16x64xf32>
}
}
