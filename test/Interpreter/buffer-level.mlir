// A buffer-level program (functions on memrefs, braid.cmd.* on streams, an
// arena of views, what bufferization produces) runs on every rank of its
// grid, and its results equal its tensor-level form's bitwise: the buffer
// collectives are the tensor collectives on the flat contents, an inner-dim
// gather is a flat gather plus a copy through a transposed view, compute
// runs the tensor ops on buffer contents, and bf16 lives in i8 arena bytes.
// RUN: rm -rf %t && mkdir -p %t
// RUN: %python %S/Inputs/split.py %s %t
// RUN: braid-interp %t/buffers.mlir --schedules=4 --output-dir=%t/run | FileCheck %s --check-prefix=SUMMARY
// RUN: braid-interp %t/tensors.mlir --check-outputs=%t/run --exact | FileCheck %s --check-prefix=EXACT
// RUN: braid-interp %t/tensors.mlir --check-outputs=%t/run | FileCheck %s --check-prefix=CONTRACT
// --compare takes a lowering too: inputs of the same shapes, in memrefs.
// RUN: %braid-diff %t/tensors.mlir --compare=%t/buffers.mlir --exact | FileCheck %s --check-prefix=COMPARE
// RUN: not %braid-diff %t/tensors.mlir --compare=%t/fewer.mlir 2>&1 | FileCheck %s --check-prefix=FEWER
// RUN: not %braid-diff %t/tensors.mlir --compare=%t/other-input.mlir 2>&1 | FileCheck %s --check-prefix=OTHER
// COMPARE: bitwise equal on all 4 ranks
// FEWER: fewer.mlir:2:1: error: rank {{[0-3]}} has 1 results but the original has 8
// OTHER: other-input.mlir:2:1: error: input #1 is 'memref<2x4xf32>' but the original's is 'tensor<4x2xf32>'
//
// RUN: %python -c "import os, sys; d = sys.argv[1]; print(sorted(os.listdir(d)), sorted(os.listdir(d + '/rank3')))" %t/run | FileCheck %s --check-prefix=FILES

// SUMMARY: rank 3 result #7: tensor<4x8xbf16>
// FILES: ['rank0', 'rank1', 'rank2', 'rank3'] ['arg0.npy', 'arg1.npy', 'arg2.npy', 'result0.npy', 'result1.npy', 'result2.npy', 'result3.npy', 'result4.npy', 'result5.npy', 'result6.npy', 'result7.npy']
// EXACT: check-outputs: 8 results on 4 ranks of {{.*}}run meet the numerics contract (bitwise)
// CONTRACT: result #7 tensor<4x8xbf16>: relative error vs f64: interpreter {{.*}}, compiled {{.*}} (bound {{.*}} = 2.00 x max(interpreter, unit roundoff 3.906e-03))
// CONTRACT: check-outputs: 8 results on 4 ranks of {{.*}}run meet the numerics contract

// ----- tensors.mlir
shard.grid @g(shape = 2x2)
func.func @main(%x: tensor<8x4xf32>, %y: tensor<4x2xf32>, %h: tensor<4x8xbf16>)
    -> (tensor<8x4xf32>, tensor<16x4xf32>, tensor<4x4xf32>, tensor<8x4xf32>,
        tensor<8x4xf32>, tensor<8x4xf32>, tensor<4x8xf32>, tensor<4x8xbf16>) {
  %ar = braid.all_reduce %x on @g axes = [0, 1] reduction = sum : tensor<8x4xf32>
  %ag = braid.all_gather %x on @g axes = [0] dim = 0 : tensor<8x4xf32> -> tensor<16x4xf32>
  %rs = braid.reduce_scatter %x on @g axes = [1] dim = 0 reduction = max : tensor<8x4xf32> -> tensor<4x4xf32>
  %aa = braid.all_to_all %x on @g axes = [0, 1] split_dim = 0 concat_dim = 0 : tensor<8x4xf32> -> tensor<8x4xf32>
  %cp = braid.collective_permute %x on @g axes = [0, 1] pairs = [[0, 1], [1, 2], [2, 3]] : tensor<8x4xf32>
  %bc = braid.broadcast %x on @g axes = [1] root = 1 : tensor<8x4xf32>
  %inner = braid.all_gather %y on @g axes = [0, 1] dim = 1 : tensor<4x2xf32> -> tensor<4x8xf32>
  %s = braid.activation silu %h : tensor<4x8xbf16>
  %hs = braid.all_reduce %s on @g axes = [1] reduction = sum : tensor<4x8xbf16>
  return %ar, %ag, %rs, %aa, %cp, %bc, %inner, %hs
      : tensor<8x4xf32>, tensor<16x4xf32>, tensor<4x4xf32>, tensor<8x4xf32>,
        tensor<8x4xf32>, tensor<8x4xf32>, tensor<4x8xf32>, tensor<4x8xbf16>
}

