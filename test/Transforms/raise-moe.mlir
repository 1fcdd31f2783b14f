// MoE routers raised to braid.moe_gate.
// RUN: braid-opt %s -braid-raise-layer-ops -split-input-file | FileCheck %s
// RUN: braid-opt %s -braid-raise-layer-ops -braid-explain --mlir-print-op-on-diagnostic=false -split-input-file -o %t.ignored 2>&1 | FileCheck %s --check-prefix=REMARK
// RUN: braid-opt %s -braid-raise-layer-ops="moe=0" -split-input-file | FileCheck %s --check-prefix=OFF
// Differential: the gate renormalises an f32 softmax over all experts, the
// original takes the softmax of the k logits: equal up to rounding.
// RUN: braid-opt %S/Inputs/raise-moe-router.mlir -braid-raise-layer-ops -o %t.router.mlir
// RUN: FileCheck %s --check-prefix=ROUTER < %t.router.mlir
// RUN: %braid-diff %S/Inputs/raise-moe-router.mlir --compare=%t.router.mlir --tolerance-factor=4
// The Mixtral-style block JAX lowered (test/Import/jax/moe): raised, it still
// matches JAX's own outputs on the 4 ranks.
// RUN: %braid-import-stablehlo %braid_obj_root/test/Import/jax/moe/program.mlir -o %t.moe.mlir
// RUN: braid-opt %t.moe.mlir --pass-pipeline='builtin.module(inline,symbol-dce,braid-raise-layer-ops)' -o %t.moe.raised.mlir
// RUN: FileCheck %s --check-prefix=JAX < %t.moe.raised.mlir
// RUN: rm -rf %t.out
// RUN: braid-interp --quiet %t.moe.raised.mlir --inputs=%braid_obj_root/test/Import/jax/moe/inputs --output-dir=%t.out
// RUN: %venv-python %S/../Import/jax/compare.py %braid_obj_root/test/Import/jax/moe %t.out | FileCheck %s --check-prefix=MATCH
// JAX: braid.moe_gate %{{.*}} {k = 2 : i64, normalize} : tensor<16x4xf32> -> tensor<16x2xf32>, tensor<16x2xi32>
// JAX-NOT: braid.topk
// MATCH: PASS
// ROUTER-COUNT-2: braid.moe_gate

// Mixtral: top-k of the logits, then a softmax over the k values.
// CHECK-LABEL: func.func @topk_then_softmax
// CHECK-SAME: (%[[L:.*]]: tensor<8x4xf32>)
// CHECK: %[[W:.*]], %[[E:.*]] = braid.moe_gate %[[L]] {k = 2 : i64, normalize} : tensor<8x4xf32> -> tensor<8x2xf32>, tensor<8x2xi32>
// CHECK-NOT: braid.topk
// CHECK-NOT: linalg.softmax
// CHECK: return %[[W]], %[[E]]
// OFF-LABEL: func.func @topk_then_softmax
// OFF: braid.topk
// REMARK: remark: raised to braid.moe_gate (top-2 then softmax: normalized)
func.func @topk_then_softmax(%logits: tensor<8x4xf32>) -> (tensor<8x2xf32>, tensor<8x2xi32>) {
  %v, %i = braid.topk %logits {k = 2 : i64} : tensor<8x4xf32> -> tensor<8x2xf32>, tensor<8x2xi32>
  %e = tensor.empty() : tensor<8x2xf32>
  %w = linalg.softmax dimension(1) ins(%v : tensor<8x2xf32>) outs(%e : tensor<8x2xf32>) -> tensor<8x2xf32>
  return %w, %i : tensor<8x2xf32>, tensor<8x2xi32>
}

// -----

// Switch/GShard: softmax over the experts, then top-k.
// CHECK-LABEL: func.func @softmax_then_topk
// CHECK: braid.moe_gate %{{.*}} {k = 1 : i64} : tensor<8x4xf32> -> tensor<8x1xf32>, tensor<8x1xi32>
// CHECK-NOT: normalize
// REMARK: remark: raised to braid.moe_gate (softmax then top-1)
func.func @softmax_then_topk(%logits: tensor<8x4xf32>) -> (tensor<8x1xf32>, tensor<8x1xi32>) {
  %e = tensor.empty() : tensor<8x4xf32>
  %p = linalg.softmax dimension(1) ins(%logits : tensor<8x4xf32>) outs(%e : tensor<8x4xf32>) -> tensor<8x4xf32>
  %v, %i = braid.topk %p {k = 1 : i64} : tensor<8x4xf32> -> tensor<8x1xf32>, tensor<8x1xi32>
  return %v, %i : tensor<8x1xf32>, tensor<8x1xi32>
}

// -----

// Near misses stay as written, with the reason.
// CHECK-LABEL: func.func @values_used_elsewhere
// CHECK: braid.topk
// CHECK: linalg.softmax
// REMARK: remark: router not raised to braid.moe_gate: the top-k values are used besides the softmax
func.func @values_used_elsewhere(%logits: tensor<8x4xf32>) -> (tensor<8x2xf32>, tensor<8x2xf32>) {
  %v, %i = braid.topk %logits {k = 2 : i64} : tensor<8x4xf32> -> tensor<8x2xf32>, tensor<8x2xi32>
  %e = tensor.empty() : tensor<8x2xf32>
  %w = linalg.softmax dimension(1) ins(%v : tensor<8x2xf32>) outs(%e : tensor<8x2xf32>) -> tensor<8x2xf32>
  return %w, %v : tensor<8x2xf32>, tensor<8x2xf32>
}

// -----

// CHECK-LABEL: func.func @softmax_over_tokens
// CHECK: braid.topk
// REMARK: remark: router not raised to braid.moe_gate: the top-k does not take a row softmax used only by it
func.func @softmax_over_tokens(%logits: tensor<8x4xf32>) -> (tensor<8x1xf32>, tensor<8x1xi32>) {
  %e = tensor.empty() : tensor<8x4xf32>
  %p = linalg.softmax dimension(0) ins(%logits : tensor<8x4xf32>) outs(%e : tensor<8x4xf32>) -> tensor<8x4xf32>
  %v, %i = braid.topk %p {k = 1 : i64} : tensor<8x4xf32> -> tensor<8x1xf32>, tensor<8x1xi32>
  return %v, %i : tensor<8x1xf32>, tensor<8x1xi32>
}
