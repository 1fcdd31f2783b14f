// The race detector: two tasks of a rank (the host stream and the streams
// launches run on) touching the same bytes, one writing, with no
// happens-before edge between them (program order, a launch forking, a
// braid.cmd.wait joining). Vector clocks find the missing edge whatever
// order an interleaving ran the two accesses in, so a racy program fails
// under every schedule seed.
// RUN: rm -rf %t && mkdir -p %t
// RUN: %python %S/Inputs/split.py %s %t
//
// The all-reduce lands in the arena on stream 1 while the host normalizes;
// the wait joins them before the host adds: no race, any interleaving.
// RUN: braid-interp %t/ordered.mlir --quiet --schedules=4
// RUN: braid-interp %t/ordered.mlir --quiet --schedules=4 --schedule-seed=17
//
// The same program with the wait after the add, or without it.
// RUN: not braid-interp %t/late-wait.mlir --quiet --schedules=1 --schedule-seed=0 2>&1 | FileCheck %s --check-prefix=LATE
// RUN: not braid-interp %t/late-wait.mlir --quiet --schedules=1 --schedule-seed=1 2>&1 | FileCheck %s --check-prefix=LATE
// RUN: not braid-interp %t/late-wait.mlir --quiet --schedules=1 --schedule-seed=9 2>&1 | FileCheck %s --check-prefix=LATE
// RUN: not braid-interp %t/no-wait.mlir --quiet --schedules=1 --schedule-seed=3 2>&1 | FileCheck %s --check-prefix=LATE
// RUN: not braid-interp %t/no-wait.mlir --quiet --schedules=1 --schedule-seed=4 2>&1 | FileCheck %s --check-prefix=LATE
// LATE: error: rank {{[0-3]}}{{( \(stream 1\))?}}: race on bytes [0, 512) of %arena (memref<4096xi8>): {{'linalg.add' on the host stream reads what 'braid.cmd.all_reduce' on stream 1 writes|'braid.cmd.all_reduce' on stream 1 writes what 'linalg.add' on the host stream reads}}, and no braid.cmd.wait orders them
// LATE: note: the {{read by 'linalg.add' on the host stream|write by 'braid.cmd.all_reduce' on stream 1}}
//
// A launch may overwrite what the host read before launching it (a fork),
// and launches on one stream run in order.
// RUN: braid-interp %t/fork.mlir --quiet --schedules=4
//
// Two launches on different streams write the same arena bytes with no wait
// between them; a wait between them orders them.
// RUN: not braid-interp %t/two-streams.mlir --quiet --schedules=1 --schedule-seed=0 2>&1 | FileCheck %s --check-prefix=STREAMS
// RUN: not braid-interp %t/two-streams.mlir --quiet --schedules=1 --schedule-seed=5 2>&1 | FileCheck %s --check-prefix=STREAMS
// STREAMS: two-streams.mlir:{{1[01]}}:40: error: rank {{[01]}} (stream {{[12]}}): race on bytes [80, 96) of %arena (memref<256xi8>): 'linalg.{{fill|copy}}' on stream {{[12]}} writes what 'linalg.{{fill|copy}}' on stream {{[12]}} writes, and no braid.cmd.wait orders them
// RUN: braid-interp %t/waited-streams.mlir --quiet --schedules=4
//
// The host overwrites a buffer a launched body still reads (a capture
// bufferization must protect with a copy).
// RUN: not braid-interp %t/overwritten-capture.mlir --quiet --schedules=1 --schedule-seed=2 2>&1 | FileCheck %s --check-prefix=CAPTURE
// CAPTURE: error: rank {{[01]}}{{( \(stream 1\))?}}: race on bytes [0, 32) of %arena (memref<64xi8>): {{'linalg.fill' on the host stream writes what 'braid.cmd.all_reduce' on stream 1 reads|'braid.cmd.all_reduce' on stream 1 reads what 'linalg.fill' on the host stream writes}}, and no braid.cmd.wait orders them
//
// A result buffer a launch writes must be waited for before the function
// returns: the final read of the results races with it otherwise.
// RUN: not braid-interp %t/unwaited-result.mlir --quiet --schedules=1 2>&1 | FileCheck %s --check-prefix=RESULT
// RESULT: error: rank {{[01]}}: race on bytes [0, 32) of %out (memref<8xf32>): 'func.return' on the host stream reads what 'linalg.copy' on stream 2 writes, and no braid.cmd.wait orders them

