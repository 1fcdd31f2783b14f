// RUN: braid-opt %s -braid-plan-arena=memory-budget=1000 -verify-diagnostics
// RUN: braid-opt %s -braid-plan-arena=memory-budget=1024 | FileCheck %s
// The arena may not exceed the memory budget; at the budget it fits.

shard.grid @tp(shape = 2)
// CHECK: memref<1024xi8> {braid.arena}
// expected-error @below {{the planned arena needs 1024 bytes, over the memory budget of 1000 bytes (peak of live buffers 1024 bytes)}}
func.func @two_live(%x: memref<16x8xf32>, %out: memref<16x8xf32>) {
  %a = memref.alloc() : memref<16x8xf32>
  %b = memref.alloc() : memref<16x8xf32>
  braid.cmd.all_reduce %x, %a on @tp axes = [0] reduction = sum : memref<16x8xf32>, memref<16x8xf32>
  braid.cmd.all_reduce %a, %b on @tp axes = [0] reduction = sum : memref<16x8xf32>, memref<16x8xf32>
  linalg.add ins(%a, %b : memref<16x8xf32>, memref<16x8xf32>) outs(%out : memref<16x8xf32>)
  return
}
