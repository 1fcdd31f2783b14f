// Producer fusion inside a loop (a scan over layers): one counter, a fresh
// epoch per iteration (braid_exec_next_epoch), compiled and run.
shard.grid @tp(shape = 2)
func.func @main(%x: tensor<6x8xf32>, %w: tensor<8x8xf32>, %v: tensor<8x8xf32>) -> (tensor<12x8xf32>, tensor<6x8xf32>) {
  %zero = arith.constant 0.0 : f32
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  %e0 = tensor.empty() : tensor<12x8xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e0 : tensor<12x8xf32>) -> tensor<12x8xf32>
  %out = scf.for %i = %c0 to %c3 step %c1 iter_args(%acc = %init) -> tensor<12x8xf32> {
    %e = tensor.empty() : tensor<6x8xf32>
    %c = linalg.fill ins(%zero : f32) outs(%e : tensor<6x8xf32>) -> tensor<6x8xf32>
    %g = braid.fused_collective trigger = #braid.trigger<chunk, count = 3> order = arrival {
      %y = linalg.matmul ins(%x, %w : tensor<6x8xf32>, tensor<8x8xf32>) outs(%c : tensor<6x8xf32>) -> tensor<6x8xf32>
      %a = braid.all_gather %y on @tp axes = [0] dim = 0 : tensor<6x8xf32> -> tensor<12x8xf32>
      braid.yield %a : tensor<12x8xf32>
    } : tensor<12x8xf32>
    %sum = arith.addf %acc, %g : tensor<12x8xf32>
    scf.yield %sum : tensor<12x8xf32>
  }
  %e1 = tensor.empty() : tensor<6x8xf32>
  %c1i = linalg.fill ins(%zero : f32) outs(%e1 : tensor<6x8xf32>) -> tensor<6x8xf32>
  %r = braid.fused_collective trigger = #braid.trigger<tile, m = 1, n = 8, threshold = 1> order = ring {
    %y = linalg.matmul ins(%x, %v : tensor<6x8xf32>, tensor<8x8xf32>) outs(%c1i : tensor<6x8xf32>) -> tensor<6x8xf32>
    %s = braid.all_reduce %y on @tp axes = [0] reduction = sum : tensor<6x8xf32>
    braid.yield %s : tensor<6x8xf32>
  } : tensor<6x8xf32>
  return %out, %r : tensor<12x8xf32>, tensor<6x8xf32>
}