// ----- ordered.mlir
shard.grid @tp(shape = 4)
func.func @step(%x: memref<16x8xf32>, %w: memref<8xf32>,
                %out: memref<16x8xf32> {braid.result = 0 : i64},
                %arena: memref<4096xi8> {braid.arena}) {
  %c0 = arith.constant 0 : index
  %c512 = arith.constant 512 : index
  %a = memref.view %arena[%c0][] : memref<4096xi8> to memref<16x8xf32>
  %b = memref.view %arena[%c512][] : memref<4096xi8> to memref<16x8xf32>
  %done = braid.cmd.launch stream = 1 priority = 1 {
    braid.cmd.all_reduce %x, %a on @tp axes = [0] reduction = sum : memref<16x8xf32>, memref<16x8xf32>
  }
  braid.cmd.compute ins(%x, %w : memref<16x8xf32>, memref<8xf32>) outs(%b : memref<16x8xf32>) {
  ^bb0(%tx: tensor<16x8xf32>, %tw: tensor<8xf32>):
    %n = braid.rmsnorm %tx, %tw {epsilon = 1.0e-5 : f32} : tensor<16x8xf32>, tensor<8xf32> -> tensor<16x8xf32>
    braid.cmd.yield %n : tensor<16x8xf32>
  }
  braid.cmd.wait %done
  linalg.add ins(%a, %b : memref<16x8xf32>, memref<16x8xf32>) outs(%out : memref<16x8xf32>)
  return
}

// ----- late-wait.mlir
shard.grid @tp(shape = 4)
func.func @step(%x: memref<16x8xf32>, %w: memref<8xf32>,
                %out: memref<16x8xf32> {braid.result = 0 : i64},
                %arena: memref<4096xi8> {braid.arena}) {
  %c0 = arith.constant 0 : index
  %c512 = arith.constant 512 : index
  %a = memref.view %arena[%c0][] : memref<4096xi8> to memref<16x8xf32>
  %b = memref.view %arena[%c512][] : memref<4096xi8> to memref<16x8xf32>
  %done = braid.cmd.launch stream = 1 priority = 1 {
    braid.cmd.all_reduce %x, %a on @tp axes = [0] reduction = sum : memref<16x8xf32>, memref<16x8xf32>
  }
  braid.cmd.compute ins(%x, %w : memref<16x8xf32>, memref<8xf32>) outs(%b : memref<16x8xf32>) {
  ^bb0(%tx: tensor<16x8xf32>, %tw: tensor<8xf32>):
    %n = braid.rmsnorm %tx, %tw {epsilon = 1.0e-5 : f32} : tensor<16x8xf32>, tensor<8xf32> -> tensor<16x8xf32>
    braid.cmd.yield %n : tensor<16x8xf32>
  }
  linalg.add ins(%a, %b : memref<16x8xf32>, memref<16x8xf32>) outs(%out : memref<16x8xf32>)
  braid.cmd.wait %done
  return
}

// ----- no-wait.mlir
shard.grid @tp(shape = 4)
func.func @step(%x: memref<16x8xf32>, %w: memref<8xf32>,
                %out: memref<16x8xf32> {braid.result = 0 : i64},
                %arena: memref<4096xi8> {braid.arena}) {
  %c0 = arith.constant 0 : index
  %c512 = arith.constant 512 : index
  %a = memref.view %arena[%c0][] : memref<4096xi8> to memref<16x8xf32>
  %b = memref.view %arena[%c512][] : memref<4096xi8> to memref<16x8xf32>
  %done = braid.cmd.launch stream = 1 priority = 1 {
    braid.cmd.all_reduce %x, %a on @tp axes = [0] reduction = sum : memref<16x8xf32>, memref<16x8xf32>
  }
  braid.cmd.compute ins(%x, %w : memref<16x8xf32>, memref<8xf32>) outs(%b : memref<16x8xf32>) {
  ^bb0(%tx: tensor<16x8xf32>, %tw: tensor<8xf32>):
    %n = braid.rmsnorm %tx, %tw {epsilon = 1.0e-5 : f32} : tensor<16x8xf32>, tensor<8xf32> -> tensor<16x8xf32>
    braid.cmd.yield %n : tensor<16x8xf32>
  }
  linalg.add ins(%a, %b : memref<16x8xf32>, memref<16x8xf32>) outs(%out : memref<16x8xf32>)
  return
}

