// The numerics contract of --compare holds result by result: each
// floating-point result is measured against its own scale, and integer
// results (token ids) must be exactly the original's. A large integer result
// next to a float one must not hide the float one's 0.1% error.
// RUN: rm -rf %t && mkdir -p %t
// RUN: %python %S/Inputs/split.py %s %t
// RUN: %braid-diff %t/original.mlir --compare=%t/same.mlir | FileCheck %s --check-prefix=SAME
// RUN: not %braid-diff %t/original.mlir --compare=%t/perturbed.mlir 2>&1 | FileCheck %s --check-prefix=PERTURBED
// RUN: not %braid-diff %t/original.mlir --compare=%t/ids.mlir 2>&1 | FileCheck %s --check-prefix=IDS

// SAME: result #0 tensor<4x8xf32>: relative error vs f64: original 0.000e+00, rewritten 0.000e+00 (bound 1.192e-07 = 2.00 x max(original, unit roundoff 5.960e-08))
// SAME-NEXT: result #1 tensor<4xi64>: integers equal on all 2 ranks

// PERTURBED-DAG: result #1 tensor<4xi64>: integers equal on all 2 ranks
// PERTURBED-DAG: perturbed.mlir:2:1: error: the rewritten program is less accurate than the numerics contract allows: result #0 has relative error 1.00{{[0-9]}}e-03 vs f64, over the bound 1.192e-07

// IDS-DAG: ids.mlir:2:1: error: integer result #1 differs on rank {{[01]}} at element 3: 4000000000 (original) vs 4000000001 (rewritten); integer results must be exact
// IDS-DAG: result #0 tensor<4x8xf32>: relative error vs f64: original 0.000e+00, rewritten 0.000e+00

// ----- original.mlir
shard.grid @tp(shape = 2)
func.func @main(%x: tensor<4x8xf32>) -> (tensor<4x8xf32>, tensor<4xi64>) {
  %y = arith.addf %x, %x : tensor<4x8xf32>
  %ids = arith.constant dense<[1000000000, 2000000000, 3000000000, 4000000000]> : tensor<4xi64>
  return %y, %ids : tensor<4x8xf32>, tensor<4xi64>
}

// ----- same.mlir
shard.grid @tp(shape = 2)
func.func @main(%x: tensor<4x8xf32>) -> (tensor<4x8xf32>, tensor<4xi64>) {
  %two = arith.constant dense<2.0> : tensor<4x8xf32>
  %y = arith.mulf %x, %two : tensor<4x8xf32>
  %ids = arith.constant dense<[1000000000, 2000000000, 3000000000, 4000000000]> : tensor<4xi64>
  return %y, %ids : tensor<4x8xf32>, tensor<4xi64>
}

// ----- perturbed.mlir
shard.grid @tp(shape = 2)
func.func @main(%x: tensor<4x8xf32>) -> (tensor<4x8xf32>, tensor<4xi64>) {
  %y = arith.addf %x, %x : tensor<4x8xf32>
  %scale = arith.constant dense<1.001> : tensor<4x8xf32>
  %z = arith.mulf %y, %scale : tensor<4x8xf32>
  %ids = arith.constant dense<[1000000000, 2000000000, 3000000000, 4000000000]> : tensor<4xi64>
  return %z, %ids : tensor<4x8xf32>, tensor<4xi64>
}

// ----- ids.mlir
shard.grid @tp(shape = 2)
func.func @main(%x: tensor<4x8xf32>) -> (tensor<4x8xf32>, tensor<4xi64>) {
  %y = arith.addf %x, %x : tensor<4x8xf32>
  %ids = arith.constant dense<[1000000000, 2000000000, 3000000000, 4000000001]> : tensor<4xi64>
  return %y, %ids : tensor<4x8xf32>, tensor<4xi64>
}
