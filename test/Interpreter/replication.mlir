// Replication claims do not carry across grids: @a and @b cover the same 4
// devices arranged differently, so after a reduce_scatter on @a nothing is
// known to be equal across @b's groups (a false claim failed this run).
// RUN: braid-interp %s --quiet
// A real claim on one grid is still checked: the all_reduce result must be
// equal on both ranks of each @b row group.
// RUN: braid-interp %S/Inputs/replicated.mlir --quiet

shard.grid @a(shape = 4)
shard.grid @b(shape = 2x2)
func.func @main(%x: tensor<8x8xf32>) -> tensor<4x8xf32> {
  %d = braid.all_gather %x on @b axes = [0] dim = 0 : tensor<8x8xf32> -> tensor<16x8xf32>
  %s = braid.reduce_scatter %d on @a axes = [0] dim = 0 reduction = sum : tensor<16x8xf32> -> tensor<4x8xf32>
  return %s : tensor<4x8xf32>
}
