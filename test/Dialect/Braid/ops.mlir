// RUN: braid-opt %s | FileCheck %s
// Round trip through the generic form as well: every op must survive both.
// RUN: braid-opt %s --mlir-print-op-generic | braid-opt | FileCheck %s

// CHECK: shard.grid @mesh(shape = 2x4) {braid.device_order = #braid.device_order<[7, 6, 5, 4, 3, 2, 1, 0]>}
shard.grid @mesh(shape = 2x4) {braid.device_order = #braid.device_order<[7, 6, 5, 4, 3, 2, 1, 0]>}
shard.grid @tp(shape = 4)

// CHECK-LABEL: func.func @collectives
func.func @collectives(%x: tensor<64x128xf32>, %y: tensor<16x128xbf16>,
                       %i: tensor<64xi32>) {
  // CHECK: braid.all_reduce %{{.*}} on @tp axes = [0] reduction = sum : tensor<64x128xf32>
  %0 = braid.all_reduce %x on @tp axes = [0] reduction = sum : tensor<64x128xf32>
  // CHECK: braid.all_reduce %{{.*}} on @mesh axes = [1, 0] reduction = max : tensor<64x128xf32>
  %1 = braid.all_reduce %x on @mesh axes = [1, 0] reduction = max : tensor<64x128xf32>
  // CHECK: braid.all_reduce %{{.*}} on @tp axes = [0] reduction = xor : tensor<64xi32>
  %2 = braid.all_reduce %i on @tp axes = [0] reduction = xor : tensor<64xi32>
  // CHECK: braid.all_gather %{{.*}} on @tp axes = [0] dim = 0 : tensor<16x128xbf16> -> tensor<64x128xbf16>
  %3 = braid.all_gather %y on @tp axes = [0] dim = 0 : tensor<16x128xbf16> -> tensor<64x128xbf16>
  // CHECK: braid.all_gather %{{.*}} on @mesh axes = [0, 1] dim = 1 : tensor<16x128xbf16> -> tensor<16x1024xbf16>
  %4 = braid.all_gather %y on @mesh axes = [0, 1] dim = 1 : tensor<16x128xbf16> -> tensor<16x1024xbf16>
  // CHECK: braid.reduce_scatter %{{.*}} on @tp axes = [0] dim = 1 reduction = sum : tensor<64x128xf32> -> tensor<64x32xf32>
  %5 = braid.reduce_scatter %x on @tp axes = [0] dim = 1 reduction = sum : tensor<64x128xf32> -> tensor<64x32xf32>
  // CHECK: braid.all_to_all %{{.*}} on @mesh axes = [1] split_dim = 0 concat_dim = 1 : tensor<64x128xf32> -> tensor<16x512xf32>
  %6 = braid.all_to_all %x on @mesh axes = [1] split_dim = 0 concat_dim = 1 : tensor<64x128xf32> -> tensor<16x512xf32>
  // CHECK: braid.all_to_all %{{.*}} on @tp axes = [0] split_dim = 0 concat_dim = 0 : tensor<64x128xf32> -> tensor<64x128xf32>
  %7 = braid.all_to_all %x on @tp axes = [0] split_dim = 0 concat_dim = 0 : tensor<64x128xf32> -> tensor<64x128xf32>
  // CHECK: braid.collective_permute %{{.*}} on @tp axes = [0] pairs = {{\[}}[0, 1], [1, 2], [2, 3], [3, 0]] : tensor<16x128xbf16>
  %8 = braid.collective_permute %y on @tp axes = [0] pairs = [[0, 1], [1, 2], [2, 3], [3, 0]] : tensor<16x128xbf16>
  // CHECK: braid.collective_permute %{{.*}} on @tp axes = [0] pairs = [] : tensor<16x128xbf16>
  %9 = braid.collective_permute %y on @tp axes = [0] pairs = [] : tensor<16x128xbf16>
  // CHECK: braid.broadcast %{{.*}} on @mesh axes = [0] root = 1 : tensor<16x128xbf16>
  %10 = braid.broadcast %y on @mesh axes = [0] root = 1 : tensor<16x128xbf16>
  // CHECK: braid.rank on @mesh axes = [1] : index
  %11 = braid.rank on @mesh axes = [1] : index
  return
}

// CHECK-LABEL: func.func @async
func.func @async(%x: tensor<64x128xf32>, %a: tensor<64x64xf32>) -> (tensor<64x128xf32>, tensor<64x64xf32>) {
  // CHECK: %[[F:.*]] = braid.start stream = 1 priority = 2 {
  // CHECK:   braid.all_reduce
  // CHECK:   braid.yield %{{.*}} : tensor<64x128xf32>
  // CHECK: } : !braid.future<tensor<64x128xf32>>
  %f = braid.start stream = 1 priority = 2 {
    %r = braid.all_reduce %x on @tp axes = [0] reduction = sum : tensor<64x128xf32>
    braid.yield %r : tensor<64x128xf32>
  } : !braid.future<tensor<64x128xf32>>
  // Compute can be asynchronous too, on the default stream.
  // CHECK: %[[G:.*]] = braid.start {
  // CHECK: } : !braid.future<tensor<64x64xf32>, tensor<64x64xf32>>
  %g = braid.start {
    %e = tensor.empty() : tensor<64x64xf32>
    %m = linalg.matmul ins(%a, %a : tensor<64x64xf32>, tensor<64x64xf32>) outs(%e : tensor<64x64xf32>) -> tensor<64x64xf32>
    braid.yield %m, %a : tensor<64x64xf32>, tensor<64x64xf32>
  } : !braid.future<tensor<64x64xf32>, tensor<64x64xf32>>
  // A start with no results is a synchronisation point only; its empty
  // yield is implicit.
  // CHECK: braid.start stream = 3 {
  // CHECK-NEXT: } : !braid.future<>
  // CHECK-NEXT: braid.await %{{.*}} : !braid.future<>
  %h = braid.start stream = 3 {
    braid.yield
  } : !braid.future<>
  braid.await %h : !braid.future<>
  // CHECK: braid.await %[[F]] : !braid.future<tensor<64x128xf32>>
  %v = braid.await %f : !braid.future<tensor<64x128xf32>>
  // CHECK: braid.await %[[G]] : !braid.future<tensor<64x64xf32>, tensor<64x64xf32>>
  %m:2 = braid.await %g : !braid.future<tensor<64x64xf32>, tensor<64x64xf32>>
  return %v, %m#0 : tensor<64x128xf32>, tensor<64x64xf32>
}

// CHECK-LABEL: func.func @layers
func.func @layers(%x: tensor<64x512xbf16>, %w: tensor<512xbf16>, %b: tensor<512xbf16>,
                  %q: tensor<1x8x16x64xbf16>, %kv: tensor<1x2x16x64xbf16>,
                  %experts: tensor<4x512x256xbf16>, %sizes: tensor<4xi64>,
                  %logits: tensor<64x4xf32>, %ids: tensor<3x5xi32>, %rows: tensor<6xi32>,
                  %upd: tensor<6x512xbf16>) {
  // CHECK: braid.rmsnorm %{{.*}}, %{{.*}} : tensor<64x512xbf16>, tensor<512xbf16> -> tensor<64x512xbf16>
  %0 = braid.rmsnorm %x, %w : tensor<64x512xbf16>, tensor<512xbf16> -> tensor<64x512xbf16>
  // CHECK: braid.rmsnorm %{{.*}}, %{{.*}} {epsilon = 9.99999974E-6 : f32}
  %1 = braid.rmsnorm %x, %w {epsilon = 1.0e-5 : f32} : tensor<64x512xbf16>, tensor<512xbf16> -> tensor<64x512xbf16>
  // CHECK: braid.layernorm %{{.*}}, %{{.*}}, %{{.*}} : tensor<64x512xbf16>, tensor<512xbf16>, tensor<512xbf16> -> tensor<64x512xbf16>
  %2 = braid.layernorm %x, %w, %b : tensor<64x512xbf16>, tensor<512xbf16>, tensor<512xbf16> -> tensor<64x512xbf16>
  // CHECK: braid.activation silu %{{.*}} : tensor<64x512xbf16>
  %3 = braid.activation silu %x : tensor<64x512xbf16>
  // CHECK: braid.activation gelu_tanh %{{.*}} : tensor<64x512xbf16>
  %4 = braid.activation gelu_tanh %x : tensor<64x512xbf16>
  // CHECK: braid.swiglu %{{.*}}, %{{.*}} : tensor<64x512xbf16>
  %5 = braid.swiglu %x, %x : tensor<64x512xbf16>
  // CHECK: braid.attention %{{.*}}, %{{.*}}, %{{.*}} {causal, scale = 1.250000e-01 : f32} : tensor<1x8x16x64xbf16>, tensor<1x2x16x64xbf16>, tensor<1x2x16x64xbf16> -> tensor<1x8x16x64xbf16>
  %6 = braid.attention %q, %kv, %kv {causal, scale = 0.125 : f32} : tensor<1x8x16x64xbf16>, tensor<1x2x16x64xbf16>, tensor<1x2x16x64xbf16> -> tensor<1x8x16x64xbf16>
  // CHECK: braid.grouped_matmul %{{.*}}, %{{.*}}, %{{.*}} : tensor<64x512xbf16>, tensor<4x512x256xbf16>, tensor<4xi64> -> tensor<64x256xbf16>
  %7 = braid.grouped_matmul %x, %experts, %sizes : tensor<64x512xbf16>, tensor<4x512x256xbf16>, tensor<4xi64> -> tensor<64x256xbf16>
  // CHECK: braid.moe_gate %{{.*}} {k = 2 : i64, normalize} : tensor<64x4xf32> -> tensor<64x2xf32>, tensor<64x2xi32>
  %w8, %e8 = braid.moe_gate %logits {k = 2 : i64, normalize} : tensor<64x4xf32> -> tensor<64x2xf32>, tensor<64x2xi32>
  // CHECK: braid.moe_permute %{{.*}}, %{{.*}} {num_experts = 4 : i64} : tensor<64x512xbf16>, tensor<64x2xi32> -> tensor<128x512xbf16>, tensor<4xi64>, tensor<128xi32>
  %p, %s, %map = braid.moe_permute %x, %e8 {num_experts = 4 : i64} : tensor<64x512xbf16>, tensor<64x2xi32> -> tensor<128x512xbf16>, tensor<4xi64>, tensor<128xi32>
  // CHECK: braid.moe_unpermute %{{.*}}, %{{.*}}, %{{.*}} : tensor<128x512xbf16>, tensor<128xi32>, tensor<64x2xf32> -> tensor<64x512xbf16>
  %9 = braid.moe_unpermute %p, %map, %w8 : tensor<128x512xbf16>, tensor<128xi32>, tensor<64x2xf32> -> tensor<64x512xbf16>
  // CHECK: braid.topk %{{.*}} {k = 3 : i64} : tensor<64x4xf32> -> tensor<64x3xf32>, tensor<64x3xi64>
  %v10, %i10 = braid.topk %logits {k = 3 : i64} : tensor<64x4xf32> -> tensor<64x3xf32>, tensor<64x3xi64>
  // CHECK: braid.sort %{{.*}} {descending} : tensor<64x4xf32> -> tensor<64x4xf32>, tensor<64x4xi32>
  %v11, %i11 = braid.sort %logits {descending} : tensor<64x4xf32> -> tensor<64x4xf32>, tensor<64x4xi32>
  // CHECK: braid.gather %{{.*}}[%{{.*}}] axis = 0 : tensor<64x512xbf16>, tensor<3x5xi32> -> tensor<3x5x512xbf16>
  %12 = braid.gather %x[%ids] axis = 0 : tensor<64x512xbf16>, tensor<3x5xi32> -> tensor<3x5x512xbf16>
  // CHECK: braid.scatter %{{.*}} into %{{.*}}[%{{.*}}] axis = 0 kind = add : tensor<6x512xbf16>, tensor<64x512xbf16>, tensor<6xi32> -> tensor<64x512xbf16>
  %13 = braid.scatter %upd into %x[%rows] axis = 0 kind = add : tensor<6x512xbf16>, tensor<64x512xbf16>, tensor<6xi32> -> tensor<64x512xbf16>
  // Dynamic sizes are accepted where the shape rules still hold.
  return
}

// CHECK-LABEL: func.func @dynamic
func.func @dynamic(%x: tensor<?x128xf32>, %w: tensor<128xf32>) -> tensor<?x128xf32> {
  // CHECK: braid.rmsnorm %{{.*}}, %{{.*}} : tensor<?x128xf32>, tensor<128xf32> -> tensor<?x128xf32>
  %0 = braid.rmsnorm %x, %w : tensor<?x128xf32>, tensor<128xf32> -> tensor<?x128xf32>
  // CHECK: braid.all_gather %{{.*}} on @tp axes = [0] dim = 0 : tensor<?x128xf32> -> tensor<?x128xf32>
  %1 = braid.all_gather %0 on @tp axes = [0] dim = 0 : tensor<?x128xf32> -> tensor<?x128xf32>
  return %1 : tensor<?x128xf32>
}

// An additive mask, here BERT's padding mask broadcast over heads and
// queries, with an element type of its own.
// CHECK-LABEL: func.func @masked_attention
func.func @masked_attention(%q: tensor<2x8x16x64xbf16>, %kv: tensor<2x2x16x64xbf16>, %pad: tensor<2x1x1x16xf32>) -> tensor<2x8x16x64xbf16> {
  // CHECK: braid.attention %{{.*}}, %{{.*}}, %{{.*}} mask %{{.*}} {causal} : tensor<2x8x16x64xbf16>, tensor<2x2x16x64xbf16>, tensor<2x2x16x64xbf16>, tensor<2x1x1x16xf32> -> tensor<2x8x16x64xbf16>
  %0 = braid.attention %q, %kv, %kv mask %pad {causal} : tensor<2x8x16x64xbf16>, tensor<2x2x16x64xbf16>, tensor<2x2x16x64xbf16>, tensor<2x1x1x16xf32> -> tensor<2x8x16x64xbf16>
  return %0 : tensor<2x8x16x64xbf16>
}
