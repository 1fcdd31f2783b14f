// RUN: braid-opt %s -split-input-file --pass-pipeline='builtin.module(func.func(braid-keep-only{work=compute}))' | FileCheck %s --check-prefix=COMPUTE
// RUN: braid-opt %s -split-input-file --pass-pipeline='builtin.module(func.func(braid-keep-only{work=communication}))' | FileCheck %s --check-prefix=COMM

shard.grid @tp(shape = 2)

// A launched all_gather beside a host GEMM, then a reduce_scatter of an
// element-wise result. The compute-only variant keeps every computation and
// every launch, wait and copy, and drops both collectives; the
// communication-only variant keeps the collectives, launches, waits and the
// packing copy, and drops the GEMM, the fill, the layer op and the
// element-wise op.
// COMPUTE-LABEL: func.func @step
// COMPUTE-NOT: braid.cmd.all_gather
// COMPUTE: %[[DONE:.*]] = braid.cmd.launch stream = 1
// COMPUTE-NEXT: }
// COMPUTE: linalg.fill
// COMPUTE: linalg.matmul
// COMPUTE: braid.cmd.wait %[[DONE]]
// COMPUTE: braid.cmd.compute
// COMPUTE: braid.rmsnorm
// COMPUTE: memref.copy
// COMPUTE: linalg.generic
// COMPUTE-NOT: braid.cmd.reduce_scatter
// COMPUTE: return

// COMM-LABEL: func.func @step
// COMM: %[[DONE:.*]] = braid.cmd.launch stream = 1
// COMM-NEXT: braid.cmd.all_gather
// COMM-NOT: linalg.
// COMM: braid.cmd.wait %[[DONE]]
// COMM-NOT: braid.cmd.compute
// COMM: memref.copy
// COMM-NOT: linalg.generic
// COMM: braid.cmd.reduce_scatter
// COMM-NEXT: return
func.func @step(%x: memref<8x16xf32>, %w: memref<16x16xf32>, %g: memref<16xf32>,
                %gathered: memref<16x16xf32>, %acc: memref<16x16xf32>,
                %normed: memref<16x16xf32>, %packed: memref<16x16xf32>,
                %out: memref<8x16xf32>) {
  %zero = arith.constant 0.0 : f32
  %done = braid.cmd.launch stream = 1 {
    braid.cmd.all_gather %x, %gathered on @tp axes = [0] : memref<8x16xf32>, memref<16x16xf32>
  }
  linalg.fill ins(%zero : f32) outs(%acc : memref<16x16xf32>)
  linalg.matmul ins(%w, %w : memref<16x16xf32>, memref<16x16xf32>) outs(%acc : memref<16x16xf32>)
  braid.cmd.wait %done
  braid.cmd.compute ins(%gathered, %g : memref<16x16xf32>, memref<16xf32>) outs(%normed : memref<16x16xf32>) {
  ^bb0(%t: tensor<16x16xf32>, %gt: tensor<16xf32>):
    %n = braid.rmsnorm %t, %gt {epsilon = 1.0e-5 : f32} : tensor<16x16xf32>, tensor<16xf32> -> tensor<16x16xf32>
    braid.cmd.yield %n : tensor<16x16xf32>
  }
  memref.copy %normed, %packed : memref<16x16xf32> to memref<16x16xf32>
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>],
                  iterator_types = ["parallel", "parallel"]}
      ins(%acc : memref<16x16xf32>) outs(%packed : memref<16x16xf32>) {
  ^bb0(%in: f32, %o: f32):
    %s = arith.addf %in, %o : f32
    linalg.yield %s : f32
  }
  braid.cmd.reduce_scatter %packed, %out on @tp axes = [0] reduction = sum : memref<16x16xf32>, memref<8x16xf32>
  return
}

// -----

shard.grid @tp(shape = 2)

// Tensor-level programs are left alone: the variants are cut after
// bufferization, where erasing an op cannot change the rest.
// COMPUTE-LABEL: func.func @tensors
// COMPUTE: braid.all_reduce
// COMM-LABEL: func.func @tensors
// COMM: linalg.matmul
// COMM: braid.all_reduce
func.func @tensors(%a: tensor<4x4xf32>, %acc: tensor<4x4xf32>) -> tensor<4x4xf32> {
  %m = linalg.matmul ins(%a, %a : tensor<4x4xf32>, tensor<4x4xf32>) outs(%acc : tensor<4x4xf32>) -> tensor<4x4xf32>
  %r = braid.all_reduce %m on @tp axes = [0] reduction = sum : tensor<4x4xf32>
  return %r : tensor<4x4xf32>
}
