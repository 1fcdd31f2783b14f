// RUN: braid-opt %S/Inputs/ulysses-imported.mlir -braid-raise-layer-ops | FileCheck %s
// RUN: braid-opt %S/Inputs/ulysses-imported.mlir -braid-raise-layer-ops -o %t.mlir
// RUN: %braid-diff %S/Inputs/ulysses-imported.mlir --compare=%t.mlir --tolerance-factor=4

// JAX's einsum attention on 3-D [H, S, hd] operands: Q as a transpose,
// Kᵀ and Vᵀ transposed by the producer ([1, 2, 0] of [S, H, hd]), the
// product (P V)ᵀ. Raised with each head a batch of one head; the
// producer's transposes of K and V are composed into one.
// CHECK-LABEL: func.func @main
// CHECK-COUNT-3: braid.all_to_all
// CHECK: linalg.transpose ins(%{{.*}} : tensor<32x2x8xf32>) {{.*}} permutation = [1, 0, 2]
// CHECK: braid.attention {{.*}} {scale = 0.353553385 : f32} : tensor<2x1x32x8xf32>, tensor<2x1x32x8xf32>, tensor<2x1x32x8xf32> -> tensor<2x1x32x8xf32>
// CHECK-NOT: linalg.batch_matmul
// CHECK-NOT: linalg.softmax
// CHECK: braid.all_to_all
