// RUN: braid-opt %s | braid-opt | FileCheck %s
// The buffer-level op family parses, verifies and prints back.

shard.grid @tp(shape = 4)

// CHECK-LABEL: func.func @collectives
func.func @collectives(%x: memref<16x8xf32>, %g: memref<64x8xf32>,
                       %s: memref<4x8xf32>) {
  // CHECK: braid.cmd.all_reduce %{{.*}}, %{{.*}} on @tp axes = [0] reduction = sum : memref<16x8xf32>, memref<16x8xf32>
  braid.cmd.all_reduce %x, %x on @tp axes = [0] reduction = sum : memref<16x8xf32>, memref<16x8xf32>
  // CHECK: braid.cmd.all_gather
  braid.cmd.all_gather %x, %g on @tp axes = [0] : memref<16x8xf32>, memref<64x8xf32>
  // CHECK: braid.cmd.reduce_scatter
  braid.cmd.reduce_scatter %x, %s on @tp axes = [0] reduction = max : memref<16x8xf32>, memref<4x8xf32>
  // CHECK: braid.cmd.all_to_all
  braid.cmd.all_to_all %x, %x on @tp axes = [0] : memref<16x8xf32>, memref<16x8xf32>
  // CHECK: braid.cmd.collective_permute {{.*}} pairs = [0, 1, 1, 2, 2, 3, 3, 0]
  braid.cmd.collective_permute %x, %x on @tp axes = [0] pairs = [0, 1, 1, 2, 2, 3, 3, 0] : memref<16x8xf32>, memref<16x8xf32>
  // CHECK: braid.cmd.broadcast {{.*}} root = 3
  braid.cmd.broadcast %x, %x on @tp axes = [0] root = 3 : memref<16x8xf32>, memref<16x8xf32>
  return
}

// CHECK-LABEL: func.func @launch_compute_wait
func.func @launch_compute_wait(%x: memref<64x256xbf16>, %w: memref<256xbf16>,
                               %y: memref<64x256xbf16>, %r: memref<64x256xbf16>) {
  // CHECK: %[[DONE:.*]] = braid.cmd.launch stream = 1 priority = 2 {
  // CHECK-NEXT: braid.cmd.all_reduce
  // CHECK-NEXT: }
  %done = braid.cmd.launch stream = 1 priority = 2 {
    braid.cmd.all_reduce %x, %r on @tp axes = [0] reduction = sum : memref<64x256xbf16>, memref<64x256xbf16>
  }
  // CHECK: braid.cmd.compute ins(%{{.*}}, %{{.*}} : memref<64x256xbf16>, memref<256xbf16>) outs(%{{.*}} : memref<64x256xbf16>) {
  // CHECK: braid.rmsnorm
  // CHECK: braid.cmd.yield
  braid.cmd.compute ins(%x, %w : memref<64x256xbf16>, memref<256xbf16>) outs(%y : memref<64x256xbf16>) {
  ^bb0(%tx: tensor<64x256xbf16>, %tw: tensor<256xbf16>):
    %n = braid.rmsnorm %tx, %tw {epsilon = 1.0e-5 : f32} : tensor<64x256xbf16>, tensor<256xbf16> -> tensor<64x256xbf16>
    braid.cmd.yield %n : tensor<64x256xbf16>
  }
  // CHECK: braid.cmd.wait %[[DONE]]
  braid.cmd.wait %done
  return
}
