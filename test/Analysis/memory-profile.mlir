// RUN: braid-opt %s -test-braid-memory-profile -split-input-file -verify-diagnostics -o %t.ignored

// Arguments (2 x 1 KiB) stay live; %a (4 KiB) lives from its definition to
// its last use in %s; %b and %s (1 KiB each) until %c.
// expected-remark @+1 {{peak 8192 B during 'tensor.extract_slice'}}
func.func @straight(%x: tensor<256xf32>, %y: tensor<256xf32>) -> tensor<256xf32> {
  // expected-remark @+1 {{live 6144 B}}
  %a = tensor.concat dim(0) %x, %y, %x, %y : (tensor<256xf32>, tensor<256xf32>, tensor<256xf32>, tensor<256xf32>) -> tensor<1024xf32>
  // expected-remark @+1 {{live 7168 B}}
  %b = arith.addf %x, %y : tensor<256xf32>
  // expected-remark @+1 {{live 8192 B}}
  %s = tensor.extract_slice %a[0] [256] [1] : tensor<1024xf32> to tensor<256xf32>
  // %a is dead; %s and %b die here.
  // expected-remark @+1 {{live 5120 B}}
  %c = arith.mulf %s, %b : tensor<256xf32>
  return %c : tensor<256xf32>
}

// -----

shard.grid @tp(shape = 4)

// A prefetched all_gather holds its 4 KiB from the start to the await: the
// memory cost of issuing early. At the await the buffers pass to its result.
// expected-remark @+1 {{peak 6144 B during 'math.exp'}}
func.func @prefetch(%x: tensor<256xf32>) -> tensor<1024xf32> {
  // expected-remark @+1 {{live 5120 B}}
  %f = braid.start stream = 1 {
    %g = braid.all_gather %x on @tp axes = [0] dim = 0 : tensor<256xf32> -> tensor<1024xf32>
    braid.yield %g : tensor<1024xf32>
  } : !braid.future<tensor<1024xf32>>
  // expected-remark @+1 {{live 6144 B}}
  %e = math.exp %x : tensor<256xf32>
  // expected-remark @+1 {{live 5120 B}}
  %g = braid.await %f : !braid.future<tensor<1024xf32>>
  return %g : tensor<1024xf32>
}

// -----

// expected-remark @+1 {{memory profile: unknown (dynamic shapes)}}
func.func @dynamic(%x: tensor<?xf32>) -> tensor<?xf32> {
  %e = math.exp %x : tensor<?xf32>
  return %e : tensor<?xf32>
}

// -----

shard.grid @tp(shape = 4)

// A reduce_scatter reads its 16 KiB input for as long as it is in flight:
// %m stays live until the await, not just until the start (the argument
// and the matmul init are live throughout).
// expected-remark @+1 {{peak 69632 B during 'linalg.matmul'}}
func.func @in_flight(%a: tensor<64x64xf32>) -> (tensor<16x64xf32>, tensor<64x64xf32>) {
  // expected-remark @+1 {{live 32768 B}}
  %e = tensor.empty() : tensor<64x64xf32>
  // expected-remark @+1 {{live 49152 B}}
  %m = linalg.matmul ins(%a, %a : tensor<64x64xf32>, tensor<64x64xf32>) outs(%e : tensor<64x64xf32>) -> tensor<64x64xf32>
  // expected-remark @+1 {{live 53248 B}}
  %f = braid.start stream = 1 {
    %s = braid.reduce_scatter %m on @tp axes = [0] dim = 0 reduction = sum : tensor<64x64xf32> -> tensor<16x64xf32>
    braid.yield %s : tensor<16x64xf32>
  } : !braid.future<tensor<16x64xf32>>
  // %a, %e, %m (in flight), the future and %n.
  // expected-remark @+1 {{live 69632 B}}
  %n = linalg.matmul ins(%a, %a : tensor<64x64xf32>, tensor<64x64xf32>) outs(%e : tensor<64x64xf32>) -> tensor<64x64xf32>
  // expected-remark @+1 {{live 53248 B}}
  %s = braid.await %f : !braid.future<tensor<16x64xf32>>
  return %s, %n : tensor<16x64xf32>, tensor<64x64xf32>
}
