// What the decomposition produces covers every chunk once on every rank.
// RUN: braid-opt %S/Inputs/collective-matmul-p8.mlir -braid-decompose-collective-matmul -braid-verify-ring-coverage -o /dev/null
// RUN: braid-opt %S/Inputs/collective-matmul-p3.mlir -braid-decompose-collective-matmul -braid-verify-ring-coverage -o /dev/null
// Broken rings are refused.
// RUN: braid-opt %s -braid-verify-ring-coverage -split-input-file -verify-diagnostics -o /dev/null

shard.grid @tp(shape = 2)

// Both steps work on chunk r: chunk r + 1 is never computed.
func.func @chunk_twice(%x: tensor<3x16xf32>, %w: tensor<16x8xf32>, %init: tensor<6x8xf32>) -> tensor<6x8xf32> {
  %rank = braid.rank on @tp axes = [0] : index
  %c3 = arith.constant 3 : index
  %o = arith.muli %rank, %c3 : index
  %s0 = tensor.extract_slice %init[%o, 0] [3, 8] [1, 1] : tensor<6x8xf32> to tensor<3x8xf32>
  // expected-note @+1 {{first here}}
  %p0 = linalg.matmul {braid.ring_step = array<i64: 0, 2>} ins(%x, %w : tensor<3x16xf32>, tensor<16x8xf32>) outs(%s0 : tensor<3x8xf32>) -> tensor<3x8xf32>
  %r0 = tensor.insert_slice %p0 into %init[%o, 0] [3, 8] [1, 1] : tensor<3x8xf32> into tensor<6x8xf32>
  %x1 = braid.collective_permute %x on @tp axes = [0] pairs = [[0, 1], [1, 0]] : tensor<3x16xf32>
  %s1 = tensor.extract_slice %init[%o, 0] [3, 8] [1, 1] : tensor<6x8xf32> to tensor<3x8xf32>
  // expected-error @+1 {{rank 0 works on chunk 0 twice}}
  %p1 = linalg.matmul {braid.ring_step = array<i64: 1, 2>} ins(%x1, %w : tensor<3x16xf32>, tensor<16x8xf32>) outs(%s1 : tensor<3x8xf32>) -> tensor<3x8xf32>
  %r1 = tensor.insert_slice %p1 into %r0[%o, 0] [3, 8] [1, 1] : tensor<3x8xf32> into tensor<6x8xf32>
  return %r1 : tensor<6x8xf32>
}

// -----

shard.grid @tp(shape = 4)

// A ring step that sends from rank 3 to nobody.
func.func @lost_send(%x: tensor<3x16xf32>, %w: tensor<16x8xf32>, %init: tensor<12x8xf32>) -> tensor<3x8xf32> {
  // expected-error @+1 {{ring step does not send and receive on every one of the 4 ranks}}
  %x1 = braid.collective_permute %x on @tp axes = [0] pairs = [[0, 1], [1, 2], [2, 3]] : tensor<3x16xf32>
  %rank = braid.rank on @tp axes = [0] : index
  %c3 = arith.constant 3 : index
  %o = arith.muli %rank, %c3 : index
  %s = tensor.extract_slice %init[%o, 0] [3, 8] [1, 1] : tensor<12x8xf32> to tensor<3x8xf32>
  %p = linalg.matmul {braid.ring_step = array<i64: 0, 1>} ins(%x1, %w : tensor<3x16xf32>, tensor<16x8xf32>) outs(%s : tensor<3x8xf32>) -> tensor<3x8xf32>
  return %p : tensor<3x8xf32>
}

// -----

shard.grid @tp(shape = 2)

// A ring of two steps with one GEMM.
func.func @missing_step(%x: tensor<3x16xf32>, %w: tensor<16x8xf32>, %init: tensor<6x8xf32>) -> tensor<3x8xf32> {
  %rank = braid.rank on @tp axes = [0] : index
  %c3 = arith.constant 3 : index
  %o = arith.muli %rank, %c3 : index
  %s = tensor.extract_slice %init[%o, 0] [3, 8] [1, 1] : tensor<6x8xf32> to tensor<3x8xf32>
  // expected-error @+1 {{ring of 2 steps has 1 GEMMs}}
  %p = linalg.matmul {braid.ring_step = array<i64: 0, 2>} ins(%x, %w : tensor<3x16xf32>, tensor<16x8xf32>) outs(%s : tensor<3x8xf32>) -> tensor<3x8xf32>
  return %p : tensor<3x8xf32>
}

// -----

// expected-error @+1 {{'braid.ring_step' must be array<i64: step, steps> with 0 <= step < steps}}
func.func @bad_attr() attributes {braid.ring_step = array<i64: 3, 2>} {
  return
}
