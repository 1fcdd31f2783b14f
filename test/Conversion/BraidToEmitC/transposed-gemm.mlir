// RUN: braid-opt %s -convert-braid-to-emitc | FileCheck %s
// A matmul that reads an operand transposed (braid-fold-transpose-into-matmul)
// is one runtime GEMM with trans_a / trans_b and the stored operands'
// leading dimensions; any other map is a loop nest.

// CHECK-LABEL: emitc.func @braid_step_body
func.func @transposed(%x: memref<64x32xf32>, %dy: memref<64x16xf32>, %v: memref<64xf32>, %acc: memref<32x16xf32>, %acc2: memref<64x64xf32>) {
  // m = 32, n = 16, k = 64; A stored [64, 32] (lda 32), B [64, 16] (ldb 16).
  // CHECK: call_opaque "braid_emit_gemm"({{.*}}) {args = [1, 32, 16, 64, 1 : i32, 0 : i32, 0 : i32, 0 : i32, 0 : i32, 32, 16, 16,
  linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (k, m)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>]
      ins(%x, %dy : memref<64x32xf32>, memref<64x16xf32>) outs(%acc : memref<32x16xf32>)
  // dY · dYᵀ: m = 64, n = 64, k = 16; B stored [64, 16] (ldb 16).
  // CHECK: call_opaque "braid_emit_gemm"({{.*}}) {args = [1, 64, 64, 16, 0 : i32, 1 : i32, 0 : i32, 0 : i32, 0 : i32, 16, 16, 64,
  linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
      ins(%dy, %dy : memref<64x16xf32>, memref<64x16xf32>) outs(%acc2 : memref<64x64xf32>)
  // A broadcast operand is not a GEMM: loops.
  // CHECK-NOT: braid_emit_gemm
  // CHECK: for %{{.+}} = 
  linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>]
      ins(%v, %dy : memref<64xf32>, memref<64x16xf32>) outs(%acc : memref<32x16xf32>)
  return
}
