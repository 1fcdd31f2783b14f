// The attention half of a Llama-style layer on 4 ranks with sequence
// parallelism (input for overlap-pipeline.mlir): all_gather(tokens) -> QKV
// (column-parallel, 2 query heads and 1 KV head per rank) -> causal GQA
// attention -> out-projection (row-parallel) -> reduce_scatter -> residual.
shard.grid @tp(shape = 4)
func.func @main(%x: tensor<4x32xf32>, %w_qkv: tensor<32x32xf32>, %w_o: tensor<16x32xf32>) -> tensor<4x32xf32> {
  %zero = arith.constant 0.0 : f32
  %t = braid.all_gather %x on @tp axes = [0] dim = 0 : tensor<4x32xf32> -> tensor<16x32xf32>
  %e_qkv = tensor.empty() : tensor<16x32xf32>
  %z_qkv = linalg.fill ins(%zero : f32) outs(%e_qkv : tensor<16x32xf32>) -> tensor<16x32xf32>
  %qkv = linalg.matmul ins(%t, %w_qkv : tensor<16x32xf32>, tensor<32x32xf32>) outs(%z_qkv : tensor<16x32xf32>) -> tensor<16x32xf32>
  %q2 = tensor.extract_slice %qkv[0, 0] [16, 16] [1, 1] : tensor<16x32xf32> to tensor<16x16xf32>
  %k2 = tensor.extract_slice %qkv[0, 16] [16, 8] [1, 1] : tensor<16x32xf32> to tensor<16x8xf32>
  %v2 = tensor.extract_slice %qkv[0, 24] [16, 8] [1, 1] : tensor<16x32xf32> to tensor<16x8xf32>
  %q3 = tensor.expand_shape %q2 [[0, 1], [2, 3]] output_shape [1, 16, 2, 8] : tensor<16x16xf32> into tensor<1x16x2x8xf32>
  %eq = tensor.empty() : tensor<1x2x16x8xf32>
  %q = linalg.transpose ins(%q3 : tensor<1x16x2x8xf32>) outs(%eq : tensor<1x2x16x8xf32>) permutation = [0, 2, 1, 3]
  %k = tensor.expand_shape %k2 [[0, 1, 2], [3]] output_shape [1, 1, 16, 8] : tensor<16x8xf32> into tensor<1x1x16x8xf32>
  %v = tensor.expand_shape %v2 [[0, 1, 2], [3]] output_shape [1, 1, 16, 8] : tensor<16x8xf32> into tensor<1x1x16x8xf32>
  %o = braid.attention %q, %k, %v {causal} : tensor<1x2x16x8xf32>, tensor<1x1x16x8xf32>, tensor<1x1x16x8xf32> -> tensor<1x2x16x8xf32>
  %eo = tensor.empty() : tensor<1x16x2x8xf32>
  %ot = linalg.transpose ins(%o : tensor<1x2x16x8xf32>) outs(%eo : tensor<1x16x2x8xf32>) permutation = [0, 2, 1, 3]
  %o2 = tensor.collapse_shape %ot [[0, 1], [2, 3]] : tensor<1x16x2x8xf32> into tensor<16x16xf32>
  %e_out = tensor.empty() : tensor<16x32xf32>
  %z_out = linalg.fill ins(%zero : f32) outs(%e_out : tensor<16x32xf32>) -> tensor<16x32xf32>
  %attn = linalg.matmul ins(%o2, %w_o : tensor<16x16xf32>, tensor<16x32xf32>) outs(%z_out : tensor<16x32xf32>) -> tensor<16x32xf32>
  %rs = braid.reduce_scatter %attn on @tp axes = [0] dim = 0 reduction = sum : tensor<16x32xf32> -> tensor<4x32xf32>
  %r = arith.addf %x, %rs : tensor<4x32xf32>
  return %r : tensor<4x32xf32>
}
