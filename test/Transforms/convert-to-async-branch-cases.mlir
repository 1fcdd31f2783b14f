// Which branches convert-to-async moves to a stream of their own, and which
// it refuses, once per reason: the pass decides each without walking a
// branch further than the first op that refuses it, and without walking
// the other operands' branches again for every join; these cases pin the
// decisions to those of the plain definition (a branch feeding only its
// join, disjoint from the other operands' branches, free of side effects,
// communicating on exactly one communicator and computing, beside another
// operand whose branch computes).
// RUN: braid-opt %s --pass-pipeline='builtin.module(braid-convert-to-async)' -braid-explain -verify-diagnostics | FileCheck %s

shard.grid @tp(shape = 4x2)
func.func private @opaque(tensor<8x8xf32>) -> tensor<8x8xf32>

// The reference case: the all_reduce of one matmul beside another.
// CHECK-LABEL: func.func @moved
// CHECK: braid.start stream = 1 {
// CHECK-NEXT: linalg.fill
// CHECK-NEXT: linalg.matmul
// CHECK-NEXT: braid.all_reduce
func.func @moved(%x: tensor<8x8xf32>, %w1: tensor<8x8xf32>, %w2: tensor<8x8xf32>) -> tensor<8x8xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<8x8xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<8x8xf32>) -> tensor<8x8xf32>
  %p = linalg.matmul ins(%x, %w1 : tensor<8x8xf32>, tensor<8x8xf32>) outs(%z : tensor<8x8xf32>) -> tensor<8x8xf32>
  // expected-remark @+1 {{moved a branch of 3 ops communicating on @tp axes [0] to stream 1}}
  %r = braid.all_reduce %p on @tp axes = [0] reduction = sum : tensor<8x8xf32>
  %z2 = linalg.fill ins(%zero : f32) outs(%e : tensor<8x8xf32>) -> tensor<8x8xf32>
  %h = linalg.matmul ins(%x, %w2 : tensor<8x8xf32>, tensor<8x8xf32>) outs(%z2 : tensor<8x8xf32>) -> tensor<8x8xf32>
  %d = braid.activation silu %h : tensor<8x8xf32>
  %out = arith.addf %d, %r : tensor<8x8xf32>
  return %out : tensor<8x8xf32>
}

// The branch reads an op the other operand reads too: only the collective
// becomes asynchronous.
// CHECK-LABEL: func.func @shared_producer
// CHECK: linalg.matmul
// CHECK-NEXT: braid.start stream = 1 {
// CHECK-NEXT: braid.all_reduce
// CHECK-NEXT: braid.yield
func.func @shared_producer(%x: tensor<8x8xf32>, %w1: tensor<8x8xf32>, %w2: tensor<8x8xf32>) -> tensor<8x8xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<8x8xf32>
  %t = braid.activation gelu %x : tensor<8x8xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<8x8xf32>) -> tensor<8x8xf32>
  %p = linalg.matmul ins(%t, %w1 : tensor<8x8xf32>, tensor<8x8xf32>) outs(%z : tensor<8x8xf32>) -> tensor<8x8xf32>
  %r = braid.all_reduce %p on @tp axes = [0] reduction = sum : tensor<8x8xf32>
  %z2 = linalg.fill ins(%zero : f32) outs(%e : tensor<8x8xf32>) -> tensor<8x8xf32>
  %h = linalg.matmul ins(%t, %w2 : tensor<8x8xf32>, tensor<8x8xf32>) outs(%z2 : tensor<8x8xf32>) -> tensor<8x8xf32>
  %d = braid.activation silu %h : tensor<8x8xf32>
  %out = arith.addf %d, %r : tensor<8x8xf32>
  return %out : tensor<8x8xf32>
}

// The other operand's producer feeds the branch (and nothing else but the
// join): the branches meet.
// CHECK-LABEL: func.func @other_operand_inside
// CHECK: linalg.matmul
// CHECK-NEXT: braid.start stream = 1 {
// CHECK-NEXT: braid.all_reduce
func.func @other_operand_inside(%x: tensor<8x8xf32>, %w: tensor<8x8xf32>) -> tensor<8x8xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<8x8xf32>
  %a = braid.activation gelu %x : tensor<8x8xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<8x8xf32>) -> tensor<8x8xf32>
  %p = linalg.matmul ins(%a, %w : tensor<8x8xf32>, tensor<8x8xf32>) outs(%z : tensor<8x8xf32>) -> tensor<8x8xf32>
  %r = braid.all_reduce %p on @tp axes = [0] reduction = sum : tensor<8x8xf32>
  %out = arith.addf %a, %r : tensor<8x8xf32>
  return %out : tensor<8x8xf32>
}

