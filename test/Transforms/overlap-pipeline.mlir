// braid-overlap-pipeline: decompose (where the timing model says it pays),
// make collectives asynchronous, schedule, verify. Each case states its
// machine as the module's #braid.target; every decision is a remark.
// RUN: braid-opt %s -split-input-file -verify-diagnostics --pass-pipeline='builtin.module(braid-overlap-pipeline{explain=1})' --mlir-print-op-on-diagnostic=false | FileCheck %s
// The pipeline's `profile` sets the target first; the bundled example with
// its collectives whole (decompose=0) and cut.
// RUN: braid-opt %braid_src_root/examples/tp_mlp.mlir --pass-pipeline='builtin.module(braid-overlap-pipeline{profile=cpu-1gbe decompose=0 explain=1})' --mlir-print-op-on-diagnostic=false -o %t.mlir 2>&1 | FileCheck %s --check-prefix=EXPLAIN
// RUN: FileCheck %s --check-prefix=WHOLE < %t.mlir
// RUN: braid-opt %t.mlir -braid-verify-collective-order -o %t.ignored
// RUN: braid-opt %braid_src_root/examples/tp_mlp.mlir --pass-pipeline='builtin.module(braid-overlap-pipeline{profile=cpu-1gbe})' | FileCheck %s --check-prefix=CUT
// Differential runs of the pipeline (P = 2, 3, 4, 8, backward, attention,
// all_reduce): test/Integration/overlap-pipeline.test.

// EXPLAIN: remark: issued where written; hides {{.*}} behind compute
// EXPLAIN: remark: issued where written; hides {{.*}} behind compute
// WHOLE: braid.target = #braid.target<"cpu-1gbe">
// WHOLE-LABEL: func.func @mlp
// WHOLE: braid.start stream = 1 priority = 2
// WHOLE: braid.all_gather
// WHOLE: braid.start stream = 1 priority = 1
// WHOLE: braid.reduce_scatter
// On the slow link both of the example's collective matmuls are cut.
// CUT-LABEL: func.func @mlp
// CUT: braid.start stream = 1
// CUT-NEXT: braid.collective_permute
// CUT: linalg.matmul {braid.ring_step
// CUT-NOT: braid.all_gather
// CUT-NOT: braid.reduce_scatter

// On the slow link the all_gather ring pays and the reduce_scatter ring
// does not; both decisions, and the schedule of the cut ring, explained.
module attributes {braid.target = #braid.target<"cpu-1gbe">} {
shard.grid @tp(shape = 4)
// CHECK-LABEL: func.func @mlp_slow_link
// CHECK: braid.start stream = 1
// CHECK-NEXT: braid.collective_permute
// CHECK: linalg.matmul {braid.ring_step
// CHECK-NOT: braid.all_gather
// CHECK: braid.reduce_scatter
func.func @mlp_slow_link(%x: tensor<3x16xf32>, %w1: tensor<16x8xf32>, %w2: tensor<8x16xf32>) -> tensor<3x16xf32> {
  %zero = arith.constant 0.0 : f32
  // expected-remark @+4 {{cut into 4 bidirectional ring steps with the all_gather (bitwise equal: every row block is one full-K GEMM): 145.263 us instead of 183.632 us on cpu-1gbe}}
  // expected-remark @+3 {{moved earlier by 2 ops; hides 22.820 us of 61.631 us behind compute, 38.811 us exposed}}
  // expected-remark @+2 {{moved earlier by 3 ops; hides 41.559 us of 61.631 us behind compute, 20.073 us exposed}}
  // expected-remark @+1 {{moved earlier by 2 ops; hides 37.476 us of 61.631 us behind compute, 24.155 us exposed}}
  %g = braid.all_gather %x on @tp axes = [0] dim = 0 : tensor<3x16xf32> -> tensor<12x16xf32>
  %e1 = tensor.empty() : tensor<12x8xf32>
  %i1 = linalg.fill ins(%zero : f32) outs(%e1 : tensor<12x8xf32>) -> tensor<12x8xf32>
  %h = linalg.matmul ins(%g, %w1 : tensor<12x16xf32>, tensor<16x8xf32>) outs(%i1 : tensor<12x8xf32>) -> tensor<12x8xf32>
  %a = braid.activation gelu %h : tensor<12x8xf32>
  %e2 = tensor.empty() : tensor<12x16xf32>
  %i2 = linalg.fill ins(%zero : f32) outs(%e2 : tensor<12x16xf32>) -> tensor<12x16xf32>
  %y = linalg.matmul ins(%a, %w2 : tensor<12x8xf32>, tensor<8x16xf32>) outs(%i2 : tensor<12x16xf32>) -> tensor<12x16xf32>
  // expected-remark @+2 {{not decomposed: cutting does not pay on cpu-1gbe: 205.386 us as 4 T3 ring steps with 1 matmul}}
  // expected-remark @+1 {{issued where written; hides 0.000 us of 164.894 us behind compute, 164.894 us exposed}}
  %s = braid.reduce_scatter %y on @tp axes = [0] dim = 0 reduction = sum : tensor<12x16xf32> -> tensor<3x16xf32>
  return %s : tensor<3x16xf32>
}
}

// -----

// The same MLP on 8 H100s: nothing pays at these shapes; the collectives
// stay whole and in place.
module attributes {braid.target = #braid.target<"h100-sxm-x8">} {
shard.grid @tp(shape = 4)
// CHECK-LABEL: func.func @mlp_nvlink
// CHECK: braid.all_gather
// CHECK-NOT: braid.ring_step
// CHECK: braid.reduce_scatter
func.func @mlp_nvlink(%x: tensor<3x16xf32>, %w1: tensor<16x8xf32>, %w2: tensor<8x16xf32>) -> tensor<3x16xf32> {
  %zero = arith.constant 0.0 : f32
  // expected-remark @+2 {{not decomposed: cutting does not pay on h100-sxm-x8}}
  // expected-remark @+1 {{kept in place}}
  %g = braid.all_gather %x on @tp axes = [0] dim = 0 : tensor<3x16xf32> -> tensor<12x16xf32>
  %e1 = tensor.empty() : tensor<12x8xf32>
  %i1 = linalg.fill ins(%zero : f32) outs(%e1 : tensor<12x8xf32>) -> tensor<12x8xf32>
  %h = linalg.matmul ins(%g, %w1 : tensor<12x16xf32>, tensor<16x8xf32>) outs(%i1 : tensor<12x8xf32>) -> tensor<12x8xf32>
  %a = braid.activation gelu %h : tensor<12x8xf32>
  %e2 = tensor.empty() : tensor<12x16xf32>
  %i2 = linalg.fill ins(%zero : f32) outs(%e2 : tensor<12x16xf32>) -> tensor<12x16xf32>
  %y = linalg.matmul ins(%a, %w2 : tensor<12x8xf32>, tensor<8x16xf32>) outs(%i2 : tensor<12x16xf32>) -> tensor<12x16xf32>
  // expected-remark @+2 {{not decomposed: cutting does not pay on h100-sxm-x8}}
  // expected-remark @+1 {{kept in place}}
  %s = braid.reduce_scatter %y on @tp axes = [0] dim = 0 reduction = sum : tensor<12x16xf32> -> tensor<3x16xf32>
  return %s : tensor<3x16xf32>
}
}
