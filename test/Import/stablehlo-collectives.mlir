// Replica groups become grid axes of the 2x2 mesh (x varies slowest):
// [[0,1],[2,3]] is axis y, [[0,2],[1,3]] is axis x, [[0,1,2,3]] is both in
// order [x, y], [[0,2,1,3]] both in order [y, x]. Pairs of a
// collective_permute become group positions; partition_id becomes
// braid.rank over every axis.
// RUN: %braid-import-stablehlo %s -o %t.mlir
// RUN: braid-opt %t.mlir > /dev/null
// RUN: FileCheck %s < %t.mlir
// RUN: braid-interp --quiet %t.mlir --output-dir=%t.out

// CHECK: shard.grid @mesh(shape = 2x2){{$}}
module @jit_f attributes {mhlo.num_partitions = 4 : i32, mhlo.num_replicas = 1 : i32} {
  sdy.mesh @mesh = <["x"=2, "y"=2]>
  func.func public @main(%arg0: tensor<4x8xf32>) -> (tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x16xf32>, tensor<2x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<i32>) {
    %0:7 = sdy.manual_computation(%arg0) in_shardings=[<@mesh, [{}, {}]>] out_shardings=[<@mesh, [{}, {}]>, <@mesh, [{}, {}]>, <@mesh, [{}, {}]>, <@mesh, [{}, {}]>, <@mesh, [{}, {}]>, <@mesh, [{}, {}]>, <@mesh, []>] manual_axes={"x", "y"} (%a: tensor<4x8xf32>) {
      // CHECK: braid.all_reduce %arg0 on @mesh axes = [1] reduction = sum : tensor<4x8xf32>
      %1 = "stablehlo.all_reduce"(%a) <{channel_handle = #stablehlo.channel_handle<handle = 1, type = 1>, replica_groups = dense<[[0, 1], [2, 3]]> : tensor<2x2xi64>, use_global_device_ids}> ({
      ^bb0(%p: tensor<f32>, %q: tensor<f32>):
        %s = stablehlo.add %p, %q : tensor<f32>
        stablehlo.return %s : tensor<f32>
      }) : (tensor<4x8xf32>) -> tensor<4x8xf32>
      // CHECK: braid.all_reduce %arg0 on @mesh axes = [0] reduction = max : tensor<4x8xf32>
      %2 = "stablehlo.all_reduce"(%a) <{channel_handle = #stablehlo.channel_handle<handle = 2, type = 1>, replica_groups = dense<[[0, 2], [1, 3]]> : tensor<2x2xi64>, use_global_device_ids}> ({
      ^bb0(%p: tensor<f32>, %q: tensor<f32>):
        %s = stablehlo.maximum %p, %q : tensor<f32>
        stablehlo.return %s : tensor<f32>
      }) : (tensor<4x8xf32>) -> tensor<4x8xf32>
      // CHECK: braid.all_gather %arg0 on @mesh axes = [0] dim = 1 : tensor<4x8xf32> -> tensor<4x16xf32>
      %3 = "stablehlo.all_gather"(%a) <{all_gather_dim = 1 : i64, channel_handle = #stablehlo.channel_handle<handle = 3, type = 1>, replica_groups = dense<[[0, 2], [1, 3]]> : tensor<2x2xi64>, use_global_device_ids}> : (tensor<4x8xf32>) -> tensor<4x16xf32>
      // CHECK: braid.reduce_scatter %arg0 on @mesh axes = [1] dim = 0 reduction = min : tensor<4x8xf32> -> tensor<2x8xf32>
      %4 = "stablehlo.reduce_scatter"(%a) <{channel_handle = #stablehlo.channel_handle<handle = 4, type = 1>, replica_groups = dense<[[0, 1], [2, 3]]> : tensor<2x2xi64>, scatter_dimension = 0 : i64, use_global_device_ids}> ({
      ^bb0(%p: tensor<f32>, %q: tensor<f32>):
        %s = stablehlo.minimum %p, %q : tensor<f32>
        stablehlo.return %s : tensor<f32>
      }) : (tensor<4x8xf32>) -> tensor<2x8xf32>
      // CHECK: braid.all_to_all %arg0 on @mesh axes = [1, 0] split_dim = 0 concat_dim = 0 : tensor<4x8xf32> -> tensor<4x8xf32>
      %5 = "stablehlo.all_to_all"(%a) <{channel_handle = #stablehlo.channel_handle<handle = 5, type = 1>, concat_dimension = 0 : i64, replica_groups = dense<[[0, 2, 1, 3]]> : tensor<1x4xi64>, split_count = 4 : i64, split_dimension = 0 : i64}> : (tensor<4x8xf32>) -> tensor<4x8xf32>
      // CHECK: braid.collective_permute %arg0 on @mesh axes = [1] pairs = {{\[\[}}0, 1], [1, 0]] : tensor<4x8xf32>
      %6 = "stablehlo.collective_permute"(%a) <{channel_handle = #stablehlo.channel_handle<handle = 6, type = 1>, source_target_pairs = dense<[[0, 1], [1, 0], [2, 3], [3, 2]]> : tensor<4x2xi64>}> : (tensor<4x8xf32>) -> tensor<4x8xf32>
      // CHECK: %[[R:.*]] = braid.rank on @mesh axes = [0, 1] : index
      // CHECK: arith.index_cast %[[R]] : index to i32
      // CHECK: arith.divui
      // CHECK: arith.remui
      %c1 = stablehlo.constant dense<2> : tensor<ui32>
      %c2 = stablehlo.constant dense<2> : tensor<ui32>
      %7 = stablehlo.partition_id : tensor<ui32>
      %8 = stablehlo.divide %7, %c1 : tensor<ui32>
      %9 = stablehlo.remainder %8, %c2 : tensor<ui32>
      %10 = stablehlo.convert %9 : (tensor<ui32>) -> tensor<i32>
      sdy.return %1, %2, %3, %4, %5, %6, %10 : tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x16xf32>, tensor<2x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<i32>
    } : (tensor<4x8xf32>) -> (tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x16xf32>, tensor<2x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<i32>)
    return %0#0, %0#1, %0#2, %0#3, %0#4, %0#5, %0#6 : tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x16xf32>, tensor<2x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<i32>
  }
}
