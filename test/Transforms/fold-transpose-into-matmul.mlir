// RUN: braid-opt %s --pass-pipeline='builtin.module(func.func(braid-fold-transpose-into-matmul))' | FileCheck %s
// RUN: braid-opt %s --pass-pipeline='builtin.module(func.func(braid-fold-transpose-into-matmul))' -o %t.mlir
// RUN: %braid-diff %s --compare=%t.mlir --exact --entry=wgrad
// RUN: %braid-diff %s --compare=%t.mlir --exact --entry=both
// RUN: %braid-diff %s --compare=%t.mlir --exact --entry=batched
// RUN: %braid-diff %s --compare=%t.mlir --exact --entry=shared
// RUN: %braid-diff %s --compare=%t.mlir --exact --entry=odd_shapes
// RUN: %braid-diff %s --compare=%t.mlir --exact --entry=result_transposed
// RUN: %braid-diff %s --compare=%t.mlir --exact --entry=batched_result
// A transposed matmul operand is read through the matmul's indexing map;
// the transpose disappears unless another op reads it. Bitwise equal.

// CHECK-DAG: #[[MK:.+]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK-DAG: #[[KM:.+]] = affine_map<(d0, d1, d2) -> (d2, d0)>
// CHECK-DAG: #[[KN:.+]] = affine_map<(d0, d1, d2) -> (d2, d1)>
// CHECK-DAG: #[[NK:.+]] = affine_map<(d0, d1, d2) -> (d1, d2)>
// CHECK-DAG: #[[MN:.+]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-DAG: #[[BKM:.+]] = affine_map<(d0, d1, d2, d3) -> (d0, d3, d1)>

// wgrad as JAX writes it: xᵀ · dY.
// CHECK-LABEL: func.func @wgrad
// CHECK-SAME: (%[[X:.+]]: tensor<64x32xf32>, %[[DY:.+]]: tensor<64x16xf32>)
// CHECK-NOT: linalg.transpose
// CHECK: linalg.matmul indexing_maps = [#[[KM]], #[[KN]], #[[MN]]] ins(%[[X]], %[[DY]] : tensor<64x32xf32>, tensor<64x16xf32>)
func.func @wgrad(%x: tensor<64x32xf32>, %dy: tensor<64x16xf32>) -> tensor<32x16xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<32x64xf32>
  %xt = linalg.transpose ins(%x : tensor<64x32xf32>) outs(%e : tensor<32x64xf32>) permutation = [1, 0]
  %o = tensor.empty() : tensor<32x16xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%o : tensor<32x16xf32>) -> tensor<32x16xf32>
  %r = linalg.matmul ins(%xt, %dy : tensor<32x64xf32>, tensor<64x16xf32>) outs(%acc : tensor<32x16xf32>) -> tensor<32x16xf32>
  return %r : tensor<32x16xf32>
}

// Both operands, bf16 accumulating in f32.
// CHECK-LABEL: func.func @both
// CHECK-NOT: linalg.transpose
// CHECK: linalg.matmul indexing_maps = [#[[KM]], #[[NK]], #[[MN]]]
func.func @both(%a: tensor<8x16xbf16>, %b: tensor<4x8xbf16>) -> tensor<16x4xf32> {
  %zero = arith.constant 0.0 : f32
  %ea = tensor.empty() : tensor<16x8xbf16>
  %at = linalg.transpose ins(%a : tensor<8x16xbf16>) outs(%ea : tensor<16x8xbf16>) permutation = [1, 0]
  %eb = tensor.empty() : tensor<8x4xbf16>
  %bt = linalg.transpose ins(%b : tensor<4x8xbf16>) outs(%eb : tensor<8x4xbf16>) permutation = [1, 0]
  %o = tensor.empty() : tensor<16x4xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%o : tensor<16x4xf32>) -> tensor<16x4xf32>
  %r = linalg.matmul ins(%at, %bt : tensor<16x8xbf16>, tensor<8x4xbf16>) outs(%acc : tensor<16x4xf32>) -> tensor<16x4xf32>
  return %r : tensor<16x4xf32>
}

