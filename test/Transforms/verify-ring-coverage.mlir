// What the decomposition produces covers every chunk once on every rank.
// RUN: braid-opt %S/Inputs/collective-matmul-p8.mlir --pass-pipeline='builtin.module(func.func(braid-decompose-collective-matmul{force=true},braid-verify-ring-coverage))' -o %t.ignored
// RUN: braid-opt %S/Inputs/collective-matmul-p3.mlir --pass-pipeline='builtin.module(func.func(braid-decompose-collective-matmul{force=true},braid-verify-ring-coverage))' -o %t.ignored
// (decompose-collective-matmul.mlir runs it after every other rewrite too.)
// Broken rings are refused.
// RUN: braid-opt %s --pass-pipeline='builtin.module(func.func(braid-verify-ring-coverage))' -split-input-file -verify-diagnostics -o %t.ignored

shard.grid @tp(shape = 2)

// Both steps work on chunk r: chunk r + 1 is never computed.
func.func @chunk_twice(%x: tensor<3x16xf32>, %w: tensor<16x8xf32>, %init: tensor<6x8xf32>) -> tensor<6x8xf32> {
  %rank = braid.rank on @tp axes = [0] : index
  %c3 = arith.constant 3 : index
  %o = arith.muli %rank, %c3 : index
  %s0 = tensor.extract_slice %init[%o, 0] [3, 8] [1, 1] : tensor<6x8xf32> to tensor<3x8xf32>
  // expected-note @+1 {{first here}}
  %p0 = linalg.matmul {braid.ring_step = array<i64: 0, 0, 2>} ins(%x, %w : tensor<3x16xf32>, tensor<16x8xf32>) outs(%s0 : tensor<3x8xf32>) -> tensor<3x8xf32>
  %r0 = tensor.insert_slice %p0 into %init[%o, 0] [3, 8] [1, 1] : tensor<3x8xf32> into tensor<6x8xf32>
  %x1 = braid.collective_permute %x on @tp axes = [0] pairs = [[0, 1], [1, 0]] : tensor<3x16xf32>
  %s1 = tensor.extract_slice %init[%o, 0] [3, 8] [1, 1] : tensor<6x8xf32> to tensor<3x8xf32>
  // expected-error @+1 {{rank 0 works on the chunk at 0 twice}}
  %p1 = linalg.matmul {braid.ring_step = array<i64: 0, 1, 2>} ins(%x1, %w : tensor<3x16xf32>, tensor<16x8xf32>) outs(%s1 : tensor<3x8xf32>) -> tensor<3x8xf32>
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
  %p = linalg.matmul {braid.ring_step = array<i64: 0, 0, 1>} ins(%x1, %w : tensor<3x16xf32>, tensor<16x8xf32>) outs(%s : tensor<3x8xf32>) -> tensor<3x8xf32>
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
  // expected-error @+1 {{ring 0 of 2 steps has 1 GEMMs}}
  %p = linalg.matmul {braid.ring_step = array<i64: 0, 0, 2>} ins(%x, %w : tensor<3x16xf32>, tensor<16x8xf32>) outs(%s : tensor<3x8xf32>) -> tensor<3x8xf32>
  return %p : tensor<3x8xf32>
}

// -----

// expected-error @+1 {{'braid.ring_step' must be array<i64: ring, step, steps> with 0 <= ring and 0 <= step < steps}}
func.func @bad_attr() attributes {braid.ring_step = array<i64: 0, 3, 2>} {
  return
}

// -----

shard.grid @tp(shape = 4)

// Chunked all-reduce pieces at constant offsets that overlap and leave rows
// 8 and 9 uncomputed.
func.func @chunks_overlap(%a: tensor<10x8xf32>, %w: tensor<8x16xf32>, %init: tensor<10x16xf32>) -> (tensor<4x16xf32>, tensor<4x16xf32>) {
  %a0 = tensor.extract_slice %a[0, 0] [4, 8] [1, 1] : tensor<10x8xf32> to tensor<4x8xf32>
  %i0 = tensor.extract_slice %init[0, 0] [4, 16] [1, 1] : tensor<10x16xf32> to tensor<4x16xf32>
  %p0 = linalg.matmul {braid.ring_step = array<i64: 5, 0, 2>} ins(%a0, %w : tensor<4x8xf32>, tensor<8x16xf32>) outs(%i0 : tensor<4x16xf32>) -> tensor<4x16xf32>
  %a1 = tensor.extract_slice %a[2, 0] [4, 8] [1, 1] : tensor<10x8xf32> to tensor<4x8xf32>
  %i1 = tensor.extract_slice %init[2, 0] [4, 16] [1, 1] : tensor<10x16xf32> to tensor<4x16xf32>
  // expected-error @+1 {{rank 0 works on overlapping chunks at 2}}
  %p1 = linalg.matmul {braid.ring_step = array<i64: 5, 1, 2>} ins(%a1, %w : tensor<4x8xf32>, tensor<8x16xf32>) outs(%i1 : tensor<4x16xf32>) -> tensor<4x16xf32>
  return %p0, %p1 : tensor<4x16xf32>, tensor<4x16xf32>
}

// -----

shard.grid @tp(shape = 2)

// A K-cut ring (wgrad) whose second step reads past the columns it cuts.
func.func @k_outside(%xt: tensor<8x6xf32>, %dy: tensor<3x16xf32>, %init: tensor<8x16xf32>) -> tensor<8x16xf32> {
  %rank = braid.rank on @tp axes = [0] : index
  %c3 = arith.constant 3 : index
  %c4 = arith.constant 4 : index
  %o0 = arith.muli %rank, %c3 : index
  %k0 = tensor.extract_slice %xt[0, %o0] [8, 3] [1, 1] : tensor<8x6xf32> to tensor<8x3xf32>
  %s0 = linalg.matmul {braid.ring_step = array<i64: 1, 0, 2>} ins(%k0, %dy : tensor<8x3xf32>, tensor<3x16xf32>) outs(%init : tensor<8x16xf32>) -> tensor<8x16xf32>
  %d1 = braid.collective_permute %dy on @tp axes = [0] pairs = [[0, 1], [1, 0]] : tensor<3x16xf32>
  %o1 = arith.addi %o0, %c4 : index
  %k1 = tensor.extract_slice %xt[0, %o1] [8, 3] [1, 1] : tensor<8x6xf32> to tensor<8x3xf32>
  // expected-error @+1 {{rank 0 works on [4, 7) outside the 6 it cuts}}
  %s1 = linalg.matmul {braid.ring_step = array<i64: 1, 1, 2>} ins(%k1, %d1 : tensor<8x3xf32>, tensor<3x16xf32>) outs(%s0 : tensor<8x16xf32>) -> tensor<8x16xf32>
  return %s1 : tensor<8x16xf32>
}
