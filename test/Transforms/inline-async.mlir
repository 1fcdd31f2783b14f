// RUN: braid-opt %s -braid-inline-async -split-input-file | FileCheck %s

shard.grid @tp(shape = 4)

// The body runs where the start stood; awaits read its values.
// CHECK-LABEL: func.func @collective_and_compute
// CHECK-SAME: (%[[X:.*]]: tensor<8x8xf32>)
func.func @collective_and_compute(%x: tensor<8x8xf32>) -> (tensor<8x8xf32>, tensor<8x8xf32>) {
  // CHECK-NEXT: %[[R:.*]] = braid.all_reduce %[[X]] on @tp axes = [0] reduction = sum
  // CHECK-NEXT: %[[E:.*]] = tensor.empty()
  // CHECK-NEXT: %[[M:.*]] = linalg.matmul ins(%[[X]], %[[X]] {{.*}} outs(%[[E]]
  // CHECK-NEXT: %[[S:.*]] = arith.addf %[[R]], %[[M]]
  // CHECK-NEXT: return %[[S]], %[[R]]
  %f = braid.start stream = 1 priority = 1 {
    %r = braid.all_reduce %x on @tp axes = [0] reduction = sum : tensor<8x8xf32>
    braid.yield %r : tensor<8x8xf32>
  } : !braid.future<tensor<8x8xf32>>
  %e = tensor.empty() : tensor<8x8xf32>
  %m = linalg.matmul ins(%x, %x : tensor<8x8xf32>, tensor<8x8xf32>) outs(%e : tensor<8x8xf32>) -> tensor<8x8xf32>
  %v = braid.await %f : !braid.future<tensor<8x8xf32>>
  %s = arith.addf %v, %m : tensor<8x8xf32>
  return %s, %v : tensor<8x8xf32>, tensor<8x8xf32>
}

// -----

// Several results, an await used twice, and a start awaited for ordering only.
// CHECK-LABEL: func.func @multi
// CHECK-SAME: (%[[X:.*]]: tensor<4xf32>)
func.func @multi(%x: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
  // CHECK-NOT: braid.start
  // CHECK-NOT: braid.await
  // CHECK: %[[A:.*]] = math.exp %[[X]]
  // CHECK: %[[B:.*]] = math.log %[[X]]
  // CHECK: return %[[B]], %[[A]]
  %f = braid.start {
    %a = math.exp %x : tensor<4xf32>
    %b = math.log %x : tensor<4xf32>
    braid.yield %a, %b : tensor<4xf32>, tensor<4xf32>
  } : !braid.future<tensor<4xf32>, tensor<4xf32>>
  %g = braid.start stream = 2 {
  } : !braid.future<>
  braid.await %g : !braid.future<>
  %v:2 = braid.await %f : !braid.future<tensor<4xf32>, tensor<4xf32>>
  return %v#1, %v#0 : tensor<4xf32>, tensor<4xf32>
}

// -----

// Starts nested inside loops are inlined too; the loop stays.
// CHECK-LABEL: func.func @in_loop
func.func @in_loop(%x: tensor<4xf32>, %n: index) -> tensor<4xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  // CHECK: scf.for
  // CHECK-NEXT: math.exp
  // CHECK-NEXT: scf.yield
  %r = scf.for %i = %c0 to %n step %c1 iter_args(%acc = %x) -> tensor<4xf32> {
    %f = braid.start {
      %e = math.exp %acc : tensor<4xf32>
      braid.yield %e : tensor<4xf32>
    } : !braid.future<tensor<4xf32>>
    %v = braid.await %f : !braid.future<tensor<4xf32>>
    scf.yield %v : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}
