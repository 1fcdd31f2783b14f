// RUN: braid-opt %s -inline | FileCheck %s

shard.grid @tp(shape = 4)

// A callee of several blocks is not inlined into a start body, which must
// stay a single block; it stays a call (and the callee stays).
// CHECK: func.func private @branchy
func.func private @branchy(%x: tensor<8xf32>, %c: i1) -> tensor<8xf32> {
  cf.cond_br %c, ^reduce, ^done(%x : tensor<8xf32>)
^reduce:
  %r = braid.all_reduce %x on @tp axes = [0] reduction = sum : tensor<8xf32>
  cf.br ^done(%r : tensor<8xf32>)
^done(%y: tensor<8xf32>):
  return %y : tensor<8xf32>
}

// CHECK-LABEL: func.func @multi_block_callee_in_start
// CHECK: braid.start stream = 1 {
// CHECK-NEXT: %[[R:.*]] = func.call @branchy
// CHECK-NEXT: braid.yield %[[R]]
func.func @multi_block_callee_in_start(%x: tensor<8xf32>, %c: i1) -> tensor<8xf32> {
  %f = braid.start stream = 1 {
    %r = func.call @branchy(%x, %c) : (tensor<8xf32>, i1) -> tensor<8xf32>
    braid.yield %r : tensor<8xf32>
  } : !braid.future<tensor<8xf32>>
  %r = braid.await %f : !braid.future<tensor<8xf32>>
  return %r : tensor<8xf32>
}

// From a function body, whose region may hold several blocks, it inlines.
// CHECK-LABEL: func.func @multi_block_callee
// CHECK-NOT: call
// CHECK: cf.cond_br
// CHECK: braid.all_reduce
func.func @multi_block_callee(%x: tensor<8xf32>, %c: i1) -> tensor<8xf32> {
  %r = func.call @branchy(%x, %c) : (tensor<8xf32>, i1) -> tensor<8xf32>
  return %r : tensor<8xf32>
}
