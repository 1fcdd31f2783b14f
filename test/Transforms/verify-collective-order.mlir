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
  // expected-note @+1 {{the rank is read here}}
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
  // expected-note @+1 {{the rank is read here}}
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

// An scf.while whose trip count depends on the rank (rank r runs r + 1
// iterations): refused like the scf.for and scf.if forms, though neither
// its operands nor anything above it reads the rank.
shard.grid @tp(shape = 4)
func.func @while_rank_trip_count(%x: tensor<4xf32>) -> tensor<4xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  // expected-error @+1 {{collectives under control flow that depends on braid.rank: the ranks of a group may issue different collectives, which would hang}}
  %n, %r = scf.while (%i = %c0, %acc = %x) : (index, tensor<4xf32>) -> (index, tensor<4xf32>) {
    // expected-note @+1 {{the rank is read here}}
    %rank = braid.rank on @tp axes = [0] : index
    %more = arith.cmpi ule, %i, %rank : index
    scf.condition(%more) %i, %acc : index, tensor<4xf32>
  } do {
  ^bb0(%i: index, %acc: tensor<4xf32>):
    %s = braid.all_reduce %acc on @tp axes = [0] reduction = sum : tensor<4xf32>
    %next = arith.addi %i, %c1 : index
    scf.yield %next, %s : index, tensor<4xf32>
  }
  return %r : tensor<4xf32>
}

// -----

// The same with the rank entering through the loop-carried counter: the
// condition reads only the iteration argument, whose back edge adds the
// rank.
shard.grid @tp(shape = 4)
func.func @while_rank_through_back_edge(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-note @+1 {{the rank is read here}}
  %rank = braid.rank on @tp axes = [0] : index
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  // expected-error @+1 {{collectives under control flow that depends on braid.rank}}
  %n, %r = scf.while (%i = %c0, %acc = %x) : (index, tensor<4xf32>) -> (index, tensor<4xf32>) {
    %more = arith.cmpi ult, %i, %c8 : index
    scf.condition(%more) %i, %acc : index, tensor<4xf32>
  } do {
  ^bb0(%i: index, %acc: tensor<4xf32>):
    %s = braid.all_reduce %acc on @tp axes = [0] reduction = sum : tensor<4xf32>
    %step = arith.addi %c1, %rank : index
    %next = arith.addi %i, %step : index
    scf.yield %next, %s : index, tensor<4xf32>
  }
  return %r : tensor<4xf32>
}

// -----

// A trip count the same on every rank is proven like scf.for's with
// rank-independent bounds (@nested above): every rank issues the body's
// collectives the same number of times, even when the data they carry
// depends on the rank.
shard.grid @tp(shape = 4)
func.func @while_rank_independent(%x: tensor<4xf32>, %n: index) -> tensor<4xf32> {
  %rank = braid.rank on @tp axes = [0] : index
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %i0, %r = scf.while (%i = %c0, %acc = %x) : (index, tensor<4xf32>) -> (index, tensor<4xf32>) {
    %more = arith.cmpi ult, %i, %n : index
    scf.condition(%more) %i, %acc : index, tensor<4xf32>
  } do {
  ^bb0(%i: index, %acc: tensor<4xf32>):
    %rf = arith.index_cast %rank : index to i32
    %rs = arith.sitofp %rf : i32 to f32
    %b = tensor.splat %rs : tensor<4xf32>
    %mine = arith.addf %acc, %b : tensor<4xf32>
    %s = braid.all_reduce %mine on @tp axes = [0] reduction = sum : tensor<4xf32>
    %next = arith.addi %i, %c1 : index
    scf.yield %next, %s : index, tensor<4xf32>
  }
  return %r : tensor<4xf32>
}

// -----

