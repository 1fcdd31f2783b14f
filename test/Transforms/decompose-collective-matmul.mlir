// Structure of each rewrite (forced: these shapes are far too small to pay).
// RUN: braid-opt %s --pass-pipeline='builtin.module(func.func(braid-decompose-collective-matmul{force=true}))' -split-input-file | FileCheck %s
// RUN: braid-opt %s --pass-pipeline='builtin.module(func.func(braid-decompose-collective-matmul{force=true}))' -braid-explain --mlir-print-op-on-diagnostic=false -split-input-file -o %t.ignored 2>&1 | FileCheck %s --check-prefix=REMARK
// The other ring order and all-reduce strategy.
// RUN: braid-opt %s --pass-pipeline='builtin.module(func.func(braid-decompose-collective-matmul{force=true bidirectional=always all-reduce=ring}))' -split-input-file | FileCheck %s --check-prefix=OPT
// Without force the cost model declines them, with both predictions.
// RUN: braid-opt %s --pass-pipeline='builtin.module(func.func(braid-decompose-collective-matmul))' -braid-explain --mlir-print-op-on-diagnostic=false -split-input-file -o %t.ignored 2>&1 | FileCheck %s --check-prefix=COST
// Bad options are errors.
// RUN: not braid-opt %s --pass-pipeline='builtin.module(func.func(braid-decompose-collective-matmul{bidirectional=sometimes}))' -split-input-file -o %t.ignored 2>&1 | FileCheck %s --check-prefix=BADOPT
// RUN: not braid-opt %s --pass-pipeline='builtin.module(func.func(braid-decompose-collective-matmul{wire-type=f8}))' -split-input-file -o %t.ignored 2>&1 | FileCheck %s --check-prefix=BADWIRE
// BADOPT: for the --bidirectional option: Cannot find option named 'sometimes'
// BADWIRE: for the --wire-type option: Cannot find option named 'f8'
//
// Differential runs against the original on every rank, several
// interleavings. The all_gather side alone is bitwise exact (M cuts), in
// both ring orders...
// RUN: braid-opt %S/Inputs/collective-matmul-gather.mlir --pass-pipeline='builtin.module(func.func(braid-decompose-collective-matmul{force=true},braid-verify-ring-coverage))' -o %t.gather.mlir
// RUN: %braid-diff %S/Inputs/collective-matmul-gather.mlir --compare=%t.gather.mlir --exact
// RUN: braid-opt %S/Inputs/collective-matmul-gather.mlir --pass-pipeline='builtin.module(func.func(braid-decompose-collective-matmul{force=true bidirectional=always},braid-verify-ring-coverage))' -o %t.gather.bi.mlir
// RUN: %braid-diff %S/Inputs/collective-matmul-gather.mlir --compare=%t.gather.bi.mlir --exact
// Two bf16 matmuls sharing the gathered tokens (gate and up), P = 2, 4, 8:
// RUN: braid-opt %S/Inputs/collective-matmul-gather-p2.mlir --pass-pipeline='builtin.module(func.func(braid-decompose-collective-matmul{force=true bidirectional=never},braid-verify-ring-coverage))' -o %t.gather2.mlir
// RUN: %braid-diff %S/Inputs/collective-matmul-gather-p2.mlir --compare=%t.gather2.mlir --exact
// RUN: braid-opt %S/Inputs/collective-matmul-gather-p2.mlir --pass-pipeline='builtin.module(func.func(braid-decompose-collective-matmul{force=true bidirectional=always},braid-verify-ring-coverage))' -o %t.gather2.bi.mlir
// RUN: %braid-diff %S/Inputs/collective-matmul-gather-p2.mlir --compare=%t.gather2.bi.mlir --exact
// RUN: braid-opt %S/Inputs/collective-matmul-gather-p4.mlir --pass-pipeline='builtin.module(func.func(braid-decompose-collective-matmul{force=true bidirectional=never},braid-verify-ring-coverage))' -o %t.gather4.mlir
// RUN: %braid-diff %S/Inputs/collective-matmul-gather-p4.mlir --compare=%t.gather4.mlir --exact
// RUN: braid-opt %S/Inputs/collective-matmul-gather-p4.mlir --pass-pipeline='builtin.module(func.func(braid-decompose-collective-matmul{force=true bidirectional=always},braid-verify-ring-coverage))' -o %t.gather4.bi.mlir
// RUN: %braid-diff %S/Inputs/collective-matmul-gather-p4.mlir --compare=%t.gather4.bi.mlir --exact
// RUN: braid-opt %S/Inputs/collective-matmul-gather-p8.mlir --pass-pipeline='builtin.module(func.func(braid-decompose-collective-matmul{force=true bidirectional=never},braid-verify-ring-coverage))' -o %t.gather8.mlir
// RUN: %braid-diff %S/Inputs/collective-matmul-gather-p8.mlir --compare=%t.gather8.mlir --exact
// RUN: braid-opt %S/Inputs/collective-matmul-gather-p8.mlir --pass-pipeline='builtin.module(func.func(braid-decompose-collective-matmul{force=true bidirectional=always},braid-verify-ring-coverage))' -o %t.gather8.bi.mlir
// RUN: %braid-diff %S/Inputs/collective-matmul-gather-p8.mlir --compare=%t.gather8.bi.mlir --exact
// ...and the whole MLP (AG -> matmul -> gelu -> matmul -> RS), with the T3
// reduce_scatter reassociating the sum across ranks, meets the numerics
// contract for P = 2, 3, 4, 8, in both all_gather orders.
// RUN: braid-opt %S/Inputs/collective-matmul-p2.mlir --pass-pipeline='builtin.module(func.func(braid-decompose-collective-matmul{force=true},braid-verify-ring-coverage))' -o %t.p2.mlir
// RUN: %braid-diff %S/Inputs/collective-matmul-p2.mlir --compare=%t.p2.mlir
// RUN: braid-opt %S/Inputs/collective-matmul-p3.mlir --pass-pipeline='builtin.module(func.func(braid-decompose-collective-matmul{force=true},braid-verify-ring-coverage))' -o %t.p3.mlir
// RUN: %braid-diff %S/Inputs/collective-matmul-p3.mlir --compare=%t.p3.mlir
// RUN: braid-opt %S/Inputs/collective-matmul-p4.mlir --pass-pipeline='builtin.module(func.func(braid-decompose-collective-matmul{force=true},braid-verify-ring-coverage))' -o %t.p4.mlir
// RUN: %braid-diff %S/Inputs/collective-matmul-p4.mlir --compare=%t.p4.mlir
// RUN: braid-opt %S/Inputs/collective-matmul-p8.mlir --pass-pipeline='builtin.module(func.func(braid-decompose-collective-matmul{force=true},braid-verify-ring-coverage))' -o %t.p8.mlir
// RUN: %braid-diff %S/Inputs/collective-matmul-p8.mlir --compare=%t.p8.mlir
// RUN: braid-opt %S/Inputs/collective-matmul-p3.mlir --pass-pipeline='builtin.module(func.func(braid-decompose-collective-matmul{force=true bidirectional=always},braid-verify-ring-coverage))' -o %t.p3.bi.mlir
// RUN: %braid-diff %S/Inputs/collective-matmul-p3.mlir --compare=%t.p3.bi.mlir
// RUN: braid-opt %S/Inputs/collective-matmul-p8.mlir --pass-pipeline='builtin.module(func.func(braid-decompose-collective-matmul{force=true bidirectional=always},braid-verify-ring-coverage))' -o %t.p8.bi.mlir
// RUN: %braid-diff %S/Inputs/collective-matmul-p8.mlir --compare=%t.p8.bi.mlir
// Backward: dgrad (rows) and wgrad (K) share one gather ring; dX's two
// accumulating matmuls are cut together before the T3 reduce_scatter.
// RUN: braid-opt %S/Inputs/collective-matmul-backward.mlir --pass-pipeline='builtin.module(func.func(braid-decompose-collective-matmul{force=true},braid-verify-ring-coverage))' -o %t.backward.mlir
// RUN: %braid-diff %S/Inputs/collective-matmul-backward.mlir --compare=%t.backward.mlir
// matmul -> all_reduce over 10 rows on 4 ranks: the ring pads to 12 rows
// (contract), row chunks (2 by the cost model, or 3 uneven ones) are exact.
// RUN: braid-opt %S/Inputs/collective-matmul-allreduce.mlir --pass-pipeline='builtin.module(func.func(braid-decompose-collective-matmul{force=true all-reduce=ring},braid-verify-ring-coverage))' -o %t.ar.ring.mlir
// RUN: %braid-diff %S/Inputs/collective-matmul-allreduce.mlir --compare=%t.ar.ring.mlir
// RUN: braid-opt %S/Inputs/collective-matmul-allreduce.mlir --pass-pipeline='builtin.module(func.func(braid-decompose-collective-matmul{force=true all-reduce=chunked},braid-verify-ring-coverage))' -o %t.ar.chunked.mlir
// RUN: %braid-diff %S/Inputs/collective-matmul-allreduce.mlir --compare=%t.ar.chunked.mlir --exact
// RUN: braid-opt %S/Inputs/collective-matmul-allreduce.mlir --pass-pipeline='builtin.module(func.func(braid-decompose-collective-matmul{force=true all-reduce=chunked chunks=3},braid-verify-ring-coverage))' -o %t.ar.chunks3.mlir
// RUN: %braid-diff %S/Inputs/collective-matmul-allreduce.mlir --compare=%t.ar.chunks3.mlir --exact
// A truncated, reshaped psum (JAX's bf16 form) is cut into row chunks that
// keep the truncation before their all_reduce: bitwise equal; the ring,
// which would sum the f32 partials instead, is refused.
// RUN: braid-opt %S/Inputs/collective-matmul-psum-bf16.mlir --pass-pipeline='builtin.module(func.func(braid-decompose-collective-matmul{force=true chunks=3},braid-verify-ring-coverage))' -o %t.psum.mlir
// RUN: FileCheck %s --check-prefix=PSUM < %t.psum.mlir
// RUN: %braid-diff %S/Inputs/collective-matmul-psum-bf16.mlir --compare=%t.psum.mlir --exact
// RUN: braid-opt %S/Inputs/collective-matmul-psum-bf16.mlir --pass-pipeline='builtin.module(func.func(braid-decompose-collective-matmul{force=true all-reduce=ring}))' -braid-explain --mlir-print-op-on-diagnostic=false -o %t.ignored 2>&1 | FileCheck %s --check-prefix=PSUM-RING
// PSUM-COUNT-2: linalg.matmul {braid.ring_step = array<i64: 0, {{[0-9]}}, 3>} {{.*}} -> tensor<4x8xf32>
// PSUM: arith.truncf %{{.*}} : tensor<2x8xf32> to tensor<2x8xbf16>
// PSUM: braid.all_reduce %{{.*}} : tensor<2x8xbf16>
// PSUM: tensor.expand_shape %{{.*}} {{\[}}[0, 1], [2]] output_shape [2, 5, 8] : tensor<10x8xbf16> into tensor<2x5x8xbf16>
// PSUM-NOT: braid.all_reduce
// PSUM-RING: remark: not decomposed: the ring reduces the matmul's own partial sums, but this all_reduce sums them after a truncation (the chunked form keeps it)
// Partial sums on a bf16 wire lose P - 1 roundings: the numerics contract
// refuses it, which is why the default wire type is the accumulator's.
// RUN: braid-opt %S/Inputs/collective-matmul-p8.mlir --pass-pipeline='builtin.module(func.func(braid-decompose-collective-matmul{force=true wire-type=bf16}))' -o %t.p8.bf16.mlir
// RUN: not %braid-diff %S/Inputs/collective-matmul-p8.mlir --compare=%t.p8.bf16.mlir 2>&1 | FileCheck %s --check-prefix=WIRE
// WIRE: the rewritten program is less accurate than the numerics contract allows
// Then the overlap pipeline makes the ring's permutes asynchronous; still exact.
// RUN: braid-opt %t.gather.mlir --pass-pipeline='builtin.module(braid-overlap-pipeline{profile=cpu-1gbe})' -o %t.gather.async.mlir
// RUN: %braid-diff %S/Inputs/collective-matmul-gather.mlir --compare=%t.gather.async.mlir --exact --schedules=6

