// Whole programs the importer refuses: every offending op is reported with
// its location and what to do, the exit status is non-zero and nothing is
// written.
// RUN: rm -f %t.mlir
// RUN: not %braid-import-stablehlo %s -o %t.mlir 2>&1 | FileCheck %s -DFILE=%s
// RUN: not test -e %t.mlir

module @jit_f attributes {mhlo.num_partitions = 4 : i32, mhlo.num_replicas = 1 : i32} {
  sdy.mesh @mesh = <["x"=4]>
  // CHECK: [[FILE]]:[[@LINE+1]]:3: error: 'func.func': argument %arg1: dimension 0 of size 6 does not divide into 4 blocks
  func.func public @main(%arg0: tensor<4x8xf32>, %arg1: tensor<6x8xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"x"}, {}]>}) -> (tensor<4x8xf32>) {
    %c0 = stablehlo.constant dense<0> : tensor<i32>
    %0:2 = stablehlo.while(%i = %c0, %x = %arg0) : tensor<i32>, tensor<4x8xf32>
     cond {
      %n = stablehlo.constant dense<2> : tensor<i32>
      %lt = stablehlo.compare LT, %i, %n : (tensor<i32>, tensor<i32>) -> tensor<i1>
      stablehlo.return %lt : tensor<i1>
    } do {
      // CHECK: [[FILE]]:[[@LINE+1]]:12: error: 'sdy.manual_computation': a manual computation (shard_map) nested inside another one, a loop or a branch is not supported; call it from the top level of the jitted function
      %1 = sdy.manual_computation(%x) in_shardings=[<@mesh, [{"x"}, {}]>] out_shardings=[<@mesh, [{"x"}, {}]>] manual_axes={"x"} (%a: tensor<1x8xf32>) {
        sdy.return %a : tensor<1x8xf32>
      } : (tensor<4x8xf32>) -> tensor<4x8xf32>
      %one = stablehlo.constant dense<1> : tensor<i32>
      %j = stablehlo.add %i, %one : tensor<i32>
      stablehlo.return %j, %1 : tensor<i32>, tensor<4x8xf32>
    }
    %2 = sdy.manual_computation(%0#1) in_shardings=[<@mesh, [{"x"}, {}]>] out_shardings=[<@mesh, [{"x"}, {}]>] manual_axes={"x"} (%a: tensor<1x8xf32>) {
      sdy.return %a : tensor<1x8xf32>
    } : (tensor<4x8xf32>) -> tensor<4x8xf32>
    return %2 : tensor<4x8xf32>
  }
}
// CHECK: braid-import-stablehlo: 2 error(s); nothing written
