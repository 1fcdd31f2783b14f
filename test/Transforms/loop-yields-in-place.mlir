// RUN: braid-opt %s --pass-pipeline='builtin.module(func.func(braid-loop-yields-in-place))' | FileCheck %s
// RUN: braid-opt %s -braid-buffer-pipeline -o %t.buffers.mlir 2> /dev/null
// RUN: FileCheck %s --check-prefix=BUFFERS < %t.buffers.mlir
// The lowered loops compute what the tensor forms do.
// RUN: %braid-diff %s --compare=%t.buffers.mlir --entry=counted
// RUN: %braid-diff %s --compare=%t.buffers.mlir --entry=data_dependent
// Without the pass One-Shot Bufferize refuses the loops.
// RUN: not braid-opt %s --pass-pipeline='builtin.module(one-shot-bufferize{bufferize-function-boundaries})' -o %t.refused.mlir 2>&1 | FileCheck %s --check-prefix=REFUSED
// REFUSED: error: Yield operand #0 is not equivalent to the corresponding iter bbArg

// A counted loop whose new value is computed into a fresh tensor: written
// back into the iteration argument. The value yielded unchanged stays.
// CHECK-LABEL: func.func @counted
// CHECK: scf.for {{.*}} iter_args(%[[A:.*]] = %{{.*}}, %[[B:.*]] = %{{.*}})
// CHECK: %[[NEW:.*]] = arith.mulf %[[A]], %[[A]]
// CHECK: %[[W:.*]] = bufferization.materialize_in_destination %[[NEW]] in %[[A]] : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
// CHECK-NEXT: scf.yield %[[W]], %[[B]] : tensor<8xf32>, tensor<8xf32>
// The loop carries its value in one buffer (the copy of the read-only
// argument), the product is a temporary of the body copied back.
// BUFFERS-LABEL: func.func @counted
// BUFFERS: memref.copy %arg0, %[[CARRIED:.*]] : memref<8xf32> to memref<8xf32>
// BUFFERS: scf.for
// BUFFERS: %[[TEMP:.*]] = memref.view
// BUFFERS: linalg.generic {{.*}} ins(%[[CARRIED]] : memref<8xf32>) outs(%[[TEMP]] : memref<8xf32>)
// BUFFERS: memref.copy %[[TEMP]], %[[CARRIED]]
func.func @counted(%x: tensor<8xf32>, %y: tensor<8xf32>) -> (tensor<8xf32>, tensor<8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  %r:2 = scf.for %i = %c0 to %c3 step %c1 iter_args(%a = %x, %b = %y) -> (tensor<8xf32>, tensor<8xf32>) {
    %new = arith.mulf %a, %a : tensor<8xf32>
    scf.yield %new, %b : tensor<8xf32>, tensor<8xf32>
  }
  %s = arith.addf %r#0, %r#1 : tensor<8xf32>
  return %r#0, %s : tensor<8xf32>, tensor<8xf32>
}

// A data-dependent loop (JAX's while_loop): the after region's new values
// go back into its arguments; the condition forwards its arguments as they
// are.
// CHECK-LABEL: func.func @data_dependent
// CHECK: scf.while
// CHECK: scf.condition(%{{.*}}) %{{.*}}, %{{.*}} : tensor<f32>, tensor<i32>
// CHECK: ^bb0(%[[V:.*]]: tensor<f32>, %[[N:.*]]: tensor<i32>):
// CHECK: %[[HALF:.*]] = arith.mulf %[[V]]
// CHECK: %[[NEXT:.*]] = arith.addi %[[N]]
// CHECK: %[[W0:.*]] = bufferization.materialize_in_destination %[[HALF]] in %[[V]]
// CHECK: %[[W1:.*]] = bufferization.materialize_in_destination %[[NEXT]] in %[[N]]
// CHECK: scf.yield %[[W0]], %[[W1]]
// BUFFERS-LABEL: func.func @data_dependent
// BUFFERS: scf.while
// BUFFERS: } do {
// BUFFERS: memref.copy
func.func @data_dependent(%x: tensor<f32>) -> (tensor<f32>, tensor<i32>) {
  %zero = arith.constant dense<0> : tensor<i32>
  %r:2 = scf.while (%v = %x, %n = %zero) : (tensor<f32>, tensor<i32>) -> (tensor<f32>, tensor<i32>) {
    %limit = arith.constant dense<0.01> : tensor<f32>
    %more = arith.cmpf ogt, %v, %limit : tensor<f32>
    %c = tensor.extract %more[] : tensor<i1>
    scf.condition(%c) %v, %n : tensor<f32>, tensor<i32>
  } do {
  ^bb0(%v: tensor<f32>, %n: tensor<i32>):
    %half = arith.constant dense<0.5> : tensor<f32>
    %one = arith.constant dense<1> : tensor<i32>
    %h = arith.mulf %v, %half : tensor<f32>
    %m = arith.addi %n, %one : tensor<i32>
    scf.yield %h, %m : tensor<f32>, tensor<i32>
  }
  return %r#0, %r#1 : tensor<f32>, tensor<i32>
}
