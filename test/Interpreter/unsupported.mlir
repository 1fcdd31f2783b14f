// An op or type the interpreter cannot run is a located error naming it.
// RUN: rm -rf %t && mkdir -p %t
// RUN: %python %S/Inputs/split.py %s %t
// RUN: not braid-interp %t/op.mlir 2>&1 | FileCheck %s --check-prefix=OP
// RUN: not braid-interp %t/type.mlir 2>&1 | FileCheck %s --check-prefix=TYPE
// RUN: not braid-interp %t/grids.mlir 2>&1 | FileCheck %s --check-prefix=GRIDS
// RUN: not braid-interp %t/index.mlir 2>&1 | FileCheck %s --check-prefix=INDEX
// RUN: not braid-interp %t/entry.mlir 2>&1 | FileCheck %s --check-prefix=ENTRY
// RUN: not braid-interp %t/entry.mlir --entry=c 2>&1 | FileCheck %s --check-prefix=ENTRY-NAMED
// RUN: not braid-interp %t/private.mlir 2>&1 | FileCheck %s --check-prefix=NO-ENTRY
// RUN: not braid-interp %t/absent.mlir 2>&1 | FileCheck %s --check-prefix=ABSENT
// RUN: not braid-interp %t/op.mlir --compare=%t/absent.mlir 2>&1 | FileCheck %s --check-prefix=ABSENT

// OP: op.mlir:2:8: error: rank 0: the interpreter does not support 'math.acos'
// ----- op.mlir
func.func @main(%x: tensor<4xf32>) -> tensor<4xf32> {
  %y = math.acos %x : tensor<4xf32>
  return %y : tensor<4xf32>
}

// TYPE: type.mlir:1:1: error: argument #0 has type 'tensor<4xcomplex<f32>>', which the interpreter cannot feed
// ----- type.mlir
func.func @main(%x: tensor<4xcomplex<f32>>) -> tensor<4xcomplex<f32>> {
  return %x : tensor<4xcomplex<f32>>
}

// GRIDS: grids.mlir:2:1: error: grid @b has 3 devices but @a has 2; the interpreter runs one set of ranks
// ----- grids.mlir
shard.grid @a(shape = 2)
shard.grid @b(shape = 3)
func.func @main(%x: tensor<4xf32>) -> tensor<4xf32> {
  return %x : tensor<4xf32>
}

// INDEX: index.mlir:4:8: error: rank 0: index 7 is outside [0, 4)
// ----- index.mlir
func.func @main(%t: tensor<4x2xf32>) -> tensor<1x2xf32> {
  %c7 = arith.constant 7 : i32
  %i = tensor.from_elements %c7 : tensor<1xi32>
  %g = braid.gather %t[%i] axis = 0 : tensor<4x2xf32>, tensor<1xi32> -> tensor<1x2xf32>
  return %g : tensor<1x2xf32>
}

// Tool errors without a line read `file: error: message`, as MLIR's do.
// ENTRY: {{^}}{{.*}}entry.mlir: error: expected exactly one public function with a body, found 2 (@a, @b); name one with --entry
// ENTRY-NAMED: {{^}}{{.*}}entry.mlir: error: no function named 'c' with a body
// NO-ENTRY: {{^}}{{.*}}private.mlir: error: no public function with a body to run
// ABSENT: {{^}}{{.*}}absent.mlir: error: cannot read: No such file or directory
// ----- entry.mlir
func.func @a() { return }
func.func @b() { return }
func.func private @c()

// ----- private.mlir
func.func private @a() { return }
