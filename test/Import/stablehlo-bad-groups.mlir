// Replica groups that are the axis of no grid -- groups of unequal sizes (XLA
// pads short groups with -1) -- are an error naming the op, the groups and
// their sizes (any equal-size partition is imported:
// stablehlo-permuted-groups.mlir; a device in two groups or in none is
// already refused by the StableHLO verifier, the importer's own check with a
// message of its kind is a backstop); so are unknown reduction
// regions, partial manual meshes and unparsable input.
// RUN: rm -f %t.mlir
// RUN: not %braid-import-stablehlo %s -o %t.mlir 2>&1 | FileCheck %s -DFILE=%s
// RUN: not test -e %t.mlir
// RUN: echo "module { func.func @f( }" | not %braid-import-stablehlo - 2>&1 | FileCheck %s --check-prefix=PARSE
// PARSE: <stdin>:1:{{[0-9]+}}: error:
// PARSE: nothing written
// RUN: not %braid-import-stablehlo %S/Inputs/stablehlo-partial-manual.mlir 2>&1 | FileCheck %s --check-prefix=PARTIAL
// PARTIAL: stablehlo-partial-manual.mlir:{{[0-9]+}}:{{[0-9]+}}: error: 'sdy.manual_computation': axes ['y'] of mesh @mesh are not manual

module @jit_f attributes {mhlo.num_partitions = 4 : i32, mhlo.num_replicas = 1 : i32} {
  sdy.mesh @mesh = <["x"=2, "y"=2]>
  func.func public @main(%arg0: tensor<4x8xf32>) -> (tensor<4x8xf32>) {
    %0 = sdy.manual_computation(%arg0) in_shardings=[<@mesh, [{}, {}]>] out_shardings=[<@mesh, [{}, {}]>] manual_axes={"x", "y"} (%a: tensor<4x8xf32>) {
      // CHECK: [[FILE]]:[[@LINE+1]]:12: error: 'stablehlo.all_reduce': replica groups {{\[\[}}0, 1, 2], [3]] have unequal sizes [3, 1]; they are the axis of no grid over mesh @mesh {x=2, y=2} (4 devices)
      %1 = "stablehlo.all_reduce"(%a) <{channel_handle = #stablehlo.channel_handle<handle = 1, type = 1>, replica_groups = dense<[[0, 1, 2], [3, -1, -1]]> : tensor<2x3xi64>, use_global_device_ids}> ({
      ^bb0(%p: tensor<f32>, %q: tensor<f32>):
        %s = stablehlo.add %p, %q : tensor<f32>
        stablehlo.return %s : tensor<f32>
      }) : (tensor<4x8xf32>) -> tensor<4x8xf32>
      // CHECK: [[FILE]]:[[@LINE+1]]:12: error: 'stablehlo.all_reduce': reduction region 'stablehlo.subtract' is not sum/prod/min/max/and/or/xor
      %3 = "stablehlo.all_reduce"(%a) <{channel_handle = #stablehlo.channel_handle<handle = 3, type = 1>, replica_groups = dense<[[0, 1], [2, 3]]> : tensor<2x2xi64>, use_global_device_ids}> ({
      ^bb0(%p: tensor<f32>, %q: tensor<f32>):
        %s = stablehlo.subtract %p, %q : tensor<f32>
        stablehlo.return %s : tensor<f32>
      }) : (tensor<4x8xf32>) -> tensor<4x8xf32>
      %4 = stablehlo.add %3, %1 : tensor<4x8xf32>
      sdy.return %4 : tensor<4x8xf32>
    } : (tensor<4x8xf32>) -> tensor<4x8xf32>
    return %0 : tensor<4x8xf32>
  }
}
// CHECK: braid-import-stablehlo: 2 error(s); nothing written
