// Braid ops inline: upstream `inline` moves callees holding collectives,
// ranks, layer ops and start/await pairs into their callers, and inlines
// calls inside a braid.start body when the callee is one block.
// RUN: braid-opt %s -inline -o %t.mlir
// RUN: FileCheck %s < %t.mlir
// The inlined program computes the same, bit for bit, on every rank.
// RUN: %braid-diff %s --compare=%t.mlir --exact --entry=collectives
// RUN: %braid-diff %s --compare=%t.mlir --exact --entry=start_await
// RUN: %braid-diff %s --compare=%t.mlir --exact --entry=call_in_start

shard.grid @tp(shape = 4)

func.func private @gather_and_reduce(%x: tensor<4x8xf32>) -> (tensor<16x8xf32>, index) {
  %g = braid.all_gather %x on @tp axes = [0] dim = 0 : tensor<4x8xf32> -> tensor<16x8xf32>
  %r = braid.all_reduce %g on @tp axes = [0] reduction = max : tensor<16x8xf32>
  %rank = braid.rank on @tp axes = [0] : index
  return %r, %rank : tensor<16x8xf32>, index
}

// CHECK-LABEL: func.func @collectives
// CHECK-NOT: call
// CHECK: braid.all_gather
// CHECK: braid.all_reduce
// CHECK: braid.rank
// CHECK: braid.swiglu
func.func @collectives(%x: tensor<4x8xf32>) -> (tensor<16x8xf32>, index) {
  %r, %rank = func.call @gather_and_reduce(%x) : (tensor<4x8xf32>) -> (tensor<16x8xf32>, index)
  %s = func.call @swiglu(%r) : (tensor<16x8xf32>) -> tensor<16x8xf32>
  return %s, %rank : tensor<16x8xf32>, index
}

func.func private @swiglu(%x: tensor<16x8xf32>) -> tensor<16x8xf32> {
  %y = braid.swiglu %x, %x : tensor<16x8xf32>
  return %y : tensor<16x8xf32>
}

// A start/await pair in the callee: the start's body comes along, reading
// the caller's value.
func.func private @async_reduce(%x: tensor<8xf32>) -> tensor<8xf32> {
  %f = braid.start stream = 1 priority = 3 {
    %r = braid.all_reduce %x on @tp axes = [0] reduction = sum : tensor<8xf32>
    braid.yield %r : tensor<8xf32>
  } : !braid.future<tensor<8xf32>>
  %e = math.exp %x : tensor<8xf32>
  %r = braid.await %f : !braid.future<tensor<8xf32>>
  %y = arith.addf %r, %e : tensor<8xf32>
  return %y : tensor<8xf32>
}

// CHECK-LABEL: func.func @start_await
// CHECK-SAME: (%[[X:[a-z0-9]+]]: tensor<8xf32>)
// CHECK-NEXT: %[[Y:.*]] = arith.mulf %[[X]], %[[X]]
// CHECK-NEXT: %[[F:.*]] = braid.start stream = 1 priority = 3 {
// CHECK-NEXT:   %[[R:.*]] = braid.all_reduce %[[Y]] on @tp
// CHECK-NEXT:   braid.yield %[[R]]
// CHECK-NEXT: }
// CHECK-NEXT: math.exp %[[Y]]
// CHECK-NEXT: braid.await %[[F]]
// CHECK-NOT: call
func.func @start_await(%x: tensor<8xf32>) -> tensor<8xf32> {
  %y = arith.mulf %x, %x : tensor<8xf32>
  %z = func.call @async_reduce(%y) : (tensor<8xf32>) -> tensor<8xf32>
  return %z : tensor<8xf32>
}

// A call inside a start body is inlined there: the body stays one block
// (the inliner's canonicalization then hoists the constant above it).
func.func private @scaled_reduce(%x: tensor<8xf32>) -> tensor<8xf32> {
  %two = arith.constant dense<2.0> : tensor<8xf32>
  %y = arith.mulf %x, %two : tensor<8xf32>
  %r = braid.all_reduce %y on @tp axes = [0] reduction = sum : tensor<8xf32>
  return %r : tensor<8xf32>
}

// CHECK-LABEL: func.func @call_in_start
// CHECK: braid.start stream = 1 {
// CHECK-NEXT: arith.mulf
// CHECK-NEXT: %[[R:.*]] = braid.all_reduce
// CHECK-NEXT: braid.yield %[[R]]
// CHECK-NOT: call
func.func @call_in_start(%x: tensor<8xf32>) -> tensor<8xf32> {
  %f = braid.start stream = 1 {
    %r = func.call @scaled_reduce(%x) : (tensor<8xf32>) -> tensor<8xf32>
    braid.yield %r : tensor<8xf32>
  } : !braid.future<tensor<8xf32>>
  %r = braid.await %f : !braid.future<tensor<8xf32>>
  return %r : tensor<8xf32>
}
