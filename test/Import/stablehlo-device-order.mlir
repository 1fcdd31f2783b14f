// A mesh with a permuted device order keeps it as braid.device_order on the
// grid; groups, ranks and pairs stay in grid positions. braid-interp's ranks
// are devices, as the runtime's world ranks: device R sits at position 3 - R,
// so its axis_index of x (from partition_id) is (3 - R) / 2.
// RUN: %braid-import-stablehlo %s -o %t.mlir
// RUN: FileCheck %s < %t.mlir
// RUN: braid-opt %t.mlir > /dev/null
// RUN: rm -rf %t.out
// RUN: braid-interp --quiet %t.mlir --output-dir=%t.out
// RUN: %venv-python -c "import numpy as n; print([int(n.load('%t.out/rank%%d/result0.npy' %% r)) for r in range(4)])" | FileCheck %s --check-prefix=RANKS
// RANKS: [1, 1, 0, 0]

// CHECK: shard.grid @mesh(shape = 2x2) {braid.device_order = #braid.device_order<[3, 2, 1, 0]>}
// CHECK: braid.rank on @mesh axes = [0, 1] : index
// CHECK: braid.all_reduce {{.*}} on @mesh axes = [1] reduction = sum : tensor<i32>
module @jit_f attributes {mhlo.num_partitions = 4 : i32, mhlo.num_replicas = 1 : i32} {
  sdy.mesh @mesh = <["x"=2, "y"=2], device_ids=[3, 2, 1, 0]>
  func.func public @main() -> (tensor<i32>) {
    %0 = sdy.manual_computation() in_shardings=[] out_shardings=[<@mesh, []>] manual_axes={"x", "y"} () {
      %c1 = stablehlo.constant dense<2> : tensor<ui32>
      %c2 = stablehlo.constant dense<2> : tensor<ui32>
      %7 = stablehlo.partition_id : tensor<ui32>
      %8 = stablehlo.divide %7, %c1 : tensor<ui32>
      %9 = stablehlo.remainder %8, %c2 : tensor<ui32>
      %10 = stablehlo.convert %9 : (tensor<ui32>) -> tensor<i32>
      // every member of a y group has the same x: the sum is 2 * x
      %11 = "stablehlo.all_reduce"(%10) <{channel_handle = #stablehlo.channel_handle<handle = 1, type = 1>, replica_groups = dense<[[0, 1], [2, 3]]> : tensor<2x2xi64>, use_global_device_ids}> ({
      ^bb0(%p: tensor<i32>, %q: tensor<i32>):
        %s = stablehlo.add %p, %q : tensor<i32>
        stablehlo.return %s : tensor<i32>
      }) : (tensor<i32>) -> tensor<i32>
      %two = stablehlo.constant dense<2> : tensor<i32>
      %12 = stablehlo.divide %11, %two : tensor<i32>
      sdy.return %12 : tensor<i32>
    } : () -> tensor<i32>
    return %0 : tensor<i32>
  }
}