shard.grid @tp(shape = 4)

// CHECK-LABEL: func.func @gather_matmul
// CHECK-SAME: (%[[X:.*]]: tensor<3x16xf32>, %[[W:.*]]: tensor<16x8xf32>, %[[INIT:.*]]: tensor<12x8xf32>)
func.func @gather_matmul(%x: tensor<3x16xf32>, %w: tensor<16x8xf32>, %init: tensor<12x8xf32>) -> tensor<12x8xf32> {
  // REMARK: remark: cut into 4 unidirectional ring steps with the all_gather (bitwise equal: every row block is one full-K GEMM) because of force: the cost model predicts [[CUT:.*]] us, not less than [[ORIG:.*]] us as written on h100-sxm-x8 (GEMM step {{.*}} us, shard transfer {{.*}} us)
  // COST: remark: not decomposed: cutting does not pay on h100-sxm-x8: {{.*}} us as 4 unidirectional ring steps with the all_gather {{.*}}, {{.*}} us as written, less than 5.00% saved (GEMM step
  // CHECK: %[[R:.*]] = braid.rank on @tp axes = [0] : index
  // Step 0: this rank's own shard into rows r.
  // CHECK: %[[S0:.*]] = arith.remui {{.*}}, %c4
  // CHECK: %[[O0:.*]] = arith.muli %[[S0]], %c3{{[_0-9]*}}
  // CHECK: %[[I0:.*]] = tensor.extract_slice %[[INIT]][%[[O0]], 0] [3, 8] [1, 1]
  // CHECK: %[[P0:.*]] = linalg.matmul {braid.ring_step = array<i64: 0, 0, 4>} ins(%[[X]], %[[W]] : tensor<3x16xf32>, tensor<16x8xf32>) outs(%[[I0]] : tensor<3x8xf32>)
  // CHECK: tensor.insert_slice %[[P0]] into %[[INIT]][%[[O0]], 0] [3, 8] [1, 1]
  // CHECK: %[[X1:.*]] = braid.collective_permute %[[X]] on @tp axes = [0] pairs = {{\[}}[0, 1], [1, 2], [2, 3], [3, 0]]
  // Step 1: the shard of rank r - 1, into rows (r + 3) mod 4.
  // CHECK: arith.addi %[[R]], %c3{{[_0-9]*}}
  // CHECK: linalg.matmul {braid.ring_step = array<i64: 0, 1, 4>} ins(%[[X1]], %[[W]]
  // CHECK-NOT: braid.all_gather
  %g = braid.all_gather %x on @tp axes = [0] dim = 0 : tensor<3x16xf32> -> tensor<12x16xf32>
  %y = linalg.matmul ins(%g, %w : tensor<12x16xf32>, tensor<16x8xf32>) outs(%init : tensor<12x8xf32>) -> tensor<12x8xf32>
  return %y : tensor<12x8xf32>
}

