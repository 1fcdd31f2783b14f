// The host issues the communication of a launch when it launches it, in
// program order on every rank (BraidCommandOps.td), so two streams sharing
// a communicator cannot pair one rank's x with another's y, as the same
// program at the tensor level can (async-ordering.mlir): every interleaving
// gives the synchronous program's results, bitwise.
// RUN: rm -rf %t && mkdir -p %t
// RUN: %python %S/Inputs/split.py %s %t
// RUN: braid-interp %t/streams.mlir --quiet --schedules=8 --output-dir=%t/run
// RUN: braid-interp %t/sync.mlir --check-outputs=%t/run --exact | FileCheck %s
// CHECK: check-outputs: 2 results on 2 ranks of {{.*}} meet the numerics contract (bitwise)

// ----- streams.mlir
shard.grid @tp(shape = 2)
func.func @main(%x: memref<8xf32>, %y: memref<8xf32>,
                %a: memref<8xf32> {braid.result = 0 : i64},
                %b: memref<8xf32> {braid.result = 1 : i64}) {
  %f = braid.cmd.launch stream = 1 {
    braid.cmd.all_reduce %x, %a on @tp axes = [0] reduction = sum : memref<8xf32>, memref<8xf32>
  }
  %g = braid.cmd.launch stream = 2 {
    braid.cmd.all_reduce %y, %b on @tp axes = [0] reduction = sum : memref<8xf32>, memref<8xf32>
  }
  braid.cmd.wait %g
  braid.cmd.wait %f
  return
}

// ----- sync.mlir
shard.grid @tp(shape = 2)
func.func @main(%x: tensor<8xf32>, %y: tensor<8xf32>) -> (tensor<8xf32>, tensor<8xf32>) {
  %a = braid.all_reduce %x on @tp axes = [0] reduction = sum : tensor<8xf32>
  %b = braid.all_reduce %y on @tp axes = [0] reduction = sum : tensor<8xf32>
  return %a, %b : tensor<8xf32>, tensor<8xf32>
}
