// RUN: braid-opt %s -braid-work-summary=per-op=true -verify-diagnostics -split-input-file
// RUN: braid-opt %s -braid-work-summary -split-input-file 2>&1 | FileCheck %s --check-prefix=SUMMARY

shard.grid @mesh(shape = 2x4)
shard.grid @dyn(shape = ?x4)

// SUMMARY-NOT: remark: collective:
// SUMMARY: remark: work per rank: 0 flops, 0 B read, 0 B written in 0 compute ops; 7 collectives, 172032 B payload, 126976 B on the bus; not counted (dynamic shape or group, or too large): 1 ops
// SUMMARY: note: 'braid.all_reduce' has no static work
// expected-remark @+1 {{work per rank: 0 flops, 0 B read, 0 B written in 0 compute ops; 7 collectives, 172032 B payload, 126976 B on the bus; not counted (dynamic shape or group, or too large): 1 ops}}
func.func @collectives(%x: tensor<64x128xf32>, %y: tensor<16x128xbf16>) {
  // expected-remark @+1 {{collective: group size 4, payload 32768 B, bus 49152 B, reduction sum}}
  %0 = braid.all_reduce %x on @mesh axes = [1] reduction = sum : tensor<64x128xf32>
  // expected-remark @+1 {{collective: group size 8, payload 32768 B, bus 28672 B, reduction none}}
  %1 = braid.all_gather %y on @mesh axes = [1, 0] dim = 0 : tensor<16x128xbf16> -> tensor<128x128xbf16>
  // expected-remark @+1 {{collective: group size 2, payload 32768 B, bus 16384 B, reduction min}}
  %2 = braid.reduce_scatter %x on @mesh axes = [0] dim = 0 reduction = min : tensor<64x128xf32> -> tensor<32x128xf32>
  // expected-remark @+1 {{collective: group size 4, payload 32768 B, bus 24576 B, reduction none}}
  %3 = braid.all_to_all %x on @mesh axes = [1] split_dim = 0 concat_dim = 0 : tensor<64x128xf32> -> tensor<64x128xf32>
  // expected-remark @+1 {{collective: group size 4, payload 4096 B, bus 4096 B, reduction none}}
  %4 = braid.collective_permute %y on @mesh axes = [1] pairs = [[0, 1], [1, 0]] : tensor<16x128xbf16>
  // expected-remark @+1 {{collective: group size 2, payload 4096 B, bus 4096 B, reduction none}}
  %5 = braid.broadcast %y on @mesh axes = [0] root = 1 : tensor<16x128xbf16>
  // A dynamic axis leaves the group size unknown; the payload is still known.
  // expected-note @+2 {{'braid.all_reduce' has no static work}}
  // expected-remark @+1 {{collective: group size ?, payload 32768 B, bus ? B, reduction sum}}
  %6 = braid.all_reduce %x on @dyn axes = [0] reduction = sum : tensor<64x128xf32>
  return
}

// -----

// Ops in a linalg payload are part of the linalg op's cost; tensor.empty
// does no work and is not counted.
// SUMMARY: remark: work per rank: 66016 flops, 9888 B read, 4608 B written in 5 compute ops; 0 collectives, 0 B payload, 0 B on the bus
// expected-remark @+1 {{work per rank: 66016 flops, 9888 B read, 4608 B written in 5 compute ops; 0 collectives, 0 B payload, 0 B on the bus}}
func.func @compute(%a: tensor<64x32xbf16>, %b: tensor<32x16xbf16>, %c: tensor<64x16xf32>,
                   %x: tensor<4x8xf32>, %w: tensor<8xf32>) {
  // 2*M*N*K flops; A, B (bf16) and the f32 accumulator are read.
  // expected-remark @+1 {{cost: 65536 flops, 9216 B read, 4096 B written}}
  %0 = linalg.matmul ins(%a, %b : tensor<64x32xbf16>, tensor<32x16xbf16>) outs(%c : tensor<64x16xf32>) -> tensor<64x16xf32>
  // expected-remark @+1 {{cost: 32 flops, 256 B read, 128 B written}}
  %1 = arith.mulf %x, %x : tensor<4x8xf32>
  // expected-remark @+1 {{cost: 160 flops, 128 B read, 128 B written}}
  %2 = linalg.softmax dimension(1) ins(%x : tensor<4x8xf32>) outs(%x : tensor<4x8xf32>) -> tensor<4x8xf32>
  // expected-remark @+1 {{cost: 128 flops, 160 B read, 128 B written}}
  %3 = braid.rmsnorm %x, %w : tensor<4x8xf32>, tensor<8xf32> -> tensor<4x8xf32>
  // expected-remark @+1 {{cost: 160 flops, 128 B read, 128 B written}}
  %4 = braid.activation silu %x : tensor<4x8xf32>
  // Ops that do no work get no remark.
  %5 = tensor.empty() : tensor<4x8xf32>
  return
}

// -----

// Declarations have no body to summarise.
// SUMMARY-NOT: remark: work
func.func private @external(tensor<4xf32>) -> tensor<4xf32>

// -----

// Work too large to count in int64, or on elements with no byte size, is
// reported as unknown rather than wrapped around.
// SUMMARY: remark: work per rank: 0 flops, 0 B read, 0 B written in 0 compute ops; 0 collectives, 0 B payload, 0 B on the bus; not counted
// expected-remark @+1 {{work per rank: 0 flops, 0 B read, 0 B written in 0 compute ops; 0 collectives, 0 B payload, 0 B on the bus; not counted (dynamic shape or group, or too large): 2 ops}}
func.func @uncountable(%q: tensor<1x1x1099511627776x1xf32>, %v: tensor<8xvector<4xf32>>) {
  // expected-remark @+2 {{cost: unknown (dynamic shape or too large to count)}}
  // expected-note @+1 {{'braid.attention' has no static work}}
  %0 = braid.attention %q, %q, %q {causal} : tensor<1x1x1099511627776x1xf32>, tensor<1x1x1099511627776x1xf32>, tensor<1x1x1099511627776x1xf32> -> tensor<1x1x1099511627776x1xf32>
  // expected-remark @+2 {{cost: unknown (dynamic shape or too large to count)}}
  // expected-note @+1 {{'tensor.extract_slice' has no static work}}
  %1 = tensor.extract_slice %v[0] [4] [1] : tensor<8xvector<4xf32>> to tensor<4xvector<4xf32>>
  return
}

// -----

// An additive mask costs one addition per attended pair and its bytes,
// read once whatever it broadcasts to.
// expected-remark @+1 {{work per rank: 2400 flops, 1600 B read, 512 B written in 2 compute ops}}
func.func @attention_mask(%q: tensor<1x2x4x8xf32>, %mask: tensor<1x1x4x4xf32>) {
  // expected-remark @+1 {{cost: 1184 flops, 768 B read, 256 B written}}
  %0 = braid.attention %q, %q, %q : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32> -> tensor<1x2x4x8xf32>
  // expected-remark @+1 {{cost: 1216 flops, 832 B read, 256 B written}}
  %1 = braid.attention %q, %q, %q mask %mask : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x1x4x4xf32> -> tensor<1x2x4x8xf32>
  return
}
