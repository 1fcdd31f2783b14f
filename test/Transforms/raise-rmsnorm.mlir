// RUN: braid-opt %s -braid-raise-layer-ops | FileCheck %s
// RUN: braid-opt %s -braid-raise-layer-ops -braid-explain --mlir-print-op-on-diagnostic=false -o %t.ignored 2>&1 | FileCheck %s --check-prefix=REMARK
// The epsilon 1e-6 is the op's default and is not printed.
// The raised op sums the squares in the same order but rounds once: within
// the f64-relative numerics contract, not bitwise.
// RUN: braid-opt %s -braid-raise-layer-ops -o %t.mlir
// RUN: %braid-diff %s --compare=%t.mlir --tolerance-factor=4 --entry=rmsnorm_f32
// RUN: %braid-diff %s --compare=%t.mlir --tolerance-factor=4 --entry=rmsnorm_bf16_keepdims
// RUN: %braid-diff %s --compare=%t.mlir --tolerance-factor=4 --entry=rmsnorm_pow_no_weight
// RUN: %braid-diff %s --compare=%t.mlir --tolerance-factor=4 --entry=rmsnorm_bf16_weight_f32
// RUN: %braid-diff %s --compare=%t.mlir --exact --entry=wrong_dim
// RUN: %braid-diff %s --compare=%t.mlir --exact --entry=intermediate_used
// RUN: %braid-diff %s --compare=%t.mlir --tolerance-factor=4 --entry=rmsnorm_divide_sqrt

// The importer form in f32: square, sum over the last dim, divide by N, add
// eps, rsqrt, broadcast, scale, broadcast weight.
// CHECK-LABEL: func.func @rmsnorm_f32
// CHECK-SAME: (%[[X:.*]]: tensor<4x64xf32>, %[[W:.*]]: tensor<64xf32>)
// CHECK-NEXT: %[[Y:.*]] = braid.rmsnorm %[[X]], %[[W]] : tensor<4x64xf32>, tensor<64xf32> -> tensor<4x64xf32>
// CHECK-NEXT: return %[[Y]]
// REMARK-DAG: remark: raised to braid.rmsnorm (epsilon 1.000000e-06)
func.func @rmsnorm_f32(%x: tensor<4x64xf32>, %w: tensor<64xf32>) -> tensor<4x64xf32> {
  %sq = arith.mulf %x, %x : tensor<4x64xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<4xf32>) -> tensor<4xf32>
  %sum = linalg.reduce ins(%sq : tensor<4x64xf32>) outs(%init : tensor<4xf32>) dimensions = [1]
    (%in: f32, %acc: f32) {
      %a = arith.addf %in, %acc : f32
      linalg.yield %a : f32
    }
  %n = arith.constant dense<64.0> : tensor<4xf32>
  %mean = arith.divf %sum, %n : tensor<4xf32>
  %eps = arith.constant dense<1.0e-06> : tensor<4xf32>
  %v = arith.addf %mean, %eps : tensor<4xf32>
  %inv = math.rsqrt %v : tensor<4xf32>
  %e2 = tensor.empty() : tensor<4x64xf32>
  %b = linalg.broadcast ins(%inv : tensor<4xf32>) outs(%e2 : tensor<4x64xf32>) dimensions = [1]
  %y = arith.mulf %x, %b : tensor<4x64xf32>
  %wb = linalg.broadcast ins(%w : tensor<64xf32>) outs(%e2 : tensor<4x64xf32>) dimensions = [0]
  %r = arith.mulf %y, %wb : tensor<4x64xf32>
  return %r : tensor<4x64xf32>
}

