// One rank of a Llama-style MLP block with 1-way tensor parallelism (the GPU machine has one GPU) and
// sequence parallelism (Megatron-SP): one rank holds all 256 tokens
// and a quarter of the FFN width.
//
//   rmsnorm -> all_gather(tokens) -> gate/up matmuls (column-parallel)
//   -> swiglu -> down matmul (row-parallel, f32 partial sums)
//   -> reduce_scatter(tokens) -> residual add
//
// Canonical form (docs/Rationale.md): matmuls take bf16 operands and
// accumulate into a zero-filled f32 init; partial sums travel in f32.

shard.grid @tp(shape = 1)

func.func @mlp(%x: tensor<256x256xbf16>, %norm_w: tensor<256xbf16>,
               %w_gate: tensor<256x128xbf16>, %w_up: tensor<256x128xbf16>,
               %w_down: tensor<128x256xbf16>) -> tensor<256x256xbf16> {
  %zero = arith.constant 0.0 : f32
  %n = braid.rmsnorm %x, %norm_w {epsilon = 1.0e-5 : f32}
      : tensor<256x256xbf16>, tensor<256xbf16> -> tensor<256x256xbf16>
  %tokens = braid.all_gather %n on @tp axes = [0] dim = 0
      : tensor<256x256xbf16> -> tensor<256x256xbf16>

  %e1 = tensor.empty() : tensor<256x128xf32>
  %acc1 = linalg.fill ins(%zero : f32) outs(%e1 : tensor<256x128xf32>) -> tensor<256x128xf32>
  %gate = linalg.matmul ins(%tokens, %w_gate : tensor<256x256xbf16>, tensor<256x128xbf16>)
                        outs(%acc1 : tensor<256x128xf32>) -> tensor<256x128xf32>
  %up = linalg.matmul ins(%tokens, %w_up : tensor<256x256xbf16>, tensor<256x128xbf16>)
                      outs(%acc1 : tensor<256x128xf32>) -> tensor<256x128xf32>
  %h = braid.swiglu %gate, %up : tensor<256x128xf32>
  %h16 = arith.truncf %h : tensor<256x128xf32> to tensor<256x128xbf16>

  %e2 = tensor.empty() : tensor<256x256xf32>
  %acc2 = linalg.fill ins(%zero : f32) outs(%e2 : tensor<256x256xf32>) -> tensor<256x256xf32>
  %partial = linalg.matmul ins(%h16, %w_down : tensor<256x128xbf16>, tensor<128x256xbf16>)
                           outs(%acc2 : tensor<256x256xf32>) -> tensor<256x256xf32>
  %y = braid.reduce_scatter %partial on @tp axes = [0] dim = 0 reduction = sum
      : tensor<256x256xf32> -> tensor<256x256xf32>

  %x32 = arith.extf %x : tensor<256x256xbf16> to tensor<256x256xf32>
  %sum = arith.addf %x32, %y : tensor<256x256xf32>
  %out = arith.truncf %sum : tensor<256x256xf32> to tensor<256x256xbf16>
  return %out : tensor<256x256xbf16>
}
