// RUN: braid-opt %s -split-input-file -verify-diagnostics

// expected-error @+1 {{unknown braid attribute 'braid.colour'}}
shard.grid @g(shape = 4) {braid.colour = 1 : i64}

// -----

// expected-error @+1 {{'braid.device_order' must be a #braid.device_order attribute}}
shard.grid @g(shape = 4) {braid.device_order = [3, 2, 1, 0]}

// -----

// expected-error @+1 {{'braid.device_order' belongs on a shard.grid, not on 'func.func'}}
func.func @f() attributes {braid.device_order = #braid.device_order<[0]>} {
  return
}

// -----

// expected-error @+1 {{device order lists 3 devices but the grid has 4}}
shard.grid @g(shape = 2x2) {braid.device_order = #braid.device_order<[0, 1, 2]>}

// -----

// expected-error @+1 {{'braid.device_order' needs a grid of static shape}}
shard.grid @g(shape = 2x?) {braid.device_order = #braid.device_order<[0, 1]>}

// -----

// expected-error @+1 {{device order entry 4 is outside [0, 4)}}
shard.grid @g(shape = 4) {braid.device_order = #braid.device_order<[0, 1, 2, 4]>}

// -----

// expected-error @+1 {{device 1 appears twice in the device order}}
shard.grid @g(shape = 4) {braid.device_order = #braid.device_order<[0, 1, 1, 2]>}

// -----

// expected-error @+1 {{a future cannot hold another future}}
func.func @f(%x: !braid.future<!braid.future<tensor<4xf32>>>) {
  return
}

// -----

func.func @f(%x: tensor<4xf32>) {
  // expected-error @+1 {{grid @missing is not defined}}
  %0 = braid.all_reduce %x on @missing axes = [0] reduction = sum : tensor<4xf32>
  return
}

// -----

func.func @notagrid() { return }
func.func @f(%x: tensor<4xf32>) {
  // expected-error @+1 {{@notagrid names a 'func.func', not a shard.grid}}
  %0 = braid.all_reduce %x on @notagrid axes = [0] reduction = sum : tensor<4xf32>
  return
}

// -----

shard.grid @g(shape = 2x4)
func.func @f(%x: tensor<4xf32>) {
  // expected-error @+1 {{axis 2 is out of range for grid @g of rank 2}}
  %0 = braid.all_reduce %x on @g axes = [2] reduction = sum : tensor<4xf32>
  return
}

// -----

shard.grid @g(shape = 2x4)
func.func @f(%x: tensor<4xf32>) {
  // expected-error @+1 {{axis 1 appears twice}}
  %0 = braid.all_reduce %x on @g axes = [1, 1] reduction = sum : tensor<4xf32>
  return
}

// -----

shard.grid @g(shape = 4)
func.func @f(%x: tensor<4xf32>) {
  // expected-error @+1 {{reduction 'and' needs an integer element type, got 'f32'}}
  %0 = braid.all_reduce %x on @g axes = [0] reduction = and : tensor<4xf32>
  return
}

// -----

shard.grid @g(shape = 4)
func.func @f(%x: tensor<4xi1>) {
  // expected-error @+1 {{reduction 'sum' is not defined on i1; use and/or/xor}}
  %0 = braid.all_reduce %x on @g axes = [0] reduction = sum : tensor<4xi1>
  return
}

// -----

shard.grid @g(shape = 4)
func.func @f(%x: tensor<4xf32>) {
  // expected-error @+1 {{requires the same type for all operands and results}}
  %0 = "braid.all_reduce"(%x) <{grid = @g, axes = array<i16: 0>, reduction = 0 : i32}> : (tensor<4xf32>) -> tensor<4xf64>
  return
}

// -----

shard.grid @g(shape = 4)
func.func @f(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{dim 2 is out of range for a tensor of rank 2}}
  %0 = braid.all_gather %x on @g axes = [0] dim = 2 : tensor<4x8xf32> -> tensor<4x8xf32>
  return
}

// -----

shard.grid @g(shape = 4)
func.func @f(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{expected result of shape 16x8, got 8x8}}
  %0 = braid.all_gather %x on @g axes = [0] dim = 0 : tensor<4x8xf32> -> tensor<8x8xf32>
  return
}

// -----

shard.grid @g(shape = 4)
func.func @f(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{attribute 'dim' failed to satisfy constraint: 64-bit signless integer attribute whose value is non-negative}}
  %0 = braid.all_gather %x on @g axes = [0] dim = -1 : tensor<4x8xf32> -> tensor<16x8xf32>
  return
}

// -----

shard.grid @g(shape = 4)
func.func @f(%x: tensor<10x8xf32>) {
  // expected-error @+1 {{dimension 0 of size 10 does not divide by the group size 4; pad the input to a multiple first}}
  %0 = braid.reduce_scatter %x on @g axes = [0] dim = 0 reduction = sum : tensor<10x8xf32> -> tensor<2x8xf32>
  return
}

// -----

shard.grid @g(shape = 4)
func.func @f(%x: tensor<16x8xf32>) {
  // expected-error @+1 {{expected result of shape 16x2, got 4x8}}
  %0 = braid.reduce_scatter %x on @g axes = [0] dim = 1 reduction = sum : tensor<16x8xf32> -> tensor<4x8xf32>
  return
}

// -----

shard.grid @g(shape = 4)
func.func @f(%x: tensor<16x8xi32>) {
  // expected-error @+1 {{dim 3 is out of range for a tensor of rank 2}}
  %0 = braid.reduce_scatter %x on @g axes = [0] dim = 3 reduction = sum : tensor<16x8xi32> -> tensor<4x8xi32>
  return
}

// -----

shard.grid @g(shape = 4)
func.func @f(%x: tensor<16x8xf32>) {
  // expected-error @+1 {{reduction 'xor' needs an integer element type, got 'f32'}}
  %0 = braid.reduce_scatter %x on @g axes = [0] dim = 0 reduction = xor : tensor<16x8xf32> -> tensor<4x8xf32>
  return
}

// -----

shard.grid @g(shape = 4)
func.func @f(%x: tensor<6x8xf32>) {
  // expected-error @+1 {{split dimension 0 of size 6 does not divide by the group size 4}}
  %0 = braid.all_to_all %x on @g axes = [0] split_dim = 0 concat_dim = 1 : tensor<6x8xf32> -> tensor<2x32xf32>
  return
}

// -----

shard.grid @g(shape = 4)
func.func @f(%x: tensor<8x8xf32>) {
  // expected-error @+1 {{concat_dim 2 is out of range for a tensor of rank 2}}
  %0 = braid.all_to_all %x on @g axes = [0] split_dim = 0 concat_dim = 2 : tensor<8x8xf32> -> tensor<2x32xf32>
  return
}

// -----

shard.grid @g(shape = 4)
func.func @f(%x: tensor<8x8xf32>) {
  // expected-error @+1 {{split_dim 5 is out of range for a tensor of rank 2}}
  %0 = braid.all_to_all %x on @g axes = [0] split_dim = 5 concat_dim = 0 : tensor<8x8xf32> -> tensor<2x32xf32>
  return
}

// -----

shard.grid @g(shape = 4)
func.func @f(%x: tensor<8x8xf32>) {
  // expected-error @+1 {{expected result of shape 2x32, got 8x8}}
  %0 = braid.all_to_all %x on @g axes = [0] split_dim = 0 concat_dim = 1 : tensor<8x8xf32> -> tensor<8x8xf32>
  return
}

// -----

shard.grid @g(shape = 4)
func.func @f(%x: tensor<8xf32>) {
  // expected-error @+1 {{pair [3, 4] names position 4 outside the group of size 4}}
  %0 = braid.collective_permute %x on @g axes = [0] pairs = [[0, 1], [3, 4]] : tensor<8xf32>
  return
}

// -----

shard.grid @g(shape = 4)
func.func @f(%x: tensor<8xf32>) {
  // expected-error @+1 {{pair [-1, 0] names position -1 outside the group of size 4}}
  %0 = braid.collective_permute %x on @g axes = [0] pairs = [[-1, 0]] : tensor<8xf32>
  return
}

// -----

shard.grid @g(shape = 4)
func.func @f(%x: tensor<8xf32>) {
  // expected-error @+1 {{position 0 is the source of more than one pair}}
  %0 = braid.collective_permute %x on @g axes = [0] pairs = [[0, 1], [0, 2]] : tensor<8xf32>
  return
}

// -----

shard.grid @g(shape = 4)
func.func @f(%x: tensor<8xf32>) {
  // expected-error @+1 {{position 2 is the target of more than one pair}}
  %0 = braid.collective_permute %x on @g axes = [0] pairs = [[0, 2], [1, 2]] : tensor<8xf32>
  return
}

// -----

shard.grid @g(shape = 4)
func.func @f(%x: tensor<8xf32>) {
  // expected-error @+1 {{pairs must be [source, target] pairs}}
  %0 = "braid.collective_permute"(%x) <{grid = @g, axes = array<i16: 0>, pairs = array<i64: 0, 1, 2>}> : (tensor<8xf32>) -> tensor<8xf32>
  return
}

// -----

shard.grid @g(shape = 2x4)
func.func @f(%x: tensor<8xf32>) {
  // expected-error @+1 {{root 2 is outside the group of size 2}}
  %0 = braid.broadcast %x on @g axes = [0] root = 2 : tensor<8xf32>
  return
}

// -----

shard.grid @g(shape = 2x4)
func.func @f() {
  // expected-error @+1 {{axis 3 is out of range for grid @g of rank 2}}
  %0 = braid.rank on @g axes = [3] : index
  return
}

// -----

func.func @f(%x: tensor<8xf32>) {
  // expected-error @+1 {{body yields 1 values but the future holds 2}}
  %f = braid.start {
    braid.yield %x : tensor<8xf32>
  } : !braid.future<tensor<8xf32>, tensor<8xf32>>
  return
}

// -----

func.func @f(%x: tensor<8xf32>) {
  // expected-error @+1 {{yielded value #0 has type 'tensor<8xf32>' but the future holds 'tensor<4xf32>'}}
  %f = braid.start {
    braid.yield %x : tensor<8xf32>
  } : !braid.future<tensor<4xf32>>
  return
}

// -----

func.func @f(%x: tensor<8xf32>) -> !braid.future<tensor<8xf32>> {
  // expected-error @+1 {{future may only be used by braid.await, but 'func.return' uses it}}
  %f = braid.start {
    braid.yield %x : tensor<8xf32>
  } : !braid.future<tensor<8xf32>>
  return %f : !braid.future<tensor<8xf32>>
}

// -----

func.func @f(%x: tensor<8xf32>) {
  // expected-error @+1 {{'braid.yield' op expects parent op to be one of 'braid.start, braid.fused_collective'}}
  braid.yield %x : tensor<8xf32>
}

// -----

func.func @f(%x: tensor<8xf32>) {
  // expected-error @+1 {{operand #0 must be a !braid.future: values a stream is still computing, but got 'tensor<8xf32>'}}
  %0 = "braid.await"(%x) : (tensor<8xf32>) -> tensor<8xf32>
  return
}

// -----

func.func @f(%x: tensor<f32>, %w: tensor<1xf32>) {
  // expected-error @+1 {{input must have at least one dimension}}
  %0 = braid.rmsnorm %x, %w : tensor<f32>, tensor<1xf32> -> tensor<f32>
  return
}

// -----

func.func @f(%x: tensor<4x8xf32>, %w: tensor<4xf32>) {
  // expected-error @+1 {{expected weight of shape 8, got 4}}
  %0 = braid.rmsnorm %x, %w : tensor<4x8xf32>, tensor<4xf32> -> tensor<4x8xf32>
  return
}

// -----

func.func @f(%x: tensor<4x8xf32>, %w: tensor<8xf32>) {
  // expected-error @+1 {{result type 'tensor<4x8xf16>' must equal the input type 'tensor<4x8xf32>'}}
  %0 = braid.rmsnorm %x, %w : tensor<4x8xf32>, tensor<8xf32> -> tensor<4x8xf16>
  return
}

// -----

func.func @f(%x: tensor<4x8xi32>, %w: tensor<8xi32>) {
  // expected-error @+1 {{operand #0 must be ranked tensor of floating-point values}}
  %0 = braid.rmsnorm %x, %w : tensor<4x8xi32>, tensor<8xi32> -> tensor<4x8xi32>
  return
}

// -----

func.func @f(%x: tensor<4x8xf32>, %g: tensor<8xf32>, %b: tensor<4xf32>) {
  // expected-error @+1 {{expected beta of shape 8, got 4}}
  %0 = braid.layernorm %x, %g, %b : tensor<4x8xf32>, tensor<8xf32>, tensor<4xf32> -> tensor<4x8xf32>
  return
}

// -----

func.func @f(%x: tensor<4x8xf32>, %g: tensor<7xf32>) {
  // expected-error @+1 {{expected gamma of shape 8, got 7}}
  %0 = braid.layernorm %x, %g, %g : tensor<4x8xf32>, tensor<7xf32>, tensor<7xf32> -> tensor<4x8xf32>
  return
}

// -----

func.func @f(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{requires the same type for all operands and results}}
  %0 = "braid.activation"(%x) <{kind = 0 : i32}> : (tensor<4x8xf32>) -> tensor<4x8xf16>
  return
}

