// The target is set once, on the module, and every pass reads it there.
// RUN: braid-opt %s -braid-set-target=profile=cpu-1gbe | FileCheck %s --check-prefix=NAMED
// NAMED: module attributes {braid.target = #braid.target<"cpu-1gbe">}

// A profile file outside the search path: its numbers go inline, so the IR
// alone says the machine, and the estimate is made on it.
// RUN: mkdir -p %t.profiles
// RUN: sed -e 's/"name": "cpu-1gbe"/"name": "my-cluster"/' %braid_src_root/bench/profiles/cpu-1gbe.json > %t.profiles/my-cluster.json
// RUN: braid-opt %s -braid-set-target=profile=%t.profiles/my-cluster.json -o %t.inline.mlir
// RUN: FileCheck %s --check-prefix=INLINE < %t.inline.mlir
// INLINE: braid.target = #braid.target<"my-cluster", {compute = {
// INLINE-SAME: num_sms = 2.000000e+00 : f64
// INLINE-SAME: links = {collective_launch = 1.000000e-05 : f64
// RUN: braid-opt %t.inline.mlir -braid-estimate 2>&1 >/dev/null | FileCheck %s --check-prefix=INLINE-EST
// RUN: braid-opt %s -braid-set-target=profile=cpu-1gbe -braid-estimate 2>&1 >/dev/null | FileCheck %s --check-prefix=INLINE-EST
// INLINE-EST: estimate on {{my-cluster|cpu-1gbe}}: sequential 3120.260 us, scheduled 3120.260 us; compute 1139.843 us, communication 1980.416 us
// By name through $BRAID_PROFILE_PATH.
// RUN: env BRAID_PROFILE_PATH=%t.profiles braid-opt %s -braid-set-target=profile=my-cluster | FileCheck %s --check-prefix=ENV
// ENV: #braid.target<"my-cluster">

// Without a target, the default profile.
// RUN: braid-opt %s -braid-estimate 2>&1 >/dev/null | FileCheck %s --check-prefix=DEFAULT
// DEFAULT: estimate on h100-sxm-x8:

// Bad names are located errors.
// RUN: not braid-opt %s -braid-set-target=profile=tpu-v9 2>&1 | FileCheck %s --check-prefix=MISSING
// MISSING: set-target.mlir:{{.*}}: error: no hardware profile named 'tpu-v9' in {{.*}}share/braid/profiles, {{.*}}bench/profiles (use a name from there or a path to a .json file)

// Inline parameters override the named profile's: a 10x faster link.
// RUN: braid-opt %S/Inputs/target-fast-link.mlir -braid-estimate 2>&1 >/dev/null | FileCheck %s --check-prefix=FAST
// FAST: estimate on cpu-1gbe: sequential 1572.566 us, scheduled 1572.566 us; compute 1139.843 us, communication 432.722 us

// Policies are target parameters: with min_gain 0.99 no cut pays, and a
// stream switch that costs a second keeps every collective in place.
// RUN: braid-opt %S/Inputs/target-policies.mlir --pass-pipeline='builtin.module(braid-overlap-pipeline{explain=1})' --mlir-print-op-on-diagnostic=false 2>&1 >/dev/null | FileCheck %s --check-prefix=POLICY
// POLICY: remark: not decomposed: cutting does not pay on cpu-1gbe: {{.*}} less than 99.00% saved
// POLICY: remark: kept in place: {{.*}} of communication does not pay for a stream switch (1000000.000 us)

// Mistakes in inline parameters are errors on the module.
// RUN: not braid-opt %S/Inputs/target-bad-parameter.mlir -braid-estimate 2>&1 | FileCheck %s --check-prefix=BADPARAM
// BADPARAM: error: #braid.target: unknown parameter 'bandwidth' in 'intra_node'
// RUN: not braid-opt %S/Inputs/target-incomplete.mlir -braid-estimate 2>&1 | FileCheck %s --check-prefix=INCOMPLETE
// INCOMPLETE: error: #braid.target<"no-such-machine"> with #braid.target parameters: missing integer 'devices_per_node'

shard.grid @tp(shape = 4)
func.func @main(%x: tensor<64x512xf32>, %w: tensor<512x512xf32>) -> tensor<64x512xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<64x512xf32>
  %i = linalg.fill ins(%zero : f32) outs(%e : tensor<64x512xf32>) -> tensor<64x512xf32>
  %y = linalg.matmul ins(%x, %w : tensor<64x512xf32>, tensor<512x512xf32>) outs(%i : tensor<64x512xf32>) -> tensor<64x512xf32>
  %r = braid.all_reduce %y on @tp axes = [0] reduction = sum : tensor<64x512xf32>
  return %r : tensor<64x512xf32>
}
