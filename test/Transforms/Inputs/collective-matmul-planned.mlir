// The all_reduce of collective-matmul-allreduce.mlir with a hand-written
// plan: 3 row chunks of 10 rows (input for decompose-collective-matmul-plans.mlir).
shard.grid @tp(shape = 4)
func.func @main(%a: tensor<10x8xf32>, %w: tensor<8x16xf32>, %b: tensor<10x6xf32>, %v: tensor<6x16xf32>) -> tensor<10x16xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<10x16xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<10x16xf32>) -> tensor<10x16xf32>
  %p = linalg.matmul ins(%a, %w : tensor<10x8xf32>, tensor<8x16xf32>) outs(%z : tensor<10x16xf32>) -> tensor<10x16xf32>
  %q = linalg.matmul ins(%b, %v : tensor<10x6xf32>, tensor<6x16xf32>) outs(%p : tensor<10x16xf32>) -> tensor<10x16xf32>
  %r = braid.all_reduce %q on @tp axes = [0] reduction = sum {braid.decomposition = #braid.decomposition<form = chunks, count = 3>} : tensor<10x16xf32>
  %t = math.tanh %r : tensor<10x16xf32>
  return %t : tensor<10x16xf32>
}
