// Measured fits in a profile (what braid-calibrate writes): per collective
// and group size on a link, per op and element type for kernels. They
// replace the generic model where they apply and only there.
// RUN: braid-opt %s -braid-set-target=profile=%S/Inputs/measured-fits.json -braid-estimate=per-op=1 --mlir-print-op-on-diagnostic=false -o %t.mlir 2>&1 | FileCheck %s
// rmsnorm f32: 2 us + (2 x 64 x 512 + 512) x 4 B / 1 GB/s.
// CHECK: remark: predicted 266.192 us on stream 0: 264192 B, 131072 flops: measured fit
// all_reduce over 2: 10 us + 131072 B / 1 GB/s.
// CHECK: remark: predicted 141.072 us on stream 0: 131072 B over 2 ranks, measured fit on the inter-node link
// all_gather has no fit: the link's ring model.
// CHECK: remark: predicted 1173.611 us on stream 0: 262144 B over 2 ranks, ring on the inter-node link
// attention by FLOPs: 2 heads x 256 pairs x 37 / 1 GFLOP/s.
// CHECK: remark: predicted 18.944 us on stream 0: 4096 B, 18944 flops: measured fit
// rmsnorm on bf16 has no fit: the streaming model.
// CHECK: remark: predicted 15.107 us on stream 0: 132096 B, 131072 flops: compute-bound
// CHECK: remark: estimate on measured-fits: sequential 1614.926 us

// The fits go inline with the rest of the file's numbers, and the inline
// target estimates the same.
// RUN: FileCheck %s --check-prefix=INLINE < %t.mlir
// INLINE: kernels = {braid.attention = {f32 = {flop_rate = 1.000000e+09 : f64, latency = 0.000000e+00 : f64}}, braid.rmsnorm = {f32 = {bandwidth = 1.000000e+09 : f64, latency = 2.000000e-06 : f64}}}
// INLINE: collectives = {all_reduce = {"2" = {bandwidth = 1.000000e+09 : f64, latency = 1.000000e-05 : f64}}}
// RUN: braid-opt %t.mlir -braid-estimate 2>&1 > /dev/null | FileCheck %s --check-prefix=SAME
// SAME: remark: estimate on measured-fits: sequential 1614.926 us

shard.grid @g(shape = 2)
func.func @main(%x: tensor<64x512xf32>, %w: tensor<512xf32>, %q: tensor<1x2x16x8xf32>, %k: tensor<1x2x16x8xf32>, %v: tensor<1x2x16x8xf32>, %b: tensor<64x512xbf16>, %bw: tensor<512xbf16>) -> (tensor<64x512xf32>, tensor<128x512xf32>, tensor<1x2x16x8xf32>, tensor<64x512xbf16>) {
  %n = braid.rmsnorm %x, %w : tensor<64x512xf32>, tensor<512xf32> -> tensor<64x512xf32>
  %r = braid.all_reduce %n on @g axes = [0] reduction = sum : tensor<64x512xf32>
  %a = braid.all_gather %n on @g axes = [0] dim = 0 : tensor<64x512xf32> -> tensor<128x512xf32>
  %o = braid.attention %q, %k, %v : tensor<1x2x16x8xf32>, tensor<1x2x16x8xf32>, tensor<1x2x16x8xf32> -> tensor<1x2x16x8xf32>
  %nb = braid.rmsnorm %b, %bw : tensor<64x512xbf16>, tensor<512xbf16> -> tensor<64x512xbf16>
  return %r, %a, %o, %nb : tensor<64x512xf32>, tensor<128x512xf32>, tensor<1x2x16x8xf32>, tensor<64x512xbf16>
}

// Mistakes in the file are errors naming the file and the entry.
// RUN: sed -e 's/"all_reduce"/"all_sum"/' %S/Inputs/measured-fits.json > %t.kind.json
// RUN: not braid-opt %s -braid-set-target=profile=%t.kind.json 2>&1 | FileCheck %s --check-prefix=KIND
// KIND: kind.json: 'inter_node.collectives.all_sum' is not a collective (use all_reduce, all_gather, reduce_scatter, all_to_all, collective_permute, broadcast)
// RUN: sed -e 's/"2": {"latency"/"1": {"latency"/' %S/Inputs/measured-fits.json > %t.group.json
// RUN: not braid-opt %s -braid-set-target=profile=%t.group.json 2>&1 | FileCheck %s --check-prefix=GROUP
// GROUP: group.json: 'inter_node.collectives.all_reduce.1': group sizes are integers of at least 2
// RUN: sed -e 's/"latency": {"value": 1e-05, "source": "test"}/"latency": {"value": 1e-05}/' %S/Inputs/measured-fits.json > %t.source.json
// RUN: not braid-opt %s -braid-set-target=profile=%t.source.json 2>&1 | FileCheck %s --check-prefix=SOURCE
// SOURCE: source.json: 'inter_node.collectives.all_reduce.2.latency' has no source
// RUN: sed -e 's/"bandwidth": {"value": 1e9, "source": "test"}}}$/"bandwidth": {"value": 0, "source": "test"}}}/' %S/Inputs/measured-fits.json > %t.zero.json
// RUN: not braid-opt %s -braid-set-target=profile=%t.zero.json 2>&1 | FileCheck %s --check-prefix=ZERO
// ZERO: zero.json: 'inter_node.collectives.all_reduce.2': latency must be >= 0 and bandwidth > 0
// RUN: sed -e 's/"braid.rmsnorm"/"rmsnorm"/' %S/Inputs/measured-fits.json > %t.op.json
// RUN: not braid-opt %s -braid-set-target=profile=%t.op.json 2>&1 | FileCheck %s --check-prefix=OPNAME
// OPNAME: op.json: 'compute.kernels.rmsnorm': kernels are named by their op, e.g. braid.rmsnorm
// RUN: sed -e 's/"flop_rate"/"flops"/' %S/Inputs/measured-fits.json > %t.rate.json
// RUN: not braid-opt %s -braid-set-target=profile=%t.rate.json 2>&1 | FileCheck %s --check-prefix=RATE
// RATE: rate.json: 'compute.kernels.braid.attention.f32' needs a bandwidth or a flop_rate

// And in inline parameters, errors on the module.
// RUN: not braid-opt %S/Inputs/target-measured-bad.mlir -split-input-file -braid-estimate 2>&1 | FileCheck %s --check-prefix=INLINE-BAD
// INLINE-BAD: error: #braid.target: 'all_sum' in 'collectives' is not a collective
// INLINE-BAD: error: #braid.target: collective fits are keyed by group sizes of at least 2, not 'two'
// INLINE-BAD: error: #braid.target: kernel fits are keyed by op names such as braid.rmsnorm, not 'rmsnorm'
// INLINE-BAD: error: #braid.target: 'collectives' takes a dictionary, not a value
// INLINE-BAD: error: #braid.target: unknown parameter 'rate' in 'kernel_fit'
// An inline fit over a named profile is used.
// RUN: braid-opt %S/Inputs/target-measured-inline.mlir -braid-estimate=per-op=1 --mlir-print-op-on-diagnostic=false 2>&1 > /dev/null | FileCheck %s --check-prefix=INLINE-FIT
// INLINE-FIT: remark: predicted 141.072 us on stream 0: 131072 B over 2 ranks, measured fit on the inter-node link
