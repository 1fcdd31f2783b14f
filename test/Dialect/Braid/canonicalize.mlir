// RUN: braid-opt %s -canonicalize -split-input-file | FileCheck %s

shard.grid @one(shape = 1)
shard.grid @mesh(shape = 1x4)

// Over a group of one rank, every collective is the identity.
// CHECK-LABEL: func.func @single_rank_collectives
// CHECK-SAME: (%[[X:.*]]: tensor<8x4xf32>)
func.func @single_rank_collectives(%x: tensor<8x4xf32>) -> (tensor<8x4xf32>, tensor<8x4xf32>, tensor<8x4xf32>, tensor<8x4xf32>, tensor<8x4xf32>, tensor<8x4xf32>) {
  // CHECK-NOT: braid.
  %0 = braid.all_reduce %x on @one axes = [0] reduction = sum : tensor<8x4xf32>
  %1 = braid.all_gather %x on @mesh axes = [0] dim = 0 : tensor<8x4xf32> -> tensor<8x4xf32>
  %2 = braid.reduce_scatter %x on @one axes = [0] dim = 1 reduction = max : tensor<8x4xf32> -> tensor<8x4xf32>
  %3 = braid.all_to_all %x on @one axes = [0] split_dim = 0 concat_dim = 1 : tensor<8x4xf32> -> tensor<8x4xf32>
  %4 = braid.broadcast %x on @mesh axes = [0] root = 0 : tensor<8x4xf32>
  %5 = braid.collective_permute %x on @one axes = [0] pairs = [[0, 0]] : tensor<8x4xf32>
  // CHECK: return %[[X]], %[[X]], %[[X]], %[[X]], %[[X]], %[[X]]
  return %0, %1, %2, %3, %4, %5 : tensor<8x4xf32>, tensor<8x4xf32>, tensor<8x4xf32>, tensor<8x4xf32>, tensor<8x4xf32>, tensor<8x4xf32>
}

// An empty axis list is a group of one rank as well.
// CHECK-LABEL: func.func @no_axes
func.func @no_axes(%x: tensor<8xf32>) -> tensor<8xf32> {
  // CHECK-NOT: braid.all_reduce
  %0 = braid.all_reduce %x on @mesh axes = [] reduction = sum : tensor<8xf32>
  return %0 : tensor<8xf32>
}

// Groups of more than one rank are kept.
// CHECK-LABEL: func.func @real_groups
func.func @real_groups(%x: tensor<8x4xf32>) -> (tensor<8x4xf32>, tensor<32x4xf32>, tensor<8x4xf32>) {
  // CHECK: braid.all_reduce %{{.*}} on @mesh axes = [1]
  %0 = braid.all_reduce %x on @mesh axes = [1] reduction = sum : tensor<8x4xf32>
  // CHECK: braid.all_gather %{{.*}} on @mesh axes = [0, 1]
  %1 = braid.all_gather %x on @mesh axes = [0, 1] dim = 0 : tensor<8x4xf32> -> tensor<32x4xf32>
  // A permute on one rank with no pair leaves zeros: not the identity.
  // CHECK: braid.collective_permute %{{.*}} on @one axes = [0] pairs = []
  %2 = braid.collective_permute %x on @one axes = [0] pairs = [] : tensor<8x4xf32>
  return %0, %1, %2 : tensor<8x4xf32>, tensor<32x4xf32>, tensor<8x4xf32>
}

// CHECK-LABEL: func.func @rank
func.func @rank() -> (index, index) {
  // CHECK-DAG: %[[ZERO:.*]] = arith.constant 0 : index
  // CHECK-DAG: %[[R:.*]] = braid.rank on @mesh axes = [1] : index
  %0 = braid.rank on @mesh axes = [0] : index
  %1 = braid.rank on @mesh axes = [1] : index
  // CHECK: return %[[ZERO]], %[[R]]
  return %0, %1 : index, index
}

// -----

shard.grid @tp(shape = 4)

// A start that computes nothing forwards its values to its awaits.
// CHECK-LABEL: func.func @trivial_start
// CHECK-SAME: (%[[X:.*]]: tensor<8xf32>)
func.func @trivial_start(%x: tensor<8xf32>) -> tensor<8xf32> {
  // CHECK-NOT: braid.start
  // CHECK-NOT: braid.await
  %f = braid.start stream = 1 {
    braid.yield %x : tensor<8xf32>
  } : !braid.future<tensor<8xf32>>
  %v = braid.await %f : !braid.future<tensor<8xf32>>
  // CHECK: return %[[X]]
  return %v : tensor<8xf32>
}

// A start that communicates stays, and so does its await.
// CHECK-LABEL: func.func @real_start
func.func @real_start(%x: tensor<8xf32>) -> tensor<8xf32> {
  // CHECK: %[[F:.*]] = braid.start stream = 1
  // CHECK: braid.all_reduce
  %f = braid.start stream = 1 {
    %r = braid.all_reduce %x on @tp axes = [0] reduction = sum : tensor<8xf32>
    braid.yield %r : tensor<8xf32>
  } : !braid.future<tensor<8xf32>>
  // CHECK: braid.await %[[F]]
  %v = braid.await %f : !braid.future<tensor<8xf32>>
  return %v : tensor<8xf32>
}

// An unused collective disappears like any pure op (every rank drops it).
// CHECK-LABEL: func.func @dead_collective
func.func @dead_collective(%x: tensor<8xf32>) {
  // CHECK-NOT: braid.all_reduce
  %r = braid.all_reduce %x on @tp axes = [0] reduction = sum : tensor<8xf32>
  return
}