// Loop bounds the same on every rank, but an scf.if in the body decides on
// a loop-carried flag that the back edge computes from the rank.
shard.grid @tp(shape = 4)
func.func @if_on_rank_carried_flag(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-note @+1 {{the rank is read here}}
  %rank = braid.rank on @tp axes = [0] : index
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %false = arith.constant false
  %r, %f = scf.for %i = %c0 to %c4 step %c1 iter_args(%acc = %x, %flag = %false) -> (tensor<4xf32>, i1) {
    // expected-error @+1 {{collectives under control flow that depends on braid.rank}}
    %y = scf.if %flag -> tensor<4xf32> {
      %s = braid.all_reduce %acc on @tp axes = [0] reduction = sum : tensor<4xf32>
      scf.yield %s : tensor<4xf32>
    } else {
      scf.yield %acc : tensor<4xf32>
    }
    %first = arith.cmpi eq, %rank, %c0 : index
    scf.yield %y, %first : tensor<4xf32>, i1
  }
  return %r : tensor<4xf32>
}

// -----

// The rank reaches the flag the scf.if decides on only through two back
// edges (rank -> %flag1 on one iteration, %flag1 -> %flag2 on the next):
// a single forward sweep with one back edge per loop would miss it.
shard.grid @tp(shape = 4)
func.func @if_on_flag_two_back_edges_away(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-note @+1 {{the rank is read here}}
  %rank = braid.rank on @tp axes = [0] : index
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %false = arith.constant false
  %r, %f1, %f2 = scf.for %i = %c0 to %c4 step %c1 iter_args(%acc = %x, %flag1 = %false, %flag2 = %false) -> (tensor<4xf32>, i1, i1) {
    // expected-error @+1 {{collectives under control flow that depends on braid.rank}}
    %y = scf.if %flag2 -> tensor<4xf32> {
      %s = braid.all_reduce %acc on @tp axes = [0] reduction = sum : tensor<4xf32>
      scf.yield %s : tensor<4xf32>
    } else {
      scf.yield %acc : tensor<4xf32>
    }
    %first = arith.cmpi eq, %rank, %c0 : index
    scf.yield %y, %first, %flag1 : tensor<4xf32>, i1, i1
  }
  return %r : tensor<4xf32>
}

// -----

// Nested loops: the inner loop's counter takes the rank, the outer loop
// carries it back as the next inner trip count.
shard.grid @tp(shape = 4)
func.func @inner_trip_count_from_outer_back_edge(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-note @+1 {{the rank is read here}}
  %rank = braid.rank on @tp axes = [0] : index
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %r, %m = scf.for %i = %c0 to %c4 step %c1 iter_args(%acc = %x, %n = %c1) -> (tensor<4xf32>, index) {
    // expected-error @+1 {{collectives under control flow that depends on braid.rank}}
    %inner, %k = scf.for %j = %c0 to %n step %c1 iter_args(%a = %acc, %count = %c0) -> (tensor<4xf32>, index) {
      %s = braid.all_reduce %a on @tp axes = [0] reduction = sum : tensor<4xf32>
      %next = arith.addi %count, %rank : index
      scf.yield %s, %next : tensor<4xf32>, index
    }
    scf.yield %inner, %k : tensor<4xf32>, index
  }
  return %r : tensor<4xf32>
}

// -----

// Two collective-free reads of the rank and rank-dependent data in loops
// whose trip counts are the same on every rank: accepted.
shard.grid @tp(shape = 4)
func.func @rank_dependent_data_only(%x: tensor<4xf32>, %n: index) -> tensor<4xf32> {
  %rank = braid.rank on @tp axes = [0] : index
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %r, %k = scf.for %i = %c0 to %n step %c1 iter_args(%acc = %x, %count = %c0) -> (tensor<4xf32>, index) {
    %inner = scf.for %j = %c0 to %n step %c1 iter_args(%a = %acc) -> tensor<4xf32> {
      %s = braid.all_reduce %a on @tp axes = [0] reduction = sum : tensor<4xf32>
      scf.yield %s : tensor<4xf32>
    }
    %next = arith.addi %count, %rank : index
    scf.yield %inner, %next : tensor<4xf32>, index
  }
  return %r : tensor<4xf32>
}
