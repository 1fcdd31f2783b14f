// Slices at dynamic offsets, sizes or strides are checked against the
// tensor they cut, in every dimension, when they run: an error located at
// the op that names the rank, instead of a write past the heap (insert) or
// a read of garbage blamed on the interleaving (extract).
// RUN: rm -rf %t && mkdir -p %t
// RUN: %python %S/Inputs/split.py %s %t
// RUN: braid-interp %t/in-bounds.mlir --quiet
// RUN: not braid-interp %t/extract.mlir 2>&1 | FileCheck %s --check-prefix=EXTRACT
// RUN: not braid-interp %t/insert.mlir 2>&1 | FileCheck %s --check-prefix=INSERT
// RUN: not braid-interp %t/negative.mlir 2>&1 | FileCheck %s --check-prefix=NEGATIVE
// RUN: not braid-interp %t/stride.mlir 2>&1 | FileCheck %s --check-prefix=STRIDE
// RUN: not braid-interp %t/stride-overflow.mlir 2>&1 | FileCheck %s --check-prefix=STRIDE-OVERFLOW
// RUN: not braid-interp %t/size.mlir 2>&1 | FileCheck %s --check-prefix=SIZE
// RUN: not braid-interp %t/source.mlir 2>&1 | FileCheck %s --check-prefix=SOURCE

// The last rank's row block starts past the end: rank 3 reads rows 6..7 of 6.
// EXTRACT: extract.mlir:6:8: error: rank 3: slice out of bounds in dimension 0 of the source tensor<6x4xf32>: offset 6, size 2 and stride 1 cover indices 6 to 7, outside [0, 6) (offsets [6, 0], sizes [2, 4], strides [1, 1])
// EXTRACT-NOT: interleavings
// ----- extract.mlir
shard.grid @tp(shape = 4)
func.func @main(%x: tensor<6x4xf32>) -> tensor<2x4xf32> {
  %rank = braid.rank on @tp axes = [0] : index
  %c2 = arith.constant 2 : index
  %row = arith.muli %rank, %c2 : index
  %s = tensor.extract_slice %x[%row, 0] [2, 4] [1, 1] : tensor<6x4xf32> to tensor<2x4xf32>
  return %s : tensor<2x4xf32>
}

// The same out-of-range block as an insert, in the second dimension.
// INSERT: insert.mlir:6:8: error: rank 3: slice out of bounds in dimension 1 of the destination tensor<4x6xf32>: offset 6, size 2 and stride 1 cover indices 6 to 7, outside [0, 6) (offsets [0, 6], sizes [4, 2], strides [1, 1])
// ----- insert.mlir
shard.grid @tp(shape = 4)
func.func @main(%x: tensor<4x6xf32>, %y: tensor<4x2xf32>) -> tensor<4x6xf32> {
  %rank = braid.rank on @tp axes = [0] : index
  %c2 = arith.constant 2 : index
  %col = arith.muli %rank, %c2 : index
  %s = tensor.insert_slice %y into %x[0, %col] [4, 2] [1, 1] : tensor<4x2xf32> into tensor<4x6xf32>
  return %s : tensor<4x6xf32>
}

// NEGATIVE: negative.mlir:3:8: error: rank 0: slice out of bounds in dimension 0 of the source tensor<6xf32>: offset -1, size 2 and stride 1 cover indices -1 to 0, outside [0, 6)
// ----- negative.mlir
func.func @main(%x: tensor<6xf32>) -> tensor<2xf32> {
  %c = arith.constant -1 : index
  %s = tensor.extract_slice %x[%c] [2] [1] : tensor<6xf32> to tensor<2xf32>
  return %s : tensor<2xf32>
}

// A stride that leaves the tensor, and one whose product overflows.
// STRIDE: stride.mlir:3:8: error: rank 0: slice out of bounds in dimension 0 of the source tensor<6xf32>: offset 1, size 3 and stride 3 cover indices 1 to 7, outside [0, 6)
// ----- stride.mlir
func.func @main(%x: tensor<6xf32>) -> tensor<3xf32> {
  %three = arith.constant 3 : index
  %s = tensor.extract_slice %x[1] [3] [%three] : tensor<6xf32> to tensor<3xf32>
  return %s : tensor<3xf32>
}

// STRIDE-OVERFLOW: stride-overflow.mlir:3:8: error: rank 0: slice out of bounds in dimension 0 of the source tensor<6xf32>: offset 0, size 3 and stride 9223372036854775807 cover indices 0 to beyond int64, outside [0, 6)
// ----- stride-overflow.mlir
func.func @main(%x: tensor<6xf32>) -> tensor<3xf32> {
  %max = arith.constant 9223372036854775807 : index
  %s = tensor.extract_slice %x[0] [3] [%max] : tensor<6xf32> to tensor<3xf32>
  return %s : tensor<3xf32>
}

// Dynamic sizes: negative, and a source that does not fill the slice.
// SIZE: size.mlir:3:8: error: rank 0: size -3 of dimension 0 is negative
// ----- size.mlir
func.func @main(%x: tensor<6xf32>) -> tensor<?xf32> {
  %n = arith.constant -3 : index
  %s = tensor.extract_slice %x[0] [%n] [1] : tensor<6xf32> to tensor<?xf32>
  return %s : tensor<?xf32>
}

// SOURCE: source.mlir:5:8: error: rank 0: the source tensor<2xf32> does not fill the slice of sizes [3]
// ----- source.mlir
func.func @main(%x: tensor<6xf32>) -> tensor<6xf32> {
  %two = arith.constant 2 : index
  %three = arith.constant 3 : index
  %y = tensor.extract_slice %x[0] [%two] [1] : tensor<6xf32> to tensor<?xf32>
  %s = tensor.insert_slice %y into %x[0] [%three] [1] : tensor<?xf32> into tensor<6xf32>
  return %s : tensor<6xf32>
}

// Every block in range, with rank reduction, dynamic strides and sizes.
// ----- in-bounds.mlir
shard.grid @tp(shape = 3)
func.func @main(%x: tensor<6x4xf32>, %y: tensor<2xf32>) -> (tensor<2xf32>, tensor<6x4xf32>, tensor<?xf32>) {
  %rank = braid.rank on @tp axes = [0] : index
  %c2 = arith.constant 2 : index
  %row = arith.muli %rank, %c2 : index
  %s = tensor.extract_slice %x[%row, 1] [1, 2] [1, %c2] : tensor<6x4xf32> to tensor<2xf32>
  %i = tensor.insert_slice %y into %x[%row, 1] [1, 2] [1, %c2] : tensor<2xf32> into tensor<6x4xf32>
  %d = tensor.extract_slice %x[5, 0] [1, %c2] [1, 1] : tensor<6x4xf32> to tensor<?xf32>
  return %s, %i, %d : tensor<2xf32>, tensor<6x4xf32>, tensor<?xf32>
}
