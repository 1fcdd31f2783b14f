// RUN: braid-opt %s -transform-interpreter -split-input-file | FileCheck %s

// Row-wise ops tile along every dimension but the normalised one; the weight
// is used whole.
// CHECK-LABEL: func.func @tile_rmsnorm
// CHECK-SAME: (%[[X:.*]]: tensor<64x128xf32>, %[[W:.*]]: tensor<128xf32>)
func.func @tile_rmsnorm(%x: tensor<64x128xf32>, %w: tensor<128xf32>) -> tensor<64x128xf32> {
  // CHECK: scf.for %[[I:.*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%[[ACC:.*]] =
  // CHECK:   %[[ROWS:.*]] = tensor.extract_slice %[[X]][%[[I]], 0] [16, 128] [1, 1]
  // CHECK:   %[[T:.*]] = braid.rmsnorm %[[ROWS]], %[[W]] {epsilon = 9.99999974E-6 : f32} : tensor<16x128xf32>, tensor<128xf32> -> tensor<16x128xf32>
  // CHECK:   tensor.insert_slice %[[T]] into %[[ACC]][%[[I]], 0] [16, 128] [1, 1]
  %0 = braid.rmsnorm %x, %w {epsilon = 1.0e-5 : f32} : tensor<64x128xf32>, tensor<128xf32> -> tensor<64x128xf32>
  return %0 : tensor<64x128xf32>
}

module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    %op = transform.structured.match ops{["braid.rmsnorm"]} in %root : (!transform.any_op) -> !transform.any_op
    %tiled, %loop = transform.structured.tile_using_for %op tile_sizes [16] : (!transform.any_op) -> (!transform.any_op, !transform.any_op)
    transform.yield
  }
}

// -----

// A tile that does not divide the rows leaves a partial last tile.
// CHECK-LABEL: func.func @tile_topk_uneven
func.func @tile_topk_uneven(%x: tensor<10x8xf32>) -> (tensor<10x2xf32>, tensor<10x2xi64>) {
  // CHECK: scf.for
  // CHECK:   %[[SZ:.*]] = affine.min
  // CHECK:   tensor.extract_slice %{{.*}}[%{{.*}}, 0] [%[[SZ]], 8] [1, 1] : tensor<10x8xf32> to tensor<?x8xf32>
  // CHECK:   braid.topk %{{.*}} {k = 2 : i64} : tensor<?x8xf32> -> tensor<?x2xf32>, tensor<?x2xi64>
  %v, %i = braid.topk %x {k = 2 : i64} : tensor<10x8xf32> -> tensor<10x2xf32>, tensor<10x2xi64>
  return %v, %i : tensor<10x2xf32>, tensor<10x2xi64>
}

module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    %op = transform.structured.match ops{["braid.topk"]} in %root : (!transform.any_op) -> !transform.any_op
    %tiled, %loop = transform.structured.tile_using_for %op tile_sizes [4] : (!transform.any_op) -> (!transform.any_op, !transform.any_op)
    transform.yield
  }
}

// -----

// Element-wise ops tile along every dimension.
// CHECK-LABEL: func.func @tile_swiglu
func.func @tile_swiglu(%g: tensor<8x64xf32>, %u: tensor<8x64xf32>) -> tensor<8x64xf32> {
  // CHECK: scf.for
  // CHECK:   scf.for
  // CHECK:     braid.swiglu %{{.*}}, %{{.*}} : tensor<4x16xf32>
  %0 = braid.swiglu %g, %u : tensor<8x64xf32>
  return %0 : tensor<8x64xf32>
}

module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    %op = transform.structured.match ops{["braid.swiglu"]} in %root : (!transform.any_op) -> !transform.any_op
    %tiled, %l0, %l1 = transform.structured.tile_using_for %op tile_sizes [4, 16] : (!transform.any_op) -> (!transform.any_op, !transform.any_op, !transform.any_op)
    transform.yield
  }
}

// -----

