// Explicit device groups that split no mesh axis ([[0, 3], [1, 2]] on 2x2,
// or groups listing their members out of order) are axis 1 of a
// (groups x group size) grid whose device order lists the groups one after
// another (docs/Rationale.md, "Explicit device groups"). braid-interp's ranks
// are devices, so each grid finds a rank at the position its device order
// gives it. partition_id p gives v = p*p + 10p = [0, 11, 24, 39]:
//   psum within [[0, 3], [1, 2]]      -> [39, 35, 35, 39]
//   all_gather of p within [[3, 0], [2, 1]] -> [3, 0], [2, 1], [2, 1], [3, 0]
// RUN: %braid-import-stablehlo %s -o %t.mlir
// RUN: FileCheck %s < %t.mlir
// RUN: braid-opt %t.mlir > /dev/null
// RUN: rm -rf %t.out
// RUN: braid-interp --quiet %t.mlir --output-dir=%t.out
// RUN: %venv-python -c "import numpy as n; print([(int(n.load('%t.out/rank%%d/result0.npy' %% r)), n.load('%t.out/rank%%d/result1.npy' %% r).tolist()) for r in range(4)])" | FileCheck %s --check-prefix=RANKS
// RANKS: [(39, [3, 0]), (35, [2, 1]), (35, [2, 1]), (39, [3, 0])]

// CHECK: shard.grid @mesh(shape = 2x2)
// CHECK-NEXT: shard.grid @mesh_2x2(shape = 2x2) {braid.device_order = #braid.device_order<[0, 3, 1, 2]>}
// CHECK-NEXT: shard.grid @mesh_2x2_1(shape = 2x2) {braid.device_order = #braid.device_order<[3, 0, 2, 1]>}
// CHECK: braid.all_reduce {{.*}} on @mesh_2x2 axes = [1] reduction = sum : tensor<i32>
// CHECK: braid.all_gather {{.*}} on @mesh_2x2_1 axes = [1] dim = 0 : tensor<1xi32> -> tensor<2xi32>

// The groups are in mesh positions; a permuted mesh's device order carries
// over (the derived orders are the mesh's order of the groups' positions).
// Device R sits at mesh position 3 - R and gets that position's results.
// RUN: sed 's/<\["x"=2, "y"=2\]>/<["x"=2, "y"=2], device_ids=[3, 2, 1, 0]>/' %s > %t.perm.stablehlo.mlir
// RUN: %braid-import-stablehlo %t.perm.stablehlo.mlir -o %t.perm.mlir
// RUN: FileCheck %s --check-prefix=PERM < %t.perm.mlir
// RUN: rm -rf %t.perm.out
// RUN: braid-interp --quiet %t.perm.mlir --output-dir=%t.perm.out
// RUN: %venv-python -c "import numpy as n; print([(int(n.load('%t.perm.out/rank%%d/result0.npy' %% r)), n.load('%t.perm.out/rank%%d/result1.npy' %% r).tolist()) for r in range(4)])" | FileCheck %s --check-prefix=RANKS
// PERM: shard.grid @mesh(shape = 2x2) {braid.device_order = #braid.device_order<[3, 2, 1, 0]>}
// PERM-NEXT: shard.grid @mesh_2x2(shape = 2x2) {braid.device_order = #braid.device_order<[3, 0, 2, 1]>}
// PERM-NEXT: shard.grid @mesh_2x2_1(shape = 2x2) {braid.device_order = #braid.device_order<[0, 3, 1, 2]>}

// A wrong order (the first group's members swapped with the second's) is
// caught by the values.
// RUN: sed 's/device_order<\[0, 3, 1, 2\]>/device_order<[0, 1, 3, 2]>/' %t.mlir > %t.bad.mlir
// RUN: rm -rf %t.bad.out
// RUN: braid-interp --quiet %t.bad.mlir --output-dir=%t.bad.out
// RUN: %venv-python -c "import numpy as n; print([int(n.load('%t.bad.out/rank%%d/result0.npy' %% r)) for r in range(4)])" | FileCheck %s --check-prefix=BAD
// BAD: [11, 11, 63, 63]
module @jit_f attributes {mhlo.num_partitions = 4 : i32, mhlo.num_replicas = 1 : i32} {
  sdy.mesh @mesh = <["x"=2, "y"=2]>
  func.func public @main() -> (tensor<i32>, tensor<2xi32>) {
    %0:2 = sdy.manual_computation() in_shardings=[] out_shardings=[<@mesh, []>, <@mesh, [{}]>] manual_axes={"x", "y"} () {
      %id = stablehlo.partition_id : tensor<ui32>
      %p = stablehlo.convert %id : (tensor<ui32>) -> tensor<i32>
      %ten = stablehlo.constant dense<10> : tensor<i32>
      %pp = stablehlo.multiply %p, %p : tensor<i32>
      %tp = stablehlo.multiply %p, %ten : tensor<i32>
      %v = stablehlo.add %pp, %tp : tensor<i32>
      %sum = "stablehlo.all_reduce"(%v) <{channel_handle = #stablehlo.channel_handle<handle = 1, type = 1>, replica_groups = dense<[[0, 3], [1, 2]]> : tensor<2x2xi64>, use_global_device_ids}> ({
      ^bb0(%a: tensor<i32>, %b: tensor<i32>):
        %s = stablehlo.add %a, %b : tensor<i32>
        stablehlo.return %s : tensor<i32>
      }) : (tensor<i32>) -> tensor<i32>
      %r = stablehlo.reshape %p : (tensor<i32>) -> tensor<1xi32>
      %all = "stablehlo.all_gather"(%r) <{all_gather_dim = 0 : i64, channel_handle = #stablehlo.channel_handle<handle = 2, type = 1>, replica_groups = dense<[[3, 0], [2, 1]]> : tensor<2x2xi64>, use_global_device_ids}> : (tensor<1xi32>) -> tensor<2xi32>
      sdy.return %sum, %all : tensor<i32>, tensor<2xi32>
    } : () -> (tensor<i32>, tensor<2xi32>)
    return %0#0, %0#1 : tensor<i32>, tensor<2xi32>
  }
}
