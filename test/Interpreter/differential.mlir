// Differential mode: a rewrite is run against the original on the same
// inputs. Cuts along M are bitwise exact; cuts along K reassociate the sum
// and must stay within the f64-relative bound; planted bugs are caught.
// RUN: rm -rf %t && mkdir -p %t
// RUN: %python %S/Inputs/split.py %s %t
// An M cut of a matmul is bitwise exact.
// RUN: %braid-diff %t/original.mlir --compare=%t/m_cut.mlir --exact | FileCheck %s --check-prefix=EXACT
// A K cut is not bitwise exact...
// RUN: not %braid-diff %t/original.mlir --compare=%t/k_cut.mlir --exact 2>&1 | FileCheck %s --check-prefix=NOT-EXACT
// ...but is as accurate as the original against f64.
// RUN: %braid-diff %t/original.mlir --compare=%t/k_cut.mlir | FileCheck %s --check-prefix=BOUND
// A rewrite that drops one rank's partial sum is caught either way.
// RUN: not %braid-diff %t/original.mlir --compare=%t/dropped.mlir --exact 2>&1 | FileCheck %s --check-prefix=DROPPED-EXACT
// RUN: not %braid-diff %t/original.mlir --compare=%t/dropped.mlir 2>&1 | FileCheck %s --check-prefix=DROPPED
// An all_reduce rebuilt from ring permutes sums in a rank-dependent order:
// its replicated result is no longer bitwise equal across ranks.
// RUN: not %braid-diff %t/original.mlir --compare=%t/ring.mlir 2>&1 | FileCheck %s --check-prefix=RING
// A rewrite with another signature is refused.
// RUN: not %braid-diff %t/original.mlir --compare=%t/other.mlir 2>&1 | FileCheck %s --check-prefix=SIGNATURE

// EXACT: bitwise equal on all 3 ranks
// NOT-EXACT: k_cut.mlir:2:1: error: not bitwise equal: rank {{[0-9]}} result #0
// BOUND: result #0 tensor<8x8xf32>: relative error vs f64: original {{.*}}, rewritten {{.*}} (bound
// DROPPED-EXACT: not bitwise equal
// DROPPED: dropped.mlir:{{[0-9]+}}:1: error: the rewritten program is less accurate than the numerics contract allows: result #0 has relative error
// RING: error: result #0 is replicated over @tp axes [0] but rank 0 and rank {{[12]}} hold different values
// SIGNATURE: error: has type '(tensor<8x64xf32>, tensor<64x8xf32>) -> tensor<4x8xf32>' but the original has '(tensor<8x64xf32>, tensor<64x8xf32>) -> tensor<8x8xf32>'

// ----- original.mlir
shard.grid @tp(shape = 3)
func.func @main(%a: tensor<8x64xf32>, %b: tensor<64x8xf32>) -> tensor<8x8xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<8x8xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<8x8xf32>) -> tensor<8x8xf32>
  %p = linalg.matmul ins(%a, %b : tensor<8x64xf32>, tensor<64x8xf32>) outs(%init : tensor<8x8xf32>) -> tensor<8x8xf32>
  %r = braid.all_reduce %p on @tp axes = [0] reduction = sum : tensor<8x8xf32>
  return %r : tensor<8x8xf32>
}

// ----- m_cut.mlir
shard.grid @tp(shape = 3)
func.func @main(%a: tensor<8x64xf32>, %b: tensor<64x8xf32>) -> tensor<8x8xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x8xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<4x8xf32>) -> tensor<4x8xf32>
  %a0 = tensor.extract_slice %a[0, 0] [4, 64] [1, 1] : tensor<8x64xf32> to tensor<4x64xf32>
  %a1 = tensor.extract_slice %a[4, 0] [4, 64] [1, 1] : tensor<8x64xf32> to tensor<4x64xf32>
  %p0 = linalg.matmul ins(%a0, %b : tensor<4x64xf32>, tensor<64x8xf32>) outs(%init : tensor<4x8xf32>) -> tensor<4x8xf32>
  %p1 = linalg.matmul ins(%a1, %b : tensor<4x64xf32>, tensor<64x8xf32>) outs(%init : tensor<4x8xf32>) -> tensor<4x8xf32>
  %p = tensor.concat dim(0) %p0, %p1 : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<8x8xf32>
  %r = braid.all_reduce %p on @tp axes = [0] reduction = sum : tensor<8x8xf32>
  return %r : tensor<8x8xf32>
}