// -----

func.func @f(%a: tensor<4x8xf32>, %b: tensor<4x4xf32>) {
  // expected-error @+1 {{requires the same type for all operands and results}}
  %0 = "braid.swiglu"(%a, %b) : (tensor<4x8xf32>, tensor<4x4xf32>) -> tensor<4x8xf32>
  return
}

// -----

func.func @f(%q: tensor<8x16x64xf32>, %k: tensor<1x2x16x64xf32>) {
  // expected-error @+1 {{expected query of rank 4, got rank 3}}
  %0 = braid.attention %q, %k, %k : tensor<8x16x64xf32>, tensor<1x2x16x64xf32>, tensor<1x2x16x64xf32> -> tensor<1x8x16x64xf32>
  return
}

// -----

func.func @f(%q: tensor<1x6x16x64xf32>, %k: tensor<1x4x16x64xf32>) {
  // expected-error @+1 {{query heads (6) must be a multiple of key/value heads (4)}}
  %0 = braid.attention %q, %k, %k : tensor<1x6x16x64xf32>, tensor<1x4x16x64xf32>, tensor<1x4x16x64xf32> -> tensor<1x6x16x64xf32>
  return
}

// -----

func.func @f(%q: tensor<1x8x16x64xf32>, %k: tensor<1x2x16x32xf32>) {
  // expected-error @+1 {{expected key of shape 1x2x16x64, got 1x2x16x32}}
  %0 = braid.attention %q, %k, %k : tensor<1x8x16x64xf32>, tensor<1x2x16x32xf32>, tensor<1x2x16x32xf32> -> tensor<1x8x16x32xf32>
  return
}

