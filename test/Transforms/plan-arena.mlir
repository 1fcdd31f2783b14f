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

// %t is allocated in the loop and reused every iteration; %acc lives from
// one iteration to the next (written before, read in and after the loop):
// they never share bytes. %after, first written after the loop, reuses %t's.
// CHECK-LABEL: func.func @in_loop
// CHECK-SAME: memref<512xi8> {braid.arena}
// CHECK: %[[OFF_ACC:.*]] = arith.constant 0 : index
// CHECK: memref.view %{{.*}}[%[[OFF_ACC]]][]
// CHECK: scf.for
// CHECK: %[[OFF_T:.*]] = arith.constant 256 : index
// CHECK: memref.view %{{.*}}[%[[OFF_T]]][]
// CHECK: %[[OFF_AFTER:.*]] = arith.constant 256 : index
// CHECK: memref.view %{{.*}}[%[[OFF_AFTER]]][]
// expected-remark @below {{arena: 512 bytes for 3 buffers (peak of live buffers 512 bytes)}}
func.func @in_loop(%x: memref<64xf32>, %out: memref<64xf32> {bufferize.result}, %n: index) {
  %acc = memref.alloc() : memref<64xf32>
  memref.copy %x, %acc : memref<64xf32> to memref<64xf32>
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  scf.for %i = %c0 to %n step %c1 {
    %t = memref.alloc() : memref<64xf32>
    linalg.add ins(%acc, %x : memref<64xf32>, memref<64xf32>) outs(%t : memref<64xf32>)
    memref.copy %t, %acc : memref<64xf32> to memref<64xf32>
  }
  %after = memref.alloc() : memref<64xf32>
  linalg.add ins(%acc, %acc : memref<64xf32>, memref<64xf32>) outs(%after : memref<64xf32>)
  memref.copy %after, %out : memref<64xf32> to memref<64xf32>
  return
}

// -----

// A buffer a branch yields lives on in the branch's result: %b, written
// after the scf.if while %r is still to be read, does not share %a's bytes.
// CHECK-LABEL: func.func @yielded_by_branch
// CHECK: scf.if
// CHECK: %[[OFF_A:.*]] = arith.constant 0 : index
// CHECK: memref.view %{{.*}}[%[[OFF_A]]][]
// CHECK: %[[OFF_B:.*]] = arith.constant 256 : index
// CHECK: memref.view %{{.*}}[%[[OFF_B]]][]
// expected-remark @below {{arena: 512 bytes for 2 buffers (peak of live buffers 512 bytes)}}
func.func @yielded_by_branch(%x: memref<64xf32>, %c: i1, %out: memref<64xf32> {bufferize.result}) {
  %r = scf.if %c -> memref<64xf32> {
    %a = memref.alloc() : memref<64xf32>
    linalg.add ins(%x, %x : memref<64xf32>, memref<64xf32>) outs(%a : memref<64xf32>)
    scf.yield %a : memref<64xf32>
  } else {
    scf.yield %x : memref<64xf32>
  }
  %b = memref.alloc() : memref<64xf32>
  linalg.mul ins(%x, %x : memref<64xf32>, memref<64xf32>) outs(%b : memref<64xf32>)
  linalg.add ins(%r, %b : memref<64xf32>, memref<64xf32>) outs(%out : memref<64xf32>)
  return
}

// -----

// A buffer a loop carries lives on in the loop's result (scf.for and
// scf.while): %b does not share %a's bytes.
// CHECK-LABEL: func.func @carried_by_loops
// CHECK: %[[OFF_A:.*]] = arith.constant 0 : index
// CHECK: memref.view %{{.*}}[%[[OFF_A]]][]
// CHECK: %[[OFF_W:.*]] = arith.constant 256 : index
// CHECK: memref.view %{{.*}}[%[[OFF_W]]][]
// CHECK: %[[OFF_B:.*]] = arith.constant 512 : index
// CHECK: memref.view %{{.*}}[%[[OFF_B]]][]
// expected-remark @below {{arena: 768 bytes for 3 buffers (peak of live buffers 768 bytes)}}
func.func @carried_by_loops(%x: memref<64xf32>, %n: index, %c: i1, %out: memref<64xf32> {bufferize.result}) {
  %a = memref.alloc() : memref<64xf32>
  memref.copy %x, %a : memref<64xf32> to memref<64xf32>
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %r = scf.for %i = %c0 to %n step %c1 iter_args(%it = %a) -> (memref<64xf32>) {
    linalg.add ins(%it, %x : memref<64xf32>, memref<64xf32>) outs(%it : memref<64xf32>)
    scf.yield %it : memref<64xf32>
  }
  %w = memref.alloc() : memref<64xf32>
  memref.copy %x, %w : memref<64xf32> to memref<64xf32>
  %s = scf.while (%it = %w) : (memref<64xf32>) -> memref<64xf32> {
    scf.condition(%c) %it : memref<64xf32>
  } do {
  ^bb0(%it2: memref<64xf32>):
    linalg.add ins(%it2, %x : memref<64xf32>, memref<64xf32>) outs(%it2 : memref<64xf32>)
    scf.yield %it2 : memref<64xf32>
  }
  %b = memref.alloc() : memref<64xf32>
  linalg.mul ins(%x, %x : memref<64xf32>, memref<64xf32>) outs(%b : memref<64xf32>)
  linalg.add ins(%r, %b : memref<64xf32>, memref<64xf32>) outs(%out : memref<64xf32>)
  linalg.add ins(%s, %out : memref<64xf32>, memref<64xf32>) outs(%out : memref<64xf32>)
  return
}

// -----

func.func @dynamic(%n: index) {
  // expected-error @below {{cannot be planned: the arena needs static shapes with the identity layout}}
  %a = memref.alloc(%n) : memref<?xf32>
  return
}