// -----

shard.grid @tp(shape = 4)

// CHECK-LABEL: func.func @matmul_scatter
func.func @matmul_scatter(%a: tensor<12x8xf32>, %w: tensor<8x16xf32>, %init: tensor<12x16xf32>) -> tensor<3x16xf32> {
  // REMARK: remark: cut into 4 T3 ring steps with 1 matmul (partial sums reassociated across ranks) because of force
  // COST: remark: not decomposed: cutting does not pay on h100-sxm-x8: {{.*}} us as 4 T3 ring steps with 1 matmul {{.*}}, {{.*}} us as written, less than 5.00% saved (GEMM step {{.*}} us, combine {{.*}} us, partial-sum transfer {{.*}} us in f32)
  // CHECK: %[[R:.*]] = braid.rank on @tp axes = [0] : index
  // Step 0: chunk (r - 1) mod 4.
  // CHECK: arith.addi %[[R]], %c3{{[_0-9]*}}
  // CHECK: %[[P0:.*]] = linalg.matmul {{.*}} -> tensor<3x16xf32>
  // Steps 1..3: receive from r - 1, add this rank's part of the same chunk.
  // CHECK: %[[RECV1:.*]] = braid.collective_permute %[[P0]] on @tp axes = [0] pairs = {{\[}}[0, 1], [1, 2], [2, 3], [3, 0]]
  // CHECK: %[[PART1:.*]] = linalg.matmul
  // CHECK: arith.addf %[[RECV1]], %[[PART1]]
  // CHECK-COUNT-2: braid.collective_permute
  // CHECK-NOT: braid.reduce_scatter
  %p = linalg.matmul ins(%a, %w : tensor<12x8xf32>, tensor<8x16xf32>) outs(%init : tensor<12x16xf32>) -> tensor<12x16xf32>
  %s = braid.reduce_scatter %p on @tp axes = [0] dim = 0 reduction = sum : tensor<12x16xf32> -> tensor<3x16xf32>
  return %s : tensor<3x16xf32>
}

