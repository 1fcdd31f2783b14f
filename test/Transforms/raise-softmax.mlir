// RUN: braid-opt %s -braid-raise-layer-ops | FileCheck %s
// RUN: braid-opt %s -braid-raise-layer-ops -braid-explain --mlir-print-op-on-diagnostic=false -o %t.ignored 2>&1 | FileCheck %s --check-prefix=REMARK
// RUN: braid-opt %s -braid-raise-layer-ops -o %t.mlir
// RUN: %braid-diff %s --compare=%t.mlir --tolerance-factor=4 --entry=softmax_f32
// RUN: %braid-diff %s --compare=%t.mlir --tolerance-factor=4 --entry=softmax_bf16_keepdims
// RUN: %braid-diff %s --compare=%t.mlir --exact --entry=softmax_dim0

// JAX's softmax: max (from -inf), max with -inf again, subtract, exp, sum,
// divide.
// CHECK-LABEL: func.func @softmax_f32
// CHECK-SAME: (%[[X:.*]]: tensor<4x16xf32>)
// CHECK-NEXT: %[[E:.*]] = tensor.empty() : tensor<4x16xf32>
// CHECK-NEXT: %[[Y:.*]] = linalg.softmax dimension(1) ins(%[[X]] : tensor<4x16xf32>) outs(%[[E]] : tensor<4x16xf32>) -> tensor<4x16xf32>
// CHECK-NEXT: return %[[Y]]
// REMARK-DAG: remark: raised to linalg.softmax over dim 1
func.func @softmax_f32(%x: tensor<4x16xf32>) -> tensor<4x16xf32> {
  %ninf = arith.constant 0xFF800000 : f32
  %e1 = tensor.empty() : tensor<4xf32>
  %minit = linalg.fill ins(%ninf : f32) outs(%e1 : tensor<4xf32>) -> tensor<4xf32>
  %m = linalg.reduce ins(%x : tensor<4x16xf32>) outs(%minit : tensor<4xf32>) dimensions = [1]
    (%in: f32, %acc: f32) {
      %a = arith.maximumf %in, %acc : f32
      linalg.yield %a : f32
    }
  %ninfs = arith.constant dense<0xFF800000> : tensor<4xf32>
  %m2 = arith.maximumf %ninfs, %m : tensor<4xf32>
  %e2 = tensor.empty() : tensor<4x16xf32>
  %mb = linalg.broadcast ins(%m2 : tensor<4xf32>) outs(%e2 : tensor<4x16xf32>) dimensions = [1]
  %d = arith.subf %x, %mb : tensor<4x16xf32>
  %ex = math.exp %d : tensor<4x16xf32>
  %zero = arith.constant 0.0 : f32
  %sinit = linalg.fill ins(%zero : f32) outs(%e1 : tensor<4xf32>) -> tensor<4xf32>
  %s = linalg.reduce ins(%ex : tensor<4x16xf32>) outs(%sinit : tensor<4xf32>) dimensions = [1]
    (%in: f32, %acc: f32) {
      %a = arith.addf %in, %acc : f32
      linalg.yield %a : f32
    }
  %sb = linalg.broadcast ins(%s : tensor<4xf32>) outs(%e2 : tensor<4x16xf32>) dimensions = [1]
  %y = arith.divf %ex, %sb : tensor<4x16xf32>
  return %y : tensor<4x16xf32>
}

