// RUN: braid-opt %s -convert-braid-to-emitc | braid-translate --braid-to-cpp | FileCheck %s --check-prefix=CPU
// RUN: braid-opt %s -convert-braid-to-emitc=target=cuda | braid-translate --braid-to-cpp | FileCheck %s --check-prefix=CUDA
// A chunked producer with an epilogue: the matmul runs on the runtime's
// chunked GEMM; the epilogue (a bias broadcast along the rows, then a scale
// indexed by the row loop) is outlined into a function of one block of
// 4 rows (16 rows in 2 chunks of 2 tile blocks) that takes the block's
// first row, its views moved to that row, the scalar it captures passed
// by value. The GEMM runs it on each block before the block's release.
#rows = affine_map<(d0, d1) -> (d0, d1)>
#cols = affine_map<(d0, d1) -> (d1)>
#row = affine_map<(d0, d1) -> (d0)>
shard.grid @tp(shape = 2)

// CPU: static void braid_epilogue_0(float* [[TEMP:v[0-9]+]], float* [[BIAS:v[0-9]+]], float* [[SCALE:v[0-9]+]], float* [[OUT:v[0-9]+]], float [[HALF:v[0-9]+]], size_t [[ROW:v[0-9]+]]) {
// CPU: size_t [[FOUR:v[0-9]+]] = 4;
// CPU: = [[ROW]] * {{v[0-9]+}};
// CPU: float* {{v[0-9]+}} = [[TEMP]] + {{v[0-9]+}};
// CPU: float* {{v[0-9]+}} = [[SCALE]] + {{v[0-9]+}};
// CPU: float* {{v[0-9]+}} = [[OUT]] + {{v[0-9]+}};
// CPU: for (size_t [[I:i[0-9]+]] = {{v[0-9]+}}; [[I]] < [[FOUR]];
// CPU: braid_emit_gemm_epilogue_signal<braid_epilogue_0>(braid_exec_self, 1, 1, 16, 8, 8, {{.*}}, 0, 1, 2, 2, 4, "{{.*}}braid.cmd.chunked_compute", {{v[0-9]+}}, {{v[0-9]+}}, {{v[0-9]+}}, {{v[0-9]+}}, {{v[0-9]+}});
// CPU: braid_exec_reduce_scatter_triggered(

// CUDA: __global__ void [[KERNEL:braid_kernel_[0-9]+]](
// CUDA: static void braid_epilogue_0(float* {{v[0-9]+}}, float* {{v[0-9]+}}, float* {{v[0-9]+}}, float* {{v[0-9]+}}, float {{v[0-9]+}}, size_t {{v[0-9]+}}) {
// CUDA: braid_emit_kernel<[[KERNEL]]>(32,
// CUDA: braid_emit_gemm_epilogue_signal<braid_epilogue_0>(braid_exec_self, 1,
func.func @step(%a: memref<16x8xf32>, %b: memref<8x8xf32>, %bias: memref<8xf32>,
                %scale: memref<16xf32>,
                %out: memref<8x8xf32> {braid.result = 0 : i64},
                %arena: memref<1024xi8> {braid.arena}) {
  %c0 = arith.constant 0 : index
  %c512 = arith.constant 512 : index
  %half = arith.constant 0.5 : f32
  %temp = memref.view %arena[%c0][] : memref<1024xi8> to memref<16x8xf32>
  %full = memref.view %arena[%c512][] : memref<1024xi8> to memref<16x8xf32>
  %counter = braid.cmd.counter : !braid.counter
  %epoch = braid.cmd.next_epoch %counter : i64
  %done = braid.cmd.launch stream = 1 {
    braid.cmd.chunked_compute %full release %counter[%epoch] chunks = 2 tiles = 2 order = ring on @tp axes = [0] : memref<16x8xf32> {
      linalg.matmul ins(%a, %b : memref<16x8xf32>, memref<8x8xf32>) outs(%temp : memref<16x8xf32>)
      linalg.generic {indexing_maps = [#rows, #cols, #row, #rows], iterator_types = ["parallel", "parallel"]}
          ins(%temp, %bias, %scale : memref<16x8xf32>, memref<8xf32>, memref<16xf32>) outs(%full : memref<16x8xf32>) {
      ^bb0(%v: f32, %c: f32, %s: f32, %o: f32):
        %sum = arith.addf %v, %c : f32
        %scaled = arith.mulf %sum, %s : f32
        %res = arith.mulf %scaled, %half : f32
        linalg.yield %res : f32
      }
    }
  }
  braid.cmd.reduce_scatter %full, %out on @tp axes = [0] reduction = sum after %counter[%epoch] chunks = 2 tiles = 2 : memref<16x8xf32>, memref<8x8xf32>
  braid.cmd.wait %done
  return
}