// -----

shard.grid @tp(shape = 4)

// Refusals, each with its reason.
// CHECK-LABEL: func.func @declined
func.func @declined(%x: tensor<3x16xf32>, %w: tensor<16x8xf32>, %init: tensor<12x8xf32>, %xc: tensor<12x4xf32>) -> (tensor<12x8xf32>, tensor<12x16xf32>, tensor<12x16xf32>, tensor<3x8xf32>) {
  // REMARK: remark: not decomposed: the gathered value is used by something other than plain matmuls
  %g = braid.all_gather %x on @tp axes = [0] dim = 0 : tensor<3x16xf32> -> tensor<12x16xf32>
  %y = linalg.matmul ins(%g, %w : tensor<12x16xf32>, tensor<16x8xf32>) outs(%init : tensor<12x8xf32>) -> tensor<12x8xf32>
  // REMARK: remark: not decomposed: only gathers along dim 0
  %c = braid.all_gather %xc on @tp axes = [0] dim = 1 : tensor<12x4xf32> -> tensor<12x16xf32>
  // REMARK: remark: not decomposed: the scattered value is not the floating-point result of a plain matmul used only here
  %m = braid.reduce_scatter %y on @tp axes = [0] dim = 0 reduction = max : tensor<12x8xf32> -> tensor<3x8xf32>
  return %y, %g, %c, %m : tensor<12x8xf32>, tensor<12x16xf32>, tensor<12x16xf32>, tensor<3x8xf32>
}

