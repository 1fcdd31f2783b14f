// RUN: braid-opt %s -convert-braid-to-emitc | FileCheck %s
// RUN: braid-opt %s -convert-braid-to-emitc | braid-translate --braid-to-cpp | FileCheck %s --check-prefix=CPP
// A buffer-level step to EmitC: kernels and communication through the
// runtime, on the stream of their launch; loops for element-wise work with
// bf16 stored as bit patterns and computed in f32; the arena by offset.

shard.grid @tp(shape = 4)
// CHECK-LABEL: emitc.func @braid_step_body
// CHECK-SAME: (%[[X:.*]]: !emitc.ptr<!emitc.opaque<"uint16_t">>, %[[W:.*]]: !emitc.ptr<!emitc.opaque<"uint16_t">>, %[[B:.*]]: !emitc.ptr<!emitc.opaque<"uint16_t">>, %[[OUT:.*]]: !emitc.ptr<f32> {braid.result = 0 : i64}, %[[ARENA:.*]]: !emitc.ptr<i8> {braid.arena})
func.func @step(%x: memref<16x8xbf16>, %w: memref<8xbf16>, %b: memref<8x4xbf16>,
                %out: memref<16x4xf32> {braid.result = 0 : i64},
                %arena: memref<1024xi8> {braid.arena}) {
  %c0 = arith.constant 0 : index
  %c256 = arith.constant 256 : index
  %c512 = arith.constant 512 : index
  // CHECK: %[[SHIFT:.*]] = cast %{{.*}} : !emitc.size_t to i64
  // CHECK: %[[BYTES:.*]] = add %[[ARENA]], %[[SHIFT]] : (!emitc.ptr<i8>, i64) -> !emitc.ptr<i8>
  // CHECK: %[[NORM:.*]] = call_opaque "reinterpret_cast"(%[[BYTES]]) {template_args = [!emitc.ptr<!emitc.opaque<"uint16_t">>]}
  %norm = memref.view %arena[%c0][] : memref<1024xi8> to memref<16x8xbf16>
  %sum = memref.view %arena[%c256][] : memref<1024xi8> to memref<16x8xbf16>
  %acc = memref.view %arena[%c512][] : memref<1024xi8> to memref<16x4xf32>
  // CHECK: call_opaque "braid_exec_fork"() {args = [#emitc.opaque<"braid_exec_self">, 1 : i32]}
  // CHECK: call_opaque "braid_exec_all_reduce"(%[[X]], %{{.*}}) {args = [#emitc.opaque<"braid_exec_self">, 0 : i32, 0 : index, 1 : index, 128, #emitc.opaque<"BRAID_RT_BF16">, #emitc.opaque<"BRAID_RT_SUM">, 1 : i32, #emitc.opaque<"\22{{.*}}convert-braid-to-emitc.mlir:{{[0-9]+}}:{{[0-9]+}} braid.cmd.all_reduce\22">]}
  // CHECK: call_opaque "braid_exec_record"() {args = [#emitc.opaque<"braid_exec_self">, 0 : i32, 1 : i32]}
  %done = braid.cmd.launch stream = 1 priority = 2 {
    braid.cmd.all_reduce %x, %sum on @tp axes = [0] reduction = sum : memref<16x8xbf16>, memref<16x8xbf16>
  }
  // CHECK: call_opaque "braid_emit_rmsnorm"(%[[X]], %[[W]], %[[NORM]]) {args = [2 : i32, 16, 8, 0 : index, 1 : index, 9.99999974E-6 : f32, 2 : index
  braid.cmd.compute ins(%x, %w : memref<16x8xbf16>, memref<8xbf16>) outs(%norm : memref<16x8xbf16>) {
  ^bb0(%tx: tensor<16x8xbf16>, %tw: tensor<8xbf16>):
    %n = braid.rmsnorm %tx, %tw {epsilon = 1.0e-5 : f32} : tensor<16x8xbf16>, tensor<8xbf16> -> tensor<16x8xbf16>
    braid.cmd.yield %n : tensor<16x8xbf16>
  }
  // CHECK: call_opaque "braid_exec_wait"() {args = [#emitc.opaque<"braid_exec_self">, 0 : i32]}
  braid.cmd.wait %done
  // CHECK: for
  // CHECK: for
  // CHECK: call_opaque "braid_bf16_to_f32"
  // CHECK: call_opaque "braid_bf16_to_f32"
  // CHECK: add %{{.*}}, %{{.*}} : (f32, f32) -> f32
  // CHECK: call_opaque "braid_f32_to_bf16"
  // CHECK: assign
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>],
                  iterator_types = ["parallel", "parallel"]}
      ins(%sum : memref<16x8xbf16>) outs(%norm : memref<16x8xbf16>) {
  ^bb0(%in: bf16, %o: bf16):
    %a = arith.addf %in, %o : bf16
    linalg.yield %a : bf16
  }
  // CHECK: call_opaque "braid_emit_gemm"(%[[NORM]], %[[B]], %{{.*}}) {args = [1, 16, 4, 8, 0 : i32, 0 : i32, 2 : i32, 2 : i32, 0 : i32, 8, 4, 4, 0, 0, 0, 0 : index, 1 : index, 2 : index
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%acc : memref<16x4xf32>)
  linalg.matmul ins(%norm, %b : memref<16x8xbf16>, memref<8x4xbf16>) outs(%acc : memref<16x4xf32>)
  // A row block chosen by the rank: the first element moves by rank * 4 rows.
  // CHECK: call_opaque "braid_exec_comm_rank"() {args = [#emitc.opaque<"braid_exec_self">, 0 : i32]} : () -> i64
  %r = braid.rank on @tp axes = [0] : index
  %c4 = arith.constant 4 : index
  %row = arith.muli %r, %c4 : index
  %block = memref.subview %acc[%row, 0] [4, 4] [1, 1] : memref<16x4xf32> to memref<4x4xf32, strided<[4, 1], offset: ?>>
  // A ring step's GEMM on rank-chosen row blocks (offsets known only at run
  // time) is still one runtime GEMM, with the blocks' leading dimensions.
  // CHECK: call_opaque "braid_emit_gemm"(%{{.*}}, %[[B]], %{{.*}}) {args = [1, 4, 4, 8, 0 : i32, 0 : i32, 2 : i32, 2 : i32, 0 : i32, 8, 4, 4, 0, 0, 0, 0 : index, 1 : index, 2 : index
  %rows = memref.subview %norm[%row, 0] [4, 8] [1, 1] : memref<16x8xbf16> to memref<4x8xbf16, strided<[8, 1], offset: ?>>
  linalg.matmul ins(%rows, %b : memref<4x8xbf16, strided<[8, 1], offset: ?>>, memref<8x4xbf16>) outs(%block : memref<4x4xf32, strided<[4, 1], offset: ?>>)
  // CHECK: call_opaque "braid_emit_copy"
  %dst = memref.subview %out[0, 0] [4, 4] [1, 1] : memref<16x4xf32> to memref<4x4xf32, strided<[4, 1]>>
  memref.copy %block, %dst : memref<4x4xf32, strided<[4, 1], offset: ?>> to memref<4x4xf32, strided<[4, 1]>>
  return
}
// CHECK: emitc.verbatim

