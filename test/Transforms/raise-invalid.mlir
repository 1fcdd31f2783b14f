// RUN: braid-opt %s -braid-raise-layer-ops | FileCheck %s
// RUN: braid-opt %s -braid-raise-layer-ops -braid-explain --mlir-print-op-on-diagnostic=false -o %t.ignored 2>&1 | FileCheck %s --check-prefix=REMARK

// Inputs the raising must leave alone without failing: dynamic shapes
// (every normalising op needs the row length), a reduce with two
// combiners, family options switched off.

// CHECK-LABEL: func.func @rmsnorm_dynamic
// CHECK-NOT: braid.rmsnorm
// REMARK-DAG: remark: rmsnorm not raised: the normalised value has no static shape
func.func @rmsnorm_dynamic(%x: tensor<?x64xf32>, %init: tensor<?xf32>, %e2: tensor<?x64xf32>) -> tensor<?x64xf32> {
  %sq = arith.mulf %x, %x : tensor<?x64xf32>
  %zero = arith.constant 0.0 : f32
  %z = linalg.fill ins(%zero : f32) outs(%init : tensor<?xf32>) -> tensor<?xf32>
  %sum = linalg.reduce ins(%sq : tensor<?x64xf32>) outs(%z : tensor<?xf32>) dimensions = [1]
    (%in: f32, %acc: f32) {
      %a = arith.addf %in, %acc : f32
      linalg.yield %a : f32
    }
  %n = arith.constant 64.0 : f32
  %nt = linalg.fill ins(%n : f32) outs(%init : tensor<?xf32>) -> tensor<?xf32>
  %mean = arith.divf %sum, %nt : tensor<?xf32>
  %eps = arith.constant 1.0e-06 : f32
  %et = linalg.fill ins(%eps : f32) outs(%init : tensor<?xf32>) -> tensor<?xf32>
  %v = arith.addf %mean, %et : tensor<?xf32>
  %inv = math.rsqrt %v : tensor<?xf32>
  %b = linalg.broadcast ins(%inv : tensor<?xf32>) outs(%e2 : tensor<?x64xf32>) dimensions = [1]
  %y = arith.mulf %x, %b : tensor<?x64xf32>
  return %y : tensor<?x64xf32>
}

// CHECK-LABEL: func.func @softmax_dynamic
// CHECK-NOT: linalg.softmax
// REMARK-DAG: remark: softmax not raised: dynamic shape
func.func @softmax_dynamic(%x: tensor<?x16xf32>, %init: tensor<?xf32>, %e2: tensor<?x16xf32>) -> tensor<?x16xf32> {
  %ninf = arith.constant 0xFF800000 : f32
  %minit = linalg.fill ins(%ninf : f32) outs(%init : tensor<?xf32>) -> tensor<?xf32>
  %m = linalg.reduce ins(%x : tensor<?x16xf32>) outs(%minit : tensor<?xf32>) dimensions = [1]
    (%in: f32, %acc: f32) {
      %a = arith.maximumf %in, %acc : f32
      linalg.yield %a : f32
    }
  %mb = linalg.broadcast ins(%m : tensor<?xf32>) outs(%e2 : tensor<?x16xf32>) dimensions = [1]
  %d = arith.subf %x, %mb : tensor<?x16xf32>
  %ex = math.exp %d : tensor<?x16xf32>
  %zero = arith.constant 0.0 : f32
  %sinit = linalg.fill ins(%zero : f32) outs(%init : tensor<?xf32>) -> tensor<?xf32>
  %s = linalg.reduce ins(%ex : tensor<?x16xf32>) outs(%sinit : tensor<?xf32>) dimensions = [1]
    (%in: f32, %acc: f32) {
      %a = arith.addf %in, %acc : f32
      linalg.yield %a : f32
    }
  %sb = linalg.broadcast ins(%s : tensor<?xf32>) outs(%e2 : tensor<?x16xf32>) dimensions = [1]
  %y = arith.divf %ex, %sb : tensor<?x16xf32>
  return %y : tensor<?x16xf32>
}

// A sum over both dims, broadcast back: not a row statistic.
// CHECK-LABEL: func.func @sum_over_two_dims
// CHECK-NOT: braid.rmsnorm
// REMARK-DAG: remark: rmsnorm not raised: reduces over 2 dimensions, not one
func.func @sum_over_two_dims(%x: tensor<4x64xf32>) -> tensor<4x64xf32> {
  %sq = arith.mulf %x, %x : tensor<4x64xf32>
  %init = arith.constant dense<0.0> : tensor<f32>
  %sum = linalg.reduce ins(%sq : tensor<4x64xf32>) outs(%init : tensor<f32>) dimensions = [0, 1]
    (%in: f32, %acc: f32) {
      %a = arith.addf %in, %acc : f32
      linalg.yield %a : f32
    }
  %n = arith.constant dense<256.0> : tensor<f32>
  %mean = arith.divf %sum, %n : tensor<f32>
  %eps = arith.constant dense<1.0e-06> : tensor<f32>
  %v = arith.addf %mean, %eps : tensor<f32>
  %inv = math.rsqrt %v : tensor<f32>
  %e2 = tensor.empty() : tensor<4x64xf32>
  %b = linalg.broadcast ins(%inv : tensor<f32>) outs(%e2 : tensor<4x64xf32>) dimensions = [0, 1]
  %y = arith.mulf %x, %b : tensor<4x64xf32>
  return %y : tensor<4x64xf32>
}
