// RUN: braid-opt %s -braid-raise-layer-ops | FileCheck %s
// RUN: braid-opt %s -braid-raise-layer-ops -braid-explain --mlir-print-op-on-diagnostic=false -o %t.ignored 2>&1 | FileCheck %s --check-prefix=REMARK
// RUN: braid-opt %s -braid-raise-layer-ops -o %t.mlir
// RUN: %braid-diff %s --compare=%t.mlir --tolerance-factor=4 --entry=layernorm_f32
// RUN: %braid-diff %s --compare=%t.mlir --tolerance-factor=4 --entry=layernorm_bf16_keepdims
// RUN: %braid-diff %s --compare=%t.mlir --tolerance-factor=4 --entry=layernorm_no_affine
// RUN: %braid-diff %s --compare=%t.mlir --tolerance-factor=4 --entry=mean_returned
// RUN: %braid-diff %s --compare=%t.mlir --tolerance-factor=4 --entry=layernorm_flax
// RUN: %braid-diff %s --compare=%t.mlir --tolerance-factor=4 --entry=layernorm_divide_sqrt

// Two-pass LayerNorm in f32: mean, x - mean (one value, squared and
// scaled), mean of squares, rsqrt(var + eps), gamma, beta.
// CHECK-LABEL: func.func @layernorm_f32
// CHECK-SAME: (%[[X:.*]]: tensor<4x32xf32>, %[[G:.*]]: tensor<32xf32>, %[[B:.*]]: tensor<32xf32>)
// CHECK-NEXT: %[[Y:.*]] = braid.layernorm %[[X]], %[[G]], %[[B]] : tensor<4x32xf32>, tensor<32xf32>, tensor<32xf32> -> tensor<4x32xf32>
// CHECK-NEXT: return %[[Y]]
// REMARK-DAG: remark: raised to braid.layernorm (epsilon 1.000000e-05)
func.func @layernorm_f32(%x: tensor<4x32xf32>, %g: tensor<32xf32>, %b: tensor<32xf32>) -> tensor<4x32xf32> {
  %zero = arith.constant dense<0.0> : tensor<4xf32>
  %sum = linalg.reduce ins(%x : tensor<4x32xf32>) outs(%zero : tensor<4xf32>) dimensions = [1]
    (%in: f32, %acc: f32) {
      %a = arith.addf %in, %acc : f32
      linalg.yield %a : f32
    }
  %n = arith.constant dense<32.0> : tensor<4xf32>
  %mean = arith.divf %sum, %n : tensor<4xf32>
  %e2 = tensor.empty() : tensor<4x32xf32>
  %mb = linalg.broadcast ins(%mean : tensor<4xf32>) outs(%e2 : tensor<4x32xf32>) dimensions = [1]
  %xc = arith.subf %x, %mb : tensor<4x32xf32>
  %sq = arith.mulf %xc, %xc : tensor<4x32xf32>
  %ssum = linalg.reduce ins(%sq : tensor<4x32xf32>) outs(%zero : tensor<4xf32>) dimensions = [1]
    (%in: f32, %acc: f32) {
      %a = arith.addf %in, %acc : f32
      linalg.yield %a : f32
    }
  %var = arith.divf %ssum, %n : tensor<4xf32>
  %eps = arith.constant dense<1.0e-05> : tensor<4xf32>
  %v = arith.addf %var, %eps : tensor<4xf32>
  %inv = math.rsqrt %v : tensor<4xf32>
  %ib = linalg.broadcast ins(%inv : tensor<4xf32>) outs(%e2 : tensor<4x32xf32>) dimensions = [1]
  %y = arith.mulf %xc, %ib : tensor<4x32xf32>
  %gb = linalg.broadcast ins(%g : tensor<32xf32>) outs(%e2 : tensor<4x32xf32>) dimensions = [0]
  %yg = arith.mulf %y, %gb : tensor<4x32xf32>
  %bb = linalg.broadcast ins(%b : tensor<32xf32>) outs(%e2 : tensor<4x32xf32>) dimensions = [0]
  %r = arith.addf %yg, %bb : tensor<4x32xf32>
  return %r : tensor<4x32xf32>
}

