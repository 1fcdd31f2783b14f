// RUN: braid-opt %s -braid-plan-arena -split-input-file -verify-diagnostics --mlir-print-op-on-diagnostic=false -allow-unregistered-dialect | FileCheck %s

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

// -----

shard.grid @tp(shape = 2)

// A stream runs its launch's body in order: %a and %b, used only there and
// never at once, share bytes, although on the host both live from the
// launch to the wait. The view of %b made before the launch is no access.
// %c, written by the host while the launch runs, gets bytes of its own.
// CHECK-LABEL: func.func @stream_order
// CHECK-SAME: %[[ARENA:[a-z0-9]+]]: memref<1024xi8> {braid.arena}
// CHECK: %[[OFF_A:.*]] = arith.constant 0 : index
// CHECK: memref.view %[[ARENA]][%[[OFF_A]]][]
// CHECK: %[[OFF_B:.*]] = arith.constant 0 : index
// CHECK: memref.view %[[ARENA]][%[[OFF_B]]][]
// CHECK: %[[OFF_C:.*]] = arith.constant 512 : index
// CHECK: memref.view %[[ARENA]][%[[OFF_C]]][]
// expected-remark @below {{arena: 1024 bytes for 3 buffers (peak of live buffers 1024 bytes)}}
func.func @stream_order(%x: memref<16x8xf32>, %out: memref<16x8xf32>) {
  %a = memref.alloc() : memref<16x8xf32>
  %b = memref.alloc() : memref<128xf32>
  %bv = memref.expand_shape %b [[0, 1]] output_shape [16, 8] : memref<128xf32> into memref<16x8xf32>
  %c = memref.alloc() : memref<16x8xf32>
  %done = braid.cmd.launch stream = 1 {
    braid.cmd.all_reduce %x, %a on @tp axes = [0] reduction = sum : memref<16x8xf32>, memref<16x8xf32>
    memref.copy %a, %out : memref<16x8xf32> to memref<16x8xf32>
    braid.cmd.all_reduce %x, %bv on @tp axes = [0] reduction = max : memref<16x8xf32>, memref<16x8xf32>
    memref.copy %bv, %out : memref<16x8xf32> to memref<16x8xf32>
  }
  memref.copy %x, %c : memref<16x8xf32> to memref<16x8xf32>
  braid.cmd.wait %done
  memref.copy %c, %out : memref<16x8xf32> to memref<16x8xf32>
  return
}

// -----

// Live buffers by position (KiB): 0: A; 1: A B; 2: A B C (24); 3: B C D;
// 4: D E; 5: E F (24); 6: F G; 7: G. The peak is 24576 bytes, and the
// arena meets it: E at 0, F above it; B at 0 and C above it, A and then
// D where F goes later. Largest first with ties in program order leaves
// a hole (A under B and C, so D cannot sit beside E): 28672 bytes.
// CHECK-LABEL: func.func @chain
// CHECK-SAME: memref<24576xi8> {braid.arena}
// expected-remark @below {{arena: 24576 bytes for 7 buffers (peak of live buffers 24576 bytes)}}
func.func @chain() {
  %a = memref.alloc() : memref<2048xf32>
  %b = memref.alloc() : memref<2048xf32>
  %c = memref.alloc() : memref<2048xf32>
  %d = memref.alloc() : memref<1024xf32>
  %e = memref.alloc() : memref<4096xf32>
  %f = memref.alloc() : memref<2048xf32>
  %g = memref.alloc() : memref<512xf32>
  "use"(%a) : (memref<2048xf32>) -> ()
  "use"(%a, %b) : (memref<2048xf32>, memref<2048xf32>) -> ()
  "use"(%a, %b, %c) : (memref<2048xf32>, memref<2048xf32>, memref<2048xf32>) -> ()
  "use"(%b, %c, %d) : (memref<2048xf32>, memref<2048xf32>, memref<1024xf32>) -> ()
  "use"(%d, %e) : (memref<1024xf32>, memref<4096xf32>) -> ()
  "use"(%e, %f) : (memref<4096xf32>, memref<2048xf32>) -> ()
  "use"(%f, %g) : (memref<2048xf32>, memref<512xf32>) -> ()
  "use"(%g) : (memref<512xf32>) -> ()
  return
}

// -----

// Buffers start at 64-byte boundaries: the peak counts each rounded up
// (4 + 64 bytes live at once take 128), so it stays a bound the arena
// meets.
// CHECK-LABEL: func.func @small
// CHECK-SAME: memref<128xi8> {braid.arena}
// expected-remark @below {{arena: 128 bytes for 2 buffers (peak of live buffers 128 bytes)}}
func.func @small() {
  %a = memref.alloc() : memref<f32>
  %b = memref.alloc() : memref<16xf32>
  "use"(%a, %b) : (memref<f32>, memref<16xf32>) -> ()
  return
}