// -----

func.func @f(%q: tensor<1x8x16x64xf32>, %k: tensor<1x2x16x64xf32>, %v: tensor<1x2x12x64xf32>) {
  // expected-error @+1 {{expected value of shape 1x2x16x64, got 1x2x12x64}}
  %0 = braid.attention %q, %k, %v : tensor<1x8x16x64xf32>, tensor<1x2x16x64xf32>, tensor<1x2x12x64xf32> -> tensor<1x8x16x64xf32>
  return
}

// -----

func.func @f(%q: tensor<1x8x16x64xf32>, %k: tensor<1x2x16x64xf32>) {
  // expected-error @+1 {{expected result of shape 1x8x16x64, got 1x2x16x64}}
  %0 = braid.attention %q, %k, %k : tensor<1x8x16x64xf32>, tensor<1x2x16x64xf32>, tensor<1x2x16x64xf32> -> tensor<1x2x16x64xf32>
  return
}

// -----

func.func @f(%q: tensor<1x8x16x64xf32>, %k: tensor<1x2x16x64xf32>) {
  // expected-error @+1 {{scale must be positive}}
  %0 = braid.attention %q, %k, %k {scale = 0.0 : f32} : tensor<1x8x16x64xf32>, tensor<1x2x16x64xf32>, tensor<1x2x16x64xf32> -> tensor<1x8x16x64xf32>
  return
}

