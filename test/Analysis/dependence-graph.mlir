// RUN: braid-opt %s -test-braid-dependence-graph -split-input-file -verify-diagnostics -o %t.ignored

shard.grid @tp(shape = 4)

// Straight line: a TP MLP, every op after the previous one.
// expected-remark @+1 {{critical path: 5 compute/communication ops along [0, 2, 3, 5, 6]}}
func.func @straight(%x: tensor<16x64xf32>, %w1: tensor<64x32xf32>, %w2: tensor<32x64xf32>) -> tensor<5x64xf32> {
  // expected-remark @+1 {{#0 communication, after [], independent compute []}}
  %g = braid.all_gather %x on @tp axes = [0] dim = 0 : tensor<16x64xf32> -> tensor<64x64xf32>
  // expected-remark @+1 {{#1 control, after []}}
  %e1 = tensor.empty() : tensor<64x32xf32>
  // expected-remark @+1 {{#2 compute, after [0, 1]}}
  %h = linalg.matmul ins(%g, %w1 : tensor<64x64xf32>, tensor<64x32xf32>) outs(%e1 : tensor<64x32xf32>) -> tensor<64x32xf32>
  // expected-remark @+1 {{#3 compute, after [2]}}
  %a = braid.activation gelu %h : tensor<64x32xf32>
  // expected-remark @+1 {{#4 control, after []}}
  %e2 = tensor.empty() : tensor<64x64xf32>
  // expected-remark @+1 {{#5 compute, after [3, 4]}}
  %y = linalg.matmul ins(%a, %w2 : tensor<64x32xf32>, tensor<32x64xf32>) outs(%e2 : tensor<64x64xf32>) -> tensor<64x64xf32>
  // expected-remark @+1 {{#6 communication, after [0, 5], independent compute []}}
  %s = braid.reduce_scatter %y on @tp axes = [0] dim = 0 reduction = sum : tensor<64x64xf32> -> tensor<16x64xf32>
  // expected-remark @+1 {{#7 control, after [6]}}
  %v = tensor.extract_slice %s[0, 0] [4, 64] [1, 1] : tensor<16x64xf32> to tensor<4x64xf32>
  // expected-remark @+1 {{#8 control, after []}}
  %zero = arith.constant 0.0 : f32
  // A view (the slice) moves nothing; a pad copies.
  // expected-remark @+1 {{#9 memory, after [7, 8]}}
  %r = tensor.pad %v low[0, 0] high[1, 0] {
  ^bb0(%i: index, %j: index):
    tensor.yield %zero : f32
  } : tensor<4x64xf32> to tensor<5x64xf32>
  return %r : tensor<5x64xf32>
}

// -----

shard.grid @ep(shape = 4)

// A MoE branch beside a dense FFN: the dispatch all_to_all can hide behind
// the dense matmul and its activation, which do not depend on it.
// expected-remark @+1 {{critical path: 3 compute/communication ops along [0, 1, 2, 6]}}
func.func @branches(%x: tensor<16x32xf32>, %w: tensor<32x32xf32>, %logits: tensor<16x4xf32>) -> (tensor<16x32xf32>, tensor<16x32xf32>) {
  // expected-remark @+1 {{#0 compute, after []}}
  %weights, %experts = braid.moe_gate %logits {k = 1 : i64} : tensor<16x4xf32> -> tensor<16x1xf32>, tensor<16x1xi32>
  // expected-remark @+1 {{#1 memory, after [0]}}
  %p, %sizes, %map = braid.moe_permute %x, %experts {num_experts = 4 : i64} : tensor<16x32xf32>, tensor<16x1xi32> -> tensor<16x32xf32>, tensor<4xi64>, tensor<16xi32>
  // expected-remark @+1 {{#2 communication, after [1], independent compute [4, 5]}}
  %d = braid.all_to_all %p on @ep axes = [0] split_dim = 0 concat_dim = 0 : tensor<16x32xf32> -> tensor<16x32xf32>
  // expected-remark @+1 {{#3 control, after []}}
  %e = tensor.empty() : tensor<16x32xf32>
  // expected-remark @+1 {{#4 compute, after [3]}}
  %dense = linalg.matmul ins(%x, %w : tensor<16x32xf32>, tensor<32x32xf32>) outs(%e : tensor<16x32xf32>) -> tensor<16x32xf32>
  // expected-remark @+1 {{#5 compute, after [4]}}
  %act = braid.activation silu %dense : tensor<16x32xf32>
  // The combine all_to_all keeps its order after the dispatch on @ep.
  // expected-remark @+1 {{#6 communication, after [2], independent compute [4, 5]}}
  %c = braid.all_to_all %d on @ep axes = [0] split_dim = 0 concat_dim = 0 : tensor<16x32xf32> -> tensor<16x32xf32>
  return %act, %c : tensor<16x32xf32>, tensor<16x32xf32>
}

