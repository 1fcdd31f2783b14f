// RUN: braid-opt %s -convert-braid-to-emitc=target=cuda | FileCheck %s
// RUN: braid-opt %s -convert-braid-to-emitc=target=cuda | braid-translate --braid-to-cpp | FileCheck %s --check-prefix=CUDA
// The module's braid.device selects the target when the pass is not told.
// RUN: sed 's/^module {/module attributes {braid.device = "cuda"} {/' %s | braid-opt -convert-braid-to-emitc | braid-translate --braid-to-cpp | FileCheck %s --check-prefix=CUDA
// The CUDA target: the CPU target's host code, with every loop nest a
// __global__ kernel of its own (leading parallel loops over a grid-stride
// loop, reductions sequential in each thread), launched on the stream of
// its launch; GEMMs, layer kernels, copies and collectives through
// braid_emitted_cuda.h.

module {
shard.grid @tp(shape = 2)

// CHECK-LABEL: emitc.func private @braid_kernel_0
// CHECK-SAME: specifiers = ["__global__"]
// CHECK: call_opaque "braid_cuda_thread_index"() : () -> !emitc.size_t
// CHECK: call_opaque "braid_cuda_thread_count"() : () -> !emitc.size_t
// CHECK: for

// CUDA: #include "braid_rt/braid_emitted_cuda.h"
// The element-wise bf16 add: one thread per element of the 16x8 nest.
// CUDA-LABEL: __global__ void braid_kernel_0(uint16_t* {{.*}}, uint16_t* {{.*}}) {
// CUDA: size_t [[TOTAL:v[0-9]+]] = 128;
// CUDA: size_t [[FIRST:v[0-9]+]] = braid_cuda_thread_index();
// CUDA: size_t [[STRIDE:v[0-9]+]] = braid_cuda_thread_count();
// CUDA: for (size_t [[I:i[0-9]+]] = [[FIRST]]; [[I]] < [[TOTAL]]; [[I]] += [[STRIDE]]) {
// CUDA: braid_bf16_to_f32
// CUDA: braid_f32_to_bf16
// The row sum: 16 threads, each summing its 8 elements in order.
// CUDA-LABEL: __global__ void braid_kernel_1(float* {{.*}}, float* {{.*}}) {
// CUDA: size_t [[ROWS:v[0-9]+]] = 16;
// CUDA: for (size_t [[R:i[0-9]+]] = {{v[0-9]+}}; [[R]] < [[ROWS]]; [[R]] += {{v[0-9]+}}) {
// CUDA: for (size_t {{[a-z][0-9]+}} = {{v[0-9]+}}; {{[a-z][0-9]+}} < {{v[0-9]+}}; {{[a-z][0-9]+}} += {{v[0-9]+}}) {
// A 0-d op: one iteration, run by thread 0.
// CUDA-LABEL: __global__ void braid_kernel_2(float* {{.*}}) {
// CUDA: size_t [[ONE:v[0-9]+]] = 1;
// CUDA: for (size_t [[J:i[0-9]+]] = v{{[0-9]+}}; [[J]] < [[ONE]]; [[J]] += v{{[0-9]+}}) {
// CUDA-LABEL: void braid_step_body(
// CUDA: braid_exec_fork(braid_exec_self, 1);
// CUDA: braid_exec_all_reduce(braid_exec_self, 0, {{.*}}, 128, BRAID_RT_BF16, BRAID_RT_SUM, 1,
// CUDA: braid_exec_record(braid_exec_self, 0, 1);
// CUDA: braid_emit_rmsnorm(2, 16, 8,
// CUDA: braid_exec_wait(braid_exec_self, 0);
// CUDA: braid_emit_kernel<braid_kernel_0>(128, "{{.*}}:{{[0-9]+}}:{{[0-9]+}} linalg.generic", {{v[0-9]+}}, {{v[0-9]+}});
// CUDA: braid_emit_kernel<braid_kernel_1>(16, "{{.*}} linalg.reduce",
// CUDA: braid_emit_kernel<braid_kernel_2>(1, "{{.*}} linalg.generic",
// CUDA: braid_emit_gemm(1, 16, 4, 8, 0, 0, 2, 2, 0, 8, 4, 4, 0, 0, 0,
// CUDA: braid_emit_copy(
// CUDA: braid_step, BRAID_PROGRAM_DEVICE_CUDA, 0};
func.func @step(%x: memref<16x8xbf16>, %w: memref<8xbf16>, %b: memref<8x4xbf16>,
                %out: memref<16x4xf32> {braid.result = 0 : i64},
                %sums: memref<16xf32> {braid.result = 1 : i64},
                %arena: memref<1024xi8> {braid.arena}) {
  %c0 = arith.constant 0 : index
  %c256 = arith.constant 256 : index
  %c512 = arith.constant 512 : index
  %c768 = arith.constant 768 : index
  %norm = memref.view %arena[%c0][] : memref<1024xi8> to memref<16x8xbf16>
  %sum = memref.view %arena[%c256][] : memref<1024xi8> to memref<16x8xbf16>
  %acc = memref.view %arena[%c512][] : memref<1024xi8> to memref<16x4xf32>
  %total = memref.view %arena[%c768][] : memref<1024xi8> to memref<f32>
  %done = braid.cmd.launch stream = 1 priority = 2 {
    braid.cmd.all_reduce %x, %sum on @tp axes = [0] reduction = sum : memref<16x8xbf16>, memref<16x8xbf16>
  }
  braid.cmd.compute ins(%x, %w : memref<16x8xbf16>, memref<8xbf16>) outs(%norm : memref<16x8xbf16>) {
  ^bb0(%tx: tensor<16x8xbf16>, %tw: tensor<8xbf16>):
    %n = braid.rmsnorm %tx, %tw {epsilon = 1.0e-5 : f32} : tensor<16x8xbf16>, tensor<8xbf16> -> tensor<16x8xbf16>
    braid.cmd.yield %n : tensor<16x8xbf16>
  }
  braid.cmd.wait %done
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>],
                  iterator_types = ["parallel", "parallel"]}
      ins(%sum : memref<16x8xbf16>) outs(%norm : memref<16x8xbf16>) {
  ^bb0(%in: bf16, %o: bf16):
    %a = arith.addf %in, %o : bf16
    linalg.yield %a : bf16
  }
  %x32 = memref.view %arena[%c512][] : memref<1024xi8> to memref<16x8xf32>
  linalg.reduce ins(%x32 : memref<16x8xf32>) outs(%sums : memref<16xf32>) dimensions = [1]
    (%in: f32, %s: f32) {
      %t = arith.addf %in, %s : f32
      linalg.yield %t : f32
    }
  linalg.generic {indexing_maps = [affine_map<() -> ()>], iterator_types = []}
      outs(%total : memref<f32>) {
  ^bb0(%o: f32):
    %two = arith.constant 2.0 : f32
    %t = arith.mulf %o, %two : f32
    linalg.yield %t : f32
  }
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%acc : memref<16x4xf32>)
  linalg.matmul ins(%norm, %b : memref<16x8xbf16>, memref<8x4xbf16>) outs(%acc : memref<16x4xf32>)
  memref.copy %acc, %out : memref<16x4xf32> to memref<16x4xf32>
  return
}
}