// -----

func.func @f(%q: tensor<1x8x16x64xf32>, %k: tensor<1x2x16x64xbf16>) {
  // expected-error @+1 {{expected key with element type 'f32', got 'bf16'}}
  %0 = braid.attention %q, %k, %k : tensor<1x8x16x64xf32>, tensor<1x2x16x64xbf16>, tensor<1x2x16x64xbf16> -> tensor<1x8x16x64xf32>
  return
}

// -----

func.func @f(%q: tensor<1x8x16x64xf32>, %k: tensor<1x2x12x64xf32>, %m: tensor<1x1x16x16xf32>) {
  // expected-error @+1 {{mask dimension 3 is 16; it must be 1 (broadcast) or the scores' 12 (scores are [B, H, Sq, Skv] = 1x8x16x12)}}
  %0 = braid.attention %q, %k, %k mask %m : tensor<1x8x16x64xf32>, tensor<1x2x12x64xf32>, tensor<1x2x12x64xf32>, tensor<1x1x16x16xf32> -> tensor<1x8x16x64xf32>
  return
}

// -----

func.func @f(%q: tensor<1x8x16x64xf32>, %k: tensor<1x2x16x64xf32>, %m: tensor<1x16xf32>) {
  // expected-error @+1 {{expected mask of rank 4, got rank 2}}
  %0 = braid.attention %q, %k, %k mask %m : tensor<1x8x16x64xf32>, tensor<1x2x16x64xf32>, tensor<1x2x16x64xf32>, tensor<1x16xf32> -> tensor<1x8x16x64xf32>
  return
}

