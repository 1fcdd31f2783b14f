// RUN: braid-opt %s --pass-pipeline='builtin.module(func.func(convert-elementwise-to-linalg,braid-fuse-elementwise))' | FileCheck %s
// RUN: braid-opt %s --pass-pipeline='builtin.module(func.func(convert-elementwise-to-linalg,braid-fuse-elementwise))' -o %t.mlir
// RUN: %braid-diff %s --compare=%t.mlir --exact
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