// bf16 upcast, JAX-style: keepdims statistics, x - mean computed twice
// (once for the variance, once to scale), 1/N as a product, the result
// truncated and then scaled and shifted in bf16: one bf16 layernorm.
// CHECK-LABEL: func.func @layernorm_bf16_keepdims
// CHECK-SAME: (%[[X:.*]]: tensor<2x4x32xbf16>, %[[G:.*]]: tensor<32xbf16>, %[[B:.*]]: tensor<32xbf16>)
// CHECK-NEXT: %[[Y:.*]] = braid.layernorm %[[X]], %[[G]], %[[B]] {epsilon = 9.99999997E-7 : f32} : tensor<2x4x32xbf16>, tensor<32xbf16>, tensor<32xbf16> -> tensor<2x4x32xbf16>
// CHECK-NEXT: return %[[Y]]
func.func @layernorm_bf16_keepdims(%xb: tensor<2x4x32xbf16>, %g: tensor<32xbf16>, %b: tensor<32xbf16>) -> tensor<2x4x32xbf16> {
  %x = arith.extf %xb : tensor<2x4x32xbf16> to tensor<2x4x32xf32>
  %zero = arith.constant 0.0 : f32
  %e1 = tensor.empty() : tensor<2x4xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e1 : tensor<2x4xf32>) -> tensor<2x4xf32>
  %sum = linalg.reduce ins(%x : tensor<2x4x32xf32>) outs(%init : tensor<2x4xf32>) dimensions = [2]
    (%in: f32, %acc: f32) {
      %a = arith.addf %in, %acc : f32
      linalg.yield %a : f32
    }
  %sum1 = tensor.expand_shape %sum [[0], [1, 2]] output_shape [2, 4, 1] : tensor<2x4xf32> into tensor<2x4x1xf32>
  %rn = arith.constant dense<0.03125> : tensor<2x4x1xf32>
  %mean1 = arith.mulf %sum1, %rn : tensor<2x4x1xf32>
  %mean = tensor.collapse_shape %mean1 [[0], [1, 2]] : tensor<2x4x1xf32> into tensor<2x4xf32>
  %e2 = tensor.empty() : tensor<2x4x32xf32>
  %mb1 = linalg.broadcast ins(%mean : tensor<2x4xf32>) outs(%e2 : tensor<2x4x32xf32>) dimensions = [2]
  %xc1 = arith.subf %x, %mb1 : tensor<2x4x32xf32>
  %two = arith.constant dense<2.0> : tensor<2x4x32xf32>
  %sq = math.powf %xc1, %two : tensor<2x4x32xf32>
  %ssum = linalg.reduce ins(%sq : tensor<2x4x32xf32>) outs(%init : tensor<2x4xf32>) dimensions = [2]
    (%in: f32, %acc: f32) {
      %a = arith.addf %in, %acc : f32
      linalg.yield %a : f32
    }
  %ssum1 = tensor.expand_shape %ssum [[0], [1, 2]] output_shape [2, 4, 1] : tensor<2x4xf32> into tensor<2x4x1xf32>
  %var = arith.mulf %rn, %ssum1 : tensor<2x4x1xf32>
  %eps = arith.constant dense<1.0e-06> : tensor<2x4x1xf32>
  %v = arith.addf %eps, %var : tensor<2x4x1xf32>
  %inv1 = math.rsqrt %v : tensor<2x4x1xf32>
  %inv = tensor.collapse_shape %inv1 [[0], [1, 2]] : tensor<2x4x1xf32> into tensor<2x4xf32>
  %ib = linalg.broadcast ins(%inv : tensor<2x4xf32>) outs(%e2 : tensor<2x4x32xf32>) dimensions = [2]
  %mb2 = linalg.broadcast ins(%mean : tensor<2x4xf32>) outs(%e2 : tensor<2x4x32xf32>) dimensions = [2]
  %xc2 = arith.subf %x, %mb2 : tensor<2x4x32xf32>
  %y = arith.mulf %ib, %xc2 : tensor<2x4x32xf32>
  %yb = arith.truncf %y : tensor<2x4x32xf32> to tensor<2x4x32xbf16>
  %e3 = tensor.empty() : tensor<2x4x32xbf16>
  %gb = linalg.broadcast ins(%g : tensor<32xbf16>) outs(%e3 : tensor<2x4x32xbf16>) dimensions = [0, 1]
  %yg = arith.mulf %gb, %yb : tensor<2x4x32xbf16>
  %bb = linalg.broadcast ins(%b : tensor<32xbf16>) outs(%e3 : tensor<2x4x32xbf16>) dimensions = [0, 1]
  %r = arith.addf %yg, %bb : tensor<2x4x32xbf16>
  return %r : tensor<2x4x32xbf16>
}

