// A MoE branch beside a dense FFN (LongCat ScMoE's shape): the branch moves
// whole to the stream of its all_to_all, awaited just before the residual
// add, so its communication runs beside the dense matmul.
// RUN: braid-opt %s --pass-pipeline='builtin.module(braid-convert-to-async)' -o %t.mlir
// RUN: FileCheck %s < %t.mlir
// RUN: %braid-diff %s --compare=%t.mlir --exact --schedules=6
// The whole pipeline on CPU ranks: the estimate shrinks by what the dense
// branch hides.
// RUN: braid-opt %s --braid-set-target=profile=cpu-1gbe --braid-estimate -o %t.ignored 2>&1 | FileCheck %s --check-prefix=BEFORE
// RUN: braid-opt %s --pass-pipeline='builtin.module(braid-overlap-pipeline{profile=cpu-1gbe},braid-estimate)' -o %t.ignored 2>&1 | FileCheck %s --check-prefix=AFTER
// RUN: braid-opt %s --pass-pipeline='builtin.module(braid-convert-to-async)' -braid-explain --mlir-print-op-on-diagnostic=false -o %t.ignored 2>&1 | FileCheck %s --check-prefix=EXPLAIN
// EXPLAIN: remark: moved a branch of 6 ops communicating on @ep axes [0] to stream 1, beside the compute of the join's other operands
// With branches=false only the collectives become asynchronous.
// RUN: braid-opt %s --pass-pipeline='builtin.module(braid-convert-to-async{branches=false})' | FileCheck %s --check-prefix=NO-BRANCHES
// A branch with nothing beside it that computes stays where it is.
// RUN: braid-opt %S/../../examples/tp_mlp.mlir --pass-pipeline='builtin.module(braid-convert-to-async)' | FileCheck %s --check-prefix=ALONE

// CHECK-LABEL: func.func @main
// CHECK: %[[F:.*]] = braid.start stream = 1 {
// CHECK-NEXT: braid.moe_gate
// CHECK-NEXT: braid.moe_permute
// CHECK-NEXT: braid.all_to_all
// CHECK-NEXT: braid.grouped_matmul
// CHECK-NEXT: braid.all_to_all
// CHECK-NEXT: %[[MOE:.*]] = braid.moe_unpermute
// CHECK-NEXT: braid.yield %[[MOE]]
// CHECK: linalg.matmul
// CHECK-NEXT: %[[DENSE:.*]] = braid.activation silu
// CHECK-NEXT: %[[A:.*]] = braid.await %[[F]]
// CHECK-NEXT: arith.addf %[[DENSE]], %[[A]]

// BEFORE: estimate on cpu-1gbe: sequential 414.575 us, scheduled 414.575 us
// AFTER: estimate on cpu-1gbe: sequential 414.575 us, scheduled 382.659 us

// NO-BRANCHES: braid.moe_gate
// NO-BRANCHES: braid.start stream = 1 {
// NO-BRANCHES-NEXT: braid.all_to_all
// ALONE: braid.rmsnorm
// ALONE-NEXT: braid.start stream = 1 {
// ALONE-NEXT: braid.all_gather

shard.grid @ep(shape = 4)
func.func @main(%x: tensor<16x32xf32>, %w: tensor<32x32xf32>, %logits: tensor<16x4xf32>, %experts: tensor<4x32x32xf32>) -> tensor<16x32xf32> {
  %zero = arith.constant 0.0 : f32
  %wt, %ids = braid.moe_gate %logits {k = 1 : i64} : tensor<16x4xf32> -> tensor<16x1xf32>, tensor<16x1xi32>
  %p, %sizes, %map = braid.moe_permute %x, %ids {num_experts = 4 : i64} : tensor<16x32xf32>, tensor<16x1xi32> -> tensor<16x32xf32>, tensor<4xi64>, tensor<16xi32>
  %d = braid.all_to_all %p on @ep axes = [0] split_dim = 0 concat_dim = 0 : tensor<16x32xf32> -> tensor<16x32xf32>
  %y = braid.grouped_matmul %d, %experts, %sizes : tensor<16x32xf32>, tensor<4x32x32xf32>, tensor<4xi64> -> tensor<16x32xf32>
  %c = braid.all_to_all %y on @ep axes = [0] split_dim = 0 concat_dim = 0 : tensor<16x32xf32> -> tensor<16x32xf32>
  %moe = braid.moe_unpermute %c, %map, %wt : tensor<16x32xf32>, tensor<16xi32>, tensor<16x1xf32> -> tensor<16x32xf32>
  %e = tensor.empty() : tensor<16x32xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<16x32xf32>) -> tensor<16x32xf32>
  %h = linalg.matmul ins(%x, %w : tensor<16x32xf32>, tensor<32x32xf32>) outs(%init : tensor<16x32xf32>) -> tensor<16x32xf32>
  %dense = braid.activation silu %h : tensor<16x32xf32>
  %out = arith.addf %dense, %moe : tensor<16x32xf32>
  return %out : tensor<16x32xf32>
}
