// Malformed input gives a located error and a non-zero exit, never a crash.
// RUN: not braid-opt %s -split-input-file 2>&1 | FileCheck %s

shard.grid @tp(shape = 4)
func.func @f(%x: tensor<4xf32>) {
  // CHECK: parse-errors.mlir:[[# @LINE + 1]]:{{[0-9]+}}: error: expected '['
  %0 = braid.collective_permute %x on @tp axes = [0] pairs = [0, 1] : tensor<4xf32>
  return
}

// -----

func.func @f(%x: tensor<4xf32>) {
  // CHECK: parse-errors.mlir:[[# @LINE + 1]]:{{[0-9]+}}: error: custom op 'braid.all_reduce' expected string or keyword containing one of the following enum values for attribute 'reduction' [sum, prod, min, max, and, or, xor]
  %0 = braid.all_reduce %x on @tp axes = [0] reduction = mean : tensor<4xf32>
  return
}

// -----

func.func @f(%x: tensor<4xf32>) {
  // CHECK: parse-errors.mlir:[[# @LINE + 1]]:{{[0-9]+}}: error: unbalanced '<' character in pretty dialect name
  %f = braid.start { braid.yield %x : tensor<4xf32> } : !braid.future<tensor<4xf32>
  return
}

// -----

func.func @f(%x: tensor<4xf32>) {
  // CHECK: parse-errors.mlir:[[# @LINE + 1]]:{{[0-9]+}}: error: custom op 'braid.activation' expected string or keyword containing one of the following enum values for attribute 'kind' [silu, gelu, gelu_tanh, relu, sigmoid]
  %0 = braid.activation swish %x : tensor<4xf32>
  return
}

// -----

// CHECK: parse-errors.mlir:[[# @LINE + 1]]:{{[0-9]+}}: error: expected integer value
shard.grid @g(shape = 2x2) {braid.device_order = #braid.device_order<[a]>}

// -----

// An await whose results disagree with its future.
func.func @f(%x: tensor<4xf32>) {
  %f = braid.start { braid.yield %x : tensor<4xf32> } : !braid.future<tensor<4xf32>>
  // CHECK: parse-errors.mlir:[[# @LINE + 1]]:{{[0-9]+}}: error: 'braid.await' op inferred type(s) 'tensor<4xf32>' are incompatible with return type(s) of operation 'tensor<8xf32>'
  %v = "braid.await"(%f) : (!braid.future<tensor<4xf32>>) -> tensor<8xf32>
  return
}
