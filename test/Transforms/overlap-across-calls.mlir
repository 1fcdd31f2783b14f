// A 2-layer model written as one function per layer (matmul -> all_reduce
// -> elementwise) has nothing to overlap inside a layer: the layer's own
// GEMMs all feed its all_reduce. Layer 2's side GEMM (the projection of a
// context input every layer reads) is independent of layer 1's all_reduce,
// but it lives in another call. Inlined, the scheduler hides layer 1's
// all_reduce behind it, across the layer boundary.
// RUN: braid-opt %s --pass-pipeline='builtin.module(braid-overlap-pipeline{decompose=0 explain=1})' --mlir-print-op-on-diagnostic=false -o %t.calls.mlir 2>&1 | FileCheck %s --check-prefix=CALLS-EXPLAIN
// RUN: FileCheck %s --check-prefix=CALLS < %t.calls.mlir
// RUN: braid-opt %s --pass-pipeline='builtin.module(inline,braid-overlap-pipeline{decompose=0 explain=1})' --mlir-print-op-on-diagnostic=false -o %t.inlined.mlir 2>&1 | FileCheck %s --check-prefix=EXPLAIN
// RUN: FileCheck %s < %t.inlined.mlir
// The same computation, bit for bit, on every rank under several
// interleavings of ranks and streams.
// RUN: %braid-diff %s --compare=%t.inlined.mlir --exact
// RUN: %braid-diff %s --compare=%t.calls.mlir --exact

// Per function, each all_reduce is issued where written with nothing to
// hide behind.
// CALLS-EXPLAIN: remark: issued where written; hides 0.000 us of {{.*}} exposed
// CALLS-EXPLAIN-NOT: remark
// CALLS-LABEL: func.func private @layer
// CALLS: braid.start
// CALLS-NEXT: braid.all_reduce
// CALLS-NEXT: braid.yield
// CALLS-NEXT: }
// CALLS-NEXT: braid.await
// CALLS-LABEL: func.func @two_layers
// CALLS: call @layer
// CALLS: call @layer

// Inlined, layer 1's all_reduce (called from the first call) is hidden;
// layer 2's has nothing after it.
// EXPLAIN: remark: issued where written; hides [[HIDDEN:[0-9.]+]] us of [[HIDDEN]] us behind compute{{$}}
// EXPLAIN: note: called from
// EXPLAIN-NEXT: %y1 = func.call @layer
// EXPLAIN: remark: issued where written; hides 0.000 us of {{.*}} exposed
// EXPLAIN: note: called from
// EXPLAIN-NEXT: %y2 = func.call @layer

// CHECK-LABEL: func.func @two_layers
// CHECK-SAME: (%[[X:[a-z0-9]+]]: tensor<64x256xf32>, %[[C:[a-z0-9]+]]: tensor<64x256xf32>, %[[W1:[a-z0-9]+]]: tensor<256x256xf32>, %[[WC1:[a-z0-9]+]]: tensor<256x256xf32>, %[[W2:[a-z0-9]+]]: tensor<256x256xf32>, %[[WC2:[a-z0-9]+]]: tensor<256x256xf32>)
// CHECK-NOT: call
// CHECK: %[[G1:.*]] = linalg.matmul ins(%[[C]], %[[WC1]]
// CHECK: %[[H1:.*]] = linalg.matmul ins(%[[X]], %[[W1]] {{.*}} outs(%[[G1]]
// CHECK: %[[F1:.*]] = braid.start stream = 1
// CHECK-NEXT: braid.all_reduce %[[H1]]
// Layer 2's side GEMM runs while layer 1's all_reduce is in flight.
// CHECK: %[[G2:.*]] = linalg.matmul ins(%[[C]], %[[WC2]]
// CHECK: %[[R1:.*]] = braid.await %[[F1]]
// CHECK: %[[Y1:.*]] = math.tanh %[[R1]]
// CHECK: %[[H2:.*]] = linalg.matmul ins(%[[Y1]], %[[W2]] {{.*}} outs(%[[G2]]
// CHECK: braid.all_reduce %[[H2]]
// CHECK-NOT: func.func private @layer

shard.grid @tp(shape = 4)

// One layer: y = tanh(all_reduce(x · w + c · wc)), the context projection
// c · wc accumulated into first.
func.func private @layer(%x: tensor<64x256xf32>, %c: tensor<64x256xf32>, %w: tensor<256x256xf32>, %wc: tensor<256x256xf32>) -> tensor<64x256xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<64x256xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<64x256xf32>) -> tensor<64x256xf32>
  %g = linalg.matmul ins(%c, %wc : tensor<64x256xf32>, tensor<256x256xf32>) outs(%init : tensor<64x256xf32>) -> tensor<64x256xf32>
  %h = linalg.matmul ins(%x, %w : tensor<64x256xf32>, tensor<256x256xf32>) outs(%g : tensor<64x256xf32>) -> tensor<64x256xf32>
  %r = braid.all_reduce %h on @tp axes = [0] reduction = sum : tensor<64x256xf32>
  %y = math.tanh %r : tensor<64x256xf32>
  return %y : tensor<64x256xf32>
}

func.func @two_layers(%x: tensor<64x256xf32>, %c: tensor<64x256xf32>, %w1: tensor<256x256xf32>, %wc1: tensor<256x256xf32>, %w2: tensor<256x256xf32>, %wc2: tensor<256x256xf32>) -> tensor<64x256xf32> {
  %y1 = func.call @layer(%x, %c, %w1, %wc1) : (tensor<64x256xf32>, tensor<64x256xf32>, tensor<256x256xf32>, tensor<256x256xf32>) -> tensor<64x256xf32>
  %y2 = func.call @layer(%y1, %c, %w2, %wc2) : (tensor<64x256xf32>, tensor<64x256xf32>, tensor<256x256xf32>, tensor<256x256xf32>) -> tensor<64x256xf32>
  return %y2 : tensor<64x256xf32>
}