// ----- buffers.mlir
shard.grid @g(shape = 2x2)
func.func @main(%x: memref<8x4xf32>, %y: memref<4x2xf32>, %h: memref<4x8xbf16>,
                %r0: memref<8x4xf32> {braid.result = 0 : i64},
                %r1: memref<16x4xf32> {braid.result = 1 : i64},
                %r2: memref<4x4xf32> {braid.result = 2 : i64},
                %r3: memref<8x4xf32> {braid.result = 3 : i64},
                %r4: memref<8x4xf32> {braid.result = 4 : i64},
                %r5: memref<8x4xf32> {braid.result = 5 : i64},
                %r6: memref<4x8xf32> {braid.result = 6 : i64},
                %r7: memref<4x8xbf16> {braid.result = 7 : i64},
                %arena: memref<1024xi8> {braid.arena}) {
  %c0 = arith.constant 0 : index
  %c128 = arith.constant 128 : index
  %c256 = arith.constant 256 : index
  // An in-place all-reduce of a copy of x in the arena, on stream 1.
  %t = memref.view %arena[%c0][] : memref<1024xi8> to memref<8x4xf32>
  memref.copy %x, %t : memref<8x4xf32> to memref<8x4xf32>
  %e1 = braid.cmd.launch stream = 1 priority = 1 {
    braid.cmd.all_reduce %t, %t on @g axes = [0, 1] reduction = sum : memref<8x4xf32>, memref<8x4xf32>
  }
  %e2 = braid.cmd.launch stream = 2 {
    braid.cmd.all_gather %x, %r1 on @g axes = [0] : memref<8x4xf32>, memref<16x4xf32>
    braid.cmd.reduce_scatter %x, %r2 on @g axes = [1] reduction = max : memref<8x4xf32>, memref<4x4xf32>
  }
  braid.cmd.all_to_all %x, %r3 on @g axes = [0, 1] : memref<8x4xf32>, memref<8x4xf32>
  braid.cmd.collective_permute %x, %r4 on @g axes = [0, 1] pairs = [0, 1, 1, 2, 2, 3] : memref<8x4xf32>, memref<8x4xf32>
  braid.cmd.broadcast %x, %r5 on @g axes = [1] root = 1 : memref<8x4xf32>, memref<8x4xf32>
  // Gather along dim 1: member i's block lands in %blocks[i], then
  // r6[r, 2i + c] = blocks[i, r, c] through a transposed view.
  %blocks = memref.view %arena[%c128][] : memref<1024xi8> to memref<4x4x2xf32>
  braid.cmd.all_gather %y, %blocks on @g axes = [0, 1] : memref<4x2xf32>, memref<4x4x2xf32>
  %byRow = memref.transpose %blocks (i, r, c) -> (r, i, c) : memref<4x4x2xf32> to memref<4x4x2xf32, strided<[2, 8, 1]>>
  %r6split = memref.expand_shape %r6 [[0], [1, 2]] output_shape [4, 4, 2] : memref<4x8xf32> into memref<4x4x2xf32>
  memref.copy %byRow, %r6split : memref<4x4x2xf32, strided<[2, 8, 1]>> to memref<4x4x2xf32>
  // bf16 in arena bytes.
  %hb = memref.view %arena[%c256][] : memref<1024xi8> to memref<4x8xbf16>
  braid.cmd.compute ins(%h : memref<4x8xbf16>) outs(%hb : memref<4x8xbf16>) {
  ^bb0(%th: tensor<4x8xbf16>):
    %s = braid.activation silu %th : tensor<4x8xbf16>
    braid.cmd.yield %s : tensor<4x8xbf16>
  }
  %e3 = braid.cmd.launch stream = 1 {
    braid.cmd.all_reduce %hb, %r7 on @g axes = [1] reduction = sum : memref<4x8xbf16>, memref<4x8xbf16>
  }
  braid.cmd.wait %e1
  memref.copy %t, %r0 : memref<8x4xf32> to memref<8x4xf32>
  braid.cmd.wait %e2
  braid.cmd.wait %e3
  return
}

// ----- fewer.mlir
shard.grid @g(shape = 2x2)
func.func @main(%x: memref<8x4xf32>, %y: memref<4x2xf32>, %h: memref<4x8xbf16>,
                %r0: memref<8x4xf32> {braid.result = 0 : i64}) {
  memref.copy %x, %r0 : memref<8x4xf32> to memref<8x4xf32>
  return
}

// ----- other-input.mlir
shard.grid @g(shape = 2x2)
func.func @main(%x: memref<8x4xf32>, %y: memref<2x4xf32>, %h: memref<4x8xbf16>) {
  return
}
