// Two micro-batches of a sequence-parallel linear layer on 4 CPU ranks over
// 1 GbE (input for schedule-memory-budget.mlir, Integration/schedule.test and
// Integration/compile-run/memory-budget.test).
module attributes {braid.target = #braid.target<"cpu-1gbe">} {
shard.grid @tp(shape = 4)
func.func @main(%x0: tensor<16x64xf32>, %x1: tensor<16x64xf32>, %w: tensor<64x64xf32>) -> (tensor<16x64xf32>, tensor<16x64xf32>) {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<64x64xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<64x64xf32>) -> tensor<64x64xf32>
  %g0 = braid.all_gather %x0 on @tp axes = [0] dim = 0 : tensor<16x64xf32> -> tensor<64x64xf32>
  %m0 = linalg.matmul ins(%g0, %w : tensor<64x64xf32>, tensor<64x64xf32>) outs(%init : tensor<64x64xf32>) -> tensor<64x64xf32>
  %s0 = braid.reduce_scatter %m0 on @tp axes = [0] dim = 0 reduction = sum : tensor<64x64xf32> -> tensor<16x64xf32>
  %g1 = braid.all_gather %x1 on @tp axes = [0] dim = 0 : tensor<16x64xf32> -> tensor<64x64xf32>
  %m1 = linalg.matmul ins(%g1, %w : tensor<64x64xf32>, tensor<64x64xf32>) outs(%init : tensor<64x64xf32>) -> tensor<64x64xf32>
  %s1 = braid.reduce_scatter %m1 on @tp axes = [0] dim = 0 reduction = sum : tensor<64x64xf32> -> tensor<16x64xf32>
  return %s0, %s1 : tensor<16x64xf32>, tensor<16x64xf32>
}
}
