// The decomposition records its decision as #braid.decomposition on the
// collective, then applies it; a plan written by hand is applied as written,
// without the cost model (which, on the default h100-sxm-x8, declines every
// cut at these tiny shapes).
//
// A hand-written plan: 3 chunks (4 + 4 + 2 rows), bitwise equal.
// RUN: braid-opt %S/Inputs/collective-matmul-planned.mlir --pass-pipeline='builtin.module(func.func(braid-decompose-collective-matmul,braid-verify-ring-coverage))' -braid-explain --mlir-print-op-on-diagnostic=false -o %t.planned.mlir 2>&1 | FileCheck %s --check-prefix=GIVEN
// RUN: FileCheck %s --check-prefix=CHUNKS < %t.planned.mlir
// RUN: %braid-diff %S/Inputs/collective-matmul-planned.mlir --compare=%t.planned.mlir --exact
// GIVEN: remark: cut as its plan says: #braid.decomposition<form = chunks, count = 3>
// CHUNKS-COUNT-3: braid.all_reduce {{.*}} : tensor<{{4|2}}x16xf32>
// CHUNKS-NOT: braid.all_reduce
// CHUNKS-NOT: braid.decomposition
//
// plan-only stops after the decision; the recorded plan is applied by a
// later run as if written by hand, to the same IR as one forced run.
// RUN: braid-opt %S/Inputs/collective-matmul-p4.mlir --pass-pipeline='builtin.module(func.func(braid-decompose-collective-matmul{force=1 plan-only=1}))' -o %t.plan.mlir
// RUN: FileCheck %s --check-prefix=PLAN < %t.plan.mlir
// PLAN: braid.all_gather {{.*}} {braid.decomposition = #braid.decomposition<form = ring, count = 4>}
// PLAN: braid.reduce_scatter {{.*}} {braid.decomposition = #braid.decomposition<form = ring, count = 4>}
// RUN: braid-opt %t.plan.mlir --pass-pipeline='builtin.module(func.func(braid-decompose-collective-matmul))' -o %t.applied.mlir
// RUN: braid-opt %S/Inputs/collective-matmul-p4.mlir --pass-pipeline='builtin.module(func.func(braid-decompose-collective-matmul{force=1}))' -o %t.forced.mlir
// RUN: diff %t.applied.mlir %t.forced.mlir
//
// Plans that do not fit are located errors.
// RUN: not braid-opt %s --pass-pipeline='builtin.module(func.func(braid-decompose-collective-matmul))' -split-input-file --mlir-print-op-on-diagnostic=false -o %t.ignored 2>&1 | FileCheck %s --check-prefix=MISFIT

shard.grid @tp(shape = 4)
func.func @ring_of_three(%a: tensor<12x8xf32>, %w: tensor<8x16xf32>, %init: tensor<12x16xf32>) -> tensor<3x16xf32> {
  %p = linalg.matmul ins(%a, %w : tensor<12x8xf32>, tensor<8x16xf32>) outs(%init : tensor<12x16xf32>) -> tensor<12x16xf32>
  // MISFIT: plans.mlir:[[@LINE+1]]:8: error: cannot apply #braid.decomposition<form = ring, count = 3>: a ring takes one step per rank of the group: count = 4, not 3
  %s = braid.reduce_scatter %p on @tp axes = [0] dim = 0 reduction = sum {braid.decomposition = #braid.decomposition<form = ring, count = 3>} : tensor<12x16xf32> -> tensor<3x16xf32>
  return %s : tensor<3x16xf32>
}

// -----

shard.grid @tp(shape = 4)
func.func @too_many_chunks(%a: tensor<3x8xf32>, %w: tensor<8x16xf32>, %init: tensor<3x16xf32>) -> tensor<3x16xf32> {
  %p = linalg.matmul ins(%a, %w : tensor<3x8xf32>, tensor<8x16xf32>) outs(%init : tensor<3x16xf32>) -> tensor<3x16xf32>
  // MISFIT: plans.mlir:[[@LINE+1]]:8: error: cannot apply #braid.decomposition<form = chunks, count = 5>: 5 chunks of 3 rows asked for
  %r = braid.all_reduce %p on @tp axes = [0] reduction = sum {braid.decomposition = #braid.decomposition<form = chunks, count = 5>} : tensor<3x16xf32>
  return %r : tensor<3x16xf32>
}

// -----

shard.grid @tp(shape = 4)
func.func @no_matmul(%x: tensor<12x16xf32>) -> tensor<12x16xf32> {
  // MISFIT: plans.mlir:[[@LINE+1]]:8: error: cannot apply #braid.decomposition<form = chunks, count = 2>: not decomposed: the all-reduced value is not the floating-point result of a plain matmul
  %r = braid.all_reduce %x on @tp axes = [0] reduction = sum {braid.decomposition = #braid.decomposition<form = chunks, count = 2>} : tensor<12x16xf32>
  return %r : tensor<12x16xf32>
}

// -----

shard.grid @tp(shape = 4)
func.func @ring_over_truncation(%a: tensor<8x8xf32>, %w: tensor<8x16xf32>, %init: tensor<8x16xf32>) -> tensor<8x16xbf16> {
  %p = linalg.matmul ins(%a, %w : tensor<8x8xf32>, tensor<8x16xf32>) outs(%init : tensor<8x16xf32>) -> tensor<8x16xf32>
  %t = arith.truncf %p : tensor<8x16xf32> to tensor<8x16xbf16>
  // MISFIT: plans.mlir:[[@LINE+1]]:8: error: cannot apply #braid.decomposition<form = ring, count = 4>: the ring reduces the matmul's own partial sums, but this all_reduce sums them after a truncation
  %r = braid.all_reduce %t on @tp axes = [0] reduction = sum {braid.decomposition = #braid.decomposition<form = ring, count = 4>} : tensor<8x16xbf16>
  return %r : tensor<8x16xbf16>
}
