// RUN: braid-opt %s -braid-decompose-collective-matmul -split-input-file | FileCheck %s
// RUN: braid-opt %s -braid-decompose-collective-matmul -braid-explain --mlir-print-op-on-diagnostic=false -split-input-file -o /dev/null 2>&1 | FileCheck %s --check-prefix=REMARK
// The all_gather side alone is bitwise exact (an M cut)...
// RUN: braid-opt %S/Inputs/collective-matmul-gather.mlir -braid-decompose-collective-matmul -o %t.gather.mlir
// RUN: %braid-diff %S/Inputs/collective-matmul-gather.mlir --compare=%t.gather.mlir --exact
// ...and the whole MLP, with the T3 reduce_scatter reassociating the sum
// across ranks, meets the numerics contract for P = 2, 3, 4, 8.
// RUN: braid-opt %S/Inputs/collective-matmul-p2.mlir -braid-decompose-collective-matmul -o %t.p2.mlir
// RUN: %braid-diff %S/Inputs/collective-matmul-p2.mlir --compare=%t.p2.mlir
// RUN: braid-opt %S/Inputs/collective-matmul-p3.mlir -braid-decompose-collective-matmul -o %t.p3.mlir
// RUN: %braid-diff %S/Inputs/collective-matmul-p3.mlir --compare=%t.p3.mlir
// RUN: braid-opt %S/Inputs/collective-matmul-p4.mlir -braid-decompose-collective-matmul -o %t.p4.mlir
// RUN: %braid-diff %S/Inputs/collective-matmul-p4.mlir --compare=%t.p4.mlir
// RUN: braid-opt %S/Inputs/collective-matmul-p8.mlir -braid-decompose-collective-matmul -o %t.p8.mlir
// RUN: %braid-diff %S/Inputs/collective-matmul-p8.mlir --compare=%t.p8.mlir
// Then the overlap pipeline makes the ring's permutes asynchronous; still exact.
// RUN: braid-opt %t.gather.mlir --pass-pipeline='builtin.module(braid-overlap-pipeline{profile=cpu-1gbe})' -o %t.gather.async.mlir
// RUN: %braid-diff %S/Inputs/collective-matmul-gather.mlir --compare=%t.gather.async.mlir --exact --schedules=6

shard.grid @tp(shape = 4)

// CHECK-LABEL: func.func @gather_matmul
// CHECK-SAME: (%[[X:.*]]: tensor<3x16xf32>, %[[W:.*]]: tensor<16x8xf32>, %[[INIT:.*]]: tensor<12x8xf32>)
func.func @gather_matmul(%x: tensor<3x16xf32>, %w: tensor<16x8xf32>, %init: tensor<12x8xf32>) -> tensor<12x8xf32> {
  // REMARK: remark: cut into 4 ring steps with the all_gather
  // CHECK: %[[R:.*]] = braid.rank on @tp axes = [0] : index
  // Step 0: this rank's own shard into rows r.
  // CHECK: %[[S0:.*]] = arith.remui {{.*}}, %c4
  // CHECK: %[[O0:.*]] = arith.muli %[[S0]], %c3{{[_0-9]*}}
  // CHECK: %[[I0:.*]] = tensor.extract_slice %[[INIT]][%[[O0]], 0] [3, 8] [1, 1]
  // CHECK: %[[P0:.*]] = linalg.matmul {braid.ring_step = array<i64: 0, 4>} ins(%[[X]], %[[W]] : tensor<3x16xf32>, tensor<16x8xf32>) outs(%[[I0]] : tensor<3x8xf32>)
  // CHECK: tensor.insert_slice %[[P0]] into %[[INIT]][%[[O0]], 0] [3, 8] [1, 1]
  // CHECK: %[[X1:.*]] = braid.collective_permute %[[X]] on @tp axes = [0] pairs = {{\[}}[0, 1], [1, 2], [2, 3], [3, 0]]
  // Step 1: the shard of rank r - 1, into rows (r + 3) mod 4.
  // CHECK: arith.addi %[[R]], %c3{{[_0-9]*}}
  // CHECK: linalg.matmul {braid.ring_step = array<i64: 1, 4>} ins(%[[X1]], %[[W]]
  // CHECK-NOT: braid.all_gather
  %g = braid.all_gather %x on @tp axes = [0] dim = 0 : tensor<3x16xf32> -> tensor<12x16xf32>
  %y = linalg.matmul ins(%g, %w : tensor<12x16xf32>, tensor<16x8xf32>) outs(%init : tensor<12x8xf32>) -> tensor<12x8xf32>
  return %y : tensor<12x8xf32>
}

// -----

shard.grid @tp(shape = 4)

// CHECK-LABEL: func.func @matmul_scatter
func.func @matmul_scatter(%a: tensor<12x8xf32>, %w: tensor<8x16xf32>, %init: tensor<12x16xf32>) -> tensor<3x16xf32> {
  // REMARK: remark: cut into 4 T3 ring steps with its matmul
  // CHECK: %[[R:.*]] = braid.rank on @tp axes = [0] : index
  // Step 0: chunk (r - 1) mod 4.
  // CHECK: arith.addi %[[R]], %c3{{[_0-9]*}}
  // CHECK: %[[P0:.*]] = linalg.matmul {{.*}} -> tensor<3x16xf32>
  // Steps 1..3: receive from r - 1, add this rank's part of the same chunk.
  // CHECK: %[[PART1:.*]] = linalg.matmul
  // CHECK: %[[RECV1:.*]] = braid.collective_permute %[[P0]] on @tp axes = [0] pairs = {{\[}}[0, 1], [1, 2], [2, 3], [3, 0]]
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
  // REMARK: remark: not decomposed: the gathered value is not only the left operand of a plain matmul
  %g = braid.all_gather %x on @tp axes = [0] dim = 0 : tensor<3x16xf32> -> tensor<12x16xf32>
  %y = linalg.matmul ins(%g, %w : tensor<12x16xf32>, tensor<16x8xf32>) outs(%init : tensor<12x8xf32>) -> tensor<12x8xf32>
  // REMARK: remark: not decomposed: only gathers along dim 0
  %c = braid.all_gather %xc on @tp axes = [0] dim = 1 : tensor<12x4xf32> -> tensor<12x16xf32>
  // REMARK: remark: not decomposed: only sum reductions scattered along dim 0
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
