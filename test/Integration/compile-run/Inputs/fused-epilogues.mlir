// Producer fusion with epilogues on @P@ ranks (a template: @P@ the group
// size, @RS@ = 48 / @P@, @AG@ = 48 * @P@, @K@ = 2 * @P@): each matmul's
// epilogue runs on the rows of every tile block before they are released.
//   - reduce_scatter (T3 ring, two chunks per step) of relu(x·w + bias),
//     the bias broadcast along the rows;
//   - all_reduce (tile trigger, 4-row tiles) of (x·w) * mask;
//   - all_gather (arrival order, 3 chunks) of tanh(scale[row] * (x·w)),
//     the scale indexed by the row loop.
#rows = affine_map<(d0, d1) -> (d0, d1)>
#bias = affine_map<(d0, d1) -> (d1)>
#scale = affine_map<(d0, d1) -> (d0)>
shard.grid @tp(shape = @P@)
func.func @main(%x: tensor<48x32xf32>, %w: tensor<32x16xf32>,
                %bias: tensor<16xf32>, %mask: tensor<48x16xf32>,
                %scale: tensor<48xf32>)
    -> (tensor<@RS@x16xf32>, tensor<48x16xf32>, tensor<@AG@x16xf32>) {
  %zero = arith.constant 0.0 : f32
  %e0 = tensor.empty() : tensor<48x16xf32>
  %z0 = linalg.fill ins(%zero : f32) outs(%e0 : tensor<48x16xf32>) -> tensor<48x16xf32>
  %rs = braid.fused_collective trigger = #braid.trigger<chunk, count = @K@> order = ring {
    %y = linalg.matmul ins(%x, %w : tensor<48x32xf32>, tensor<32x16xf32>)
                       outs(%z0 : tensor<48x16xf32>) -> tensor<48x16xf32>
    %b = linalg.generic {indexing_maps = [#rows, #bias, #rows],
                         iterator_types = ["parallel", "parallel"]}
        ins(%y, %bias : tensor<48x16xf32>, tensor<16xf32>)
        outs(%e0 : tensor<48x16xf32>) {
    ^bb0(%v: f32, %c: f32, %out: f32):
      %s = arith.addf %v, %c : f32
      %r = arith.maximumf %s, %zero : f32
      linalg.yield %r : f32
    } -> tensor<48x16xf32>
    %r = braid.reduce_scatter %b on @tp axes = [0] dim = 0 reduction = sum
           : tensor<48x16xf32> -> tensor<@RS@x16xf32>
    braid.yield %r : tensor<@RS@x16xf32>
  } : tensor<@RS@x16xf32>
  %ar = braid.fused_collective trigger = #braid.trigger<tile, m = 4, n = 16, threshold = 1> order = ring {
    %y = linalg.matmul ins(%x, %w : tensor<48x32xf32>, tensor<32x16xf32>)
                       outs(%z0 : tensor<48x16xf32>) -> tensor<48x16xf32>
    %m = arith.mulf %y, %mask : tensor<48x16xf32>
    %r = braid.all_reduce %m on @tp axes = [0] reduction = sum : tensor<48x16xf32>
    braid.yield %r : tensor<48x16xf32>
  } : tensor<48x16xf32>
  %ag = braid.fused_collective trigger = #braid.trigger<chunk, count = 3> order = arrival {
    %y = linalg.matmul ins(%x, %w : tensor<48x32xf32>, tensor<32x16xf32>)
                       outs(%z0 : tensor<48x16xf32>) -> tensor<48x16xf32>
    %s = linalg.generic {indexing_maps = [#rows, #scale, #rows],
                         iterator_types = ["parallel", "parallel"]}
        ins(%y, %scale : tensor<48x16xf32>, tensor<48xf32>)
        outs(%e0 : tensor<48x16xf32>) {
    ^bb0(%v: f32, %c: f32, %out: f32):
      %p = arith.mulf %v, %c : f32
      linalg.yield %p : f32
    } -> tensor<48x16xf32>
    %t = math.tanh %s : tensor<48x16xf32>
    %g = braid.all_gather %t on @tp axes = [0] dim = 0
           : tensor<48x16xf32> -> tensor<@AG@x16xf32>
    braid.yield %g : tensor<@AG@x16xf32>
  } : tensor<@AG@x16xf32>
  return %rs, %ar, %ag : tensor<@RS@x16xf32>, tensor<48x16xf32>, tensor<@AG@x16xf32>
}
