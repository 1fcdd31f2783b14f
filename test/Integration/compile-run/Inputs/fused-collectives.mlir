// Producer fusion on @P@ ranks (a template: @P@ the group size, @RS@ = 48 / @P@,
// @AG@ = 48 * @P@, @K@ = 2 * @P@): a T3 ring reduce_scatter fed by a
// chunk-triggered matmul (two chunks per ring step), an all_reduce fed by a tile-triggered one (tiles of 4 rows), and
// an arrival-order all_gather of a matmul cut into 3 chunks, the second
// and third fusions chained through their values, and a grouped matmul
// (3 experts, group boundaries inside the ring chunks) into a T3 ring
// reduce_scatter.
shard.grid @tp(shape = @P@)
func.func @main(%x: tensor<48x32xf32>, %w: tensor<32x16xf32>,
                %v: tensor<16x24xf32>, %experts: tensor<3x32x16xf32>)
    -> (tensor<@RS@x16xf32>, tensor<48x16xf32>, tensor<@AG@x24xf32>,
        tensor<@RS@x16xf32>) {
  %zero = arith.constant 0.0 : f32
  %e0 = tensor.empty() : tensor<48x16xf32>
  %z0 = linalg.fill ins(%zero : f32) outs(%e0 : tensor<48x16xf32>) -> tensor<48x16xf32>
  %rs = braid.fused_collective trigger = #braid.trigger<chunk, count = @K@> order = ring {
    %y = linalg.matmul ins(%x, %w : tensor<48x32xf32>, tensor<32x16xf32>)
                       outs(%z0 : tensor<48x16xf32>) -> tensor<48x16xf32>
    %r = braid.reduce_scatter %y on @tp axes = [0] dim = 0 reduction = sum
           : tensor<48x16xf32> -> tensor<@RS@x16xf32>
    braid.yield %r : tensor<@RS@x16xf32>
  } : tensor<@RS@x16xf32>
  %ar = braid.fused_collective trigger = #braid.trigger<tile, m = 4, n = 16, threshold = 1> order = ring {
    %y = linalg.matmul ins(%x, %w : tensor<48x32xf32>, tensor<32x16xf32>)
                       outs(%z0 : tensor<48x16xf32>) -> tensor<48x16xf32>
    %r = braid.all_reduce %y on @tp axes = [0] reduction = sum : tensor<48x16xf32>
    braid.yield %r : tensor<48x16xf32>
  } : tensor<48x16xf32>
  %e1 = tensor.empty() : tensor<48x24xf32>
  %z1 = linalg.fill ins(%zero : f32) outs(%e1 : tensor<48x24xf32>) -> tensor<48x24xf32>
  %ag = braid.fused_collective trigger = #braid.trigger<chunk, count = 3> order = arrival {
    %y = linalg.matmul ins(%ar, %v : tensor<48x16xf32>, tensor<16x24xf32>)
                       outs(%z1 : tensor<48x24xf32>) -> tensor<48x24xf32>
    %g = braid.all_gather %y on @tp axes = [0] dim = 0
           : tensor<48x24xf32> -> tensor<@AG@x24xf32>
    braid.yield %g : tensor<@AG@x24xf32>
  } : tensor<@AG@x24xf32>
  %sizes = arith.constant dense<[20, 12, 16]> : tensor<3xi64>
  %moe = braid.fused_collective trigger = #braid.trigger<chunk, count = @P@> order = ring {
    %y = braid.grouped_matmul %x, %experts, %sizes
           : tensor<48x32xf32>, tensor<3x32x16xf32>, tensor<3xi64> -> tensor<48x16xf32>
    %r = braid.reduce_scatter %y on @tp axes = [0] dim = 0 reduction = sum
           : tensor<48x16xf32> -> tensor<@RS@x16xf32>
    braid.yield %r : tensor<@RS@x16xf32>
  } : tensor<@RS@x16xf32>
  return %rs, %ar, %ag, %moe : tensor<@RS@x16xf32>, tensor<48x16xf32>, tensor<@AG@x24xf32>, tensor<@RS@x16xf32>
}
