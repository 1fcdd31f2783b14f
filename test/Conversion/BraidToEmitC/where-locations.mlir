// The `where` strings of the emitted code (failure messages, and the span
// names of the measured timeline that compare-timelines.py matches to the
// predicted ops) start with the first file position inside the op's
// location, however it is wrapped.
// RUN: braid-opt %s -convert-braid-to-emitc | FileCheck %s

func.func @step(%a: memref<8xf32>, %b: memref<8xf32>) {
  %zero = arith.constant 0.0 : f32
  // An importer's named location (ONNX: the node's name).
  // CHECK: "braid_emit_span_begin"() {args = [#emitc.opaque<"\22model.onnx:3:0 linalg.fill\22">]}
  linalg.fill ins(%zero : f32) outs(%a : memref<8xf32>) loc("node"("model.onnx":3:0))
  // Inlined: the callee's position comes first.
  // CHECK: "braid_emit_span_begin"() {args = [#emitc.opaque<"\22callee.mlir:10:3 linalg.fill\22">]}
  linalg.fill ins(%zero : f32) outs(%b : memref<8xf32>) loc(callsite("callee.mlir":10:3 at "caller.mlir":2:1))
  // Fused: the first position.
  // CHECK: "braid_emit_span_begin"() {args = [#emitc.opaque<"\22a.mlir:1:2 linalg.fill\22">]}
  linalg.fill ins(%zero : f32) outs(%a : memref<8xf32>) loc(fused["a.mlir":1:2, "b.mlir":3:4])
  // No position at all: the op's name alone.
  // CHECK: "braid_emit_span_begin"() {args = [#emitc.opaque<"\22linalg.fill\22">]}
  linalg.fill ins(%zero : f32) outs(%b : memref<8xf32>) loc(unknown)
  return
}