// No gamma, no beta: ones and zeros.
// CHECK-LABEL: func.func @layernorm_no_affine
// CHECK-DAG: %[[ONES:.*]] = arith.constant dense<1.000000e+00> : tensor<16xf32>
// CHECK-DAG: %[[ZEROS:.*]] = arith.constant dense<0.000000e+00> : tensor<16xf32>
// CHECK: braid.layernorm %{{.*}}, %[[ONES]], %[[ZEROS]]
func.func @layernorm_no_affine(%x: tensor<3x16xf32>) -> tensor<3x16xf32> {
  %zero = arith.constant dense<0.0> : tensor<3xf32>
  %sum = linalg.reduce ins(%x : tensor<3x16xf32>) outs(%zero : tensor<3xf32>) dimensions = [1]
    (%in: f32, %acc: f32) {
      %a = arith.addf %in, %acc : f32
      linalg.yield %a : f32
    }
  %n = arith.constant dense<16.0> : tensor<3xf32>
  %mean = arith.divf %sum, %n : tensor<3xf32>
  %e2 = tensor.empty() : tensor<3x16xf32>
  %mb = linalg.broadcast ins(%mean : tensor<3xf32>) outs(%e2 : tensor<3x16xf32>) dimensions = [1]
  %xc = arith.subf %x, %mb : tensor<3x16xf32>
  %sq = arith.mulf %xc, %xc : tensor<3x16xf32>
  %ssum = linalg.reduce ins(%sq : tensor<3x16xf32>) outs(%zero : tensor<3xf32>) dimensions = [1]
    (%in: f32, %acc: f32) {
      %a = arith.addf %in, %acc : f32
      linalg.yield %a : f32
    }
  %var = arith.divf %ssum, %n : tensor<3xf32>
  %eps = arith.constant dense<1.0e-05> : tensor<3xf32>
  %v = arith.addf %var, %eps : tensor<3xf32>
  %inv = math.rsqrt %v : tensor<3xf32>
  %ib = linalg.broadcast ins(%inv : tensor<3xf32>) outs(%e2 : tensor<3x16xf32>) dimensions = [1]
  %y = arith.mulf %xc, %ib : tensor<3x16xf32>
  return %y : tensor<3x16xf32>
}

// Near misses.

// The mean is also returned: no layernorm; what is left is an RMSNorm of
// x - mean, raised as such.
// CHECK-LABEL: func.func @mean_returned
// CHECK-NOT: braid.layernorm
// CHECK: %[[XC:.*]] = arith.subf
// CHECK: braid.rmsnorm %[[XC]]
// CHECK-NOT: braid.layernorm
// REMARK-DAG: remark: layernorm not raised: an intermediate of the statistics has other users
func.func @mean_returned(%x: tensor<4x32xf32>) -> (tensor<4x32xf32>, tensor<4xf32>) {
  %zero = arith.constant dense<0.0> : tensor<4xf32>
  %sum = linalg.reduce ins(%x : tensor<4x32xf32>) outs(%zero : tensor<4xf32>) dimensions = [1]
    (%in: f32, %acc: f32) {
      %a = arith.addf %in, %acc : f32
      linalg.yield %a : f32
    }
  %n = arith.constant dense<32.0> : tensor<4xf32>
  %mean = arith.divf %sum, %n : tensor<4xf32>
  %e2 = tensor.empty() : tensor<4x32xf32>
  %mb = linalg.broadcast ins(%mean : tensor<4xf32>) outs(%e2 : tensor<4x32xf32>) dimensions = [1]
  %xc = arith.subf %x, %mb : tensor<4x32xf32>
  %sq = arith.mulf %xc, %xc : tensor<4x32xf32>
  %ssum = linalg.reduce ins(%sq : tensor<4x32xf32>) outs(%zero : tensor<4xf32>) dimensions = [1]
    (%in: f32, %acc: f32) {
      %a = arith.addf %in, %acc : f32
      linalg.yield %a : f32
    }
  %var = arith.divf %ssum, %n : tensor<4xf32>
  %eps = arith.constant dense<1.0e-05> : tensor<4xf32>
  %v = arith.addf %var, %eps : tensor<4xf32>
  %inv = math.rsqrt %v : tensor<4xf32>
  %ib = linalg.broadcast ins(%inv : tensor<4xf32>) outs(%e2 : tensor<4x32xf32>) dimensions = [1]
  %y = arith.mulf %xc, %ib : tensor<4x32xf32>
  return %y, %mean : tensor<4x32xf32>, tensor<4xf32>
}