// bf16 activations upcast to f32 (JAX's x.astype(f32)), jnp.mean with
// keepdims (the statistic lives on 2x8x1, multiplied by 1/N), the result
// truncated back to bf16 and scaled by a bf16 weight: one bf16 rmsnorm.
// CHECK-LABEL: func.func @rmsnorm_bf16_keepdims
// CHECK-SAME: (%[[X:.*]]: tensor<2x8x64xbf16>, %[[W:.*]]: tensor<64xbf16>)
// CHECK-NEXT: %[[Y:.*]] = braid.rmsnorm %[[X]], %[[W]] {epsilon = 9.99999974E-6 : f32} : tensor<2x8x64xbf16>, tensor<64xbf16> -> tensor<2x8x64xbf16>
// CHECK-NEXT: return %[[Y]]
func.func @rmsnorm_bf16_keepdims(%xb: tensor<2x8x64xbf16>, %w: tensor<64xbf16>) -> tensor<2x8x64xbf16> {
  %x = arith.extf %xb : tensor<2x8x64xbf16> to tensor<2x8x64xf32>
  %sq = arith.mulf %x, %x : tensor<2x8x64xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x8xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<2x8xf32>) -> tensor<2x8xf32>
  %sum = linalg.reduce ins(%sq : tensor<2x8x64xf32>) outs(%init : tensor<2x8xf32>) dimensions = [2]
    (%in: f32, %acc: f32) {
      %a = arith.addf %acc, %in : f32
      linalg.yield %a : f32
    }
  %sum1 = tensor.expand_shape %sum [[0], [1, 2]] output_shape [2, 8, 1] : tensor<2x8xf32> into tensor<2x8x1xf32>
  %rn = arith.constant dense<0.015625> : tensor<2x8x1xf32>
  %mean = arith.mulf %rn, %sum1 : tensor<2x8x1xf32>
  %eps = arith.constant dense<1.0e-05> : tensor<2x8x1xf32>
  %v = arith.addf %eps, %mean : tensor<2x8x1xf32>
  %inv1 = math.rsqrt %v : tensor<2x8x1xf32>
  %inv = tensor.collapse_shape %inv1 [[0], [1, 2]] : tensor<2x8x1xf32> into tensor<2x8xf32>
  %e2 = tensor.empty() : tensor<2x8x64xf32>
  %b = linalg.broadcast ins(%inv : tensor<2x8xf32>) outs(%e2 : tensor<2x8x64xf32>) dimensions = [2]
  %y = arith.mulf %b, %x : tensor<2x8x64xf32>
  %yb = arith.truncf %y : tensor<2x8x64xf32> to tensor<2x8x64xbf16>
  %e3 = tensor.empty() : tensor<2x8x64xbf16>
  %wb = linalg.broadcast ins(%w : tensor<64xbf16>) outs(%e3 : tensor<2x8x64xbf16>) dimensions = [0, 1]
  %r = arith.mulf %wb, %yb : tensor<2x8x64xbf16>
  return %r : tensor<2x8x64xbf16>
}

// No weight, the square as math.powf x, 2: the weight is a splat of ones.
// CHECK-LABEL: func.func @rmsnorm_pow_no_weight
// CHECK-SAME: (%[[X:.*]]: tensor<3x32xf32>)
// CHECK: %[[ONES:.*]] = arith.constant dense<1.000000e+00> : tensor<32xf32>
// CHECK-NEXT: %[[Y:.*]] = braid.rmsnorm %[[X]], %[[ONES]] :
// CHECK-NEXT: %[[T:.*]] = math.tanh %[[Y]]
// CHECK-NOT: linalg.reduce
func.func @rmsnorm_pow_no_weight(%x: tensor<3x32xf32>) -> tensor<3x32xf32> {
  %two = arith.constant dense<2.0> : tensor<3x32xf32>
  %sq = math.powf %x, %two : tensor<3x32xf32>
  %init = arith.constant dense<0.0> : tensor<3xf32>
  %sum = linalg.reduce ins(%sq : tensor<3x32xf32>) outs(%init : tensor<3xf32>) dimensions = [1]
    (%in: f32, %acc: f32) {
      %a = arith.addf %in, %acc : f32
      linalg.yield %a : f32
    }
  %n = arith.constant dense<32.0> : tensor<3xf32>
  %mean = arith.divf %sum, %n : tensor<3xf32>
  %eps = arith.constant dense<1.0e-06> : tensor<3xf32>
  %v = arith.addf %mean, %eps : tensor<3xf32>
  %inv = math.rsqrt %v : tensor<3xf32>
  %e2 = tensor.empty() : tensor<3x32xf32>
  %b = linalg.broadcast ins(%inv : tensor<3xf32>) outs(%e2 : tensor<3x32xf32>) dimensions = [1]
  %y = arith.mulf %x, %b : tensor<3x32xf32>
  %t = math.tanh %y : tensor<3x32xf32>
  return %t : tensor<3x32xf32>
}