// -----

shard.grid @big(shape = 32)

// CHECK-LABEL: func.func @too_many_steps
func.func @too_many_steps(%x: tensor<1x16xf32>, %w: tensor<16x8xf32>, %init: tensor<32x8xf32>) -> tensor<32x8xf32> {
  // REMARK: remark: not decomposed: the group has 32 ranks (2 to max-steps = 16 are cut)
  %g = braid.all_gather %x on @big axes = [0] dim = 0 : tensor<1x16xf32> -> tensor<32x16xf32>
  %y = linalg.matmul ins(%g, %w : tensor<32x16xf32>, tensor<16x8xf32>) outs(%init : tensor<32x8xf32>) -> tensor<32x8xf32>
  return %y : tensor<32x8xf32>
}

// -----

shard.grid @tp(shape = 4)

// Bidirectional: step 1 brings the shards of r - 1 and r + 1, step 2 the
// shard of r + 2 from one side only.
// CHECK-LABEL: func.func @bidirectional
// OPT-LABEL: func.func @bidirectional
func.func @bidirectional(%x: tensor<3x16xf32>, %w: tensor<16x8xf32>, %init: tensor<12x8xf32>) -> tensor<12x8xf32> {
  // OPT: braid.rank
  // OPT: linalg.matmul {braid.ring_step = array<i64: [[RING:[0-9]+]], 0, 4>}
  // OPT: %[[FWD:.*]] = braid.collective_permute %{{.*}} pairs = {{\[}}[0, 1], [1, 2], [2, 3], [3, 0]]
  // OPT: %[[BWD:.*]] = braid.collective_permute %{{.*}} pairs = {{\[}}[0, 3], [1, 0], [2, 1], [3, 2]]
  // OPT: linalg.matmul {braid.ring_step = array<i64: [[RING]], 1, 4>} ins(%[[FWD]],
  // OPT: linalg.matmul {braid.ring_step = array<i64: [[RING]], 2, 4>} ins(%[[BWD]],
  // OPT: %[[LAST:.*]] = braid.collective_permute %[[FWD]] {{.*}} pairs = {{\[}}[0, 1],
  // OPT: linalg.matmul {braid.ring_step = array<i64: [[RING]], 3, 4>} ins(%[[LAST]],
  // OPT-NOT: braid.collective_permute
  // OPT: return
  %g = braid.all_gather %x on @tp axes = [0] dim = 0 : tensor<3x16xf32> -> tensor<12x16xf32>
  %y = linalg.matmul ins(%g, %w : tensor<12x16xf32>, tensor<16x8xf32>) outs(%init : tensor<12x8xf32>) -> tensor<12x8xf32>
  return %y : tensor<12x8xf32>
}

