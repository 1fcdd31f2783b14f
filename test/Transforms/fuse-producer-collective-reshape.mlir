// A reshape between a producer and its all_reduce (JAX reshapes a matmul's
// [B*S, D] result to [B, S, D] before its psum) moves below the
// collective, so the matmul and its epilogue feed it and are fused.
// Without fusion (trigger=never) nothing
// moves; a reshape of something other than a producer chain stays.
// RUN: braid-opt %s --pass-pipeline='builtin.module(func.func(braid-fuse-producer-collective{trigger=chunk}))' -braid-explain --mlir-print-op-on-diagnostic=false -o %t.fused.mlir 2>&1 | FileCheck %s --check-prefix=REMARK
// RUN: FileCheck %s < %t.fused.mlir
// The move alone is bitwise (the plan without the rewrite); the fused
// ring folds partial sums in ring order, within the numerics contract.
// RUN: braid-opt %s --pass-pipeline='builtin.module(func.func(braid-fuse-producer-collective{trigger=chunk plan-only=1}))' -o %t.moved.mlir
// RUN: %braid-diff %s --compare=%t.moved.mlir --exact --entry=psum
// RUN: %braid-diff %s --compare=%t.moved.mlir --exact --entry=flattened
// RUN: %braid-diff %s --compare=%t.fused.mlir --entry=psum
// RUN: %braid-diff %s --compare=%t.fused.mlir --entry=flattened
// RUN: braid-opt %s --pass-pipeline='builtin.module(func.func(braid-fuse-producer-collective{trigger=never}))' | FileCheck %s --check-prefix=NEVER
// REMARK: remark: moved its input's tensor.expand_shape below it, so its producer feeds it
// REMARK: remark: fused with #braid.trigger<chunk, count = 4> in ring order
// REMARK: remark: moved its input's tensor.collapse_shape below it, so its producer feeds it
// REMARK: remark: fused with #braid.trigger<chunk, count = 4> in ring order
// REMARK: remark: not fused: its input is computed by 'tensor.expand_shape', which is neither a contraction nor element-wise on one

shard.grid @tp(shape = 4)

// CHECK-LABEL: func.func @psum
// CHECK:      %[[F:.*]] = braid.fused_collective trigger = #braid.trigger<chunk, count = 4> order = ring {
// CHECK-NEXT:   linalg.matmul
// CHECK-NEXT:   %[[T:.*]] = arith.truncf
// CHECK-NEXT:   %[[S:.*]] = braid.all_reduce %[[T]] on @tp axes = [0] reduction = sum : tensor<16x8xbf16>
// CHECK-NEXT:   braid.yield %[[S]]
// CHECK:      %[[E:.*]] = tensor.expand_shape %[[F]] {{\[\[}}0, 1], [2]] output_shape [2, 8, 8]
// CHECK:      return %[[E]]
// NEVER-LABEL: func.func @psum
// NEVER: tensor.expand_shape
// NEVER-NEXT: braid.all_reduce
func.func @psum(%x: tensor<16x32xbf16>, %w: tensor<32x8xbf16>) -> tensor<2x8x8xbf16> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<16x8xf32>
  %c = linalg.fill ins(%zero : f32) outs(%e : tensor<16x8xf32>) -> tensor<16x8xf32>
  %y = linalg.matmul ins(%x, %w : tensor<16x32xbf16>, tensor<32x8xbf16>) outs(%c : tensor<16x8xf32>) -> tensor<16x8xf32>
  %t = arith.truncf %y : tensor<16x8xf32> to tensor<16x8xbf16>
  %r = tensor.expand_shape %t [[0, 1], [2]] output_shape [2, 8, 8] : tensor<16x8xbf16> into tensor<2x8x8xbf16>
  %s = braid.all_reduce %r on @tp axes = [0] reduction = sum : tensor<2x8x8xbf16>
  return %s : tensor<2x8x8xbf16>
}

// CHECK-LABEL: func.func @flattened
// CHECK:      %[[F:.*]] = braid.fused_collective
// CHECK:        braid.all_reduce %{{.*}} : tensor<8x16xf32>
// CHECK:      tensor.collapse_shape %[[F]] {{\[\[}}0, 1]] : tensor<8x16xf32> into tensor<128xf32>
func.func @flattened(%x: tensor<8x4xf32>, %w: tensor<4x16xf32>, %c: tensor<8x16xf32>) -> tensor<128xf32> {
  %y = linalg.matmul ins(%x, %w : tensor<8x4xf32>, tensor<4x16xf32>) outs(%c : tensor<8x16xf32>) -> tensor<8x16xf32>
  %r = tensor.collapse_shape %y [[0, 1]] : tensor<8x16xf32> into tensor<128xf32>
  %s = braid.all_reduce %r on @tp axes = [0] reduction = sum : tensor<128xf32>
  return %s : tensor<128xf32>
}

// A reshape of a function argument: no producer to fuse, nothing moves.
// CHECK-LABEL: func.func @no_producer
// CHECK: tensor.expand_shape
// CHECK-NEXT: braid.all_reduce
func.func @no_producer(%x: tensor<16x8xf32>) -> tensor<2x8x8xf32> {
  %r = tensor.expand_shape %x [[0, 1], [2]] output_shape [2, 8, 8] : tensor<16x8xf32> into tensor<2x8x8xf32>
  %s = braid.all_reduce %r on @tp axes = [0] reduction = sum : tensor<2x8x8xf32>
  return %s : tensor<2x8x8xf32>
}
