// A 2-way tensor-parallel MLP block in bf16 (input for calibrate.test and
// compare-timelines.test).
shard.grid @tp(shape = 2)
func.func @main(%x: tensor<32x64xbf16>, %g: tensor<64xbf16>, %w1: tensor<64x64xbf16>, %w2: tensor<64x64xbf16>) -> tensor<32x64xf32> {
  %zero = arith.constant 0.0 : f32
  %n = braid.rmsnorm %x, %g : tensor<32x64xbf16>, tensor<64xbf16> -> tensor<32x64xbf16>
  %e = tensor.empty() : tensor<32x64xf32>
  %i = linalg.fill ins(%zero : f32) outs(%e : tensor<32x64xf32>) -> tensor<32x64xf32>
  %h = linalg.matmul ins(%n, %w1 : tensor<32x64xbf16>, tensor<64x64xbf16>) outs(%i : tensor<32x64xf32>) -> tensor<32x64xf32>
  %a = braid.swiglu %h, %h : tensor<32x64xf32>
  %ab = arith.truncf %a : tensor<32x64xf32> to tensor<32x64xbf16>
  %y = linalg.matmul ins(%ab, %w2 : tensor<32x64xbf16>, tensor<64x64xbf16>) outs(%i : tensor<32x64xf32>) -> tensor<32x64xf32>
  %r = braid.all_reduce %y on @tp axes = [0] reduction = sum : tensor<32x64xf32>
  return %r : tensor<32x64xf32>
}