// -----

shard.grid @tp(shape = 4)

// wgrad: the gathered tokens are the K of xᵀ·dY; each step accumulates the
// K chunk in hand, sliced out of the left operand's columns.
// CHECK-LABEL: func.func @wgrad
// CHECK-SAME: (%[[XT:.*]]: tensor<8x12xf32>, %[[DY:.*]]: tensor<3x16xf32>, %[[INIT:.*]]: tensor<8x16xf32>)
func.func @wgrad(%xt: tensor<8x12xf32>, %dy: tensor<3x16xf32>, %init: tensor<8x16xf32>) -> tensor<8x16xf32> {
  // REMARK: remark: cut into 4 unidirectional ring steps with the all_gather (K-cut matmuls reassociate their sums)
  // CHECK: %[[O0:.*]] = arith.muli
  // CHECK: %[[K0:.*]] = tensor.extract_slice %[[XT]][0, %[[O0]]] [8, 3] [1, 1]
  // CHECK: %[[S0:.*]] = linalg.matmul {braid.ring_step = array<i64: {{[0-9]+}}, 0, 4>} ins(%[[K0]], %[[DY]] : tensor<8x3xf32>, tensor<3x16xf32>) outs(%[[INIT]] : tensor<8x16xf32>)
  // CHECK: %[[D1:.*]] = braid.collective_permute %[[DY]]
  // CHECK: %[[S1:.*]] = linalg.matmul {{.*}} ins(%{{.*}}, %[[D1]] : tensor<8x3xf32>, tensor<3x16xf32>) outs(%[[S0]] : tensor<8x16xf32>)
  %g = braid.all_gather %dy on @tp axes = [0] dim = 0 : tensor<3x16xf32> -> tensor<12x16xf32>
  %dw = linalg.matmul ins(%xt, %g : tensor<8x12xf32>, tensor<12x16xf32>) outs(%init : tensor<8x16xf32>) -> tensor<8x16xf32>
  return %dw : tensor<8x16xf32>
}

// -----

shard.grid @tp(shape = 4)