// -----

shard.grid @tp(shape = 4)

// Async IR: an await depends on its start; collectives inside starts keep
// their communicator order across starts.
// expected-remark @+1 {{critical path: 2 compute/communication ops along [0, 1]}}
func.func @async(%x: tensor<8xf32>, %y: tensor<8xf32>) -> (tensor<8xf32>, tensor<8xf32>) {
  // expected-remark @+1 {{#0 communication, after [], independent compute [2]}}
  %f = braid.start stream = 1 {
    %r = braid.all_reduce %x on @tp axes = [0] reduction = sum : tensor<8xf32>
    braid.yield %r : tensor<8xf32>
  } : !braid.future<tensor<8xf32>>
  // The second reduction waits for the first on @tp, but not the add that
  // only needs the first.
  // expected-remark @+1 {{#1 communication, after [0], independent compute [2, 5]}}
  %g = braid.start stream = 1 {
    %r = braid.all_reduce %y on @tp axes = [0] reduction = sum : tensor<8xf32>
    braid.yield %r : tensor<8xf32>
  } : !braid.future<tensor<8xf32>>
  // expected-remark @+1 {{#2 compute, after []}}
  %z = math.exp %x : tensor<8xf32>
  // expected-remark @+1 {{#3 control, after [0]}}
  %a = braid.await %f : !braid.future<tensor<8xf32>>
  // expected-remark @+1 {{#4 control, after [1]}}
  %b = braid.await %g : !braid.future<tensor<8xf32>>
  // expected-remark @+1 {{#5 compute, after [2, 3]}}
  %s = arith.addf %a, %z : tensor<8xf32>
  return %s, %b : tensor<8xf32>, tensor<8xf32>
}

// -----

// Work queued on one stream runs in order, whatever it computes.
// expected-remark @+1 {{critical path: 2 compute/communication ops along [0, 1]}}
func.func @same_stream(%x: tensor<8xf32>, %y: tensor<8xf32>) -> (tensor<8xf32>, tensor<8xf32>) {
  // expected-remark @+1 {{#0 compute, after []}}
  %f = braid.start stream = 2 {
    %e = math.exp %x : tensor<8xf32>
    braid.yield %e : tensor<8xf32>
  } : !braid.future<tensor<8xf32>>
  // expected-remark @+1 {{#1 compute, after [0]}}
  %g = braid.start stream = 2 {
    %e = math.exp %y : tensor<8xf32>
    braid.yield %e : tensor<8xf32>
  } : !braid.future<tensor<8xf32>>
  // expected-remark @+1 {{#2 control, after [0]}}
  %a = braid.await %f : !braid.future<tensor<8xf32>>
  // expected-remark @+1 {{#3 control, after [1]}}
  %b = braid.await %g : !braid.future<tensor<8xf32>>
  return %a, %b : tensor<8xf32>, tensor<8xf32>
}
