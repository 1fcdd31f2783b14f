// RUN: braid-opt %s -braid-verify-collective-order -split-input-file -verify-diagnostics

// What the overlap pipeline produces passes: one stream per communicator.
shard.grid @mesh(shape = 2x2)
func.func @ok(%x: tensor<8xf32>) -> (tensor<8xf32>, tensor<16xf32>) {
  %f = braid.start stream = 1 {
    %r = braid.all_reduce %x on @mesh axes = [1] reduction = sum : tensor<8xf32>
    braid.yield %r : tensor<8xf32>
  } : !braid.future<tensor<8xf32>>
  %g = braid.start stream = 2 {
    %a = braid.all_gather %x on @mesh axes = [0] dim = 0 : tensor<8xf32> -> tensor<16xf32>
    braid.yield %a : tensor<16xf32>
  } : !braid.future<tensor<16xf32>>
  %r = braid.await %f : !braid.future<tensor<8xf32>>
  %a = braid.await %g : !braid.future<tensor<16xf32>>
  return %r, %a : tensor<8xf32>, tensor<16xf32>
}

// -----

shard.grid @tp(shape = 2)
func.func @two_streams(%x: tensor<8xf32>) -> (tensor<8xf32>, tensor<16xf32>) {
  // expected-note @+1 {{first used here}}
  %f = braid.start stream = 1 {
    %r = braid.all_reduce %x on @tp axes = [0] reduction = sum : tensor<8xf32>
    braid.yield %r : tensor<8xf32>
  } : !braid.future<tensor<8xf32>>
  // expected-error @+1 {{communicator @tp axes [0] is used on streams 1 and 2; collectives of one communicator must share a stream}}
  %g = braid.start stream = 2 {
    %a = braid.all_gather %x on @tp axes = [0] dim = 0 : tensor<8xf32> -> tensor<16xf32>
    braid.yield %a : tensor<16xf32>
  } : !braid.future<tensor<16xf32>>
  %r = braid.await %f : !braid.future<tensor<8xf32>>
  %a = braid.await %g : !braid.future<tensor<16xf32>>
  return %r, %a : tensor<8xf32>, tensor<16xf32>
}

// -----

shard.grid @mesh(shape = 2x2)
func.func @shared_stream(%x: tensor<8xf32>) -> (tensor<8xf32>, tensor<16xf32>) {
  // expected-note @+1 {{first used here}}
  %f = braid.start stream = 1 {
    %r = braid.all_reduce %x on @mesh axes = [1] reduction = sum : tensor<8xf32>
    braid.yield %r : tensor<8xf32>
  } : !braid.future<tensor<8xf32>>
  // expected-error @+1 {{stream 1 carries communicators @mesh axes [1] and @mesh axes [0]; give each communicator its own stream}}
  %g = braid.start stream = 1 {
    %a = braid.all_gather %x on @mesh axes = [0] dim = 0 : tensor<8xf32> -> tensor<16xf32>
    braid.yield %a : tensor<16xf32>
  } : !braid.future<tensor<16xf32>>
  %r = braid.await %f : !braid.future<tensor<8xf32>>
  %a = braid.await %g : !braid.future<tensor<16xf32>>
  return %r, %a : tensor<8xf32>, tensor<16xf32>
}

// -----

