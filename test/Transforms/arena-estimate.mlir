// The scheduler's estimate (estimateArena, printed by
// -test-braid-arena-estimate) and the arena braid-buffer-pipeline plans
// agree, and both count what bufferization really allocates. Expected
// values are worked out by hand below; every buffer here is a multiple of
// the 64-byte alignment, so arena and peak coincide.
// RUN: braid-opt %s -test-braid-arena-estimate -o %t.ignored 2>&1 | FileCheck %s --check-prefix=ESTIMATE
// RUN: braid-opt %s -braid-buffer-pipeline -o %t.buffers.mlir 2>&1 | FileCheck %s --check-prefix=ARENA
// The lowered functions compute what the tensor ones do (race detector on).
// RUN: %braid-diff %s --compare=%t.buffers.mlir --exact --entry=in_place
// RUN: %braid-diff %s --compare=%t.buffers.mlir --exact --entry=inner_gather
// RUN: %braid-diff %s --compare=%t.buffers.mlir --exact --entry=strided_input
// RUN: %braid-diff %s --compare=%t.buffers.mlir --exact --entry=stream_order
// RUN: %braid-diff %s --compare=%t.buffers.mlir --exact --entry=in_flight

shard.grid @tp(shape = 4)

// In place: the fill, the matmul and the all_reduce all write the buffer
// of the tensor.empty (16x16xf32, 1024 B); the exp writes the result, which
// is the caller's. One buffer: 1024 B (counting each value apart gives
// 2048 B: the matmul's init and result).
// ESTIMATE: arena-estimate.mlir:[[@LINE+2]]:1: remark: arena estimate 1024 B for 1 buffers (peak of live buffers 1024 B)
// ARENA: arena-estimate.mlir:[[@LINE+1]]:1: remark: arena: 1024 bytes for 1 buffers (peak of live buffers 1024 bytes)
func.func @in_place(%a: tensor<16x16xf32>) -> tensor<16x16xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<16x16xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<16x16xf32>) -> tensor<16x16xf32>
  %m = linalg.matmul ins(%a, %a : tensor<16x16xf32>, tensor<16x16xf32>) outs(%z : tensor<16x16xf32>) -> tensor<16x16xf32>
  %r = braid.all_reduce %m on @tp axes = [0] reduction = sum : tensor<16x16xf32>
  %t = math.exp %r : tensor<16x16xf32>
  return %t : tensor<16x16xf32>
}

// An all_gather along an inner dimension receives into a [4, 8, 4]
// packing buffer (512 B) that a transpose unpacks into the gathered
// 8x16xf32 (512 B): both live at the transpose, 1024 B. The exp's result
// is the caller's.
// ESTIMATE: arena-estimate.mlir:[[@LINE+2]]:1: remark: arena estimate 1024 B for 2 buffers (peak of live buffers 1024 B)
// ARENA: arena-estimate.mlir:[[@LINE+1]]:1: remark: arena: 1024 bytes for 2 buffers (peak of live buffers 1024 bytes)
func.func @inner_gather(%x: tensor<8x4xf32>) -> tensor<8x16xf32> {
  %g = braid.all_gather %x on @tp axes = [0] dim = 1 : tensor<8x4xf32> -> tensor<8x16xf32>
  %t = math.exp %g : tensor<8x16xf32>
  return %t : tensor<8x16xf32>
}

// A layer op reads dense row-major data: the strided slice of the
// argument is copied first (8x8xf32, 256 B); the activation's result is
// the caller's. 256 B.
// ESTIMATE: arena-estimate.mlir:[[@LINE+2]]:1: remark: arena estimate 256 B for 1 buffers (peak of live buffers 256 B)
// ARENA: arena-estimate.mlir:[[@LINE+1]]:1: remark: arena: 256 bytes for 1 buffers (peak of live buffers 256 bytes)
func.func @strided_input(%x: tensor<8x16xf32>) -> tensor<8x8xf32> {
  %s = tensor.extract_slice %x[0, 0] [8, 8] [1, 1] : tensor<8x16xf32> to tensor<8x8xf32>
  %a = braid.activation sigmoid %s : tensor<8x8xf32>
  return %a : tensor<8x8xf32>
}

