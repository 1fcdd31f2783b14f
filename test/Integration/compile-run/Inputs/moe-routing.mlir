// A Mixtral-style MoE layer with tensor-parallel experts: every rank routes
// all 16 tokens (top-2 of 4 experts), groups them by expert, runs its slice
// of each expert's SwiGLU MLP (16 hidden columns per rank) as grouped
// matmuls, combines each token's two outputs and sums the partial results
// over the ranks. Tokens, router and up-projections are bf16 (the grouped
// matmuls accumulate into f32), the down-projection f32, and the index
// types mixed, so every type parameter of the routing kernels is exercised.
// The per-rank shapes do not depend on the grid size: the same program runs
// at 2 ranks with `shape = 2` substituted.
shard.grid @tp(shape = 4)
func.func @main(%x: tensor<16x32xbf16>, %logits: tensor<16x4xbf16>,
                %w_gate: tensor<4x32x16xbf16>, %w_up: tensor<4x32x16xbf16>,
                %w_down: tensor<4x16x32xf32>) -> tensor<16x32xf32> {
  %weights, %experts = braid.moe_gate %logits {k = 2 : i64, normalize}
      : tensor<16x4xbf16> -> tensor<16x2xbf16>, tensor<16x2xi64>
  %rows, %sizes, %map = braid.moe_permute %x, %experts {num_experts = 4 : i64}
      : tensor<16x32xbf16>, tensor<16x2xi64>
      -> tensor<32x32xbf16>, tensor<4xi32>, tensor<32xi64>
  %gate = braid.grouped_matmul %rows, %w_gate, %sizes
      : tensor<32x32xbf16>, tensor<4x32x16xbf16>, tensor<4xi32> -> tensor<32x16xf32>
  %up = braid.grouped_matmul %rows, %w_up, %sizes
      : tensor<32x32xbf16>, tensor<4x32x16xbf16>, tensor<4xi32> -> tensor<32x16xf32>
  %hidden = braid.swiglu %gate, %up : tensor<32x16xf32>
  %down = braid.grouped_matmul %hidden, %w_down, %sizes
      : tensor<32x16xf32>, tensor<4x16x32xf32>, tensor<4xi32> -> tensor<32x32xf32>
  %partial = braid.moe_unpermute %down, %map, %weights
      : tensor<32x32xf32>, tensor<32xi64>, tensor<16x2xbf16> -> tensor<16x32xf32>
  %sum = braid.all_reduce %partial on @tp axes = [0] reduction = sum
      : tensor<16x32xf32>
  return %sum : tensor<16x32xf32>
}