// bf16 logits upcast, keepdims statistics (2x3x1, collapsed before the
// broadcast), result truncated: linalg.softmax in f32 between the casts.
// CHECK-LABEL: func.func @softmax_bf16_keepdims
// CHECK-SAME: (%[[XB:.*]]: tensor<2x3x8xbf16>)
// CHECK-NEXT: %[[X:.*]] = arith.extf %[[XB]]
// CHECK-NEXT: %[[E:.*]] = tensor.empty() : tensor<2x3x8xf32>
// CHECK-NEXT: %[[Y:.*]] = linalg.softmax dimension(2) ins(%[[X]] : tensor<2x3x8xf32>) outs(%[[E]] : tensor<2x3x8xf32>)
// CHECK-NEXT: %[[YB:.*]] = arith.truncf %[[Y]]
// CHECK-NEXT: return %[[YB]]
func.func @softmax_bf16_keepdims(%xb: tensor<2x3x8xbf16>) -> tensor<2x3x8xbf16> {
  %x = arith.extf %xb : tensor<2x3x8xbf16> to tensor<2x3x8xf32>
  %minit = arith.constant dense<0xFF800000> : tensor<2x3xf32>
  %m = linalg.reduce ins(%x : tensor<2x3x8xf32>) outs(%minit : tensor<2x3xf32>) dimensions = [2]
    (%in: f32, %acc: f32) {
      %a = arith.maximumf %in, %acc : f32
      linalg.yield %a : f32
    }
  %m1 = tensor.expand_shape %m [[0], [1, 2]] output_shape [2, 3, 1] : tensor<2x3xf32> into tensor<2x3x1xf32>
  %mc = tensor.collapse_shape %m1 [[0], [1, 2]] : tensor<2x3x1xf32> into tensor<2x3xf32>
  %e2 = tensor.empty() : tensor<2x3x8xf32>
  %mb = linalg.broadcast ins(%mc : tensor<2x3xf32>) outs(%e2 : tensor<2x3x8xf32>) dimensions = [2]
  %d = arith.subf %x, %mb : tensor<2x3x8xf32>
  %ex = math.exp %d : tensor<2x3x8xf32>
  %sinit = arith.constant dense<0.0> : tensor<2x3xf32>
  %s = linalg.reduce ins(%ex : tensor<2x3x8xf32>) outs(%sinit : tensor<2x3xf32>) dimensions = [2]
    (%in: f32, %acc: f32) {
      %a = arith.addf %in, %acc : f32
      linalg.yield %a : f32
    }
  %s1 = tensor.expand_shape %s [[0], [1, 2]] output_shape [2, 3, 1] : tensor<2x3xf32> into tensor<2x3x1xf32>
  %sc = tensor.collapse_shape %s1 [[0], [1, 2]] : tensor<2x3x1xf32> into tensor<2x3xf32>
  %sb = linalg.broadcast ins(%sc : tensor<2x3xf32>) outs(%e2 : tensor<2x3x8xf32>) dimensions = [2]
  %y = arith.divf %ex, %sb : tensor<2x3x8xf32>
  %yb = arith.truncf %y : tensor<2x3x8xf32> to tensor<2x3x8xbf16>
  return %yb : tensor<2x3x8xbf16>
}

// Near misses.

// CHECK-LABEL: func.func @softmax_dim0
// CHECK-NOT: linalg.softmax
// REMARK-DAG: remark: softmax over dim 0 not raised: braid ops normalise the last dim
func.func @softmax_dim0(%x: tensor<16x4xf32>) -> tensor<16x4xf32> {
  %minit = arith.constant dense<0xFF800000> : tensor<4xf32>
  %m = linalg.reduce ins(%x : tensor<16x4xf32>) outs(%minit : tensor<4xf32>) dimensions = [0]
    (%in: f32, %acc: f32) {
      %a = arith.maximumf %in, %acc : f32
      linalg.yield %a : f32
    }
  %e2 = tensor.empty() : tensor<16x4xf32>
  %mb = linalg.broadcast ins(%m : tensor<4xf32>) outs(%e2 : tensor<16x4xf32>) dimensions = [0]
  %d = arith.subf %x, %mb : tensor<16x4xf32>
  %ex = math.exp %d : tensor<16x4xf32>
  %sinit = arith.constant dense<0.0> : tensor<4xf32>
  %s = linalg.reduce ins(%ex : tensor<16x4xf32>) outs(%sinit : tensor<4xf32>) dimensions = [0]
    (%in: f32, %acc: f32) {
      %a = arith.addf %in, %acc : f32
      linalg.yield %a : f32
    }
  %sb = linalg.broadcast ins(%s : tensor<4xf32>) outs(%e2 : tensor<16x4xf32>) dimensions = [0]
  %y = arith.divf %ex, %sb : tensor<16x4xf32>
  return %y : tensor<16x4xf32>
}