// A worker stream runs its launch's body in order: the two gathered
// 64x64xf32 buffers (16384 B each) are never live at once there and
// share bytes, although both live on the host from the launch to its
// wait. The body needs at most a gathered buffer and the 16x64xf32
// partial (4096 B): 20480 B (36864 B if every body buffer lived for the
// whole launch). The second reduce_scatter writes the caller's result.
// ESTIMATE: arena-estimate.mlir:[[@LINE+2]]:1: remark: arena estimate 20480 B for 3 buffers (peak of live buffers 20480 B)
// ARENA: arena-estimate.mlir:[[@LINE+1]]:1: remark: arena: 20480 bytes for 3 buffers (peak of live buffers 20480 bytes)
func.func @stream_order(%x: tensor<16x64xf32>) -> tensor<16x64xf32> {
  %f = braid.start stream = 1 {
    %g1 = braid.all_gather %x on @tp axes = [0] dim = 0 : tensor<16x64xf32> -> tensor<64x64xf32>
    %r1 = braid.reduce_scatter %g1 on @tp axes = [0] dim = 0 reduction = sum : tensor<64x64xf32> -> tensor<16x64xf32>
    %g2 = braid.all_gather %r1 on @tp axes = [0] dim = 0 : tensor<16x64xf32> -> tensor<64x64xf32>
    %r2 = braid.reduce_scatter %g2 on @tp axes = [0] dim = 0 reduction = sum : tensor<64x64xf32> -> tensor<16x64xf32>
    braid.yield %r2 : tensor<16x64xf32>
  } : !braid.future<tensor<16x64xf32>>
  %r = braid.await %f : !braid.future<tensor<16x64xf32>>
  return %r : tensor<16x64xf32>
}

// The host's buffers and a launch in flight: both matmuls accumulate into
// the zeros %z (64x64xf32, 16384 B); the second writes them in place, the
// first a copy (16384 B), which the reduce_scatter on stream 1 reads until
// the await, so the second matmul, issued meanwhile, cannot take its
// bytes. The scattered 16x64xf32 result and the exp's are the caller's:
// 32768 B.
// ESTIMATE: arena-estimate.mlir:[[@LINE+2]]:1: remark: arena estimate 32768 B for 2 buffers (peak of live buffers 32768 B)
// ARENA: arena-estimate.mlir:[[@LINE+1]]:1: remark: arena: 32768 bytes for 2 buffers (peak of live buffers 32768 bytes)
func.func @in_flight(%a: tensor<64x64xf32>) -> (tensor<16x64xf32>, tensor<64x64xf32>) {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<64x64xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<64x64xf32>) -> tensor<64x64xf32>
  %m = linalg.matmul ins(%a, %a : tensor<64x64xf32>, tensor<64x64xf32>) outs(%z : tensor<64x64xf32>) -> tensor<64x64xf32>
  %f = braid.start stream = 1 {
    %s = braid.reduce_scatter %m on @tp axes = [0] dim = 0 reduction = sum : tensor<64x64xf32> -> tensor<16x64xf32>
    braid.yield %s : tensor<16x64xf32>
  } : !braid.future<tensor<16x64xf32>>
  %n = linalg.matmul ins(%a, %a : tensor<64x64xf32>, tensor<64x64xf32>) outs(%z : tensor<64x64xf32>) -> tensor<64x64xf32>
  %t = math.exp %n : tensor<64x64xf32>
  %s = braid.await %f : !braid.future<tensor<16x64xf32>>
  return %s, %t : tensor<16x64xf32>, tensor<64x64xf32>
}