// A batch: only [0, 2, 1] folds.
// CHECK-LABEL: func.func @batched
// CHECK-NOT: linalg.transpose
// CHECK: linalg.batch_matmul indexing_maps = [#[[BKM]],
func.func @batched(%a: tensor<2x8x4xf32>, %b: tensor<2x8x6xf32>) -> tensor<2x4x6xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x4x8xf32>
  %at = linalg.transpose ins(%a : tensor<2x8x4xf32>) outs(%e : tensor<2x4x8xf32>) permutation = [0, 2, 1]
  %o = tensor.empty() : tensor<2x4x6xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%o : tensor<2x4x6xf32>) -> tensor<2x4x6xf32>
  %r = linalg.batch_matmul ins(%at, %b : tensor<2x4x8xf32>, tensor<2x8x6xf32>) outs(%acc : tensor<2x4x6xf32>) -> tensor<2x4x6xf32>
  return %r : tensor<2x4x6xf32>
}

// Another op reads the transpose: it stays for that op; the matmul still
// reads the input.
// CHECK-LABEL: func.func @shared
// CHECK-SAME: (%[[A:[^:]+]]: tensor<8x16xf32>
// CHECK: %[[T:.+]] = linalg.transpose
// CHECK: linalg.matmul indexing_maps = [#[[KM]], #[[KN]], #[[MN]]] ins(%[[A]],
// CHECK: return %{{.+}}, %[[T]]
func.func @shared(%a: tensor<8x16xf32>, %b: tensor<8x4xf32>) -> (tensor<16x4xf32>, tensor<16x8xf32>) {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<16x8xf32>
  %at = linalg.transpose ins(%a : tensor<8x16xf32>) outs(%e : tensor<16x8xf32>) permutation = [1, 0]
  %o = tensor.empty() : tensor<16x4xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%o : tensor<16x4xf32>) -> tensor<16x4xf32>
  %r = linalg.matmul ins(%at, %b : tensor<16x8xf32>, tensor<8x4xf32>) outs(%acc : tensor<16x4xf32>) -> tensor<16x4xf32>
  return %r, %at : tensor<16x4xf32>, tensor<16x8xf32>
}

// Shapes with no common factor fold the same way.
// CHECK-LABEL: func.func @odd_shapes
// CHECK-NOT: linalg.transpose
// CHECK: linalg.matmul indexing_maps = [#[[MK]], #[[NK]], #[[MN]]]
func.func @odd_shapes(%a: tensor<7x5xf32>, %b: tensor<3x5xf32>) -> tensor<7x3xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<5x3xf32>
  %bt = linalg.transpose ins(%b : tensor<3x5xf32>) outs(%e : tensor<5x3xf32>) permutation = [1, 0]
  %o = tensor.empty() : tensor<7x3xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%o : tensor<7x3xf32>) -> tensor<7x3xf32>
  %r = linalg.matmul ins(%a, %bt : tensor<7x5xf32>, tensor<5x3xf32>) outs(%acc : tensor<7x3xf32>) -> tensor<7x3xf32>
  return %r : tensor<7x3xf32>
}

// Refused: a permutation that moves the batch dimension is not a
// transposed GEMM operand; the transpose stays.
// CHECK-LABEL: func.func @batch_moved
// CHECK: linalg.transpose
// CHECK: linalg.batch_matmul ins(
func.func @batch_moved(%a: tensor<4x2x8xf32>, %b: tensor<2x8x6xf32>) -> tensor<2x4x6xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x4x8xf32>
  %at = linalg.transpose ins(%a : tensor<4x2x8xf32>) outs(%e : tensor<2x4x8xf32>) permutation = [1, 0, 2]
  %o = tensor.empty() : tensor<2x4x6xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%o : tensor<2x4x6xf32>) -> tensor<2x4x6xf32>
  %r = linalg.batch_matmul ins(%at, %b : tensor<2x4x8xf32>, tensor<2x8x6xf32>) outs(%acc : tensor<2x4x6xf32>) -> tensor<2x4x6xf32>
  return %r : tensor<2x4x6xf32>
}

