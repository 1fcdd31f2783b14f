// RUN: braid-opt %s --pass-pipeline='builtin.module(func.func(braid-mark-inputs-read-only))' | FileCheck %s
// Tensor arguments become read-only for bufferization; others are left alone.

// CHECK-LABEL: func.func @step
// CHECK-SAME: %{{.*}}: tensor<8xf32> {bufferization.writable = false}
// CHECK-SAME: %{{.*}}: index)
func.func @step(%x: tensor<8xf32>, %n: index) -> tensor<8xf32> {
  return %x : tensor<8xf32>
}
