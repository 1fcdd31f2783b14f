// One rank of the backward pass of a Llama-3-70B MLP with 8-way tensor and
// sequence parallelism (hidden 8192, FFN 28672 = 8 x 3584, 4096 tokens per
// step, 512 per rank). Estimate-only: the shapes are the real model's.
//
//   forward:  h = swiglu(x W_gate, x W_up); y = h W_down
//   backward: dy (sequence shard) -> all_gather -> dH = dY W_down^T,
//             dW_down = H^T dY (wgrad, independent of the dgrad chain)
//             -> swiglu backward -> dX = dG W_gate^T + dU W_up^T (partial)
//             -> reduce_scatter(dX); dW_gate = X^T dG, dW_up = X^T dU
shard.grid @tp(shape = 8)

func.func @mlp_backward(%dy: tensor<512x8192xbf16>, %x: tensor<4096x8192xbf16>,
                        %h: tensor<4096x3584xbf16>, %gate: tensor<4096x3584xbf16>,
                        %up: tensor<4096x3584xbf16>,
                        %w_gate_t: tensor<3584x8192xbf16>, %w_up_t: tensor<3584x8192xbf16>,
                        %w_down_t: tensor<8192x3584xbf16>,
                        %h_t: tensor<3584x4096xbf16>, %x_t: tensor<8192x4096xbf16>)
    -> (tensor<512x8192xf32>, tensor<3584x8192xf32>, tensor<8192x3584xf32>, tensor<8192x3584xf32>) {
  %zero = arith.constant 0.0 : f32
  %dY = braid.all_gather %dy on @tp axes = [0] dim = 0 : tensor<512x8192xbf16> -> tensor<4096x8192xbf16>

  // dgrad through W_down
  %e0 = tensor.empty() : tensor<4096x3584xf32>
  %z0 = linalg.fill ins(%zero : f32) outs(%e0 : tensor<4096x3584xf32>) -> tensor<4096x3584xf32>
  %dH = linalg.matmul ins(%dY, %w_down_t : tensor<4096x8192xbf16>, tensor<8192x3584xbf16>) outs(%z0 : tensor<4096x3584xf32>) -> tensor<4096x3584xf32>

  // swiglu backward (element-wise): dG = dH * up * silu'(gate), dU = dH * silu(gate)
  %g32 = arith.extf %gate : tensor<4096x3584xbf16> to tensor<4096x3584xf32>
  %u32 = arith.extf %up : tensor<4096x3584xbf16> to tensor<4096x3584xf32>
  %s = braid.activation sigmoid %g32 : tensor<4096x3584xf32>
  %silu = arith.mulf %g32, %s : tensor<4096x3584xf32>
  %dU = arith.mulf %dH, %silu : tensor<4096x3584xf32>
  %t = arith.mulf %dH, %u32 : tensor<4096x3584xf32>
  %dG = arith.mulf %t, %s : tensor<4096x3584xf32>
  %dG16 = arith.truncf %dG : tensor<4096x3584xf32> to tensor<4096x3584xbf16>
  %dU16 = arith.truncf %dU : tensor<4096x3584xf32> to tensor<4096x3584xbf16>

  // dX partial sums, reduced and scattered back to sequence shards
  %e1 = tensor.empty() : tensor<4096x8192xf32>
  %z1 = linalg.fill ins(%zero : f32) outs(%e1 : tensor<4096x8192xf32>) -> tensor<4096x8192xf32>
  %dXg = linalg.matmul ins(%dG16, %w_gate_t : tensor<4096x3584xbf16>, tensor<3584x8192xbf16>) outs(%z1 : tensor<4096x8192xf32>) -> tensor<4096x8192xf32>
  %dX = linalg.matmul ins(%dU16, %w_up_t : tensor<4096x3584xbf16>, tensor<3584x8192xbf16>) outs(%dXg : tensor<4096x8192xf32>) -> tensor<4096x8192xf32>
  %dx = braid.reduce_scatter %dX on @tp axes = [0] dim = 0 reduction = sum : tensor<4096x8192xf32> -> tensor<512x8192xf32>

  // wgrad: independent of the reduce_scatter
  %e2 = tensor.empty() : tensor<3584x8192xf32>
  %z2 = linalg.fill ins(%zero : f32) outs(%e2 : tensor<3584x8192xf32>) -> tensor<3584x8192xf32>
  %dWdown = linalg.matmul ins(%h_t, %dY : tensor<3584x4096xbf16>, tensor<4096x8192xbf16>) outs(%z2 : tensor<3584x8192xf32>) -> tensor<3584x8192xf32>
  %e3 = tensor.empty() : tensor<8192x3584xf32>
  %z3 = linalg.fill ins(%zero : f32) outs(%e3 : tensor<8192x3584xf32>) -> tensor<8192x3584xf32>
  %dWgate = linalg.matmul ins(%x_t, %dG16 : tensor<8192x4096xbf16>, tensor<4096x3584xbf16>) outs(%z3 : tensor<8192x3584xf32>) -> tensor<8192x3584xf32>
  %dWup = linalg.matmul ins(%x_t, %dU16 : tensor<8192x4096xbf16>, tensor<4096x3584xbf16>) outs(%z3 : tensor<8192x3584xf32>) -> tensor<8192x3584xf32>
  return %dx, %dWdown, %dWgate, %dWup : tensor<512x8192xf32>, tensor<3584x8192xf32>, tensor<8192x3584xf32>, tensor<8192x3584xf32>
}