// Attention tiles over KV heads; each tile carries the query heads of its group.
// CHECK-LABEL: func.func @tile_attention
// CHECK-SAME: (%[[Q:.*]]: tensor<2x8x16x32xf32>, %[[K:.*]]: tensor<2x2x16x32xf32>, %[[V:.*]]: tensor<2x2x16x32xf32>)
func.func @tile_attention(%q: tensor<2x8x16x32xf32>, %k: tensor<2x2x16x32xf32>, %v: tensor<2x2x16x32xf32>) -> tensor<2x8x16x32xf32> {
  // CHECK: scf.for %[[H:.*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%[[ACC:.*]] =
  // CHECK:   %[[QH:.*]] = affine.apply #{{.*}}(%[[H]])
  // CHECK:   %[[QT:.*]] = tensor.extract_slice %[[Q]][0, %[[QH]], 0, 0] [2, 4, 16, 32] [1, 1, 1, 1]
  // CHECK:   %[[KT:.*]] = tensor.extract_slice %[[K]][0, %[[H]], 0, 0] [2, 1, 16, 32] [1, 1, 1, 1]
  // CHECK:   %[[VT:.*]] = tensor.extract_slice %[[V]][0, %[[H]], 0, 0] [2, 1, 16, 32] [1, 1, 1, 1]
  // CHECK:   %[[O:.*]] = braid.attention %[[QT]], %[[KT]], %[[VT]] {causal} : tensor<2x4x16x32xf32>, tensor<2x1x16x32xf32>, tensor<2x1x16x32xf32> -> tensor<2x4x16x32xf32>
  // CHECK:   tensor.insert_slice %[[O]] into %[[ACC]][0, %{{.*}}, 0, 0] [2, 4, 16, 32] [1, 1, 1, 1]
  %0 = braid.attention %q, %k, %v {causal} : tensor<2x8x16x32xf32>, tensor<2x2x16x32xf32>, tensor<2x2x16x32xf32> -> tensor<2x8x16x32xf32>
  return %0 : tensor<2x8x16x32xf32>
}

module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    %op = transform.structured.match ops{["braid.attention"]} in %root : (!transform.any_op) -> !transform.any_op
    %tiled, %loop = transform.structured.tile_using_for %op tile_sizes [0, 1] : (!transform.any_op) -> (!transform.any_op, !transform.any_op)
    transform.yield
  }
}

// -----

// The mask follows the tile in batch and query heads where it has them and
// is read whole along the dims it broadcasts.
// CHECK-LABEL: func.func @tile_masked_attention
// CHECK-SAME: %[[M:[a-z0-9]+]]: tensor<2x1x16x16xf32>)
func.func @tile_masked_attention(%q: tensor<2x8x16x32xf32>, %k: tensor<2x2x16x32xf32>, %v: tensor<2x2x16x32xf32>, %m: tensor<2x1x16x16xf32>) -> tensor<2x8x16x32xf32> {
  // CHECK: scf.for %[[B:.*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args(
  // CHECK: scf.for %[[H:.*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args(
  // CHECK:   %[[MT:.*]] = tensor.extract_slice %[[M]][%[[B]], 0, 0, 0] [1, 1, 16, 16] [1, 1, 1, 1]
  // CHECK:   braid.attention %{{.*}}, %{{.*}}, %{{.*}} mask %[[MT]] : tensor<1x4x16x32xf32>, tensor<1x1x16x32xf32>, tensor<1x1x16x32xf32>, tensor<1x1x16x16xf32> -> tensor<1x4x16x32xf32>
  %0 = braid.attention %q, %k, %v mask %m : tensor<2x8x16x32xf32>, tensor<2x2x16x32xf32>, tensor<2x2x16x32xf32>, tensor<2x1x16x16xf32> -> tensor<2x8x16x32xf32>
  return %0 : tensor<2x8x16x32xf32>
}

module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    %op = transform.structured.match ops{["braid.attention"]} in %root : (!transform.any_op) -> !transform.any_op
    %tiled, %loops:2 = transform.structured.tile_using_for %op tile_sizes [1, 1] : (!transform.any_op) -> (!transform.any_op, !transform.any_op, !transform.any_op)
    transform.yield
  }
}

// -----