// -----

func.func @f(%x: tensor<32x16xf32>, %w: tensor<4x8x8xf32>, %s: tensor<4xi64>) {
  // expected-error @+1 {{expected rhs of shape 4x16x8, got 4x8x8}}
  %0 = braid.grouped_matmul %x, %w, %s : tensor<32x16xf32>, tensor<4x8x8xf32>, tensor<4xi64> -> tensor<32x8xf32>
  return
}

// -----

func.func @f(%x: tensor<32x16xf32>, %w: tensor<4x16x8xf32>, %s: tensor<3xi64>) {
  // expected-error @+1 {{expected group_sizes of shape 4, got 3}}
  %0 = braid.grouped_matmul %x, %w, %s : tensor<32x16xf32>, tensor<4x16x8xf32>, tensor<3xi64> -> tensor<32x8xf32>
  return
}

// -----

func.func @f(%x: tensor<32x16xf32>, %w: tensor<4x16x8xf32>, %s: tensor<4xi64>) {
  // expected-error @+1 {{expected result of shape 32x8, got 32x16}}
  %0 = braid.grouped_matmul %x, %w, %s : tensor<32x16xf32>, tensor<4x16x8xf32>, tensor<4xi64> -> tensor<32x16xf32>
  return
}

// -----

func.func @f(%x: tensor<32x16xf32>, %w: tensor<16x8xf32>, %s: tensor<4xi64>) {
  // expected-error @+1 {{expected rhs of rank 3, got rank 2}}
  %0 = braid.grouped_matmul %x, %w, %s : tensor<32x16xf32>, tensor<16x8xf32>, tensor<4xi64> -> tensor<32x8xf32>
  return
}

// -----

func.func @f(%x: tensor<32x16xbf16>, %w: tensor<4x16x8xf32>, %s: tensor<4xi64>) {
  // expected-error @+1 {{expected rhs with element type 'bf16', got 'f32'}}
  %0 = braid.grouped_matmul %x, %w, %s : tensor<32x16xbf16>, tensor<4x16x8xf32>, tensor<4xi64> -> tensor<32x8xbf16>
  return
}

// -----