// The variance divides by N - 1 (the unbiased estimate): braid's layernorm
// is biased.
// CHECK-LABEL: func.func @unbiased_variance
// CHECK-NOT: braid.layernorm
// REMARK-DAG: remark: layernorm not raised: a mean divides by 31.000000, not by the row length 32
func.func @unbiased_variance(%x: tensor<4x32xf32>) -> tensor<4x32xf32> {
  %zero = arith.constant dense<0.0> : tensor<4xf32>
  %sum = linalg.reduce ins(%x : tensor<4x32xf32>) outs(%zero : tensor<4xf32>) dimensions = [1]
    (%in: f32, %acc: f32) {
      %a = arith.addf %in, %acc : f32
      linalg.yield %a : f32
    }
  %n = arith.constant dense<32.0> : tensor<4xf32>
  %mean = arith.divf %sum, %n : tensor<4xf32>
  %e2 = tensor.empty() : tensor<4x32xf32>
  %mb = linalg.broadcast ins(%mean : tensor<4xf32>) outs(%e2 : tensor<4x32xf32>) dimensions = [1]
  %xc = arith.subf %x, %mb : tensor<4x32xf32>
  %sq = arith.mulf %xc, %xc : tensor<4x32xf32>
  %ssum = linalg.reduce ins(%sq : tensor<4x32xf32>) outs(%zero : tensor<4xf32>) dimensions = [1]
    (%in: f32, %acc: f32) {
      %a = arith.addf %in, %acc : f32
      linalg.yield %a : f32
    }
  %n1 = arith.constant dense<31.0> : tensor<4xf32>
  %var = arith.divf %ssum, %n1 : tensor<4xf32>
  %eps = arith.constant dense<1.0e-05> : tensor<4xf32>
  %v = arith.addf %var, %eps : tensor<4xf32>
  %inv = math.rsqrt %v : tensor<4xf32>
  %ib = linalg.broadcast ins(%inv : tensor<4xf32>) outs(%e2 : tensor<4x32xf32>) dimensions = [1]
  %y = arith.mulf %xc, %ib : tensor<4x32xf32>
  return %y : tensor<4x32xf32>
}