// ----- k_cut.mlir
shard.grid @tp(shape = 3)
func.func @main(%a: tensor<8x64xf32>, %b: tensor<64x8xf32>) -> tensor<8x8xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<8x8xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<8x8xf32>) -> tensor<8x8xf32>
  %a0 = tensor.extract_slice %a[0, 0] [8, 32] [1, 1] : tensor<8x64xf32> to tensor<8x32xf32>
  %a1 = tensor.extract_slice %a[0, 32] [8, 32] [1, 1] : tensor<8x64xf32> to tensor<8x32xf32>
  %b0 = tensor.extract_slice %b[0, 0] [32, 8] [1, 1] : tensor<64x8xf32> to tensor<32x8xf32>
  %b1 = tensor.extract_slice %b[32, 0] [32, 8] [1, 1] : tensor<64x8xf32> to tensor<32x8xf32>
  %p0 = linalg.matmul ins(%a0, %b0 : tensor<8x32xf32>, tensor<32x8xf32>) outs(%init : tensor<8x8xf32>) -> tensor<8x8xf32>
  %p1 = linalg.matmul ins(%a1, %b1 : tensor<8x32xf32>, tensor<32x8xf32>) outs(%init : tensor<8x8xf32>) -> tensor<8x8xf32>
  %p = arith.addf %p0, %p1 : tensor<8x8xf32>
  %r = braid.all_reduce %p on @tp axes = [0] reduction = sum : tensor<8x8xf32>
  return %r : tensor<8x8xf32>
}

// ----- dropped.mlir
// Reduces only ranks 0 and 1: rank 2's partial is lost.
shard.grid @tp(shape = 3)
func.func @main(%a: tensor<8x64xf32>, %b: tensor<64x8xf32>) -> tensor<8x8xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<8x8xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<8x8xf32>) -> tensor<8x8xf32>
  %p = linalg.matmul ins(%a, %b : tensor<8x64xf32>, tensor<64x8xf32>) outs(%init : tensor<8x8xf32>) -> tensor<8x8xf32>
  %g = braid.all_gather %p on @tp axes = [0] dim = 0 : tensor<8x8xf32> -> tensor<24x8xf32>
  %g0 = tensor.extract_slice %g[0, 0] [8, 8] [1, 1] : tensor<24x8xf32> to tensor<8x8xf32>
  %g1 = tensor.extract_slice %g[8, 0] [8, 8] [1, 1] : tensor<24x8xf32> to tensor<8x8xf32>
  %r = arith.addf %g0, %g1 : tensor<8x8xf32>
  return %r : tensor<8x8xf32>
}

// ----- ring.mlir
// Ring all-reduce by permutes: rank r computes (x_r + x_{r-1}) + x_{r-2}.
shard.grid @tp(shape = 3)
func.func @main(%a: tensor<8x64xf32>, %b: tensor<64x8xf32>) -> tensor<8x8xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<8x8xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<8x8xf32>) -> tensor<8x8xf32>
  %p = linalg.matmul ins(%a, %b : tensor<8x64xf32>, tensor<64x8xf32>) outs(%init : tensor<8x8xf32>) -> tensor<8x8xf32>
  %p1 = braid.collective_permute %p on @tp axes = [0] pairs = [[0, 1], [1, 2], [2, 0]] : tensor<8x8xf32>
  %p2 = braid.collective_permute %p1 on @tp axes = [0] pairs = [[0, 1], [1, 2], [2, 0]] : tensor<8x8xf32>
  %s = arith.addf %p, %p1 : tensor<8x8xf32>
  %r = arith.addf %s, %p2 : tensor<8x8xf32>
  return %r : tensor<8x8xf32>
}

// ----- other.mlir
shard.grid @tp(shape = 3)
func.func @main(%a: tensor<8x64xf32>, %b: tensor<64x8xf32>) -> tensor<4x8xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x8xf32>
  return %e : tensor<4x8xf32>
}
