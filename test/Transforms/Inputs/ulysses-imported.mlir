// test/Import/jax ulysses (sequence-parallel attention, f32, 4 ranks: all_to_all
// seq -> heads, einsum attention on [H/4, S, hd] with no batch dim, all_to_all
// back) as braid-import-stablehlo printed it on 2026-11-25.
shard.grid @mesh(shape = 4)

func.func @main(%arg0: tensor<8x8x8xf32>, %arg1: tensor<8x8x8xf32>, %arg2: tensor<8x8x8xf32>) -> (tensor<8x8x8xf32>) {
  %v1 = braid.all_to_all %arg0 on @mesh axes = [0] split_dim = 1 concat_dim = 0 : tensor<8x8x8xf32> -> tensor<32x2x8xf32>
  %v2 = braid.all_to_all %arg1 on @mesh axes = [0] split_dim = 1 concat_dim = 0 : tensor<8x8x8xf32> -> tensor<32x2x8xf32>
  %v3 = braid.all_to_all %arg2 on @mesh axes = [0] split_dim = 1 concat_dim = 0 : tensor<8x8x8xf32> -> tensor<32x2x8xf32>
  %v4 = tensor.empty() : tensor<2x32x8xf32>
  %v5 = linalg.transpose ins(%v1 : tensor<32x2x8xf32>) outs(%v4 : tensor<2x32x8xf32>) permutation = [1, 0, 2]
  %v6 = tensor.empty() : tensor<2x8x32xf32>
  %v7 = linalg.transpose ins(%v2 : tensor<32x2x8xf32>) outs(%v6 : tensor<2x8x32xf32>) permutation = [1, 2, 0]
  %v8 = arith.constant 0.0 : f32
  %v9 = tensor.empty() : tensor<2x32x32xf32>
  %v10 = linalg.fill ins(%v8 : f32) outs(%v9 : tensor<2x32x32xf32>) -> tensor<2x32x32xf32>
  %v11 = linalg.batch_matmul ins(%v5, %v7 : tensor<2x32x8xf32>, tensor<2x8x32xf32>) outs(%v10 : tensor<2x32x32xf32>) -> tensor<2x32x32xf32>
  %v12 = arith.constant dense<2.8284270763397217> : tensor<2x32x32xf32>
  %v13 = arith.divf %v11, %v12 : tensor<2x32x32xf32>
  %v14 = arith.constant 0xFF800000 : f32
  %v15 = tensor.empty() : tensor<2x32xf32>
  %v16 = linalg.fill ins(%v14 : f32) outs(%v15 : tensor<2x32xf32>) -> tensor<2x32xf32>
  %v20 = linalg.reduce ins(%v13 : tensor<2x32x32xf32>) outs(%v16 : tensor<2x32xf32>) dimensions = [2]
    (%in17: f32, %acc18: f32) {
      %r19 = arith.maximumf %in17, %acc18 : f32
      linalg.yield %r19 : f32
    }
  %v21 = arith.constant dense<0xFF800000> : tensor<2x32xf32>
  %v22 = arith.maximumf %v21, %v20 : tensor<2x32xf32>
  %v24 = tensor.empty() : tensor<2x32x32xf32>
  %v25 = linalg.broadcast ins(%v22 : tensor<2x32xf32>) outs(%v24 : tensor<2x32x32xf32>) dimensions = [2]
  %v26 = arith.subf %v13, %v25 : tensor<2x32x32xf32>
  %v27 = math.exp %v26 : tensor<2x32x32xf32>
  %v28 = arith.constant 0.0 : f32
  %v29 = tensor.empty() : tensor<2x32xf32>
  %v30 = linalg.fill ins(%v28 : f32) outs(%v29 : tensor<2x32xf32>) -> tensor<2x32xf32>
  %v34 = linalg.reduce ins(%v27 : tensor<2x32x32xf32>) outs(%v30 : tensor<2x32xf32>) dimensions = [2]
    (%in31: f32, %acc32: f32) {
      %r33 = arith.addf %in31, %acc32 : f32
      linalg.yield %r33 : f32
    }
  %v36 = tensor.empty() : tensor<2x32x32xf32>
  %v37 = linalg.broadcast ins(%v34 : tensor<2x32xf32>) outs(%v36 : tensor<2x32x32xf32>) dimensions = [2]
  %v38 = arith.divf %v27, %v37 : tensor<2x32x32xf32>
  %v39 = tensor.empty() : tensor<2x8x32xf32>
  %v40 = linalg.transpose ins(%v3 : tensor<32x2x8xf32>) outs(%v39 : tensor<2x8x32xf32>) permutation = [1, 2, 0]
  %v41 = tensor.empty() : tensor<2x32x32xf32>
  %v42 = linalg.transpose ins(%v38 : tensor<2x32x32xf32>) outs(%v41 : tensor<2x32x32xf32>) permutation = [0, 2, 1]
  %v43 = arith.constant 0.0 : f32
  %v44 = tensor.empty() : tensor<2x8x32xf32>
  %v45 = linalg.fill ins(%v43 : f32) outs(%v44 : tensor<2x8x32xf32>) -> tensor<2x8x32xf32>
  %v46 = linalg.batch_matmul ins(%v40, %v42 : tensor<2x8x32xf32>, tensor<2x32x32xf32>) outs(%v45 : tensor<2x8x32xf32>) -> tensor<2x8x32xf32>
  %v47 = tensor.empty() : tensor<32x2x8xf32>
  %v48 = linalg.transpose ins(%v46 : tensor<2x8x32xf32>) outs(%v47 : tensor<32x2x8xf32>) permutation = [2, 0, 1]
  %v49 = braid.all_to_all %v48 on @mesh axes = [0] split_dim = 0 concat_dim = 1 : tensor<32x2x8xf32> -> tensor<8x8x8xf32>
  return %v49 : tensor<8x8x8xf32>
}