func.func @f(%l: tensor<8x4xf32>) {
  // expected-error @+1 {{k = 5 exceeds the number of experts (4)}}
  %w, %e = braid.moe_gate %l {k = 5 : i64} : tensor<8x4xf32> -> tensor<8x5xf32>, tensor<8x5xi32>
  return
}

// -----

func.func @f(%l: tensor<8x4xf32>) {
  // expected-error @+1 {{expected experts of shape 8x2, got 8x3}}
  %w, %e = braid.moe_gate %l {k = 2 : i64} : tensor<8x4xf32> -> tensor<8x2xf32>, tensor<8x3xi32>
  return
}

// -----

func.func @f(%l: tensor<8x4xf32>) {
  // expected-error @+1 {{attribute 'k' failed to satisfy constraint: 64-bit signless integer attribute whose value is positive}}
  %w, %e = braid.moe_gate %l {k = 0 : i64} : tensor<8x4xf32> -> tensor<8x0xf32>, tensor<8x0xi32>
  return
}

// -----

func.func @f(%x: tensor<8x16xf32>, %e: tensor<8x2xi32>) {
  // expected-error @+1 {{expected permuted of shape 16x16, got 8x16}}
  %p, %s, %m = braid.moe_permute %x, %e {num_experts = 4 : i64} : tensor<8x16xf32>, tensor<8x2xi32> -> tensor<8x16xf32>, tensor<4xi64>, tensor<16xi32>
  return
}

// -----

func.func @f(%x: tensor<8x16xf32>, %e: tensor<8x2xi32>) {
  // expected-error @+1 {{expected group_sizes of shape 4, got 8}}
  %p, %s, %m = braid.moe_permute %x, %e {num_experts = 4 : i64} : tensor<8x16xf32>, tensor<8x2xi32> -> tensor<16x16xf32>, tensor<8xi64>, tensor<16xi32>
  return
}

// -----

func.func @f(%x: tensor<8x16xf32>, %e: tensor<4x2xi32>) {
  // expected-error @+1 {{expected experts of shape 8x2, got 4x2}}
  %p, %s, %m = braid.moe_permute %x, %e {num_experts = 4 : i64} : tensor<8x16xf32>, tensor<4x2xi32> -> tensor<16x16xf32>, tensor<4xi64>, tensor<16xi32>
  return
}

// -----

func.func @f(%y: tensor<16x32xf32>, %m: tensor<12xi32>, %w: tensor<8x2xf32>) {
  // expected-error @+1 {{expected row_map of shape 16, got 12}}
  %0 = braid.moe_unpermute %y, %m, %w : tensor<16x32xf32>, tensor<12xi32>, tensor<8x2xf32> -> tensor<8x32xf32>
  return
}

// -----

func.func @f(%y: tensor<12x32xf32>, %m: tensor<16xi32>, %w: tensor<8x2xf32>) {
  // expected-error @+1 {{expected input of shape 16x32, got 12x32}}
  %0 = braid.moe_unpermute %y, %m, %w : tensor<12x32xf32>, tensor<16xi32>, tensor<8x2xf32> -> tensor<8x32xf32>
  return
}

// -----

func.func @f(%y: tensor<16x32xf32>, %m: tensor<16xi32>, %w: tensor<8x2xf32>) {
  // expected-error @+1 {{expected result of shape 8x32, got 16x32}}
  %0 = braid.moe_unpermute %y, %m, %w : tensor<16x32xf32>, tensor<16xi32>, tensor<8x2xf32> -> tensor<16x32xf32>
  return
}

// -----

func.func @f(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{k = 9 exceeds the size of the last dimension (8)}}
  %v, %i = braid.topk %x {k = 9 : i64} : tensor<4x8xf32> -> tensor<4x9xf32>, tensor<4x9xi64>
  return
}

// -----

func.func @f(%x: tensor<f32>) {
  // expected-error @+1 {{input must have at least one dimension}}
  %v, %i = braid.topk %x {k = 1 : i64} : tensor<f32> -> tensor<f32>, tensor<i64>
  return
}

// -----

func.func @f(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{expected indices of shape 4x2, got 4x3}}
  %v, %i = braid.topk %x {k = 2 : i64} : tensor<4x8xf32> -> tensor<4x2xf32>, tensor<4x3xi64>
  return
}

