// Passes enumerate every rank of a grid (group instances in the cost model
// and the scheduler, collective matching in the order verifier), so braid
// ops may name grids of at most 65536 devices. A larger grid is a verifier
// error at the op, before any pass runs, instead of running out of memory
// or looping for 2^63 ranks; a large grid that no braid op names is left
// alone.
// RUN: rm -rf %t && mkdir -p %t
// RUN: %python %S/../../Interpreter/Inputs/split.py %s %t
// RUN: not braid-opt %t/huge.mlir --pass-pipeline='builtin.module(func.func(braid-schedule))' 2>&1 | FileCheck %s --check-prefix=HUGE
// RUN: not braid-opt %t/huge.mlir -braid-verify-collective-order 2>&1 | FileCheck %s --check-prefix=HUGE
// RUN: not braid-opt %t/huge.mlir -braid-estimate 2>&1 | FileCheck %s --check-prefix=HUGE
// RUN: braid-opt %t/unused.mlir --pass-pipeline='builtin.module(func.func(braid-schedule))' 2>&1 | FileCheck %s --check-prefix=UNUSED
// RUN: braid-opt %t/unused.mlir -braid-verify-collective-order 2>&1 | FileCheck %s --check-prefix=UNUSED
// RUN: braid-opt %t/unused.mlir -braid-estimate 2>&1 | FileCheck %s --check-prefix=UNUSED-ESTIMATE

// HUGE: huge.mlir:3:8: error: 'braid.all_reduce' op grid @g has 9223372036854775807 devices; braid handles grids of at most 65536 devices (it enumerates every rank)
// HUGE-NEXT: %r = braid.all_reduce
// HUGE: huge.mlir:1:1: note: grid declared here
// ----- huge.mlir
shard.grid @g(shape = 9223372036854775807)
func.func @main(%x: tensor<4xf32>) -> tensor<4xf32> {
  %r = braid.all_reduce %x on @g axes = [0] reduction = sum : tensor<4xf32>
  return %r : tensor<4xf32>
}

// UNUSED-NOT: error
// UNUSED: braid.all_reduce
// UNUSED-ESTIMATE: remark: estimate on
// UNUSED-ESTIMATE-NOT: error
// ----- unused.mlir
shard.grid @tp(shape = 4)
shard.grid @huge(shape = 9223372036854775807)
func.func @main(%x: tensor<4xf32>) -> tensor<4xf32> {
  %r = braid.all_reduce %x on @tp axes = [0] reduction = sum : tensor<4xf32>
  return %r : tensor<4xf32>
}