// The exponentials are also returned.
// CHECK-LABEL: func.func @exp_used_twice
// CHECK-NOT: linalg.softmax
// REMARK-DAG: remark: softmax not raised: an intermediate has other users
func.func @exp_used_twice(%x: tensor<4x16xf32>) -> (tensor<4x16xf32>, tensor<4x16xf32>) {
  %minit = arith.constant dense<0xFF800000> : tensor<4xf32>
  %m = linalg.reduce ins(%x : tensor<4x16xf32>) outs(%minit : tensor<4xf32>) dimensions = [1]
    (%in: f32, %acc: f32) {
      %a = arith.maximumf %in, %acc : f32
      linalg.yield %a : f32
    }
  %e2 = tensor.empty() : tensor<4x16xf32>
  %mb = linalg.broadcast ins(%m : tensor<4xf32>) outs(%e2 : tensor<4x16xf32>) dimensions = [1]
  %d = arith.subf %x, %mb : tensor<4x16xf32>
  %ex = math.exp %d : tensor<4x16xf32>
  %sinit = arith.constant dense<0.0> : tensor<4xf32>
  %s = linalg.reduce ins(%ex : tensor<4x16xf32>) outs(%sinit : tensor<4xf32>) dimensions = [1]
    (%in: f32, %acc: f32) {
      %a = arith.addf %in, %acc : f32
      linalg.yield %a : f32
    }
  %sb = linalg.broadcast ins(%s : tensor<4xf32>) outs(%e2 : tensor<4x16xf32>) dimensions = [1]
  %y = arith.divf %ex, %sb : tensor<4x16xf32>
  return %y, %ex : tensor<4x16xf32>, tensor<4x16xf32>
}

// The maximum is taken of another tensor than the one exponentiated.
// CHECK-LABEL: func.func @max_of_other
// CHECK-NOT: linalg.softmax
// REMARK-DAG: remark: softmax not raised: the subtracted value is not the maximum of x
func.func @max_of_other(%x: tensor<4x16xf32>, %z: tensor<4x16xf32>) -> tensor<4x16xf32> {
  %minit = arith.constant dense<0xFF800000> : tensor<4xf32>
  %m = linalg.reduce ins(%z : tensor<4x16xf32>) outs(%minit : tensor<4xf32>) dimensions = [1]
    (%in: f32, %acc: f32) {
      %a = arith.maximumf %in, %acc : f32
      linalg.yield %a : f32
    }
  %e2 = tensor.empty() : tensor<4x16xf32>
  %mb = linalg.broadcast ins(%m : tensor<4xf32>) outs(%e2 : tensor<4x16xf32>) dimensions = [1]
  %d = arith.subf %x, %mb : tensor<4x16xf32>
  %ex = math.exp %d : tensor<4x16xf32>
  %sinit = arith.constant dense<0.0> : tensor<4xf32>
  %s = linalg.reduce ins(%ex : tensor<4x16xf32>) outs(%sinit : tensor<4xf32>) dimensions = [1]
    (%in: f32, %acc: f32) {
      %a = arith.addf %in, %acc : f32
      linalg.yield %a : f32
    }
  %sb = linalg.broadcast ins(%s : tensor<4xf32>) outs(%e2 : tensor<4x16xf32>) dimensions = [1]
  %y = arith.divf %ex, %sb : tensor<4x16xf32>
  return %y : tensor<4x16xf32>
}