// -----

func.func @f(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{expected values with element type 'f32', got 'f16'}}
  %v, %i = braid.sort %x : tensor<4x8xf32> -> tensor<4x8xf16>, tensor<4x8xi32>
  return
}

// -----

func.func @f(%x: tensor<f32>) {
  // expected-error @+1 {{input must have at least one dimension}}
  %v, %i = braid.sort %x : tensor<f32> -> tensor<f32>, tensor<i32>
  return
}

// -----

func.func @f(%t: tensor<10x4xf32>, %i: tensor<3xi32>) {
  // expected-error @+1 {{axis 2 is out of range for a tensor of rank 2}}
  %0 = braid.gather %t[%i] axis = 2 : tensor<10x4xf32>, tensor<3xi32> -> tensor<10x3xf32>
  return
}

// -----

func.func @f(%t: tensor<10x4xf32>, %i: tensor<3x2xi32>) {
  // expected-error @+1 {{expected result of shape 10x3x2, got 10x6}}
  %0 = braid.gather %t[%i] axis = 1 : tensor<10x4xf32>, tensor<3x2xi32> -> tensor<10x6xf32>
  return
}

// -----

func.func @f(%u: tensor<3x4xf32>, %d: tensor<10x4xf32>, %i: tensor<3x1xi32>) {
  // expected-error @+1 {{expected indices of rank 1, got rank 2}}
  %0 = braid.scatter %u into %d[%i] axis = 0 kind = add : tensor<3x4xf32>, tensor<10x4xf32>, tensor<3x1xi32> -> tensor<10x4xf32>
  return
}

// -----

func.func @f(%u: tensor<2x4xf32>, %d: tensor<10x4xf32>, %i: tensor<3xi32>) {
  // expected-error @+1 {{expected updates of shape 3x4, got 2x4}}
  %0 = braid.scatter %u into %d[%i] axis = 0 kind = replace : tensor<2x4xf32>, tensor<10x4xf32>, tensor<3xi32> -> tensor<10x4xf32>
  return
}

// -----

func.func @f(%u: tensor<3x4xf32>, %d: tensor<10x4xf32>, %i: tensor<3xi32>) {
  // expected-error @+1 {{result type 'tensor<10x8xf32>' must equal the destination type 'tensor<10x4xf32>'}}
  %0 = braid.scatter %u into %d[%i] axis = 0 kind = replace : tensor<3x4xf32>, tensor<10x4xf32>, tensor<3xi32> -> tensor<10x8xf32>
  return
}

// -----

func.func @f(%u: tensor<3x4xi1>, %d: tensor<10x4xi1>, %i: tensor<3xi32>) {
  // expected-error @+1 {{kind 'add' is not defined on i1}}
  %0 = braid.scatter %u into %d[%i] axis = 0 kind = add : tensor<3x4xi1>, tensor<10x4xi1>, tensor<3xi32> -> tensor<10x4xi1>
  return
}

// -----

shard.grid @g(shape = 0)
func.func @f(%x: tensor<8xf32>) {
  // expected-error @+1 {{axis 0 of grid @g has size 0; a group needs a rank}}
  %0 = braid.reduce_scatter %x on @g axes = [0] dim = 0 reduction = sum : tensor<8xf32> -> tensor<8xf32>
  return
}

// -----

shard.grid @g(shape = 7x7905747460161236407)
func.func @f(%x: tensor<8xf32>) {
  // expected-error @+1 {{size 7 x 7905747460161236407 overflows int64}}
  %0 = braid.all_reduce %x on @g axes = [0, 1] reduction = sum : tensor<8xf32>
  return
}

// -----

shard.grid @g(shape = ?x4)
func.func @f(%x: tensor<8xf32>) {
  // expected-error @+1 {{gathered dimension 0 of size 12 is not a multiple of the input's 8}}
  %0 = braid.all_gather %x on @g axes = [0] dim = 0 : tensor<8xf32> -> tensor<12xf32>
  return
}

// -----

