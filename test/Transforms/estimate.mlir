// RUN: braid-opt %s -braid-estimate=per-op=true -split-input-file -verify-diagnostics -o %t.ignored
// The same program costs differently on another machine.
// RUN: braid-opt %s -braid-set-target=profile=a100-sxm-x8 -braid-estimate -split-input-file -o %t.ignored 2>&1 | FileCheck %s --check-prefix=A100
// A timeline for Perfetto: valid Chrome trace JSON, a track per stream per rank.
// RUN: rm -f %t.json && braid-opt %S/Inputs/estimate-overlap.mlir -braid-estimate="trace=%t.json" -o %t.ignored
// RUN: %python %S/Inputs/check_trace.py %t.json
// Bad profiles are clear errors.
// RUN: not braid-opt %s -split-input-file -braid-set-target=profile=tpu-v9 -braid-estimate -o %t.ignored 2>&1 | FileCheck %s --check-prefix=MISSING
// RUN: %python -c "open('%t.bad.json','w').write('{\"name\": \"x\", \"devices_per_node\": 8, \"compute\": {\"peak_flops\": {\"bf16\": {\"value\": 1}}}}')"
// RUN: not braid-opt %s -split-input-file -braid-set-target="profile=%t.bad.json" -braid-estimate -o %t.ignored 2>&1 | FileCheck %s --check-prefix=NOSOURCE

// A100: remark: estimate on a100-sxm-x8: sequential
// MISSING: error: no hardware profile named 'tpu-v9' in {{.*}}share/braid/profiles, {{.*}}bench/profiles (use a name from there or a path to a .json file)
// NOSOURCE: error: {{.*}}bad.json: 'compute.peak_flops.bf16' has no source

shard.grid @tp(shape = 8)

// Hand-checked on h100-sxm-x8 (bench/profiles/h100-sxm-x8.json):
//   fill of 4 MiB: 4194304 B / (3.35 TB/s x 0.88) + 5 us launch = 6.423 us
//   all_reduce of 8 MiB over 8 ranks, ring: 3 us launch + 14 x 1.64 us
//     + 2 * 7/8 * 8388608 B / 370 GB/s = 3 + 22.96 + 39.676 = 65.636 us
//   gemm 1024x1024x1024 bf16: 64 tiles in 1 wave, each 2*128*128*1024 flops
//     at 989e12/132 x 0.8565 = 5.229 us, + 6.93 us = 12.159 us (176.6 TFLOP/s,
//     the cuBLAS point the profile was fitted to)
// expected-remark @+1 {{estimate on h100-sxm-x8: sequential 84.217 us, scheduled 84.217 us; compute 18.582 us, communication 65.636 us, exposed 65.636 us, ideal 65.636 us}}
func.func @sync(%a: tensor<1024x1024xbf16>, %b: tensor<1024x1024xbf16>, %x: tensor<1024x2048xf32>) -> (tensor<1024x1024xf32>, tensor<1024x2048xf32>) {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1024x1024xf32>
  // expected-remark @+1 {{predicted 6.423 us on stream 0: 4194304 B, 0 flops: memory-bound}}
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<1024x1024xf32>) -> tensor<1024x1024xf32>
  // expected-remark @+1 {{predicted 65.636 us on stream 0: 8388608 B over 8 ranks, ring on the intra-node link}}
  %r = braid.all_reduce %x on @tp axes = [0] reduction = sum : tensor<1024x2048xf32>
  // expected-remark @+1 {{predicted 12.159 us on stream 0: gemm 1024x1024x1024: 64 tiles in 1 waves on 132 SMs, compute-bound}}
  %m = linalg.matmul ins(%a, %b : tensor<1024x1024xbf16>, tensor<1024x1024xbf16>) outs(%init : tensor<1024x1024xf32>) -> tensor<1024x1024xf32>
  return %m, %r : tensor<1024x1024xf32>, tensor<1024x2048xf32>
}

// -----

shard.grid @tp(shape = 8)

