// Code outside the manual computations may hold loops whose bodies read a
// value held as blocks (implicit capture): the whole value is gathered once,
// before the loop.
// RUN: %braid-import-stablehlo %s -o %t.mlir 2>&1 | FileCheck %s --check-prefix=REMARK
// RUN: braid-opt %t.mlir | FileCheck %s
// RUN: %braid-diff %t.mlir > /dev/null

// REMARK: remark: unrolled a counted loop of 2 trips
// CHECK: func.func @main(%arg0: tensor<2x8xf32>) -> tensor<4x8xf32>
// CHECK: %[[B:.*]] = math.exp %arg0 : tensor<2x8xf32>
// CHECK: %[[W:.*]] = braid.all_gather %[[B]] on @mesh axes = [0] dim = 0 : tensor<2x8xf32> -> tensor<4x8xf32>
// CHECK: arith.addf {{.*}}, %[[W]] : tensor<4x8xf32>
// CHECK: arith.addf {{.*}}, %[[W]] : tensor<4x8xf32>
module @jit_f attributes {mhlo.num_partitions = 2 : i32, mhlo.num_replicas = 1 : i32} {
  sdy.mesh @mesh = <["x"=2]>
  func.func public @main(%arg0: tensor<4x8xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"x"}, {}]>}) -> (tensor<4x8xf32> {sdy.sharding = #sdy.sharding<@mesh, [{}, {}]>}) {
    %0 = sdy.manual_computation(%arg0) in_shardings=[<@mesh, [{"x"}, {}]>] out_shardings=[<@mesh, [{"x"}, {}]>] manual_axes={"x"} (%a: tensor<2x8xf32>) {
      %1 = stablehlo.exponential %a : tensor<2x8xf32>
      sdy.return %1 : tensor<2x8xf32>
    } : (tensor<4x8xf32>) -> tensor<4x8xf32>
    %c0 = stablehlo.constant dense<0> : tensor<i32>
    %z = stablehlo.constant dense<0.0> : tensor<4x8xf32>
    %2:2 = stablehlo.while(%i = %c0, %acc = %z) : tensor<i32>, tensor<4x8xf32>
     cond {
      %n = stablehlo.constant dense<2> : tensor<i32>
      %lt = stablehlo.compare LT, %i, %n : (tensor<i32>, tensor<i32>) -> tensor<i1>
      stablehlo.return %lt : tensor<i1>
    } do {
      %s = stablehlo.add %acc, %0 : tensor<4x8xf32>
      %one = stablehlo.constant dense<1> : tensor<i32>
      %j = stablehlo.add %i, %one : tensor<i32>
      stablehlo.return %j, %s : tensor<i32>, tensor<4x8xf32>
    }
    return %2#1 : tensor<4x8xf32>
  }
}
