// RUN: braid-opt %s -split-input-file -verify-diagnostics --mlir-print-op-on-diagnostic=false -o %t.ignored

// Misplaced and malformed #braid.target and #braid.decomposition attributes.
// expected-error @+1 {{'braid.target' belongs on a module, not on 'func.func'}}
func.func @misplaced() attributes {braid.target = #braid.target<"cpu-1gbe">} {
  return
}

// -----

// expected-error @+1 {{'braid.target' must be a #braid.target attribute}}
module attributes {braid.target = "cpu-1gbe"} {}

// -----

shard.grid @tp(shape = 4)
func.func @chunked_scatter(%p: tensor<12x16xf32>) -> tensor<3x16xf32> {
  // expected-error @+1 {{a chunked decomposition applies to braid.all_reduce only}}
  %s = braid.reduce_scatter %p on @tp axes = [0] dim = 0 reduction = sum {braid.decomposition = #braid.decomposition<form = chunks, count = 2>} : tensor<12x16xf32> -> tensor<3x16xf32>
  return %s : tensor<3x16xf32>
}

// -----

shard.grid @tp(shape = 4)
func.func @wire_on_gather(%x: tensor<3x16xf32>) -> tensor<12x16xf32> {
  // expected-error @+1 {{an all_gather ring moves shards, not partial sums: it takes no wire type}}
  %g = braid.all_gather %x on @tp axes = [0] dim = 0 {braid.decomposition = #braid.decomposition<form = ring, count = 4, wire = bf16>} : tensor<3x16xf32> -> tensor<12x16xf32>
  return %g : tensor<12x16xf32>
}

// -----

shard.grid @tp(shape = 4)
func.func @bidirectional_reduce(%p: tensor<12x16xf32>) -> tensor<12x16xf32> {
  // expected-error @+1 {{a bidirectional ring applies to braid.all_gather only}}
  %s = braid.all_reduce %p on @tp axes = [0] reduction = sum {braid.decomposition = #braid.decomposition<form = bidirectional_ring, count = 4>} : tensor<12x16xf32>
  return %s : tensor<12x16xf32>
}

// -----

shard.grid @tp(shape = 4)
func.func @plan_on_rank(%p: tensor<12x16xf32>) -> tensor<12x16xf32> {
  // expected-error @+1 {{'braid.decomposition' belongs on braid.all_gather, braid.reduce_scatter or braid.all_reduce, not on 'braid.collective_permute'}}
  %s = braid.collective_permute %p on @tp axes = [0] pairs = [[0, 1], [1, 2], [2, 3], [3, 0]] {braid.decomposition = #braid.decomposition<form = ring, count = 4>} : tensor<12x16xf32>
  return %s : tensor<12x16xf32>
}

// -----

// expected-error @+1 {{a decomposition needs at least 2 steps or chunks, not 1}}
#bad = #braid.decomposition<form = chunks, count = 1>

// -----

// expected-error @+1 {{partial sums travel as f32, bf16 or f16, not 'i32'}}
#bad = #braid.decomposition<form = ring, count = 4, wire = i32>
