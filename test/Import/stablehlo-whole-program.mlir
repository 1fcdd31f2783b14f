// Hand-written whole programs: manual computations in main and in a private
// callee (inlined), code between them, a sharded constant operand (sliced at
// the rank's offset) and arguments without sdy.sharding (they take the
// in_sharding of the manual computations that read them).
// RUN: %braid-import-stablehlo %s -o %t.mlir
// RUN: braid-opt %t.mlir | FileCheck %s
// RUN: %braid-diff %t.mlir > /dev/null

// CHECK: shard.grid @mesh(shape = 2x2)
// %arg0 is also read outside (whole on every rank); %arg1 only by a manual
// computation sharding it along x (the rank's block).
// CHECK: func.func @main(%arg0: tensor<4x8xf32>, %arg1: tensor<2x8xf32>) -> (tensor<2x8xf32>, tensor<4x4xf32>)
// CHECK: %[[C:.*]] = arith.constant dense<{{.*}}> : tensor<4x8xf32>
// CHECK: braid.rank on @mesh axes = [1] : index
// CHECK: %[[CB:.*]] = tensor.extract_slice %[[C]][0, {{.*}}] [4, 4] [1, 1]
// CHECK: arith.addf %arg1, %arg1 : tensor<2x8xf32>
// CHECK: %[[S:.*]] = math.exp %arg0 : tensor<4x8xf32>
// CHECK: %[[SB:.*]] = tensor.extract_slice %[[S]][0, {{.*}}] [4, 4] [1, 1]
// CHECK: %[[P:.*]] = arith.mulf %[[SB]], %[[CB]] : tensor<4x4xf32>
// CHECK: braid.all_reduce %[[P]] on @mesh axes = [1] reduction = sum : tensor<4x4xf32>
// CHECK-NOT: func.call
module @jit_f attributes {mhlo.num_partitions = 4 : i32, mhlo.num_replicas = 1 : i32} {
  sdy.mesh @mesh = <["x"=2, "y"=2]>
  func.func public @main(%arg0: tensor<4x8xf32>, %arg1: tensor<4x8xf32>) -> (tensor<4x8xf32>, tensor<4x8xf32>) {
    %c = stablehlo.constant dense<[[0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0], [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0], [2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0], [3.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0]]> : tensor<4x8xf32>
    %0 = sdy.manual_computation(%arg1, %c) in_shardings=[<@mesh, [{"x"}, {}]>, <@mesh, [{}, {"y"}]>] out_shardings=[<@mesh, [{"x"}, {}]>] manual_axes={"x", "y"} (%a: tensor<2x8xf32>, %b: tensor<4x4xf32>) {
      %1 = stablehlo.add %a, %a : tensor<2x8xf32>
      sdy.return %1 : tensor<2x8xf32>
    } : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
    %e = stablehlo.exponential %arg0 : tensor<4x8xf32>
    %2 = call @body(%e, %c) : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
    return %0, %2 : tensor<4x8xf32>, tensor<4x8xf32>
  }
  func.func private @body(%x: tensor<4x8xf32>, %c: tensor<4x8xf32>) -> tensor<4x8xf32> {
    %0 = sdy.manual_computation(%x, %c) in_shardings=[<@mesh, [{}, {"y"}]>, <@mesh, [{}, {"y"}]>] out_shardings=[<@mesh, [{}, {"y"}]>] manual_axes={"x", "y"} (%a: tensor<4x4xf32>, %b: tensor<4x4xf32>) {
      %1 = stablehlo.multiply %a, %b : tensor<4x4xf32>
      %2 = "stablehlo.all_reduce"(%1) <{channel_handle = #stablehlo.channel_handle<handle = 1, type = 1>, replica_groups = dense<[[0, 1], [2, 3]]> : tensor<2x2xi64>, use_global_device_ids}> ({
      ^bb0(%p: tensor<f32>, %q: tensor<f32>):
        %s = stablehlo.add %p, %q : tensor<f32>
        stablehlo.return %s : tensor<f32>
      }) : (tensor<4x4xf32>) -> tensor<4x4xf32>
      sdy.return %2 : tensor<4x4xf32>
    } : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
    return %0 : tensor<4x8xf32>
  }
}