// CPP: #include "braid_rt/braid_emitted.h"
// CPP: void braid_step_body(uint16_t* [[X:v[0-9]+]], uint16_t* {{v[0-9]+}}, uint16_t* {{v[0-9]+}}, float* {{v[0-9]+}}, int8_t* {{v[0-9]+}})
// CPP: braid_exec_fork(braid_exec_self, 1);
// CPP: braid_exec_all_reduce(braid_exec_self, 0, [[X]], {{v[0-9]+}}, 128, BRAID_RT_BF16, BRAID_RT_SUM, 1, "{{.*}} braid.cmd.all_reduce");
// CPP: braid_exec_record(braid_exec_self, 0, 1);
// CPP: braid_exec_wait(braid_exec_self, 0);
// CPP: static const braid_program_tensor braid_args[] = {
// CPP-NEXT: {BRAID_RT_BF16, 2, {16, 8}},
// CPP-NEXT: {BRAID_RT_BF16, 1, {8}},
// CPP-NEXT: {BRAID_RT_BF16, 2, {8, 4}},
// CPP: static const braid_program_tensor braid_results[] = {
// CPP-NEXT: {BRAID_RT_F32, 2, {16, 4}},
// CPP: static const int32_t braid_stream_priorities[] = {-2};
// CPP: braid_step_body(const_cast<uint16_t *>(static_cast<const uint16_t *>(args[0])), {{.*}}, static_cast<float *>(results[0]), reinterpret_cast<int8_t *>(arena));
// CPP: const braid_program_desc braid_program_descriptor = {
// CPP-NEXT: BRAID_PROGRAM_ABI_VERSION, "step", "{{.*}}convert-braid-to-emitc.mlir", 4,
// CPP-NEXT: 3, braid_args, 1, braid_results,
// CPP-NEXT: 1024ULL, 64, 0x{{[0-9a-f]+}}ULL,
// CPP-NEXT: 1, braid_comms, 1, braid_stream_priorities, 1,