// matmul -> all_reduce as a T3 ring and an all_gather; 10 rows are padded to
// 12 (zeros in the operand, the sum's identity in the accumulator) and
// sliced back after the gather.
// CHECK-LABEL: func.func @all_reduce_ring
// OPT-LABEL: func.func @all_reduce_ring
func.func @all_reduce_ring(%a: tensor<10x8xf32>, %w: tensor<8x16xf32>, %init: tensor<10x16xf32>) -> tensor<10x16xf32> {
  // OPT: %[[PI:.*]] = tensor.pad %{{.*}} low[0, 0] high[2, 0]
  // OPT: tensor<10x16xf32> to tensor<12x16xf32>
  // OPT: %[[PA:.*]] = tensor.pad %{{.*}} low[0, 0] high[2, 0]
  // OPT: tensor<10x8xf32> to tensor<12x8xf32>
  // OPT: linalg.matmul {braid.ring_step = array<i64: {{[0-9]+}}, 0, 4>} {{.*}} -> tensor<3x16xf32>
  // OPT-COUNT-3: braid.collective_permute
  // OPT: %[[G:.*]] = braid.all_gather %{{.*}} on @tp axes = [0] dim = 0 : tensor<3x16xf32> -> tensor<12x16xf32>
  // OPT-NOT: braid.all_reduce
  // OPT: tensor.extract_slice %[[G]][0, 0] [10, 16] [1, 1]
  %p = linalg.matmul ins(%a, %w : tensor<10x8xf32>, tensor<8x16xf32>) outs(%init : tensor<10x16xf32>) -> tensor<10x16xf32>
  %r = braid.all_reduce %p on @tp axes = [0] reduction = sum : tensor<10x16xf32>
  return %r : tensor<10x16xf32>
}

// -----

shard.grid @tp(shape = 4)

// The same as row chunks, each all-reduced when computed (the cost model
// picks the count; these tests pin the strategy per function below).
// CHECK-LABEL: func.func @all_reduce_max
func.func @all_reduce_max(%a: tensor<10x8xf32>, %w: tensor<8x16xf32>, %init: tensor<10x16xf32>) -> tensor<10x16xf32> {
  // REMARK: remark: cut into {{[0-9]+}} {{.*}}
  // CHECK-NOT: braid.all_reduce %{{.*}} : tensor<10x16xf32>
  %p = linalg.matmul ins(%a, %w : tensor<10x8xf32>, tensor<8x16xf32>) outs(%init : tensor<10x16xf32>) -> tensor<10x16xf32>
  %r = braid.all_reduce %p on @tp axes = [0] reduction = max : tensor<10x16xf32>
  return %r : tensor<10x16xf32>
}

// -----

shard.grid @tp(shape = 1)

// A group of one has nothing to overlap.
// CHECK-LABEL: func.func @one_rank
func.func @one_rank(%a: tensor<4x8xf32>, %w: tensor<8x16xf32>, %init: tensor<4x16xf32>) -> tensor<4x16xf32> {
  // REMARK: remark: not decomposed: the group has 1 ranks (2 to max-steps = 16 are cut)
  // CHECK: braid.all_reduce
  %p = linalg.matmul ins(%a, %w : tensor<4x8xf32>, tensor<8x16xf32>) outs(%init : tensor<4x16xf32>) -> tensor<4x16xf32>
  %r = braid.all_reduce %p on @tp axes = [0] reduction = sum : tensor<4x16xf32>
  return %r : tensor<4x16xf32>
}

// -----

shard.grid @tp(shape = 4)

// Integer results and values used elsewhere are left alone.
// CHECK-LABEL: func.func @not_a_float_matmul
func.func @not_a_float_matmul(%a: tensor<8x8xi32>, %w: tensor<8x16xi32>, %init: tensor<8x16xi32>) -> tensor<8x16xi32> {
  // REMARK: remark: not decomposed: the all-reduced value is not the floating-point result of a plain matmul used only here (possibly truncated and its rows reshaped), reduced by sum, max or min
  // CHECK: braid.all_reduce
  %p = linalg.matmul ins(%a, %w : tensor<8x8xi32>, tensor<8x16xi32>) outs(%init : tensor<8x16xi32>) -> tensor<8x16xi32>
  %r = braid.all_reduce %p on @tp axes = [0] reduction = sum : tensor<8x16xi32>
  return %r : tensor<8x16xi32>
}