// ----- fork.mlir
shard.grid @tp(shape = 2)
func.func @main(%x: memref<8xf32>, %out: memref<8xf32> {braid.result = 0 : i64},
                %arena: memref<64xi8> {braid.arena}) {
  %c0 = arith.constant 0 : index
  %a = memref.view %arena[%c0][] : memref<64xi8> to memref<8xf32>
  linalg.copy ins(%x : memref<8xf32>) outs(%a : memref<8xf32>)
  // The host reads %a, then stream 1 overwrites it in place twice.
  linalg.copy ins(%a : memref<8xf32>) outs(%out : memref<8xf32>)
  %first = braid.cmd.launch stream = 1 {
    braid.cmd.all_reduce %a, %a on @tp axes = [0] reduction = sum : memref<8xf32>, memref<8xf32>
  }
  %second = braid.cmd.launch stream = 1 {
    linalg.add ins(%a, %a : memref<8xf32>, memref<8xf32>) outs(%a : memref<8xf32>)
  }
  braid.cmd.wait %second
  linalg.add ins(%a, %out : memref<8xf32>, memref<8xf32>) outs(%out : memref<8xf32>)
  return
}

// ----- two-streams.mlir
shard.grid @tp(shape = 2)
func.func @main(%x: memref<8xf32>, %out: memref<8xf32> {braid.result = 0 : i64},
                %arena: memref<256xi8> {braid.arena}) {
  %c64 = arith.constant 64 : index
  %c80 = arith.constant 80 : index
  %zero = arith.constant 0.0 : f32
  %a = memref.view %arena[%c64][] : memref<256xi8> to memref<8xf32>
  %b = memref.view %arena[%c80][] : memref<256xi8> to memref<4xf32>
  %x4 = memref.subview %x[0] [4] [1] : memref<8xf32> to memref<4xf32, strided<[1]>>
  %one = braid.cmd.launch stream = 1 { linalg.fill ins(%zero : f32) outs(%a : memref<8xf32>) }
  %two = braid.cmd.launch stream = 2 { linalg.copy ins(%x4 : memref<4xf32, strided<[1]>>) outs(%b : memref<4xf32>) }
  braid.cmd.wait %one
  braid.cmd.wait %two
  linalg.copy ins(%a : memref<8xf32>) outs(%out : memref<8xf32>)
  return
}

// ----- waited-streams.mlir
shard.grid @tp(shape = 2)
func.func @main(%x: memref<8xf32>, %out: memref<8xf32> {braid.result = 0 : i64},
                %arena: memref<256xi8> {braid.arena}) {
  %c64 = arith.constant 64 : index
  %c80 = arith.constant 80 : index
  %zero = arith.constant 0.0 : f32
  %a = memref.view %arena[%c64][] : memref<256xi8> to memref<8xf32>
  %b = memref.view %arena[%c80][] : memref<256xi8> to memref<4xf32>
  %x4 = memref.subview %x[0] [4] [1] : memref<8xf32> to memref<4xf32, strided<[1]>>
  %one = braid.cmd.launch stream = 1 { linalg.fill ins(%zero : f32) outs(%a : memref<8xf32>) }
  braid.cmd.wait %one
  %two = braid.cmd.launch stream = 2 { linalg.copy ins(%x4 : memref<4xf32, strided<[1]>>) outs(%b : memref<4xf32>) }
  braid.cmd.wait %two
  linalg.copy ins(%a : memref<8xf32>) outs(%out : memref<8xf32>)
  return
}

// ----- unwaited-result.mlir
shard.grid @tp(shape = 2)
func.func @main(%x: memref<8xf32>, %out: memref<8xf32> {braid.result = 0 : i64}) {
  %done = braid.cmd.launch stream = 2 {
    linalg.copy ins(%x : memref<8xf32>) outs(%out : memref<8xf32>)
  }
  return
}

// ----- overwritten-capture.mlir
shard.grid @tp(shape = 2)
func.func @main(%x: memref<8xf32>, %out: memref<8xf32> {braid.result = 0 : i64},
                %arena: memref<64xi8> {braid.arena}) {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %a = memref.view %arena[%c0][] : memref<64xi8> to memref<8xf32>
  memref.copy %x, %a : memref<8xf32> to memref<8xf32>
  %done = braid.cmd.launch stream = 1 {
    braid.cmd.all_reduce %a, %out on @tp axes = [0] reduction = sum : memref<8xf32>, memref<8xf32>
  }
  linalg.fill ins(%zero : f32) outs(%a : memref<8xf32>)
  braid.cmd.wait %done
  return
}