shard.grid @tp(shape = 4)
func.func @f(%x: tensor<8xvector<4xf32>>) {
  // expected-error @+1 {{operand #0 must be ranked tensor of signless integer or floating-point or index values}}
  %0 = braid.all_reduce %x on @tp axes = [0] reduction = sum : tensor<8xvector<4xf32>>
  return
}

// -----

func.func @f() -> f32 {
  // expected-error @+1 {{body takes no arguments; it reads the values it needs from above}}
  %f = braid.start {
  ^bb0(%a: f32):
    braid.yield %a : f32
  } : !braid.future<f32>
  %v = braid.await %f : !braid.future<f32>
  return %v : f32
}

// -----

func.func @f() {
  // expected-note @+2 {{in custom textual format, the absence of terminator implies 'braid.yield'}}
  // expected-error @+1 {{expects regions to end with 'braid.yield', found 'llvm.unreachable'}}
  %f = "braid.start"() ({ llvm.unreachable }) : () -> !braid.future<f32>
  return
}

// -----

// expected-error @+1 {{a future cannot hold another future}}
func.func @f(%x: !braid.future<tuple<!braid.future<f32>>>) {
  return
}

// -----

// expected-error @+1 {{unknown braid argument attribute 'braid.colour'}}
func.func @f(%x: tensor<4xf32> {braid.colour = 3 : i64}) {
  return
}

// -----

func.func @f(%x: tensor<4x8xf32>, %w: tensor<8xf16>) {
  // expected-error @+1 {{expected weight with element type 'f32', got 'f16'}}
  %0 = braid.rmsnorm %x, %w : tensor<4x8xf32>, tensor<8xf16> -> tensor<4x8xf32>
  return
}

// -----

func.func @f(%x: tensor<4x8xf32>, %w: tensor<8xf32>) {
  // expected-error @+1 {{epsilon must be finite and non-negative}}
  %0 = braid.rmsnorm %x, %w {epsilon = -1.0 : f32} : tensor<4x8xf32>, tensor<8xf32> -> tensor<4x8xf32>
  return
}

// -----

func.func @f(%q: tensor<1x?x16x64xf32>, %k: tensor<1x0x16x64xf32>) {
  // expected-error @+1 {{key/value heads must be at least one}}
  %0 = braid.attention %q, %k, %k : tensor<1x?x16x64xf32>, tensor<1x0x16x64xf32>, tensor<1x0x16x64xf32> -> tensor<1x?x16x64xf32>
  return
}

// -----

func.func @f(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{result #1 must be ranked tensor of 32-bit signless integer or 64-bit signless integer values}}
  %v, %i = braid.topk %x {k = 2 : i64} : tensor<4x8xf32> -> tensor<4x2xf32>, tensor<4x2xi1>
  return
}

// -----

// Grids braid ops name hold at most 65536 devices.
// expected-note @+1 {{grid declared here}}
shard.grid @g(shape = 256x257)
func.func @f(%x: tensor<8xf32>) {
  // expected-error @+1 {{'braid.all_reduce' op grid @g has 65792 devices; braid handles grids of at most 65536 devices (it enumerates every rank)}}
  %0 = braid.all_reduce %x on @g axes = [0] reduction = sum : tensor<8xf32>
  return
}

// -----

// expected-note @+1 {{grid declared here}}
shard.grid @g(shape = 4294967296x4294967296)
func.func @f() -> index {
  // expected-error @+1 {{'braid.rank' op grid @g has more than 9223372036854775807 devices}}
  %r = braid.rank on @g axes = [0] : index
  return %r : index
}

// -----

// expected-error @+1 {{grid @g has 65537 devices; braid handles grids of at most 65536 devices}}
shard.grid @g(shape = 65537) {braid.device_order = #braid.device_order<[0]>}

// -----

// A grid of exactly the limit is fine.
shard.grid @g(shape = 256x256)
func.func @f(%x: tensor<8xf32>) -> tensor<8xf32> {
  %0 = braid.all_reduce %x on @g axes = [1] reduction = sum : tensor<8xf32>
  return %0 : tensor<8xf32>
}