// A transposed result: Cᵀ = Bᵀ · Aᵀ, one matmul writing the transpose's
// layout, with the operands swapped and both read transposed; the fill
// moves to the transposed shape.
// CHECK-LABEL: func.func @result_transposed
// CHECK-SAME: (%[[A:[^:]+]]: tensor<6x10xf32>, %[[B:[^:]+]]: tensor<10x4xf32>)
// CHECK-NOT: linalg.transpose
// CHECK: %[[F:.+]] = linalg.fill ins(%{{.+}} : f32) outs(%{{.+}} : tensor<4x6xf32>)
// CHECK: linalg.matmul indexing_maps = [#[[KM]], #[[NK]], #[[MN]]] ins(%[[B]], %[[A]] : tensor<10x4xf32>, tensor<6x10xf32>) outs(%[[F]] : tensor<4x6xf32>)
// CHECK-NOT: linalg.transpose
func.func @result_transposed(%a: tensor<6x10xf32>, %b: tensor<10x4xf32>) -> tensor<4x6xf32> {
  %zero = arith.constant 0.0 : f32
  %o = tensor.empty() : tensor<6x4xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%o : tensor<6x4xf32>) -> tensor<6x4xf32>
  %r = linalg.matmul ins(%a, %b : tensor<6x10xf32>, tensor<10x4xf32>) outs(%acc : tensor<6x4xf32>) -> tensor<6x4xf32>
  %e = tensor.empty() : tensor<4x6xf32>
  %t = linalg.transpose ins(%r : tensor<6x4xf32>) outs(%e : tensor<4x6xf32>) permutation = [1, 0]
  return %t : tensor<4x6xf32>
}

// Both folds at once, on a batch: the operand transpose and the result's.
// CHECK-LABEL: func.func @batched_result
// CHECK-NOT: linalg.transpose
// CHECK: linalg.batch_matmul indexing_maps
func.func @batched_result(%a: tensor<3x8x5xf32>, %b: tensor<3x8x7xf32>) -> tensor<3x7x5xf32> {
  %zero = arith.constant 0.0 : f32
  %ea = tensor.empty() : tensor<3x5x8xf32>
  %at = linalg.transpose ins(%a : tensor<3x8x5xf32>) outs(%ea : tensor<3x5x8xf32>) permutation = [0, 2, 1]
  %o = tensor.empty() : tensor<3x5x7xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%o : tensor<3x5x7xf32>) -> tensor<3x5x7xf32>
  %r = linalg.batch_matmul ins(%at, %b : tensor<3x5x8xf32>, tensor<3x8x7xf32>) outs(%acc : tensor<3x5x7xf32>) -> tensor<3x5x7xf32>
  %e = tensor.empty() : tensor<3x7x5xf32>
  %t = linalg.transpose ins(%r : tensor<3x5x7xf32>) outs(%e : tensor<3x7x5xf32>) permutation = [0, 2, 1]
  return %t : tensor<3x7x5xf32>
}

// Refused: the matmul accumulates into a value (not a fill), or another op
// reads its result; the transpose stays.
// CHECK-LABEL: func.func @result_not_folded
// CHECK: %[[R1:.+]] = linalg.matmul ins(
// CHECK: linalg.transpose ins(%[[R1]]
// CHECK: %[[R2:.+]] = linalg.matmul ins(
// CHECK: linalg.transpose ins(%[[R2]]
func.func @result_not_folded(%a: tensor<6x10xf32>, %b: tensor<10x4xf32>, %c: tensor<6x4xf32>) -> (tensor<4x6xf32>, tensor<4x6xf32>, tensor<6x4xf32>) {
  %zero = arith.constant 0.0 : f32
  %r = linalg.matmul ins(%a, %b : tensor<6x10xf32>, tensor<10x4xf32>) outs(%c : tensor<6x4xf32>) -> tensor<6x4xf32>
  %e = tensor.empty() : tensor<4x6xf32>
  %t = linalg.transpose ins(%r : tensor<6x4xf32>) outs(%e : tensor<4x6xf32>) permutation = [1, 0]
  %o = tensor.empty() : tensor<6x4xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%o : tensor<6x4xf32>) -> tensor<6x4xf32>
  %r2 = linalg.matmul ins(%a, %b : tensor<6x10xf32>, tensor<10x4xf32>) outs(%acc : tensor<6x4xf32>) -> tensor<6x4xf32>
  %t2 = linalg.transpose ins(%r2 : tensor<6x4xf32>) outs(%e : tensor<4x6xf32>) permutation = [1, 0]
  return %t, %t2, %r2 : tensor<4x6xf32>, tensor<4x6xf32>, tensor<6x4xf32>
}