// A grouped matmul tiles over output columns.
// CHECK-LABEL: func.func @tile_grouped_matmul
func.func @tile_grouped_matmul(%x: tensor<32x16xf32>, %w: tensor<4x16x64xf32>, %s: tensor<4xi64>) -> tensor<32x64xf32> {
  // CHECK: scf.for
  // CHECK:   tensor.extract_slice %{{.*}}[0, 0, %{{.*}}] [4, 16, 16] [1, 1, 1] : tensor<4x16x64xf32> to tensor<4x16x16xf32>
  // CHECK:   braid.grouped_matmul %{{.*}}, %{{.*}}, %{{.*}} : tensor<32x16xf32>, tensor<4x16x16xf32>, tensor<4xi64> -> tensor<32x16xf32>
  %0 = braid.grouped_matmul %x, %w, %s : tensor<32x16xf32>, tensor<4x16x64xf32>, tensor<4xi64> -> tensor<32x64xf32>
  return %0 : tensor<32x64xf32>
}

module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    %op = transform.structured.match ops{["braid.grouped_matmul"]} in %root : (!transform.any_op) -> !transform.any_op
    %tiled, %loop = transform.structured.tile_using_for %op tile_sizes [16] : (!transform.any_op) -> (!transform.any_op, !transform.any_op)
    transform.yield
  }
}

// -----

// Dynamic shapes tile too: sizes come from the operands.
// CHECK-LABEL: func.func @tile_dynamic_rmsnorm
// CHECK-SAME: (%[[X:.*]]: tensor<?x?xf32>, %[[W:.*]]: tensor<?xf32>)
func.func @tile_dynamic_rmsnorm(%x: tensor<?x?xf32>, %w: tensor<?xf32>) -> tensor<?x?xf32> {
  // CHECK: scf.for
  // CHECK:   %[[SLICE:.*]] = tensor.extract_slice %[[X]][%{{.*}}, 0] [%{{.*}}, %{{.*}}] [1, 1] : tensor<?x?xf32> to tensor<?x?xf32>
  // CHECK:   braid.rmsnorm %[[SLICE]], %[[W]] : tensor<?x?xf32>, tensor<?xf32> -> tensor<?x?xf32>
  // CHECK:   tensor.insert_slice %{{.*}} into %{{.*}}[%{{.*}}, 0] [%{{.*}}, %{{.*}}]
  %0 = braid.rmsnorm %x, %w : tensor<?x?xf32>, tensor<?xf32> -> tensor<?x?xf32>
  return %0 : tensor<?x?xf32>
}

module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    %op = transform.structured.match ops{["braid.rmsnorm"]} in %root : (!transform.any_op) -> !transform.any_op
    %tiled, %loop = transform.structured.tile_using_for %op tile_sizes [3] : (!transform.any_op) -> (!transform.any_op, !transform.any_op)
    transform.yield
  }
}

// -----

// Fusing a multi-result producer into its consumer's loop uses the result
// the consumer reads (here the indices, not the values).
// CHECK-LABEL: func.func @fuse_sort_indices
func.func @fuse_sort_indices(%x: tensor<8x64xi32>) -> tensor<8x64xi32> {
  // CHECK: scf.for
  // CHECK:   braid.sort %{{.*}} : tensor<4x64xi32> -> tensor<4x64xi32>, tensor<4x64xi32>
  // CHECK:   linalg.add ins(%indices{{[_0-9]*}}, %indices{{[_0-9]*}} :
  %v, %i = braid.sort %x : tensor<8x64xi32> -> tensor<8x64xi32>, tensor<8x64xi32>
  %e = tensor.empty() : tensor<8x64xi32>
  %s = linalg.add ins(%i, %i : tensor<8x64xi32>, tensor<8x64xi32>) outs(%e : tensor<8x64xi32>) -> tensor<8x64xi32>
  return %s : tensor<8x64xi32>
}

module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    %add = transform.structured.match ops{["linalg.add"]} in %root : (!transform.any_op) -> !transform.any_op
    %fused, %loop = transform.structured.fuse %add tile_sizes [4, 0] : (!transform.any_op) -> (!transform.any_op, !transform.any_op)
    transform.yield
  }
}