// Two communicators in one branch: neither stream could take it whole.
// CHECK-LABEL: func.func @two_communicators
// CHECK: braid.start stream = 2 {
// CHECK-NEXT: braid.all_reduce {{.*}} axes = [1]
// CHECK: linalg.matmul
// CHECK-NEXT: braid.start stream = 1 {
// CHECK-NEXT: braid.all_reduce {{.*}} axes = [0]
func.func @two_communicators(%x: tensor<8x8xf32>, %w1: tensor<8x8xf32>, %w2: tensor<8x8xf32>) -> tensor<8x8xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<8x8xf32>
  %s = braid.all_reduce %x on @tp axes = [1] reduction = sum : tensor<8x8xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<8x8xf32>) -> tensor<8x8xf32>
  %p = linalg.matmul ins(%s, %w1 : tensor<8x8xf32>, tensor<8x8xf32>) outs(%z : tensor<8x8xf32>) -> tensor<8x8xf32>
  %r = braid.all_reduce %p on @tp axes = [0] reduction = sum : tensor<8x8xf32>
  %z2 = linalg.fill ins(%zero : f32) outs(%e : tensor<8x8xf32>) -> tensor<8x8xf32>
  %h = linalg.matmul ins(%x, %w2 : tensor<8x8xf32>, tensor<8x8xf32>) outs(%z2 : tensor<8x8xf32>) -> tensor<8x8xf32>
  %d = braid.activation silu %h : tensor<8x8xf32>
  %out = arith.addf %d, %r : tensor<8x8xf32>
  return %out : tensor<8x8xf32>
}

// The branch needs a call with side effects: it stays in program order.
// CHECK-LABEL: func.func @side_effect_in_branch
// CHECK: call @opaque
// CHECK: linalg.matmul
// CHECK-NEXT: braid.start stream = 1 {
// CHECK-NEXT: braid.all_reduce
func.func @side_effect_in_branch(%x: tensor<8x8xf32>, %w1: tensor<8x8xf32>, %w2: tensor<8x8xf32>) -> tensor<8x8xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<8x8xf32>
  %c = func.call @opaque(%x) : (tensor<8x8xf32>) -> tensor<8x8xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<8x8xf32>) -> tensor<8x8xf32>
  %p = linalg.matmul ins(%c, %w1 : tensor<8x8xf32>, tensor<8x8xf32>) outs(%z : tensor<8x8xf32>) -> tensor<8x8xf32>
  %r = braid.all_reduce %p on @tp axes = [0] reduction = sum : tensor<8x8xf32>
  %z2 = linalg.fill ins(%zero : f32) outs(%e : tensor<8x8xf32>) -> tensor<8x8xf32>
  %h = linalg.matmul ins(%x, %w2 : tensor<8x8xf32>, tensor<8x8xf32>) outs(%z2 : tensor<8x8xf32>) -> tensor<8x8xf32>
  %d = braid.activation silu %h : tensor<8x8xf32>
  %out = arith.addf %d, %r : tensor<8x8xf32>
  return %out : tensor<8x8xf32>
}

// The other operand only moves data; what it moves was computed further
// back: that compute is what the branch hides behind.
// CHECK-LABEL: func.func @compute_further_back
// CHECK: braid.start stream = 1 {
// CHECK-NEXT: linalg.fill
// CHECK-NEXT: linalg.matmul
// CHECK-NEXT: braid.all_reduce
func.func @compute_further_back(%x: tensor<8x8xf32>, %w1: tensor<8x8xf32>, %w2: tensor<8x8xf32>) -> tensor<8x8xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<8x8xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<8x8xf32>) -> tensor<8x8xf32>
  %p = linalg.matmul ins(%x, %w1 : tensor<8x8xf32>, tensor<8x8xf32>) outs(%z : tensor<8x8xf32>) -> tensor<8x8xf32>
  // expected-remark @+1 {{moved a branch of 3 ops communicating on @tp axes [0] to stream 1}}
  %r = braid.all_reduce %p on @tp axes = [0] reduction = sum : tensor<8x8xf32>
  %d = braid.activation silu %x : tensor<8x8xf32>
  %wide = tensor.expand_shape %d [[0, 1], [2]] output_shape [2, 4, 8] : tensor<8x8xf32> into tensor<2x4x8xf32>
  %back = tensor.collapse_shape %wide [[0, 1], [2]] : tensor<2x4x8xf32> into tensor<8x8xf32>
  %out = arith.addf %back, %r : tensor<8x8xf32>
  return %out : tensor<8x8xf32>
}

// The other operand computes, but only from a call with side effects:
// nothing runs beside the branch.
// CHECK-LABEL: func.func @side_effect_beside
// CHECK: linalg.matmul
// CHECK-NEXT: braid.start stream = 1 {
// CHECK-NEXT: braid.all_reduce
func.func @side_effect_beside(%x: tensor<8x8xf32>, %w1: tensor<8x8xf32>) -> tensor<8x8xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<8x8xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<8x8xf32>) -> tensor<8x8xf32>
  %p = linalg.matmul ins(%x, %w1 : tensor<8x8xf32>, tensor<8x8xf32>) outs(%z : tensor<8x8xf32>) -> tensor<8x8xf32>
  %r = braid.all_reduce %p on @tp axes = [0] reduction = sum : tensor<8x8xf32>
  %c = func.call @opaque(%x) : (tensor<8x8xf32>) -> tensor<8x8xf32>
  %d = braid.activation silu %c : tensor<8x8xf32>
  %out = arith.addf %d, %r : tensor<8x8xf32>
  return %out : tensor<8x8xf32>
}

