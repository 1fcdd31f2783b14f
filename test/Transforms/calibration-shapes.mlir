// braid-calibration-shapes lists what braid-calibrate should measure for
// this program, once per distinct shape, in program order; the IR is left
// as it was.
// RUN: braid-opt %s --braid-calibration-shapes=output=%t.shapes -o %t.mlir 2>&1 | FileCheck %s --check-prefix=REMARK
// RUN: FileCheck %s < %t.shapes
// RUN: braid-opt %s -o %t.plain.mlir
// RUN: diff %t.plain.mlir %t.mlir
// To standard output by default.
// RUN: braid-opt %s --braid-calibration-shapes -o %t.ir 2> /dev/null | FileCheck %s
// A file that cannot be written is an error on the module.
// RUN: not braid-opt %s --braid-calibration-shapes=output=%t.missing/shapes -o %t.ir 2>&1 | FileCheck %s --check-prefix=UNWRITABLE

// CHECK:      --gemm 64x256x512:bf16  # 2 ops, first at {{.*}}calibration-shapes.mlir:{{[0-9]+}}:8 (linalg.matmul)
// CHECK-NEXT: --collective all_reduce:65536:4  # 1 op, first at {{.*}}:{{[0-9]+}}:8 (braid.all_reduce)
// CHECK-NEXT: --elementwise 16384:f32  # 1 op, first at {{.*}} (linalg.fill)
// CHECK-NEXT: --gemm 3x16x32x8:f32  # 1 op, first at {{.*}} (linalg.batch_matmul)
// CHECK-NEXT: --rmsnorm 64x256:bf16  # 1 op
// CHECK-NEXT: --softmax 4x16x8:f32  # 1 op
// CHECK-NEXT: --swiglu 2048:f32  # 1 op
// CHECK-NEXT: --activation 2048:f32  # 1 op
// CHECK-NEXT: --attention 1x4x2x16x32x8x8:f32:causal  # 1 op
// CHECK-NEXT: --collective all_gather:4096:2  # 1 op
// CHECK-NEXT: --collective collective_permute:8192:4  # 1 op
// CHECK-NEXT: --gemm 64x32x16:f32  # 1 op, first at {{.*}} (braid.grouped_matmul)
// CHECK-NEXT: --elementwise 2048:bf16  # 1 op, first at {{.*}} (arith.truncf)
// CHECK-NOT: --
// The group of one moves nothing; the dynamic matmul cannot be listed.
// REMARK: calibration-shapes.mlir:{{[0-9]+}}:9: remark: not listed for calibration: its shape or group is not static
// UNWRITABLE: error: cannot write '{{.*}}.missing/shapes'

shard.grid @g(shape = 2x4)
func.func @main(%x: tensor<64x512xbf16>, %w: tensor<512x256xbf16>, %w2: tensor<512x256xbf16>,
                %b: tensor<3x16x8xf32>, %c: tensor<3x8x32xf32>,
                %n: tensor<64x256xbf16>, %nw: tensor<256xbf16>,
                %s: tensor<4x16x8xf32>, %gate: tensor<64x32xf32>, %up: tensor<64x32xf32>,
                %q: tensor<1x4x16x8xf32>, %k: tensor<1x2x32x8xf32>, %v: tensor<1x2x32x8xf32>,
                %lhs: tensor<64x16xf32>, %rhs: tensor<4x16x32xf32>, %sizes: tensor<4xi32>,
                %dyn: tensor<?x8xf32>, %dw: tensor<8x8xf32>) {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<64x256xf32>
  %y = linalg.matmul ins(%x, %w : tensor<64x512xbf16>, tensor<512x256xbf16>) outs(%e : tensor<64x256xf32>) -> tensor<64x256xf32>
  %r = braid.all_reduce %y on @g axes = [1] reduction = sum : tensor<64x256xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<64x256xf32>) -> tensor<64x256xf32>
  %y2 = linalg.matmul ins(%x, %w2 : tensor<64x512xbf16>, tensor<512x256xbf16>) outs(%f : tensor<64x256xf32>) -> tensor<64x256xf32>
  %be = tensor.empty() : tensor<3x16x32xf32>
  %bm = linalg.batch_matmul ins(%b, %c : tensor<3x16x8xf32>, tensor<3x8x32xf32>) outs(%be : tensor<3x16x32xf32>) -> tensor<3x16x32xf32>
  %nn = braid.rmsnorm %n, %nw : tensor<64x256xbf16>, tensor<256xbf16> -> tensor<64x256xbf16>
  %se = tensor.empty() : tensor<4x16x8xf32>
  %sm = linalg.softmax dimension(1) ins(%s : tensor<4x16x8xf32>) outs(%se : tensor<4x16x8xf32>) -> tensor<4x16x8xf32>
  %sw = braid.swiglu %gate, %up : tensor<64x32xf32>
  %ac = braid.activation silu %gate : tensor<64x32xf32>
  %at = braid.attention %q, %k, %v {causal} : tensor<1x4x16x8xf32>, tensor<1x2x32x8xf32>, tensor<1x2x32x8xf32> -> tensor<1x4x16x8xf32>
  %ag = braid.all_gather %sm on @g axes = [0] dim = 0 : tensor<4x16x8xf32> -> tensor<8x16x8xf32>
  %one = braid.all_reduce %sw on @g axes = [] reduction = sum : tensor<64x32xf32>
  %p = braid.collective_permute %ac on @g axes = [1] pairs = [[0, 1], [1, 2], [2, 3], [3, 0]] : tensor<64x32xf32>
  %gm = braid.grouped_matmul %lhs, %rhs, %sizes : tensor<64x16xf32>, tensor<4x16x32xf32>, tensor<4xi32> -> tensor<64x32xf32>
  %tr = arith.truncf %gm : tensor<64x32xf32> to tensor<64x32xbf16>
  %de = tensor.empty() : tensor<8x8xf32>
  %i0 = arith.constant 0 : index
  %dn = tensor.dim %dyn, %i0 : tensor<?x8xf32>
  %dd = tensor.empty(%dn) : tensor<?x8xf32>
  %dm = linalg.matmul ins(%dyn, %dw : tensor<?x8xf32>, tensor<8x8xf32>) outs(%dd : tensor<?x8xf32>) -> tensor<?x8xf32>
  return
}