// Flax's nn.LayerNorm as the StableHLO importer emits it: statistics in
// f32 on the upcast input, the one-pass variance max(0, mean(x^2) -
// mean^2), gamma multiplied into the inverse before it scales x - mean,
// beta added, the result truncated. The raised op keeps the f32 params and
// the truncf.
// CHECK-LABEL: func.func @layernorm_flax
// CHECK-SAME: (%[[XB:.*]]: tensor<4x64xbf16>, %[[G:.*]]: tensor<64xf32>, %[[B:.*]]: tensor<64xf32>)
// CHECK-NEXT: %[[X:.*]] = arith.extf %[[XB]]
// CHECK-NEXT: %[[Y:.*]] = braid.layernorm %[[X]], %[[G]], %[[B]] {epsilon = 9.99999997E-7 : f32} : tensor<4x64xf32>, tensor<64xf32>, tensor<64xf32> -> tensor<4x64xf32>
// CHECK-NEXT: %[[YB:.*]] = arith.truncf %[[Y]]
// CHECK-NEXT: return %[[YB]]
func.func @layernorm_flax(%arg0: tensor<4x64xbf16>, %arg1: tensor<64xf32>, %arg2: tensor<64xf32>) -> (tensor<4x64xbf16>) {
  %v1 = arith.extf %arg0 : tensor<4x64xbf16> to tensor<4x64xf32>
  %v2 = arith.constant 0.0 : f32
  %v3 = tensor.empty() : tensor<4xf32>
  %v4 = linalg.fill ins(%v2 : f32) outs(%v3 : tensor<4xf32>) -> tensor<4xf32>
  %v8 = linalg.reduce ins(%v1 : tensor<4x64xf32>) outs(%v4 : tensor<4xf32>) dimensions = [1]
    (%in5: f32, %acc6: f32) {
      %r7 = arith.addf %in5, %acc6 : f32
      linalg.yield %r7 : f32
    }
  %v9 = tensor.expand_shape %v8 [[0, 1]] output_shape [4, 1] : tensor<4xf32> into tensor<4x1xf32>
  %v10 = arith.constant dense<64.0> : tensor<4x1xf32>
  %v11 = arith.divf %v9, %v10 : tensor<4x1xf32>
  %v12 = arith.mulf %v1, %v1 : tensor<4x64xf32>
  %v13 = arith.constant 0.0 : f32
  %v14 = tensor.empty() : tensor<4xf32>
  %v15 = linalg.fill ins(%v13 : f32) outs(%v14 : tensor<4xf32>) -> tensor<4xf32>
  %v19 = linalg.reduce ins(%v12 : tensor<4x64xf32>) outs(%v15 : tensor<4xf32>) dimensions = [1]
    (%in16: f32, %acc17: f32) {
      %r18 = arith.addf %in16, %acc17 : f32
      linalg.yield %r18 : f32
    }
  %v20 = tensor.expand_shape %v19 [[0, 1]] output_shape [4, 1] : tensor<4xf32> into tensor<4x1xf32>
  %v21 = arith.constant dense<64.0> : tensor<4x1xf32>
  %v22 = arith.divf %v20, %v21 : tensor<4x1xf32>
  %v23 = arith.mulf %v11, %v11 : tensor<4x1xf32>
  %v24 = arith.subf %v22, %v23 : tensor<4x1xf32>
  %v25 = arith.constant dense<0.0> : tensor<4x1xf32>
  %v26 = arith.maximumf %v25, %v24 : tensor<4x1xf32>
  %v27 = tensor.collapse_shape %v11 [[0, 1]] : tensor<4x1xf32> into tensor<4xf32>
  %v28 = tensor.empty() : tensor<4x64xf32>
  %v29 = linalg.broadcast ins(%v27 : tensor<4xf32>) outs(%v28 : tensor<4x64xf32>) dimensions = [1]
  %v30 = arith.subf %v1, %v29 : tensor<4x64xf32>
  %v31 = arith.constant dense<9.999999974752427e-07> : tensor<4x1xf32>
  %v32 = arith.addf %v26, %v31 : tensor<4x1xf32>
  %v33 = math.rsqrt %v32 : tensor<4x1xf32>
  %v35 = tensor.collapse_shape %v33 [[0, 1]] : tensor<4x1xf32> into tensor<4xf32>
  %v36 = tensor.empty() : tensor<4x64xf32>
  %v37 = linalg.broadcast ins(%v35 : tensor<4xf32>) outs(%v36 : tensor<4x64xf32>) dimensions = [1]
  %v38 = tensor.empty() : tensor<4x64xf32>
  %v39 = linalg.broadcast ins(%arg1 : tensor<64xf32>) outs(%v38 : tensor<4x64xf32>) dimensions = [0]
  %v40 = arith.mulf %v37, %v39 : tensor<4x64xf32>
  %v41 = arith.mulf %v30, %v40 : tensor<4x64xf32>
  %v43 = tensor.empty() : tensor<4x64xf32>
  %v44 = linalg.broadcast ins(%arg2 : tensor<64xf32>) outs(%v43 : tensor<4x64xf32>) dimensions = [0]
  %v45 = arith.addf %v41, %v44 : tensor<4x64xf32>
  %v46 = arith.truncf %v45 : tensor<4x64xf32> to tensor<4x64xbf16>
  return %v46 : tensor<4x64xbf16>
}