// Two joins in a row: the first moves its branch; the second join's other
// operand then reads that branch's start, which holds a collective, so the
// second branch has nothing it may run beside.
// CHECK-LABEL: func.func @after_a_move
// CHECK: braid.start stream = 1 {
// CHECK-NEXT: linalg.fill
// CHECK-NEXT: linalg.matmul
// CHECK-NEXT: braid.all_reduce
// CHECK: linalg.matmul
// CHECK-NEXT: braid.start stream = 1 {
// CHECK-NEXT: braid.all_reduce
// CHECK-NEXT: braid.yield
func.func @after_a_move(%x: tensor<8x8xf32>, %w1: tensor<8x8xf32>, %w3: tensor<8x8xf32>) -> tensor<8x8xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<8x8xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<8x8xf32>) -> tensor<8x8xf32>
  %p = linalg.matmul ins(%x, %w1 : tensor<8x8xf32>, tensor<8x8xf32>) outs(%z : tensor<8x8xf32>) -> tensor<8x8xf32>
  // expected-remark @+1 {{moved a branch of 3 ops communicating on @tp axes [0] to stream 1}}
  %r = braid.all_reduce %p on @tp axes = [0] reduction = sum : tensor<8x8xf32>
  %d = braid.activation silu %x : tensor<8x8xf32>
  %j = arith.addf %d, %r : tensor<8x8xf32>
  %z3 = linalg.fill ins(%zero : f32) outs(%e : tensor<8x8xf32>) -> tensor<8x8xf32>
  %p3 = linalg.matmul ins(%x, %w3 : tensor<8x8xf32>, tensor<8x8xf32>) outs(%z3 : tensor<8x8xf32>) -> tensor<8x8xf32>
  %r3 = braid.all_reduce %p3 on @tp axes = [0] reduction = sum : tensor<8x8xf32>
  %out = arith.addf %j, %r3 : tensor<8x8xf32>
  return %out : tensor<8x8xf32>
}

// A return is a join too: the branch moves and is awaited before it.
// CHECK-LABEL: func.func @return_is_a_join
// CHECK: braid.start stream = 1 {
// CHECK-NEXT: linalg.fill
// CHECK-NEXT: linalg.matmul
// CHECK-NEXT: braid.all_reduce
// CHECK: braid.activation silu
// CHECK-NEXT: %[[A:.*]] = braid.await
// CHECK-NEXT: return %{{.*}}, %[[A]], %{{.*}} :
func.func @return_is_a_join(%x: tensor<8x8xf32>, %w1: tensor<8x8xf32>, %w2: tensor<8x8xf32>) -> (tensor<8x8xf32>, tensor<8x8xf32>, tensor<8x8xf32>) {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<8x8xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<8x8xf32>) -> tensor<8x8xf32>
  %p = linalg.matmul ins(%x, %w1 : tensor<8x8xf32>, tensor<8x8xf32>) outs(%z : tensor<8x8xf32>) -> tensor<8x8xf32>
  // expected-remark @+1 {{moved a branch of 3 ops communicating on @tp axes [0] to stream 1}}
  %r = braid.all_reduce %p on @tp axes = [0] reduction = sum : tensor<8x8xf32>
  %d = braid.activation silu %x : tensor<8x8xf32>
  return %d, %r, %x : tensor<8x8xf32>, tensor<8x8xf32>, tensor<8x8xf32>
}

// Two operands of the join come from one op: each operand's branch holds
// the other's producer.
// CHECK-LABEL: func.func @two_results_of_one_op
// CHECK: linalg.matmul
// CHECK-NEXT: braid.start stream = 1 {
// CHECK-NEXT: braid.all_reduce
// CHECK-NEXT: braid.yield
func.func @two_results_of_one_op(%x: tensor<8x8xf32>, %w1: tensor<8x8xf32>) -> (tensor<8x8xf32>, tensor<8x1xf32>, tensor<8x1xi32>) {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<8x8xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<8x8xf32>) -> tensor<8x8xf32>
  %p = linalg.matmul ins(%x, %w1 : tensor<8x8xf32>, tensor<8x8xf32>) outs(%z : tensor<8x8xf32>) -> tensor<8x8xf32>
  %r = braid.all_reduce %p on @tp axes = [0] reduction = sum : tensor<8x8xf32>
  %wt, %ids = braid.moe_gate %r {k = 1 : i64} : tensor<8x8xf32> -> tensor<8x1xf32>, tensor<8x1xi32>
  %d = braid.activation silu %x : tensor<8x8xf32>
  return %d, %wt, %ids : tensor<8x8xf32>, tensor<8x1xf32>, tensor<8x1xi32>
}
