// RUN: braid-opt %s -split-input-file | FileCheck %s
// RUN: braid-opt %s -split-input-file | braid-opt -split-input-file | FileCheck %s

// The target and plan attributes print as they parse.

// CHECK: module attributes {braid.target = #braid.target<"cpu-1gbe">}
module attributes {braid.target = #braid.target<"cpu-1gbe">} {}

// -----

// CHECK: #braid.target<"h100-sxm-x8", {links = {comm_sms = 8 : i64}, policies = {min_gain = 0.000000e+00 : f64}}>
module attributes {braid.target = #braid.target<"h100-sxm-x8", {policies = {min_gain = 0.0 : f64}, links = {comm_sms = 8}}>} {}

// -----

shard.grid @tp(shape = 4)
func.func @plan(%p: tensor<12x16xf32>) -> tensor<3x16xf32> {
  // CHECK: braid.decomposition = #braid.decomposition<form = ring, count = 4, wire = bf16>
  %s = braid.reduce_scatter %p on @tp axes = [0] dim = 0 reduction = sum {braid.decomposition = #braid.decomposition<form = ring, count = 4, wire = bf16>} : tensor<12x16xf32> -> tensor<3x16xf32>
  return %s : tensor<3x16xf32>
}