// bf16 input upcast, f32 weight, f32 result: the op runs in f32 on the
// upcast input.
// CHECK-LABEL: func.func @rmsnorm_bf16_weight_f32
// CHECK-SAME: (%[[XB:.*]]: tensor<4x16xbf16>, %[[W:.*]]: tensor<16xf32>)
// CHECK-NEXT: %[[X:.*]] = arith.extf %[[XB]]
// CHECK-NEXT: braid.rmsnorm %[[X]], %[[W]] : tensor<4x16xf32>, tensor<16xf32> -> tensor<4x16xf32>
func.func @rmsnorm_bf16_weight_f32(%xb: tensor<4x16xbf16>, %w: tensor<16xf32>) -> tensor<4x16xf32> {
  %x = arith.extf %xb : tensor<4x16xbf16> to tensor<4x16xf32>
  %sq = arith.mulf %x, %x : tensor<4x16xf32>
  %init = arith.constant dense<0.0> : tensor<4xf32>
  %sum = linalg.reduce ins(%sq : tensor<4x16xf32>) outs(%init : tensor<4xf32>) dimensions = [1]
    (%in: f32, %acc: f32) {
      %a = arith.addf %in, %acc : f32
      linalg.yield %a : f32
    }
  %n = arith.constant dense<16.0> : tensor<4xf32>
  %mean = arith.divf %sum, %n : tensor<4xf32>
  %eps = arith.constant dense<1.0e-06> : tensor<4xf32>
  %v = arith.addf %mean, %eps : tensor<4xf32>
  %inv = math.rsqrt %v : tensor<4xf32>
  %e2 = tensor.empty() : tensor<4x16xf32>
  %b = linalg.broadcast ins(%inv : tensor<4xf32>) outs(%e2 : tensor<4x16xf32>) dimensions = [1]
  %y = arith.mulf %x, %b : tensor<4x16xf32>
  %wb = linalg.broadcast ins(%w : tensor<16xf32>) outs(%e2 : tensor<4x16xf32>) dimensions = [0]
  %r = arith.mulf %y, %wb : tensor<4x16xf32>
  return %r : tensor<4x16xf32>
}

// Near misses: nothing is raised.

// Normalising over dim 0.
// CHECK-LABEL: func.func @wrong_dim
// CHECK-NOT: braid.rmsnorm
// CHECK: linalg.reduce
// REMARK-DAG: remark: rmsnorm over dim 0 not raised: braid ops normalise the last dim
func.func @wrong_dim(%x: tensor<64x4xf32>) -> tensor<64x4xf32> {
  %sq = arith.mulf %x, %x : tensor<64x4xf32>
  %init = arith.constant dense<0.0> : tensor<4xf32>
  %sum = linalg.reduce ins(%sq : tensor<64x4xf32>) outs(%init : tensor<4xf32>) dimensions = [0]
    (%in: f32, %acc: f32) {
      %a = arith.addf %in, %acc : f32
      linalg.yield %a : f32
    }
  %n = arith.constant dense<64.0> : tensor<4xf32>
  %mean = arith.divf %sum, %n : tensor<4xf32>
  %eps = arith.constant dense<1.0e-06> : tensor<4xf32>
  %v = arith.addf %mean, %eps : tensor<4xf32>
  %inv = math.rsqrt %v : tensor<4xf32>
  %e2 = tensor.empty() : tensor<64x4xf32>
  %b = linalg.broadcast ins(%inv : tensor<4xf32>) outs(%e2 : tensor<64x4xf32>) dimensions = [0]
  %y = arith.mulf %x, %b : tensor<64x4xf32>
  return %y : tensor<64x4xf32>
}

// Dividing by 32 where the row has 64 elements.
// CHECK-LABEL: func.func @wrong_n
// CHECK-NOT: braid.rmsnorm
// REMARK-DAG: remark: rmsnorm not raised: the mean divides by 32.000000, not by the row length 64
func.func @wrong_n(%x: tensor<4x64xf32>) -> tensor<4x64xf32> {
  %sq = arith.mulf %x, %x : tensor<4x64xf32>
  %init = arith.constant dense<0.0> : tensor<4xf32>
  %sum = linalg.reduce ins(%sq : tensor<4x64xf32>) outs(%init : tensor<4xf32>) dimensions = [1]
    (%in: f32, %acc: f32) {
      %a = arith.addf %in, %acc : f32
      linalg.yield %a : f32
    }
  %n = arith.constant dense<32.0> : tensor<4xf32>
  %mean = arith.divf %sum, %n : tensor<4xf32>
  %eps = arith.constant dense<1.0e-06> : tensor<4xf32>
  %v = arith.addf %mean, %eps : tensor<4xf32>
  %inv = math.rsqrt %v : tensor<4xf32>
  %e2 = tensor.empty() : tensor<4x64xf32>
  %b = linalg.broadcast ins(%inv : tensor<4xf32>) outs(%e2 : tensor<4x64xf32>) dimensions = [1]
  %y = arith.mulf %x, %b : tensor<4x64xf32>
  return %y : tensor<4x64xf32>
}

