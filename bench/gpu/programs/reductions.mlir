// One rank of f32 work that exercises the CUDA target's generated kernels:
// row sums and maxima (linalg.reduce: a kernel whose threads each own an
// output and sum sequentially), broadcasts into fused element-wise chains,
// a softmax (runtime kernel), a GEMM (cuBLASLt) and an all_reduce over a
// one-rank grid (NCCL).

shard.grid @world(shape = 1)

func.func @reductions(%x: tensor<96x200xf32>, %w: tensor<200x64xf32>)
    -> (tensor<96x64xf32>, tensor<96xf32>) {
  %zero = arith.constant 0.0 : f32
  %ninf = arith.constant 0xFF800000 : f32
  %e0 = tensor.empty() : tensor<96xf32>
  %z0 = linalg.fill ins(%zero : f32) outs(%e0 : tensor<96xf32>) -> tensor<96xf32>
  %sum = linalg.reduce ins(%x : tensor<96x200xf32>) outs(%z0 : tensor<96xf32>) dimensions = [1]
    (%in: f32, %acc: f32) {
      %s = arith.addf %in, %acc : f32
      linalg.yield %s : f32
    }
  %m0 = linalg.fill ins(%ninf : f32) outs(%e0 : tensor<96xf32>) -> tensor<96xf32>
  %max = linalg.reduce ins(%x : tensor<96x200xf32>) outs(%m0 : tensor<96xf32>) dimensions = [1]
    (%in: f32, %acc: f32) {
      %s = arith.maximumf %in, %acc : f32
      linalg.yield %s : f32
    }
  %e1 = tensor.empty() : tensor<96x200xf32>
  %maxb = linalg.broadcast ins(%max : tensor<96xf32>) outs(%e1 : tensor<96x200xf32>) dimensions = [1]
  %centered = arith.subf %x, %maxb : tensor<96x200xf32>
  %scaled = math.tanh %centered : tensor<96x200xf32>
  %e2 = tensor.empty() : tensor<96x200xf32>
  %soft = linalg.softmax dimension(1) ins(%scaled : tensor<96x200xf32>) outs(%e2 : tensor<96x200xf32>) -> tensor<96x200xf32>
  %e3 = tensor.empty() : tensor<96x64xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e3 : tensor<96x64xf32>) -> tensor<96x64xf32>
  %y = linalg.matmul ins(%soft, %w : tensor<96x200xf32>, tensor<200x64xf32>) outs(%acc : tensor<96x64xf32>) -> tensor<96x64xf32>
  %r = braid.all_reduce %y on @world axes = [0] reduction = sum : tensor<96x64xf32>
  %sq = arith.mulf %sum, %sum : tensor<96xf32>
  %out = math.sqrt %sq : tensor<96xf32>
  return %r, %out : tensor<96x64xf32>, tensor<96xf32>
}
