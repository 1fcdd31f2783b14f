// Two-rank tensor-parallel MLP (sequence-parallel input and output):
// all_gather of the tokens, a column- then a row-parallel matmul,
// reduce_scatter of the f32 partial sums. Each rank sends 192 KiB per step,
// enough that the program's data, not MPI's start-up, dominates what a link
// carries, and small enough for the interpreter. Every size is distinct
// (128 tokens per rank, 256 in all, hidden 192, 64 FFN columns per rank) so
// bench/net/run.sh scales the tokens with sed.
shard.grid @tp(shape = 2)

func.func @mlp(%x: tensor<128x192xf32>, %w1: tensor<192x64xf32>,
               %w2: tensor<64x192xf32>) -> tensor<128x192xf32> {
  %zero = arith.constant 0.0 : f32
  %tokens = braid.all_gather %x on @tp axes = [0] dim = 0
      : tensor<128x192xf32> -> tensor<256x192xf32>
  %e1 = tensor.empty() : tensor<256x64xf32>
  %a1 = linalg.fill ins(%zero : f32) outs(%e1 : tensor<256x64xf32>) -> tensor<256x64xf32>
  %h = linalg.matmul ins(%tokens, %w1 : tensor<256x192xf32>, tensor<192x64xf32>)
                     outs(%a1 : tensor<256x64xf32>) -> tensor<256x64xf32>
  %t = math.tanh %h : tensor<256x64xf32>
  %e2 = tensor.empty() : tensor<256x192xf32>
  %a2 = linalg.fill ins(%zero : f32) outs(%e2 : tensor<256x192xf32>) -> tensor<256x192xf32>
  %partial = linalg.matmul ins(%t, %w2 : tensor<256x64xf32>, tensor<64x192xf32>)
                           outs(%a2 : tensor<256x192xf32>) -> tensor<256x192xf32>
  %y = braid.reduce_scatter %partial on @tp axes = [0] dim = 0 reduction = sum
      : tensor<256x192xf32> -> tensor<128x192xf32>
  %out = arith.addf %x, %y : tensor<128x192xf32>
  return %out : tensor<128x192xf32>
}
