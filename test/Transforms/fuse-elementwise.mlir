// RUN: braid-opt %s --pass-pipeline='builtin.module(func.func(convert-elementwise-to-linalg,braid-fuse-elementwise))' | FileCheck %s
// RUN: braid-opt %s --pass-pipeline='builtin.module(func.func(convert-elementwise-to-linalg,braid-fuse-elementwise))' -o %t.mlir
// RUN: %braid-diff %s --compare=%t.mlir --exact --entry=chain
// RUN: %braid-diff %s --compare=%t.mlir --exact --entry=shared_producer
// RUN: %braid-diff %s --compare=%t.mlir --exact --entry=shared_extf_of_argument
// An element-wise chain becomes one generic op; the matmul that produces
// its input stays a named op (upstream's default control would fuse it
// into the chain as a generic with a reduction).

// CHECK-LABEL: func.func @chain
func.func @chain(%a: tensor<8x4xbf16>, %b: tensor<4x16xbf16>, %r: tensor<8x16xf32>) -> tensor<8x16xbf16> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<8x16xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e : tensor<8x16xf32>) -> tensor<8x16xf32>
  // CHECK: linalg.matmul
  %m = linalg.matmul ins(%a, %b : tensor<8x4xbf16>, tensor<4x16xbf16>) outs(%acc : tensor<8x16xf32>) -> tensor<8x16xf32>
  // CHECK: linalg.generic
  // CHECK: arith.addf
  // CHECK: arith.mulf
  // CHECK: arith.truncf
  // CHECK-NOT: linalg.generic
  %s = arith.addf %m, %r : tensor<8x16xf32>
  %p = arith.mulf %s, %s : tensor<8x16xf32>
  %t = arith.truncf %p : tensor<8x16xf32> to tensor<8x16xbf16>
  return %t : tensor<8x16xbf16>
}

// A producer that another op reads too (the exp: the sum and the divide)
// is not recomputed in the divide: that would keep the scores it reads
// live until the divide. The exp is computed once, its own generic.
// CHECK-LABEL: func.func @shared_producer
// CHECK: linalg.matmul
// CHECK: %[[EXP:.*]] = linalg.generic
// CHECK: arith.subf
// CHECK: math.exp
// CHECK: linalg.reduce ins(%[[EXP]]
// CHECK: linalg.generic
// CHECK-SAME: ins(%[[EXP]],
// CHECK-NOT: math.exp
// CHECK: arith.divf
// CHECK-NOT: math.exp
// CHECK: return
func.func @shared_producer(%q: tensor<8x4xf32>, %k: tensor<4x16xf32>, %max: tensor<8x16xf32>) -> tensor<8x16xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<8x16xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e : tensor<8x16xf32>) -> tensor<8x16xf32>
  %scores = linalg.matmul ins(%q, %k : tensor<8x4xf32>, tensor<4x16xf32>) outs(%acc : tensor<8x16xf32>) -> tensor<8x16xf32>
  %shifted = arith.subf %scores, %max : tensor<8x16xf32>
  %exp = math.exp %shifted : tensor<8x16xf32>
  %e8 = tensor.empty() : tensor<8xf32>
  %zero8 = linalg.fill ins(%zero : f32) outs(%e8 : tensor<8xf32>) -> tensor<8xf32>
  %sum = linalg.reduce ins(%exp : tensor<8x16xf32>) outs(%zero8 : tensor<8xf32>) dimensions = [1]
    (%in: f32, %acc_in: f32) {
      %s = arith.addf %in, %acc_in : f32
      linalg.yield %s : f32
    }
  %eb = tensor.empty() : tensor<8x16xf32>
  %b = linalg.broadcast ins(%sum : tensor<8xf32>) outs(%eb : tensor<8x16xf32>) dimensions = [1]
  %r = arith.divf %exp, %b : tensor<8x16xf32>
  return %r : tensor<8x16xf32>
}

// A shared producer that reads only arguments (live anyway, the caller's)
// is recomputed where it is fused: the extf stays for the activation and
// is fused into the multiply as well.
// CHECK-LABEL: func.func @shared_extf_of_argument
// CHECK: linalg.generic
// CHECK: arith.extf
// CHECK: braid.activation
// CHECK: linalg.generic
// CHECK: arith.extf
// CHECK: arith.mulf
func.func @shared_extf_of_argument(%g: tensor<8x16xbf16>) -> tensor<8x16xf32> {
  %g32 = arith.extf %g : tensor<8x16xbf16> to tensor<8x16xf32>
  %s = braid.activation sigmoid %g32 : tensor<8x16xf32>
  %silu = arith.mulf %g32, %s : tensor<8x16xf32>
  return %silu : tensor<8x16xf32>
}
