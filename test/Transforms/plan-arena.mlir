// RUN: braid-opt %s -braid-plan-arena -split-input-file -verify-diagnostics --mlir-print-op-on-diagnostic=false | FileCheck %s

shard.grid @tp(shape = 2)

// %a is dead before %b is first written on the host: they share bytes.
// %c is used in a launch, so it lives until the wait and cannot share
// with %d, which the host writes while the launch may still run.
// CHECK-LABEL: func.func @reuse
// CHECK-SAME: {braid.result = 0 : i64}
// CHECK-SAME: %[[ARENA:[a-z0-9]+]]: memref<1536xi8> {braid.arena}
// CHECK: %[[OFF_A:.*]] = arith.constant 0 : index
// CHECK: memref.view %[[ARENA]][%[[OFF_A]]][]
// CHECK: %[[OFF_B:.*]] = arith.constant 0 : index
// CHECK: memref.view %[[ARENA]][%[[OFF_B]]][]
// CHECK: %[[OFF_C:.*]] = arith.constant 512 : index
// CHECK: memref.view %[[ARENA]][%[[OFF_C]]][]
// CHECK: braid.cmd.launch
// CHECK: %[[OFF_D:.*]] = arith.constant 1024 : index
// CHECK: memref.view %[[ARENA]][%[[OFF_D]]][]
// expected-remark @below {{arena: 1536 bytes for 4 buffers (peak of live buffers 1536 bytes)}}
func.func @reuse(%x: memref<16x8xf32>, %out: memref<16x8xf32> {bufferize.result}) {
  %a = memref.alloc() : memref<16x8xf32>
  braid.cmd.all_reduce %x, %a on @tp axes = [0] reduction = sum : memref<16x8xf32>, memref<16x8xf32>
  memref.copy %a, %out : memref<16x8xf32> to memref<16x8xf32>
  %b = memref.alloc() : memref<16x8xf32>
  braid.cmd.all_reduce %x, %b on @tp axes = [0] reduction = max : memref<16x8xf32>, memref<16x8xf32>
  %c = memref.alloc() : memref<16x8xf32>
  %done = braid.cmd.launch stream = 1 {
    braid.cmd.all_reduce %b, %c on @tp axes = [0] reduction = sum : memref<16x8xf32>, memref<16x8xf32>
  }
  %d = memref.alloc() : memref<16x8xf32>
  memref.copy %x, %d : memref<16x8xf32> to memref<16x8xf32>
  braid.cmd.wait %done
  memref.copy %c, %out : memref<16x8xf32> to memref<16x8xf32>
  memref.copy %d, %out : memref<16x8xf32> to memref<16x8xf32>
  return
}

// -----

func.func @in_loop(%n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  scf.for %i = %c0 to %n step %c1 {
    // expected-error @below {{inside a loop or branch cannot get a static offset; hoist it to the function's body}}
    %a = memref.alloc() : memref<8xf32>
  }
  return
}

// -----

func.func @dynamic(%n: index) {
  // expected-error @below {{cannot be planned: the arena needs static shapes with the identity layout}}
  %a = memref.alloc(%n) : memref<?xf32>
  return
}
