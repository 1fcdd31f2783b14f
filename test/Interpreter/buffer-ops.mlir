// memref and bufferization ops on one rank equal their tensor-level forms
// bitwise: alloc/dealloc, strided subview, collapse_shape, reinterpret_cast,
// load/store in loops, a constant memref.global, to_tensor/to_buffer and
// linalg (named, generic) and linalg.softmax on buffers.
// RUN: rm -rf %t && mkdir -p %t
// RUN: %python %S/Inputs/split.py %s %t
// RUN: braid-interp %t/buffers.mlir --quiet --output-dir=%t/run
// RUN: braid-interp %t/tensors.mlir --check-outputs=%t/run --exact | FileCheck %s
// The f64 reference run of the buffers keeps every value unrounded too
// (.npy files hold f32: compare the printed summaries, 9 digits).
// RUN: braid-interp %t/buffers.mlir --f64 --schedules=1 > %t/buffers-f64.txt
// RUN: braid-interp %t/tensors.mlir --f64 --schedules=1 > %t/tensors-f64.txt
// RUN: diff %t/buffers-f64.txt %t/tensors-f64.txt
// RUN: braid-interp %t/buffers.mlir --schedules=1 > %t/buffers-f32.txt
// RUN: not diff %t/buffers-f64.txt %t/buffers-f32.txt
// CHECK: check-outputs: 7 results on 1 ranks of {{.*}} meet the numerics contract (bitwise)

// ----- tensors.mlir
func.func @main(%x: tensor<4x6xf32>, %w: tensor<6x3xf32>, %h: tensor<4x6xbf16>)
    -> (tensor<4x3xf32>, tensor<2x3xf32>, tensor<24xf32>, tensor<4xf32>,
        tensor<3xi32>, tensor<4x6xbf16>, tensor<4x6xf32>) {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x3xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<4x3xf32>) -> tensor<4x3xf32>
  %mm = linalg.matmul ins(%x, %w : tensor<4x6xf32>, tensor<6x3xf32>) outs(%init : tensor<4x3xf32>) -> tensor<4x3xf32>
  %s = tensor.extract_slice %x[0, 1] [2, 3] [2, 2] : tensor<4x6xf32> to tensor<2x3xf32>
  %c = tensor.collapse_shape %x [[0, 1]] : tensor<4x6xf32> into tensor<24xf32>
  %e4 = tensor.empty() : tensor<4xf32>
  %z4 = linalg.fill ins(%zero : f32) outs(%e4 : tensor<4xf32>) -> tensor<4xf32>
  %rows = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i)>],
                          iterator_types = ["parallel", "reduction"]}
      ins(%x : tensor<4x6xf32>) outs(%z4 : tensor<4xf32>) {
  ^bb0(%v: f32, %acc: f32):
    %n = arith.addf %acc, %v : f32
    linalg.yield %n : f32
  } -> tensor<4xf32>
  %g = arith.constant dense<[1, 2, 3]> : tensor<3xi32>
  %one = arith.constant dense<1> : tensor<3xi32>
  %ids = arith.addi %g, %one : tensor<3xi32>
  %hh = arith.mulf %h, %h : tensor<4x6xbf16>
  %e46 = tensor.empty() : tensor<4x6xf32>
  %sm = linalg.softmax dimension(0) ins(%x : tensor<4x6xf32>) outs(%e46 : tensor<4x6xf32>) -> tensor<4x6xf32>
  return %mm, %s, %c, %rows, %ids, %hh, %sm
      : tensor<4x3xf32>, tensor<2x3xf32>, tensor<24xf32>, tensor<4xf32>,
        tensor<3xi32>, tensor<4x6xbf16>, tensor<4x6xf32>
}

// ----- buffers.mlir
memref.global "private" constant @ids : memref<3xi32> = dense<[1, 2, 3]>
func.func @main(%x: memref<4x6xf32>, %w: memref<6x3xf32>, %h: memref<4x6xbf16>,
                %r0: memref<4x3xf32> {braid.result = 0 : i64},
                %r1: memref<2x3xf32> {braid.result = 1 : i64},
                %r2: memref<24xf32> {braid.result = 2 : i64},
                %r3: memref<4xf32> {braid.result = 3 : i64},
                %r4: memref<3xi32> {braid.result = 4 : i64},
                %r5: memref<4x6xbf16> {braid.result = 5 : i64},
                %r6: memref<4x6xf32> {braid.result = 6 : i64}) {
  %zero = arith.constant 0.0 : f32
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c6 = arith.constant 6 : index
  %acc = memref.alloc() : memref<4x3xf32>
  linalg.fill ins(%zero : f32) outs(%acc : memref<4x3xf32>)
  linalg.matmul ins(%x, %w : memref<4x6xf32>, memref<6x3xf32>) outs(%acc : memref<4x3xf32>)
  memref.copy %acc, %r0 : memref<4x3xf32> to memref<4x3xf32>
  memref.dealloc %acc : memref<4x3xf32>
  %s = memref.subview %x[0, 1] [2, 3] [2, 2] : memref<4x6xf32> to memref<2x3xf32, strided<[12, 2], offset: 1>>
  memref.copy %s, %r1 : memref<2x3xf32, strided<[12, 2], offset: 1>> to memref<2x3xf32>
  %c = memref.collapse_shape %x [[0, 1]] : memref<4x6xf32> into memref<24xf32>
  memref.copy %c, %r2 : memref<24xf32> to memref<24xf32>
  scf.for %i = %c0 to %c4 step %c1 {
    %sum = scf.for %j = %c0 to %c6 step %c1 iter_args(%a = %zero) -> (f32) {
      %v = memref.load %x[%i, %j] : memref<4x6xf32>
      %n = arith.addf %a, %v : f32
      scf.yield %n : f32
    }
    memref.store %sum, %r3[%i] : memref<4xf32>
  }
  %g = memref.get_global @ids : memref<3xi32>
  %gt = bufferization.to_tensor %g : memref<3xi32> to tensor<3xi32>
  %one = arith.constant dense<1> : tensor<3xi32>
  %sum = arith.addi %gt, %one : tensor<3xi32>
  %sb = bufferization.to_buffer %sum : tensor<3xi32> to memref<3xi32>
  %flat = memref.reinterpret_cast %sb to offset: [0], sizes: [3], strides: [1] : memref<3xi32> to memref<3xi32, strided<[1]>>
  memref.copy %flat, %r4 : memref<3xi32, strided<[1]>> to memref<3xi32>
  linalg.mul ins(%h, %h : memref<4x6xbf16>, memref<4x6xbf16>) outs(%r5 : memref<4x6xbf16>)
  linalg.softmax dimension(0) ins(%x : memref<4x6xf32>) outs(%r6 : memref<4x6xf32>)
  return
}
