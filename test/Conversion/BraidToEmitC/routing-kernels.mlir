// RUN: braid-opt %s -convert-braid-to-emitc -split-input-file | FileCheck %s
// RUN: braid-opt %s -convert-braid-to-emitc -split-input-file | braid-translate --braid-to-cpp -split-input-file | FileCheck %s --check-prefix=CPP
// The MoE routing ops and the grouped matmul call their runtime kernels with
// the shapes read from the op (tokens, experts, k, hidden, rows, columns)
// and every element type: data (braid_rt_elem f32 0, bf16 2) and indices
// (i32 7, i64 8) separately, so mixed types reach the kernel as typed.

// CHECK-LABEL: emitc.func @braid_step_body
// CHECK-SAME: (%[[L:[^:]*]]: !emitc.ptr<!emitc.opaque<"uint16_t">>, %[[W:[^:]*]]: !emitc.ptr<!emitc.opaque<"uint16_t">>, %[[E:[^:]*]]: !emitc.ptr<i64>
// CHECK: call_opaque "braid_emit_moe_gate"(%[[L]], %[[W]], %[[E]]) {args = [2 : i32, 6, 4, 2, 1 : i32, 0 : index, 1 : index, 2 : index, 8 : i32, #emitc.opaque<"\22{{.*}}routing-kernels.mlir:{{[0-9]+}}:{{[0-9]+}} braid.moe_gate\22">]}
// CPP: braid_emit_moe_gate(2, 6, 4, 2, 1, v1, v2, v3, 8, "{{.*}}routing-kernels.mlir:{{[0-9]+}}:{{[0-9]+}} braid.moe_gate");
func.func @gate(%logits: memref<6x4xbf16>, %w: memref<6x2xbf16>, %e: memref<6x2xi64>) {
  braid.cmd.compute ins(%logits : memref<6x4xbf16>) outs(%w, %e : memref<6x2xbf16>, memref<6x2xi64>) {
  ^bb0(%t: tensor<6x4xbf16>):
    %weights, %experts = braid.moe_gate %t {k = 2 : i64, normalize} : tensor<6x4xbf16> -> tensor<6x2xbf16>, tensor<6x2xi64>
    braid.cmd.yield %weights, %experts : tensor<6x2xbf16>, tensor<6x2xi64>
  }
  return
}

// -----

// Without `normalize` the flag is 0; i32 expert ids.
// CHECK-LABEL: emitc.func @braid_step_body
// CHECK: call_opaque "braid_emit_moe_gate"({{.*}}) {args = [0 : i32, 6, 4, 1, 0 : i32, 0 : index, 1 : index, 2 : index, 7 : i32,
// CPP: braid_emit_moe_gate(0, 6, 4, 1, 0, v1, v2, v3, 7,
func.func @gate_top1(%logits: memref<6x4xf32>, %w: memref<6x1xf32>, %e: memref<6x1xi32>) {
  braid.cmd.compute ins(%logits : memref<6x4xf32>) outs(%w, %e : memref<6x1xf32>, memref<6x1xi32>) {
  ^bb0(%t: tensor<6x4xf32>):
    %weights, %experts = braid.moe_gate %t {k = 1 : i64} : tensor<6x4xf32> -> tensor<6x1xf32>, tensor<6x1xi32>
    braid.cmd.yield %weights, %experts : tensor<6x1xf32>, tensor<6x1xi32>
  }
  return
}

// -----

// Operands: input, experts; outputs: permuted, group sizes, row map.
// CHECK-LABEL: emitc.func @braid_step_body
// CHECK-SAME: (%[[X:[^:]*]]: !emitc.ptr<!emitc.opaque<"uint16_t">>, %[[E:[^:]*]]: !emitc.ptr<i64>, %[[P:[^:]*]]: !emitc.ptr<!emitc.opaque<"uint16_t">>, %[[S:[^:]*]]: !emitc.ptr<i32>, %[[M:[^:]*]]: !emitc.ptr<i64>)
// CHECK: call_opaque "braid_emit_moe_permute"(%[[X]], %[[E]], %[[P]], %[[S]], %[[M]]) {args = [2 : i32, 6, 8, 2, 4, 0 : index, 1 : index, 8 : i32, 2 : index, 3 : index, 7 : i32, 4 : index, 8 : i32,
// CPP: braid_emit_moe_permute(2, 6, 8, 2, 4, v1, v2, 8, v3, v4, 7, v5, 8,
func.func @permute(%x: memref<6x8xbf16>, %e: memref<6x2xi64>, %p: memref<12x8xbf16>, %s: memref<4xi32>, %m: memref<12xi64>) {
  braid.cmd.compute ins(%x, %e : memref<6x8xbf16>, memref<6x2xi64>) outs(%p, %s, %m : memref<12x8xbf16>, memref<4xi32>, memref<12xi64>) {
  ^bb0(%tx: tensor<6x8xbf16>, %te: tensor<6x2xi64>):
    %permuted, %sizes, %map = braid.moe_permute %tx, %te {num_experts = 4 : i64} : tensor<6x8xbf16>, tensor<6x2xi64> -> tensor<12x8xbf16>, tensor<4xi32>, tensor<12xi64>
    braid.cmd.yield %permuted, %sizes, %map : tensor<12x8xbf16>, tensor<4xi32>, tensor<12xi64>
  }
  return
}