shard.grid @tp(shape = 4)
func.func @rank_dependent(%x: tensor<4xf32>) -> tensor<4xf32> {
  %rank = braid.rank on @tp axes = [0] : index
  %c0 = arith.constant 0 : index
  %first = arith.cmpi eq, %rank, %c0 : index
  // expected-error @+1 {{collectives under control flow that depends on braid.rank: the ranks of a group may issue different collectives, which would hang}}
  %r = scf.if %first -> tensor<4xf32> {
    %all = braid.all_reduce %x on @tp axes = [0] reduction = sum : tensor<4xf32>
    scf.yield %all : tensor<4xf32>
  } else {
    scf.yield %x : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}

// -----

// Rank-dependent control flow without collectives is fine.
shard.grid @tp(shape = 4)
func.func @rank_dependent_compute(%x: tensor<4xf32>) -> tensor<4xf32> {
  %rank = braid.rank on @tp axes = [0] : index
  %c0 = arith.constant 0 : index
  %first = arith.cmpi eq, %rank, %c0 : index
  %r = scf.if %first -> tensor<4xf32> {
    %e = math.exp %x : tensor<4xf32>
    scf.yield %e : tensor<4xf32>
  } else {
    scf.yield %x : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}

// -----

// A collective issued from the host (stream 0) while the same communicator
// has work in flight on stream 1: the two may reach NCCL in either order.
shard.grid @tp(shape = 4)
func.func @host_and_stream(%x: tensor<8xf32>) -> (tensor<8xf32>, tensor<8xf32>) {
  // expected-note @+1 {{first used here}}
  %f = braid.start stream = 1 {
    %r = braid.all_reduce %x on @tp axes = [0] reduction = sum : tensor<8xf32>
    braid.yield %r : tensor<8xf32>
  } : !braid.future<tensor<8xf32>>
  // expected-error @+1 {{communicator @tp axes [0] is used on streams 1 and 0}}
  %b = braid.all_reduce %x on @tp axes = [0] reduction = max : tensor<8xf32>
  %a = braid.await %f : !braid.future<tensor<8xf32>>
  return %a, %b : tensor<8xf32>, tensor<8xf32>
}

// -----

// Collectives nested in a loop inside a start count too.
shard.grid @tp(shape = 4)
func.func @nested(%x: tensor<8xf32>, %n: index) -> (tensor<8xf32>, tensor<8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  // expected-note @+1 {{first used here}}
  %f = braid.start stream = 1 {
    %r = scf.for %i = %c0 to %n step %c1 iter_args(%acc = %x) -> tensor<8xf32> {
      %s = braid.all_reduce %acc on @tp axes = [0] reduction = sum : tensor<8xf32>
      scf.yield %s : tensor<8xf32>
    }
    braid.yield %r : tensor<8xf32>
  } : !braid.future<tensor<8xf32>>
  // expected-error @+1 {{communicator @tp axes [0] is used on streams 1 and 2}}
  %g = braid.start stream = 2 {
    %r = braid.all_reduce %x on @tp axes = [0] reduction = max : tensor<8xf32>
    braid.yield %r : tensor<8xf32>
  } : !braid.future<tensor<8xf32>>
  %a = braid.await %f : !braid.future<tensor<8xf32>>
  %b = braid.await %g : !braid.future<tensor<8xf32>>
  return %a, %b : tensor<8xf32>, tensor<8xf32>
}

// -----

// One communicator on different streams in different functions.
shard.grid @tp(shape = 2x2)
func.func @helper(%x: tensor<8xf32>) -> tensor<8xf32> {
  // expected-note @+1 {{first used here}}
  %f = braid.start stream = 1 {
    %r = braid.all_reduce %x on @tp axes = [1] reduction = sum : tensor<8xf32>
    braid.yield %r : tensor<8xf32>
  } : !braid.future<tensor<8xf32>>
  %r = braid.await %f : !braid.future<tensor<8xf32>>
  return %r : tensor<8xf32>
}
func.func @caller(%x: tensor<8xf32>) -> tensor<8xf32> {
  // expected-error @+1 {{communicator @tp axes [1] is used on streams 1 and 2}}
  %f = braid.start stream = 2 {
    %r = braid.all_reduce %x on @tp axes = [1] reduction = max : tensor<8xf32>
    braid.yield %r : tensor<8xf32>
  } : !braid.future<tensor<8xf32>>
  %r = braid.await %f : !braid.future<tensor<8xf32>>
  %c = func.call @helper(%r) : (tensor<8xf32>) -> tensor<8xf32>
  return %c : tensor<8xf32>
}

// -----

// Rank dependence that flows through an scf.if's result into a loop bound.
shard.grid @tp(shape = 4)
func.func @rank_through_region(%x: tensor<4xf32>) -> tensor<4xf32> {
  %rank = braid.rank on @tp axes = [0] : index
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %true = arith.constant true
  %n = scf.if %true -> index {
    scf.yield %rank : index
  } else {
    scf.yield %c0 : index
  }
  // expected-error @+1 {{collectives under control flow that depends on braid.rank}}
  %r = scf.for %i = %c0 to %n step %c1 iter_args(%acc = %x) -> tensor<4xf32> {
    %s = braid.all_reduce %acc on @tp axes = [0] reduction = sum : tensor<4xf32>
    scf.yield %s : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}

// -----

// Rank dependence carried over several ops into a loop bound.
shard.grid @tp(shape = 4)
func.func @rank_through_chain(%x: tensor<4xf32>) -> tensor<4xf32> {
  %rank = braid.rank on @tp axes = [0] : index
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %twice = arith.muli %rank, %c2 : index
  %more = arith.addi %twice, %c1 : index
  %n = arith.remui %more, %c2 : index
  // expected-error @+1 {{collectives under control flow that depends on braid.rank}}
  %r = scf.for %i = %c0 to %n step %c1 iter_args(%acc = %x) -> tensor<4xf32> {
    %s = braid.all_reduce %acc on @tp axes = [0] reduction = sum : tensor<4xf32>
    scf.yield %s : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}

// -----

// An op whose region reads the rank yields values that may differ, even
// when its own operands do not.
shard.grid @tp(shape = 4)
func.func @rank_read_inside_region(%x: tensor<4xf32>) -> tensor<4xf32> {
  %rank = braid.rank on @tp axes = [0] : index
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %n = scf.for %i = %c0 to %c4 step %c1 iter_args(%acc = %c0) -> index {
    %next = arith.addi %acc, %rank : index
    scf.yield %next : index
  }
  // expected-error @+1 {{collectives under control flow that depends on braid.rank}}
  %r = scf.for %i = %c0 to %n step %c1 iter_args(%acc = %x) -> tensor<4xf32> {
    %s = braid.all_reduce %acc on @tp axes = [0] reduction = sum : tensor<4xf32>
    scf.yield %s : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}

// -----

// A rank op inside a region whose value nothing reads: the region's
// results are the same on every rank.
shard.grid @tp(shape = 4)
func.func @rank_unused_inside_region(%x: tensor<4xf32>) -> tensor<4xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %true = arith.constant true
  %n = scf.if %true -> index {
    %rank = braid.rank on @tp axes = [0] : index
    scf.yield %c4 : index
  } else {
    scf.yield %c1 : index
  }
  %r = scf.for %i = %c0 to %n step %c1 iter_args(%acc = %x) -> tensor<4xf32> {
    %s = braid.all_reduce %acc on @tp axes = [0] reduction = sum : tensor<4xf32>
    scf.yield %s : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}
