// One rank of a Llama-3-70B decoder layer, forward, with 8-way tensor and
// sequence parallelism: hidden 8192, 64 query / 8 KV heads of 128 (8 / 1 per
// rank), FFN 28672 (3584 per rank), 4096 tokens per step (512 per rank).
// Estimate-only: the shapes are the real model's.
shard.grid @tp(shape = 8)

func.func @layer(%x: tensor<512x8192xbf16>, %norm1: tensor<8192xbf16>, %norm2: tensor<8192xbf16>,
                 %w_qkv: tensor<8192x1280xbf16>, %w_o: tensor<1024x8192xbf16>,
                 %w_gate: tensor<8192x3584xbf16>, %w_up: tensor<8192x3584xbf16>,
                 %w_down: tensor<3584x8192xbf16>) -> tensor<512x8192xbf16> {
  %zero = arith.constant 0.0 : f32
  // Attention block.
  %n1 = braid.rmsnorm %x, %norm1 {epsilon = 1.0e-5 : f32} : tensor<512x8192xbf16>, tensor<8192xbf16> -> tensor<512x8192xbf16>
  %t1 = braid.all_gather %n1 on @tp axes = [0] dim = 0 : tensor<512x8192xbf16> -> tensor<4096x8192xbf16>
  %e_qkv = tensor.empty() : tensor<4096x1280xf32>
  %z_qkv = linalg.fill ins(%zero : f32) outs(%e_qkv : tensor<4096x1280xf32>) -> tensor<4096x1280xf32>
  %qkv32 = linalg.matmul ins(%t1, %w_qkv : tensor<4096x8192xbf16>, tensor<8192x1280xbf16>) outs(%z_qkv : tensor<4096x1280xf32>) -> tensor<4096x1280xf32>
  %qkv = arith.truncf %qkv32 : tensor<4096x1280xf32> to tensor<4096x1280xbf16>
  %q2 = tensor.extract_slice %qkv[0, 0] [4096, 1024] [1, 1] : tensor<4096x1280xbf16> to tensor<4096x1024xbf16>
  %k2 = tensor.extract_slice %qkv[0, 1024] [4096, 128] [1, 1] : tensor<4096x1280xbf16> to tensor<4096x128xbf16>
  %v2 = tensor.extract_slice %qkv[0, 1152] [4096, 128] [1, 1] : tensor<4096x1280xbf16> to tensor<4096x128xbf16>
  %q3 = tensor.expand_shape %q2 [[0, 1], [2, 3]] output_shape [1, 4096, 8, 128] : tensor<4096x1024xbf16> into tensor<1x4096x8x128xbf16>
  %k3 = tensor.expand_shape %k2 [[0, 1], [2, 3]] output_shape [1, 4096, 1, 128] : tensor<4096x128xbf16> into tensor<1x4096x1x128xbf16>
  %v3 = tensor.expand_shape %v2 [[0, 1], [2, 3]] output_shape [1, 4096, 1, 128] : tensor<4096x128xbf16> into tensor<1x4096x1x128xbf16>
  %eq = tensor.empty() : tensor<1x8x4096x128xbf16>
  %q = linalg.transpose ins(%q3 : tensor<1x4096x8x128xbf16>) outs(%eq : tensor<1x8x4096x128xbf16>) permutation = [0, 2, 1, 3]
  %k = tensor.collapse_shape %k3 [[0], [1, 2], [3]] : tensor<1x4096x1x128xbf16> into tensor<1x4096x128xbf16>
  %k4 = tensor.expand_shape %k [[0, 1], [2], [3]] output_shape [1, 1, 4096, 128] : tensor<1x4096x128xbf16> into tensor<1x1x4096x128xbf16>
  %v = tensor.collapse_shape %v3 [[0], [1, 2], [3]] : tensor<1x4096x1x128xbf16> into tensor<1x4096x128xbf16>
  %v4 = tensor.expand_shape %v [[0, 1], [2], [3]] output_shape [1, 1, 4096, 128] : tensor<1x4096x128xbf16> into tensor<1x1x4096x128xbf16>
  %o = braid.attention %q, %k4, %v4 {causal} : tensor<1x8x4096x128xbf16>, tensor<1x1x4096x128xbf16>, tensor<1x1x4096x128xbf16> -> tensor<1x8x4096x128xbf16>
  %eo = tensor.empty() : tensor<1x4096x8x128xbf16>
  %ot = linalg.transpose ins(%o : tensor<1x8x4096x128xbf16>) outs(%eo : tensor<1x4096x8x128xbf16>) permutation = [0, 2, 1, 3]
  %o2 = tensor.collapse_shape %ot [[0, 1], [2, 3]] : tensor<1x4096x8x128xbf16> into tensor<4096x1024xbf16>
  %e_out = tensor.empty() : tensor<4096x8192xf32>
  %z_out = linalg.fill ins(%zero : f32) outs(%e_out : tensor<4096x8192xf32>) -> tensor<4096x8192xf32>
  %attn = linalg.matmul ins(%o2, %w_o : tensor<4096x1024xbf16>, tensor<1024x8192xbf16>) outs(%z_out : tensor<4096x8192xf32>) -> tensor<4096x8192xf32>
  %attn_rs = braid.reduce_scatter %attn on @tp axes = [0] dim = 0 reduction = sum : tensor<4096x8192xf32> -> tensor<512x8192xf32>
  %x32 = arith.extf %x : tensor<512x8192xbf16> to tensor<512x8192xf32>
  %r1 = arith.addf %x32, %attn_rs : tensor<512x8192xf32>
  %r1b = arith.truncf %r1 : tensor<512x8192xf32> to tensor<512x8192xbf16>
  // MLP block.
  %n2 = braid.rmsnorm %r1b, %norm2 {epsilon = 1.0e-5 : f32} : tensor<512x8192xbf16>, tensor<8192xbf16> -> tensor<512x8192xbf16>
  %t2 = braid.all_gather %n2 on @tp axes = [0] dim = 0 : tensor<512x8192xbf16> -> tensor<4096x8192xbf16>
  %e_ff = tensor.empty() : tensor<4096x3584xf32>
  %z_ff = linalg.fill ins(%zero : f32) outs(%e_ff : tensor<4096x3584xf32>) -> tensor<4096x3584xf32>
  %g = linalg.matmul ins(%t2, %w_gate : tensor<4096x8192xbf16>, tensor<8192x3584xbf16>) outs(%z_ff : tensor<4096x3584xf32>) -> tensor<4096x3584xf32>
  %u = linalg.matmul ins(%t2, %w_up : tensor<4096x8192xbf16>, tensor<8192x3584xbf16>) outs(%z_ff : tensor<4096x3584xf32>) -> tensor<4096x3584xf32>
  %hh = braid.swiglu %g, %u : tensor<4096x3584xf32>
  %h16 = arith.truncf %hh : tensor<4096x3584xf32> to tensor<4096x3584xbf16>
  %down = linalg.matmul ins(%h16, %w_down : tensor<4096x3584xbf16>, tensor<3584x8192xbf16>) outs(%z_out : tensor<4096x8192xf32>) -> tensor<4096x8192xf32>
  %mlp_rs = braid.reduce_scatter %down on @tp axes = [0] dim = 0 reduction = sum : tensor<4096x8192xf32> -> tensor<512x8192xf32>
  %r2 = arith.addf %r1, %mlp_rs : tensor<512x8192xf32>
  %out = arith.truncf %r2 : tensor<512x8192xf32> to tensor<512x8192xbf16>
  return %out : tensor<512x8192xbf16>
}
