// 8 ranks on a 2x4 grid: data parallel over axis 0, tensor parallel over
// axis 1. Column-parallel matmul after an all_gather over TP, row-parallel
// matmul whose partial sums are reduce-scattered over TP, a DP all_reduce
// of the result, a broadcast from DP rank 1 and a permute ring over TP.
shard.grid @mesh(shape = 2x4)

func.func @step(%x: tensor<4x16xf32>, %w1: tensor<16x8xf32>, %w2: tensor<8x16xf32>)
    -> (tensor<4x16xf32>, tensor<4x16xf32>) {
  %zero = arith.constant 0.0 : f32
  %g = braid.all_gather %x on @mesh axes = [1] dim = 0 : tensor<4x16xf32> -> tensor<16x16xf32>
  %e1 = tensor.empty() : tensor<16x8xf32>
  %a1 = linalg.fill ins(%zero : f32) outs(%e1 : tensor<16x8xf32>) -> tensor<16x8xf32>
  %h = linalg.matmul ins(%g, %w1 : tensor<16x16xf32>, tensor<16x8xf32>) outs(%a1 : tensor<16x8xf32>) -> tensor<16x8xf32>
  %t = math.tanh %h : tensor<16x8xf32>
  %e2 = tensor.empty() : tensor<16x16xf32>
  %a2 = linalg.fill ins(%zero : f32) outs(%e2 : tensor<16x16xf32>) -> tensor<16x16xf32>
  %p = linalg.matmul ins(%t, %w2 : tensor<16x8xf32>, tensor<8x16xf32>) outs(%a2 : tensor<16x16xf32>) -> tensor<16x16xf32>
  %s = braid.reduce_scatter %p on @mesh axes = [1] dim = 0 reduction = sum : tensor<16x16xf32> -> tensor<4x16xf32>
  %d = braid.all_reduce %s on @mesh axes = [0] reduction = sum : tensor<4x16xf32>
  %b = braid.broadcast %d on @mesh axes = [0] root = 1 : tensor<4x16xf32>
  %r = braid.collective_permute %x on @mesh axes = [1] pairs = [[0, 1], [1, 2], [2, 3], [3, 0]] : tensor<4x16xf32>
  %y = arith.addf %b, %r : tensor<4x16xf32>
  return %y, %d : tensor<4x16xf32>, tensor<4x16xf32>
}