// No epsilon before the rsqrt.
// CHECK-LABEL: func.func @no_eps
// CHECK-NOT: braid.rmsnorm
// REMARK-DAG: remark: rmsnorm not raised: no constant epsilon is added before the rsqrt
func.func @no_eps(%x: tensor<4x64xf32>) -> tensor<4x64xf32> {
  %sq = arith.mulf %x, %x : tensor<4x64xf32>
  %init = arith.constant dense<0.0> : tensor<4xf32>
  %sum = linalg.reduce ins(%sq : tensor<4x64xf32>) outs(%init : tensor<4xf32>) dimensions = [1]
    (%in: f32, %acc: f32) {
      %a = arith.addf %in, %acc : f32
      linalg.yield %a : f32
    }
  %n = arith.constant dense<64.0> : tensor<4xf32>
  %mean = arith.divf %sum, %n : tensor<4xf32>
  %inv = math.rsqrt %mean : tensor<4xf32>
  %e2 = tensor.empty() : tensor<4x64xf32>
  %b = linalg.broadcast ins(%inv : tensor<4xf32>) outs(%e2 : tensor<4x64xf32>) dimensions = [1]
  %y = arith.mulf %x, %b : tensor<4x64xf32>
  return %y : tensor<4x64xf32>
}

// The mean is also returned: raising would have to keep the statistic
// alive, so it is left alone.
// CHECK-LABEL: func.func @intermediate_used
// CHECK-NOT: braid.rmsnorm
// REMARK-DAG: remark: rmsnorm not raised: an intermediate of the statistic has other users
func.func @intermediate_used(%x: tensor<4x64xf32>) -> (tensor<4x64xf32>, tensor<4xf32>) {
  %sq = arith.mulf %x, %x : tensor<4x64xf32>
  %init = arith.constant dense<0.0> : tensor<4xf32>
  %sum = linalg.reduce ins(%sq : tensor<4x64xf32>) outs(%init : tensor<4xf32>) dimensions = [1]
    (%in: f32, %acc: f32) {
      %a = arith.addf %in, %acc : f32
      linalg.yield %a : f32
    }
  %n = arith.constant dense<64.0> : tensor<4xf32>
  %mean = arith.divf %sum, %n : tensor<4xf32>
  %eps = arith.constant dense<1.0e-06> : tensor<4xf32>
  %v = arith.addf %mean, %eps : tensor<4xf32>
  %inv = math.rsqrt %v : tensor<4xf32>
  %e2 = tensor.empty() : tensor<4x64xf32>
  %b = linalg.broadcast ins(%inv : tensor<4xf32>) outs(%e2 : tensor<4x64xf32>) dimensions = [1]
  %y = arith.mulf %x, %b : tensor<4x64xf32>
  return %y, %mean : tensor<4x64xf32>, tensor<4xf32>
}

// The reduced value is not the square of the scaled one: x * z summed.
// CHECK-LABEL: func.func @not_a_square
// CHECK-NOT: braid.rmsnorm
// REMARK-DAG: remark: rmsnorm not raised: the reduced value is not the square of the value it scales
func.func @not_a_square(%x: tensor<4x64xf32>, %z: tensor<4x64xf32>) -> tensor<4x64xf32> {
  %sq = arith.mulf %x, %z : tensor<4x64xf32>
  %init = arith.constant dense<0.0> : tensor<4xf32>
  %sum = linalg.reduce ins(%sq : tensor<4x64xf32>) outs(%init : tensor<4xf32>) dimensions = [1]
    (%in: f32, %acc: f32) {
      %a = arith.addf %in, %acc : f32
      linalg.yield %a : f32
    }
  %n = arith.constant dense<64.0> : tensor<4xf32>
  %mean = arith.divf %sum, %n : tensor<4xf32>
  %eps = arith.constant dense<1.0e-06> : tensor<4xf32>
  %v = arith.addf %mean, %eps : tensor<4xf32>
  %inv = math.rsqrt %v : tensor<4xf32>
  %e2 = tensor.empty() : tensor<4x64xf32>
  %b = linalg.broadcast ins(%inv : tensor<4xf32>) outs(%e2 : tensor<4x64xf32>) dimensions = [1]
  %y = arith.mulf %x, %b : tensor<4x64xf32>
  return %y : tensor<4x64xf32>
}

