// Ranks that disagree on a collective are reported with the op, the ranks
// and their positions; a collective some ranks never issue is reported
// instead of hanging.
// RUN: rm -rf %t && mkdir -p %t
// RUN: %python %S/Inputs/split.py %s %t
// RUN: not braid-interp %t/order.mlir --schedules=8 2>&1 | FileCheck %s --check-prefix=ORDER
// RUN: not braid-interp %t/shape.mlir 2>&1 | FileCheck %s --check-prefix=SHAPE
// RUN: not braid-interp %t/missing.mlir 2>&1 | FileCheck %s --check-prefix=MISSING
// RUN: not braid-interp %t/crossed.mlir 2>&1 | FileCheck %s --check-prefix=CROSSED

// ----- order.mlir
// Two streams issue collectives on one communicator; the interleaving
// decides the order per rank (the "one stream per communicator" rule).
// ORDER: error: rank {{[0-9]}}{{.*}}: ranks disagree on collective #0 of @tp axes [0]: rank {{[0-9]}} (position {{[0-9]}}) issues braid.{{all_reduce|all_gather}}
// ORDER-SAME: ; rank {{[0-9]}} (position {{[0-9]}}) issues braid.{{all_reduce|all_gather}}
shard.grid @tp(shape = 2)
func.func @main(%x: tensor<4xf32>) -> (tensor<4xf32>, tensor<8xf32>) {
  %f = braid.start stream = 1 {
    %r = braid.all_reduce %x on @tp axes = [0] reduction = sum : tensor<4xf32>
    braid.yield %r : tensor<4xf32>
  } : !braid.future<tensor<4xf32>>
  %g = braid.start stream = 2 {
    %a = braid.all_gather %x on @tp axes = [0] dim = 0 : tensor<4xf32> -> tensor<8xf32>
    braid.yield %a : tensor<8xf32>
  } : !braid.future<tensor<8xf32>>
  %r = braid.await %f : !braid.future<tensor<4xf32>>
  %a = braid.await %g : !braid.future<tensor<8xf32>>
  return %r, %a : tensor<4xf32>, tensor<8xf32>
}

// ----- shape.mlir
// Rank-dependent shapes: rank 0 reduces 4 elements, the others 2.
// SHAPE: error: rank {{[0-9]}}: ranks disagree on collective #0 of @tp axes [0]
// SHAPE-SAME: tensor<4xf32>
// SHAPE-SAME: tensor<2xf32>
shard.grid @tp(shape = 3)
func.func @main(%x: tensor<4xf32>) -> tensor<2xf32> {
  %rank = braid.rank on @tp axes = [0] : index
  %c0 = arith.constant 0 : index
  %first = arith.cmpi eq, %rank, %c0 : index
  %r = scf.if %first -> tensor<2xf32> {
    %all = braid.all_reduce %x on @tp axes = [0] reduction = sum : tensor<4xf32>
    %s = tensor.extract_slice %all[0] [2] [1] : tensor<4xf32> to tensor<2xf32>
    scf.yield %s : tensor<2xf32>
  } else {
    %s = tensor.extract_slice %x[0] [2] [1] : tensor<4xf32> to tensor<2xf32>
    %all = braid.all_reduce %s on @tp axes = [0] reduction = sum : tensor<2xf32>
    scf.yield %all : tensor<2xf32>
  }
  return %r : tensor<2xf32>
}

// ----- missing.mlir
// Only rank 0 all-reduces: NCCL would hang.
// MISSING: error: no task can make progress:
// MISSING-NEXT: rank 0 waits for the rest of @tp axes [0] to issue collective #0 ('braid.all_reduce'
// MISSING: note: collective #0 of @tp axes [0]: braid.all_reduce {{.*}} was never issued by ranks 1, 2, 3
shard.grid @tp(shape = 4)
func.func @main(%x: tensor<4xf32>) -> tensor<4xf32> {
  %rank = braid.rank on @tp axes = [0] : index
  %c0 = arith.constant 0 : index
  %first = arith.cmpi eq, %rank, %c0 : index
  %r = scf.if %first -> tensor<4xf32> {
    %all = braid.all_reduce %x on @tp axes = [0] reduction = sum : tensor<4xf32>
    scf.yield %all : tensor<4xf32>
  } else {
    scf.yield %x : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}

// ----- crossed.mlir
// Two communicators over the same ranks used in opposite orders: each rank
// waits in a different communicator for the other.
// CROSSED: error: no task can make progress:
// CROSSED-DAG: rank 0 waits for the rest of @a axes [0] to issue collective #0
// CROSSED-DAG: rank 1 waits for the rest of @b axes [0] to issue collective #0
shard.grid @a(shape = 2)
shard.grid @b(shape = 2)
func.func @main(%x: tensor<4xf32>) -> tensor<4xf32> {
  %rank = braid.rank on @a axes = [0] : index
  %c0 = arith.constant 0 : index
  %first = arith.cmpi eq, %rank, %c0 : index
  %r = scf.if %first -> tensor<4xf32> {
    %p = braid.all_reduce %x on @a axes = [0] reduction = sum : tensor<4xf32>
    %q = braid.all_reduce %p on @b axes = [0] reduction = sum : tensor<4xf32>
    scf.yield %q : tensor<4xf32>
  } else {
    %p = braid.all_reduce %x on @b axes = [0] reduction = sum : tensor<4xf32>
    %q = braid.all_reduce %p on @a axes = [0] reduction = sum : tensor<4xf32>
    scf.yield %q : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}