// The all_reduce on its own stream overlaps the fill and the GEMM: the
// scheduled step is the communication alone, and what the GEMMs cannot hide
// is exposed. 8 x 1024^2 GEMMs of 64 tiles each still fit one wave on the
// 116 SMs left while NCCL holds 16.
// expected-remark @+1 {{estimate on h100-sxm-x8: sequential 84.217 us, scheduled 65.636 us; compute 18.582 us, communication 65.636 us, exposed 47.054 us, ideal 65.636 us}}
func.func @overlapped(%a: tensor<1024x1024xbf16>, %b: tensor<1024x1024xbf16>, %x: tensor<1024x2048xf32>) -> (tensor<1024x1024xf32>, tensor<1024x2048xf32>) {
  %zero = arith.constant 0.0 : f32
  %f = braid.start stream = 1 {
    // expected-remark @+1 {{predicted 65.636 us on stream 1}}
    %r = braid.all_reduce %x on @tp axes = [0] reduction = sum : tensor<1024x2048xf32>
    braid.yield %r : tensor<1024x2048xf32>
  } : !braid.future<tensor<1024x2048xf32>>
  %e = tensor.empty() : tensor<1024x1024xf32>
  // expected-remark @+1 {{predicted 6.423 us on stream 0}}
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<1024x1024xf32>) -> tensor<1024x1024xf32>
  // expected-remark @+1 {{predicted 12.159 us on stream 0: gemm 1024x1024x1024: 64 tiles in 1 waves on 116 SMs, compute-bound}}
  %m = linalg.matmul ins(%a, %b : tensor<1024x1024xbf16>, tensor<1024x1024xbf16>) outs(%init : tensor<1024x1024xf32>) -> tensor<1024x1024xf32>
  %r = braid.await %f : !braid.future<tensor<1024x2048xf32>>
  return %m, %r : tensor<1024x1024xf32>, tensor<1024x2048xf32>
}

// -----

// On two nodes of eight, a group spanning nodes rides InfiniBand; a group
// inside a node rides NVLink. Across 16 ranks a small all_reduce takes the
// tree (3 + 2 x 4 x 5.6 us = 47.8 us, the 47.6 us the link was fitted to);
// between 2 ranks ring and tree take the same steps and ring moves less.
shard.grid @mesh(shape = 2x8)

// expected-remark @+1 {{estimate on h100-sxm-x8}}
func.func @links(%x: tensor<1024xf32>) -> (tensor<1024xf32>, tensor<1024xf32>, tensor<1024xf32>) {
  // expected-remark @+1 {{over 8 ranks, ring on the intra-node link}}
  %intra = braid.all_reduce %x on @mesh axes = [1] reduction = sum : tensor<1024xf32>
  // expected-remark @+1 {{predicted 14.287 us on stream 0: 4096 B over 2 ranks, ring on the inter-node link}}
  %pair = braid.all_reduce %x on @mesh axes = [0] reduction = sum : tensor<1024xf32>
  // expected-remark @+1 {{predicted 47.974 us on stream 0: 4096 B over 16 ranks, tree on the inter-node link}}
  %all = braid.all_reduce %x on @mesh axes = [0, 1] reduction = sum : tensor<1024xf32>
  return %intra, %pair, %all : tensor<1024xf32>, tensor<1024xf32>, tensor<1024xf32>
}

// -----

// A measured time replaces the prediction; a dynamic shape cannot be costed.
// expected-remark @+1 {{estimate on h100-sxm-x8: sequential 42.000 us}}
func.func @measured(%x: tensor<64x64xf32>, %y: tensor<?x64xf32>) -> (tensor<64x64xf32>, tensor<?x64xf32>) {
  // expected-remark @+1 {{predicted 42.000 us on stream 0: measured}}
  %0 = math.exp %x {braid.measured_time_us = 42.0 : f64} : tensor<64x64xf32>
  // expected-remark @+1 {{not costed: its work depends on a dynamic shape}}
  %1 = math.exp %y : tensor<?x64xf32>
  return %0, %1 : tensor<64x64xf32>, tensor<?x64xf32>
}

// -----

// Twelve ranks on nodes of eight: axis 1's first group {0..5} sits on node
// 0, but {6..11} spans both nodes, and the slowest group sets the pace.
shard.grid @g(shape = 2x6)
// expected-remark @+1 {{estimate on h100-sxm-x8}}
func.func @straddling(%x: tensor<1024xf32>) -> tensor<1024xf32> {
  // expected-remark @+1 {{over 6 ranks, tree on the inter-node link}}
  %r = braid.all_reduce %x on @g axes = [1] reduction = sum : tensor<1024xf32>
  return %r : tensor<1024xf32>
}