// -----

// Operands: expert outputs (f32), row map (i32), weights (bf16); the
// result. Sizes: tokens 6, k 2, hidden 8, rows 12.
// CHECK-LABEL: emitc.func @braid_step_body
// CHECK-SAME: (%[[I:[^:]*]]: !emitc.ptr<f32>, %[[M:[^:]*]]: !emitc.ptr<i32>, %[[W:[^:]*]]: !emitc.ptr<!emitc.opaque<"uint16_t">>, %[[Y:[^:]*]]: !emitc.ptr<f32>)
// CHECK: call_opaque "braid_emit_moe_unpermute"(%[[I]], %[[M]], %[[W]], %[[Y]]) {args = [0 : i32, 2 : i32, 6, 2, 8, 12, 0 : index, 1 : index, 7 : i32, 2 : index, 3 : index,
// CPP: braid_emit_moe_unpermute(0, 2, 6, 2, 8, 12, v1, v2, 7, v3, v4,
func.func @unpermute(%in: memref<12x8xf32>, %m: memref<12xi32>, %w: memref<6x2xbf16>, %y: memref<6x8xf32>) {
  braid.cmd.compute ins(%in, %m, %w : memref<12x8xf32>, memref<12xi32>, memref<6x2xbf16>) outs(%y : memref<6x8xf32>) {
  ^bb0(%ti: tensor<12x8xf32>, %tm: tensor<12xi32>, %tw: tensor<6x2xbf16>):
    %r = braid.moe_unpermute %ti, %tm, %tw : tensor<12x8xf32>, tensor<12xi32>, tensor<6x2xbf16> -> tensor<6x8xf32>
    braid.cmd.yield %r : tensor<6x8xf32>
  }
  return
}

// -----

// bf16 operands accumulated into an f32 result: rows 12, depth 8, columns 5,
// experts 4; i64 group sizes.
// CHECK-LABEL: emitc.func @braid_step_body
// CHECK-SAME: (%[[A:[^:]*]]: !emitc.ptr<!emitc.opaque<"uint16_t">>, %[[B:[^:]*]]: !emitc.ptr<!emitc.opaque<"uint16_t">>, %[[S:[^:]*]]: !emitc.ptr<i64>, %[[C:[^:]*]]: !emitc.ptr<f32>)
// CHECK: call_opaque "braid_emit_grouped_matmul"(%[[A]], %[[B]], %[[S]], %[[C]]) {args = [2 : i32, 0 : i32, 12, 8, 5, 4, 0 : index, 1 : index, 2 : index, 8 : i32, 3 : index, #emitc.opaque<"\22{{.*}}routing-kernels.mlir:{{[0-9]+}}:{{[0-9]+}} braid.grouped_matmul\22">]}
// CPP: braid_emit_grouped_matmul(2, 0, 12, 8, 5, 4, v1, v2, v3, 8, v4, "{{.*}} braid.grouped_matmul");
func.func @grouped_matmul(%a: memref<12x8xbf16>, %b: memref<4x8x5xbf16>, %s: memref<4xi64>, %c: memref<12x5xf32>) {
  braid.cmd.compute ins(%a, %b, %s : memref<12x8xbf16>, memref<4x8x5xbf16>, memref<4xi64>) outs(%c : memref<12x5xf32>) {
  ^bb0(%ta: tensor<12x8xbf16>, %tb: tensor<4x8x5xbf16>, %ts: tensor<4xi64>):
    %r = braid.grouped_matmul %ta, %tb, %ts : tensor<12x8xbf16>, tensor<4x8x5xbf16>, tensor<4xi64> -> tensor<12x5xf32>
    braid.cmd.yield %r : tensor<12x5xf32>
  }
  return
}