// One-pass variance with mean(x^2) - mean (not squared): not a variance.
// CHECK-LABEL: func.func @one_pass_not_squared
// CHECK-NOT: braid.layernorm
// CHECK-NOT: braid.rmsnorm
// CHECK: math.rsqrt
func.func @one_pass_not_squared(%x: tensor<4x32xf32>) -> tensor<4x32xf32> {
  %zero = arith.constant dense<0.0> : tensor<4xf32>
  %sum = linalg.reduce ins(%x : tensor<4x32xf32>) outs(%zero : tensor<4xf32>) dimensions = [1]
    (%in: f32, %acc: f32) {
      %a = arith.addf %in, %acc : f32
      linalg.yield %a : f32
    }
  %n = arith.constant dense<32.0> : tensor<4xf32>
  %mean = arith.divf %sum, %n : tensor<4xf32>
  %sq = arith.mulf %x, %x : tensor<4x32xf32>
  %ssum = linalg.reduce ins(%sq : tensor<4x32xf32>) outs(%zero : tensor<4xf32>) dimensions = [1]
    (%in: f32, %acc: f32) {
      %a = arith.addf %in, %acc : f32
      linalg.yield %a : f32
    }
  %m2 = arith.divf %ssum, %n : tensor<4xf32>
  %var = arith.subf %m2, %mean : tensor<4xf32>
  %eps = arith.constant dense<1.0e-05> : tensor<4xf32>
  %v = arith.addf %var, %eps : tensor<4xf32>
  %inv = math.rsqrt %v : tensor<4xf32>
  %e2 = tensor.empty() : tensor<4x32xf32>
  %ib = linalg.broadcast ins(%inv : tensor<4xf32>) outs(%e2 : tensor<4x32xf32>) dimensions = [1]
  %mb = linalg.broadcast ins(%mean : tensor<4xf32>) outs(%e2 : tensor<4x32xf32>) dimensions = [1]
  %xc = arith.subf %x, %mb : tensor<4x32xf32>
  %y = arith.mulf %xc, %ib : tensor<4x32xf32>
  return %y : tensor<4x32xf32>
}

// The decomposition of ONNX exports before opset 17 (ReduceMean, Sub, Pow,
// ReduceMean, Add, Sqrt, Div, Mul, Add): divided by the standard deviation.
// CHECK-LABEL: func.func @layernorm_divide_sqrt
// CHECK-SAME: (%[[X:.*]]: tensor<4x32xf32>, %[[G:.*]]: tensor<32xf32>, %[[B:.*]]: tensor<32xf32>)
// CHECK-NEXT: %[[Y:.*]] = braid.layernorm %[[X]], %[[G]], %[[B]] : tensor<4x32xf32>, tensor<32xf32>, tensor<32xf32> -> tensor<4x32xf32>
// CHECK-NEXT: return %[[Y]]
func.func @layernorm_divide_sqrt(%x: tensor<4x32xf32>, %g: tensor<32xf32>, %b: tensor<32xf32>) -> tensor<4x32xf32> {
  %zero = arith.constant dense<0.0> : tensor<4xf32>
  %sum = linalg.reduce ins(%x : tensor<4x32xf32>) outs(%zero : tensor<4xf32>) dimensions = [1]
    (%in: f32, %acc: f32) {
      %a = arith.addf %in, %acc : f32
      linalg.yield %a : f32
    }
  %n = arith.constant dense<32.0> : tensor<4xf32>
  %mean = arith.divf %sum, %n : tensor<4xf32>
  %e2 = tensor.empty() : tensor<4x32xf32>
  %mb = linalg.broadcast ins(%mean : tensor<4xf32>) outs(%e2 : tensor<4x32xf32>) dimensions = [1]
  %xc = arith.subf %x, %mb : tensor<4x32xf32>
  %sq = arith.mulf %xc, %xc : tensor<4x32xf32>
  %ssum = linalg.reduce ins(%sq : tensor<4x32xf32>) outs(%zero : tensor<4xf32>) dimensions = [1]
    (%in: f32, %acc: f32) {
      %a = arith.addf %in, %acc : f32
      linalg.yield %a : f32
    }
  %var = arith.divf %ssum, %n : tensor<4xf32>
  %eps = arith.constant dense<1.0e-05> : tensor<4xf32>
  %v = arith.addf %var, %eps : tensor<4xf32>
  %std = math.sqrt %v : tensor<4xf32>
  %sb = linalg.broadcast ins(%std : tensor<4xf32>) outs(%e2 : tensor<4x32xf32>) dimensions = [1]
  %y = arith.divf %xc, %sb : tensor<4x32xf32>
  %gb = linalg.broadcast ins(%g : tensor<32xf32>) outs(%e2 : tensor<4x32xf32>) dimensions = [0]
  %yg = arith.mulf %y, %gb : tensor<4x32xf32>
  %bb = linalg.broadcast ins(%b : tensor<32xf32>) outs(%e2 : tensor<4x32xf32>) dimensions = [0]
  %r = arith.addf %yg, %bb : tensor<4x32xf32>
  return %r : tensor<4x32xf32>
}
