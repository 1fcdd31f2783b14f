// One rank of a GPT-3-175B MLP sublayer (hidden 12288, FFN 49152) with
// 8-way tensor and sequence parallelism: 8192 tokens per step, 1024 per rank,
// 6144 FFN columns per rank. Megatron order:
//   all_gather(tokens) -> FC1 (column-parallel) -> GELU -> FC2 (row-parallel,
//   f32 partial sums) -> reduce_scatter(tokens) -> residual add
// The shapes of T3's GPT-3 evaluation; estimate only (docs/Overlap.md).

shard.grid @tp(shape = 8)

func.func @mlp(%x: tensor<1024x12288xbf16>, %w1: tensor<12288x6144xbf16>,
               %w2: tensor<6144x12288xbf16>) -> tensor<1024x12288xf32> {
  %zero = arith.constant 0.0 : f32
  %tokens = braid.all_gather %x on @tp axes = [0] dim = 0
      : tensor<1024x12288xbf16> -> tensor<8192x12288xbf16>
  %e1 = tensor.empty() : tensor<8192x6144xf32>
  %acc1 = linalg.fill ins(%zero : f32) outs(%e1 : tensor<8192x6144xf32>) -> tensor<8192x6144xf32>
  %h = linalg.matmul ins(%tokens, %w1 : tensor<8192x12288xbf16>, tensor<12288x6144xbf16>)
                     outs(%acc1 : tensor<8192x6144xf32>) -> tensor<8192x6144xf32>
  %a = braid.activation gelu %h : tensor<8192x6144xf32>
  %a16 = arith.truncf %a : tensor<8192x6144xf32> to tensor<8192x6144xbf16>
  %e2 = tensor.empty() : tensor<8192x12288xf32>
  %acc2 = linalg.fill ins(%zero : f32) outs(%e2 : tensor<8192x12288xf32>) -> tensor<8192x12288xf32>
  %partial = linalg.matmul ins(%a16, %w2 : tensor<8192x6144xbf16>, tensor<6144x12288xbf16>)
                           outs(%acc2 : tensor<8192x12288xf32>) -> tensor<8192x12288xf32>
  %y = braid.reduce_scatter %partial on @tp axes = [0] dim = 0 reduction = sum
      : tensor<8192x12288xf32> -> tensor<1024x12288xf32>
  %x32 = arith.extf %x : tensor<1024x12288xbf16> to tensor<1024x12288xf32>
  %out = arith.addf %x32, %y : tensor<1024x12288xf32>
  return %out : tensor<1024x12288xf32>
}
