// RUN: braid-opt %S/Inputs/llama-block-imported.mlir -braid-raise-layer-ops | FileCheck %s
// RUN: braid-opt %S/Inputs/llama-block-imported.mlir -braid-raise-layer-ops -braid-explain --mlir-print-op-on-diagnostic=false -o %t.ignored 2>&1 | FileCheck %s --check-prefix=REMARK
// Same random inputs on the 4 ranks, before and after: the f64 contract.
// RUN: braid-opt %S/Inputs/llama-block-imported.mlir -braid-raise-layer-ops -o %t.mlir
// RUN: %braid-diff %S/Inputs/llama-block-imported.mlir --compare=%t.mlir --tolerance-factor=4
// The overlap pipeline takes the raised block as it is: bitwise equal.
// RUN: braid-opt %t.mlir --pass-pipeline='builtin.module(braid-overlap-pipeline{profile=cpu-1gbe})' -o %t.async.mlir
// RUN: %braid-diff %t.mlir --compare=%t.async.mlir --exact
// One op per layer: fewer ops for the cost model to charge (and about half
// the bytes read and written).
// RUN: braid-opt %S/Inputs/llama-block-imported.mlir --braid-work-summary -o %t.ignored 2>&1 | FileCheck %s --check-prefix=WORK-BEFORE
// RUN: braid-opt %t.mlir --braid-work-summary -o %t.ignored 2>&1 | FileCheck %s --check-prefix=WORK-AFTER
// WORK-BEFORE: written in 126 compute ops
// WORK-AFTER: written in 85 compute ops

// What the StableHLO importer emits for a JAX Llama block (frozen in
// Inputs/llama-block-imported.mlir) becomes one op per layer.

// CHECK-LABEL: func.func @main
// CHECK-SAME: (%[[X:[a-z0-9]+]]: tensor<2x16x64xbf16>, %[[W1:[a-z0-9]+]]: tensor<64xbf16>,
// Pre-attention RMSNorm in bf16 (the importer's extf / f32 statistic /
// truncf / bf16 weight).
// CHECK: braid.rmsnorm %[[X]], %[[W1]] {epsilon = 9.99999974E-6 : f32} : tensor<2x16x64xbf16>, tensor<64xbf16> -> tensor<2x16x64xbf16>
// Attention: JAX's einsum computes (P V)ᵀ = Vᵀ Pᵀ with K arriving as
// [B, H, D, S]; the causal mask comes from @_where (inlined) over two iotas.
// CHECK: braid.attention {{.*}} {causal, scale = 0.353553385 : f32} : tensor<2x2x16x8xbf16>, tensor<2x2x16x8xbf16>, tensor<2x2x16x8xbf16> -> tensor<2x2x16x8xbf16>
// CHECK: braid.all_reduce
// CHECK: braid.rmsnorm {{.*}} : tensor<2x16x64xbf16>, tensor<64xbf16> -> tensor<2x16x64xbf16>
// CHECK: braid.swiglu {{.*}} : tensor<2x16x32xbf16>
// CHECK: braid.all_reduce
// Nothing fine-grained of those layers is left, and the helpers are gone.
// CHECK-NOT: linalg.reduce
// CHECK-NOT: linalg.batch_matmul
// CHECK-NOT: math.rsqrt
// CHECK-NOT: math.exp
// CHECK-NOT: func.call
// CHECK-NOT: func.func private

// REMARK-DAG: remark: raised to braid.rmsnorm (epsilon 1.000000e-05)
// REMARK-DAG: remark: raised to linalg.softmax over dim 3
// REMARK-DAG: remark: raised to braid.attention (2 query heads, 2 key/value heads, scale 3.535534e-01, causal, transposed product)
// REMARK-DAG: remark: raised to braid.activation silu (body of @silu)
// REMARK-DAG: remark: raised to braid.swiglu
