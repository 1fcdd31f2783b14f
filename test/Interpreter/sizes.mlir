// Sizes the interpreter cannot allocate are errors located at the grid, the
// argument or the op, never an abort: braid ops name grids of at most 65536
// devices (kMaxGridDevices), the interpreter runs at most 1024 ranks (a
// thread each) and every tensor takes at most --max-tensor-bytes of storage
// (8 bytes per element, 4 GiB by default).
// RUN: rm -rf %t && mkdir -p %t
// RUN: %python %S/Inputs/split.py %s %t
// RUN: not braid-interp %t/grid.mlir 2>&1 | FileCheck %s --check-prefix=GRID
// RUN: not braid-interp %t/grid-overflow.mlir 2>&1 | FileCheck %s --check-prefix=GRID-OVERFLOW
// RUN: not braid-interp %t/grid-collective.mlir 2>&1 | FileCheck %s --check-prefix=GRID-COLLECTIVE
// RUN: not braid-interp %t/ranks.mlir 2>&1 | FileCheck %s --check-prefix=RANKS
// RUN: not braid-interp %t/argument.mlir 2>&1 | FileCheck %s --check-prefix=ARGUMENT
// RUN: not braid-interp %t/empty.mlir 2>&1 | FileCheck %s --check-prefix=EMPTY
// RUN: not braid-interp %t/limit.mlir --max-tensor-bytes=64 2>&1 | FileCheck %s --check-prefix=LIMIT
// RUN: braid-interp %t/limit.mlir --max-tensor-bytes=128 --quiet

// GRID: grid.mlir:1:1: error: grid @g has 9223372036854775807 devices; braid handles grids of at most 65536 devices (it enumerates every rank)
// ----- grid.mlir
shard.grid @g(shape = 9223372036854775807)
func.func @main(%x: tensor<4xf32>) -> tensor<4xf32> {
  return %x : tensor<4xf32>
}

// GRID-OVERFLOW: grid-overflow.mlir:1:1: error: grid @g has more than 9223372036854775807 devices; braid handles grids of at most 65536 devices
// ----- grid-overflow.mlir
shard.grid @g(shape = 4294967296x4294967296)
func.func @main(%x: tensor<4xf32>) -> tensor<4xf32> {
  return %x : tensor<4xf32>
}

// GRID-COLLECTIVE: grid-collective.mlir:3:8: error: 'braid.all_reduce' op grid @g has 65537 devices; braid handles grids of at most 65536 devices (it enumerates every rank)
// GRID-COLLECTIVE: grid-collective.mlir:1:1: note: grid declared here
// ----- grid-collective.mlir
shard.grid @g(shape = 65537)
func.func @main(%x: tensor<4xf32>) -> tensor<4xf32> {
  %r = braid.all_reduce %x on @g axes = [0] reduction = sum : tensor<4xf32>
  return %r : tensor<4xf32>
}

// RANKS: ranks.mlir:1:1: error: grid @g has 4096 devices; the interpreter runs at most 1024 ranks (one thread each)
// ----- ranks.mlir
shard.grid @g(shape = 64x64)
func.func @main(%x: tensor<4xf32>) -> tensor<4xf32> {
  %r = braid.all_reduce %x on @g axes = [0, 1] reduction = sum : tensor<4xf32>
  return %r : tensor<4xf32>
}

// ARGUMENT: argument.mlir:1:1: error: argument #1: tensor<1099511627776xf32> needs 8796093022208 bytes in the interpreter (8 per element), over its per-tensor limit of 4294967296 (braid-interp --max-tensor-bytes)
// ----- argument.mlir
func.func @main(%x: tensor<4xf32>, %y: tensor<1099511627776xf32>) -> tensor<4xf32> {
  return %x : tensor<4xf32>
}

// A size computed at run time is checked where it is used.
// EMPTY: empty.mlir:3:10: error: rank 0: tensor<1099511627776xf32> needs 8796093022208 bytes in the interpreter (8 per element), over its per-tensor limit of 4294967296 (braid-interp --max-tensor-bytes)
// ----- empty.mlir
func.func @main() -> tensor<?xf32> {
  %size = arith.constant 1099511627776 : index
  %big = tensor.empty(%size) : tensor<?xf32>
  return %big : tensor<?xf32>
}

// LIMIT: limit.mlir:2:12: error: rank 0: tensor<16xf32> needs 128 bytes in the interpreter (8 per element), over its per-tensor limit of 64 (braid-interp --max-tensor-bytes)
// ----- limit.mlir
func.func @main() -> tensor<16xf32> {
  %small = arith.constant dense<1.0> : tensor<16xf32>
  return %small : tensor<16xf32>
}