// The sum starts from one.
// CHECK-LABEL: func.func @sum_init_one
// CHECK-NOT: braid.rmsnorm
// REMARK-DAG: remark: rmsnorm not raised: the sum does not start from zero
func.func @sum_init_one(%x: tensor<4x64xf32>) -> tensor<4x64xf32> {
  %sq = arith.mulf %x, %x : tensor<4x64xf32>
  %init = arith.constant dense<1.0> : tensor<4xf32>
  %sum = linalg.reduce ins(%sq : tensor<4x64xf32>) outs(%init : tensor<4xf32>) dimensions = [1]
    (%in: f32, %acc: f32) {
      %a = arith.addf %in, %acc : f32
      linalg.yield %a : f32
    }
  %n = arith.constant dense<64.0> : tensor<4xf32>
  %mean = arith.divf %sum, %n : tensor<4xf32>
  %eps = arith.constant dense<1.0e-06> : tensor<4xf32>
  %v = arith.addf %mean, %eps : tensor<4xf32>
  %inv = math.rsqrt %v : tensor<4xf32>
  %e2 = tensor.empty() : tensor<4x64xf32>
  %b = linalg.broadcast ins(%inv : tensor<4xf32>) outs(%e2 : tensor<4x64xf32>) dimensions = [1]
  %y = arith.mulf %x, %b : tensor<4x64xf32>
  return %y : tensor<4x64xf32>
}

// x / sqrt(mean(x^2) + eps) * w: the divide form.
// CHECK-LABEL: func.func @rmsnorm_divide_sqrt
// CHECK-SAME: (%[[X:.*]]: tensor<4x64xf32>, %[[W:.*]]: tensor<64xf32>)
// CHECK-NEXT: %[[Y:.*]] = braid.rmsnorm %[[X]], %[[W]] {epsilon = 9.99999974E-6 : f32}
// CHECK-NEXT: return %[[Y]]
func.func @rmsnorm_divide_sqrt(%x: tensor<4x64xf32>, %w: tensor<64xf32>) -> tensor<4x64xf32> {
  %sq = arith.mulf %x, %x : tensor<4x64xf32>
  %init = arith.constant dense<0.0> : tensor<4xf32>
  %sum = linalg.reduce ins(%sq : tensor<4x64xf32>) outs(%init : tensor<4xf32>) dimensions = [1]
    (%in: f32, %acc: f32) {
      %a = arith.addf %in, %acc : f32
      linalg.yield %a : f32
    }
  %n = arith.constant dense<64.0> : tensor<4xf32>
  %mean = arith.divf %sum, %n : tensor<4xf32>
  %eps = arith.constant dense<1.0e-05> : tensor<4xf32>
  %v = arith.addf %mean, %eps : tensor<4xf32>
  %rms = math.sqrt %v : tensor<4xf32>
  %e2 = tensor.empty() : tensor<4x64xf32>
  %b = linalg.broadcast ins(%rms : tensor<4xf32>) outs(%e2 : tensor<4x64xf32>) dimensions = [1]
  %y = arith.divf %x, %b : tensor<4x64xf32>
  %wb = linalg.broadcast ins(%w : tensor<64xf32>) outs(%e2 : tensor<4x64xf32>) dimensions = [0]
  %r = arith.mulf %wb, %y : tensor<4x64xf32>
  return %r : tensor<4x64xf32>
}

// x / rsqrt(...) is not a normalisation.
// CHECK-LABEL: func.func @divide_by_rsqrt
// CHECK-NOT: braid.rmsnorm
// CHECK: return
func.func @divide_by_rsqrt(%x: tensor<4x64xf32>) -> tensor<4x64xf32> {
  %sq = arith.mulf %x, %x : tensor<4x64xf32>
  %init = arith.constant dense<0.0> : tensor<4xf32>
  %sum = linalg.reduce ins(%sq : tensor<4x64xf32>) outs(%init : tensor<4xf32>) dimensions = [1]
    (%in: f32, %acc: f32) {
      %a = arith.addf %in, %acc : f32
      linalg.yield %a : f32
    }
  %n = arith.constant dense<64.0> : tensor<4xf32>
  %mean = arith.divf %sum, %n : tensor<4xf32>
  %eps = arith.constant dense<1.0e-05> : tensor<4xf32>
  %v = arith.addf %mean, %eps : tensor<4xf32>
  %inv = math.rsqrt %v : tensor<4xf32>
  %e2 = tensor.empty() : tensor<4x64xf32>
  %b = linalg.broadcast ins(%inv : tensor<4xf32>) outs(%e2 : tensor<4x64xf32>) dimensions = [1]
  %y = arith.divf %x, %b : tensor<4x64xf32>
  return %y : tensor<4x64xf32>
}
