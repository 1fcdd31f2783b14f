// Canonical forms the StableHLO importer produces for single ops
// (docs/Rationale.md "Canonical forms importers must produce", docs/Import.md).
// Shardings are replicated, so local and global shapes agree.
// RUN: %braid-import-stablehlo %s -o %t.mlir
// RUN: braid-opt %t.mlir > /dev/null
// RUN: FileCheck %s < %t.mlir
// RUN: %braid-import-stablehlo - < %s | FileCheck %s

// CHECK: shard.grid @mesh(shape = 4)
// CHECK: func.func @main(%arg0: tensor<4x16xbf16>, %arg1: tensor<16x2xbf16>, %arg2: tensor<2x8x4xf32>, %arg3: tensor<4x8xf32>, %arg4: tensor<8xf32>)
module @jit_f attributes {mhlo.num_partitions = 4 : i32, mhlo.num_replicas = 1 : i32} {
  sdy.mesh @mesh = <["x"=4]>
  func.func public @main(%arg0: tensor<4x16xbf16>, %arg1: tensor<16x2xbf16>, %arg2: tensor<2x8x4xf32>, %arg3: tensor<4x8xf32>, %arg4: tensor<8xf32>) -> (tensor<4x2xbf16>, tensor<4x2xf32>, tensor<4x4xf32>, tensor<2x8x8xf32>, tensor<8x8xf32>, tensor<4x8x2xf32>, tensor<4xf32>, tensor<2x4xf32>, tensor<4x10xf32>, tensor<8x4xi32>, tensor<4x8xf32>, tensor<4x2xf32>, tensor<4x2xi32>) {
    %0:13 = sdy.manual_computation(%arg0, %arg1, %arg2, %arg3, %arg4) in_shardings=[<@mesh, [{}, {}]>, <@mesh, [{}, {}]>, <@mesh, [{}, {}, {}]>, <@mesh, [{}, {}]>, <@mesh, [{}]>] out_shardings=[<@mesh, [{}, {}]>, <@mesh, [{}, {}]>, <@mesh, [{}, {}]>, <@mesh, [{}, {}, {}]>, <@mesh, [{}, {}]>, <@mesh, [{}, {}, {}]>, <@mesh, [{}]>, <@mesh, [{}, {}]>, <@mesh, [{}, {}]>, <@mesh, [{}, {}]>, <@mesh, [{}, {}]>, <@mesh, [{}, {}]>, <@mesh, [{}, {}]>] manual_axes={"x"} (%a: tensor<4x16xbf16>, %b: tensor<16x2xbf16>, %c: tensor<2x8x4xf32>, %d: tensor<4x8xf32>, %v: tensor<8xf32>) {
      // bf16 x bf16 -> bf16: zero-filled f32 accumulator, then truncf.
      // CHECK: %[[Z1:.*]] = arith.constant 0.0 : f32
      // CHECK: %[[E1:.*]] = tensor.empty() : tensor<4x2xf32>
      // CHECK: %[[F1:.*]] = linalg.fill ins(%[[Z1]] : f32) outs(%[[E1]] : tensor<4x2xf32>)
      // CHECK: %[[M1:.*]] = linalg.matmul ins(%arg0, %arg1 : tensor<4x16xbf16>, tensor<16x2xbf16>) outs(%[[F1]] : tensor<4x2xf32>)
      // CHECK: %[[R0:.*]] = arith.truncf %[[M1]] : tensor<4x2xf32> to tensor<4x2xbf16>
      %1 = stablehlo.dot_general %a, %b, contracting_dims = [1] x [0] : (tensor<4x16xbf16>, tensor<16x2xbf16>) -> tensor<4x2xbf16>
      // preferred_element_type = f32: no truncf.
      // CHECK: %[[R1:.*]] = linalg.matmul ins(%arg0, %arg1 : tensor<4x16xbf16>, tensor<16x2xbf16>) outs({{.*}} : tensor<4x2xf32>)
      // CHECK-NOT: arith.truncf
      %2 = stablehlo.dot_general %a, %b, contracting_dims = [1] x [0] : (tensor<4x16xbf16>, tensor<16x2xbf16>) -> tensor<4x2xf32>
      // x @ y.T: transpose the rhs, then matmul.
      // CHECK: %[[T:.*]] = linalg.transpose ins(%arg3 : tensor<4x8xf32>) outs({{.*}} : tensor<8x4xf32>) permutation = [1, 0]
      // CHECK: %[[R2:.*]] = linalg.matmul ins(%arg3, %[[T]] : tensor<4x8xf32>, tensor<8x4xf32>)
      %3 = stablehlo.dot_general %d, %d, contracting_dims = [1] x [1] : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x4xf32>
      // batched, batch dims leading, contracting the rhs's last dim.
      // CHECK: %[[T2:.*]] = linalg.transpose ins(%arg2 : tensor<2x8x4xf32>) outs({{.*}} : tensor<2x4x8xf32>) permutation = [0, 2, 1]
      // CHECK: %[[R3:.*]] = linalg.batch_matmul ins(%arg2, %[[T2]] : tensor<2x8x4xf32>, tensor<2x4x8xf32>) outs({{.*}} : tensor<2x8x8xf32>)
      %4 = stablehlo.dot_general %c, %c, batching_dims = [0] x [0], contracting_dims = [2] x [2] : (tensor<2x8x4xf32>, tensor<2x8x4xf32>) -> tensor<2x8x8xf32>
      // 3-D x 2-D contracting the leading dims: collapse, transpose, matmul.
      // CHECK: linalg.transpose ins(%arg2 : tensor<2x8x4xf32>) outs({{.*}} : tensor<8x2x4xf32>) permutation = [1, 0, 2]
      // CHECK: tensor.collapse_shape {{.*}} {{\[\[}}0], [1, 2]] : tensor<8x2x4xf32> into tensor<8x8xf32>
      // CHECK: %[[R4:.*]] = linalg.matmul ins({{.*}} : tensor<8x8xf32>, tensor<8x8xf32>)
      %5 = stablehlo.dot_general %c, %c, contracting_dims = [0, 2] x [0, 2] : (tensor<2x8x4xf32>, tensor<2x8x4xf32>) -> tensor<8x8xf32>
      // broadcast_in_dim with permuted dims: transpose, then linalg.broadcast.
      // CHECK: %[[TR:.*]] = linalg.transpose ins(%arg3 : tensor<4x8xf32>) outs({{.*}} : tensor<8x4xf32>) permutation = [1, 0]
      // CHECK: %[[TB:.*]] = linalg.transpose ins(%[[TR]] : tensor<8x4xf32>) outs({{.*}} : tensor<4x8xf32>) permutation = [1, 0]
      // CHECK: %[[R5:.*]] = linalg.broadcast ins(%[[TB]] : tensor<4x8xf32>) outs({{.*}} : tensor<4x8x2xf32>) dimensions = [2]
      %6 = stablehlo.transpose %d, dims = [1, 0] : (tensor<4x8xf32>) -> tensor<8x4xf32>
      %7 = stablehlo.broadcast_in_dim %6, dims = [1, 0] : (tensor<8x4xf32>) -> tensor<4x8x2xf32>
      // max-reduce: linalg.reduce with an init filled with -inf.
      // CHECK: %[[NINF:.*]] = arith.constant 0xFF800000 : f32
      // CHECK: linalg.fill ins(%[[NINF]] : f32)
      // CHECK: %[[R6:.*]] = linalg.reduce ins(%arg3 : tensor<4x8xf32>) outs({{.*}} : tensor<4xf32>) dimensions = [1]
      // CHECK: arith.maximumf
      %cst = stablehlo.constant dense<0xFF800000> : tensor<f32>
      %8 = stablehlo.reduce(%d init: %cst) applies stablehlo.maximum across dimensions = [1] : (tensor<4x8xf32>, tensor<f32>) -> tensor<4xf32>
      // reshape: one expand_shape.
      // CHECK: %[[R7:.*]] = tensor.expand_shape %arg4 {{\[\[}}0, 1]] output_shape [2, 4] : tensor<8xf32> into tensor<2x4xf32>
      %9 = stablehlo.reshape %v : (tensor<8xf32>) -> tensor<2x4xf32>
      %10 = stablehlo.reshape %9 : (tensor<2x4xf32>) -> tensor<2x4xf32>
      // slice / pad / concatenate.
      // CHECK: %[[S:.*]] = tensor.extract_slice %arg3[0, 2] [4, 3] [1, 2] : tensor<4x8xf32> to tensor<4x3xf32>
      // CHECK: tensor.pad %[[S]] low[0, 1] high[0, 0]
      // CHECK: %[[R8:.*]] = tensor.concat dim(1)
      %11 = stablehlo.slice %d [0:4, 2:8:2] : (tensor<4x8xf32>) -> tensor<4x3xf32>
      %zero = stablehlo.constant dense<0.0> : tensor<f32>
      %12 = stablehlo.pad %11, %zero, low = [0, 1], high = [0, 0], interior = [0, 0] : (tensor<4x3xf32>, tensor<f32>) -> tensor<4x4xf32>
      %13 = stablehlo.concatenate %12, %11, %11, dim = 1 : (tensor<4x4xf32>, tensor<4x3xf32>, tensor<4x3xf32>) -> tensor<4x10xf32>
      // iota: linalg.generic over linalg.index.
      // CHECK: %[[R9:.*]] = linalg.generic {{.*}} outs({{.*}} : tensor<8x4xi32>)
      // CHECK: linalg.index 1 : index
      %14 = stablehlo.iota dim = 1 : tensor<8x4xi32>
      // compare + select with a splat constant, then subtract the row max
      // broadcast back with keepdims: the broadcast starts from the reduce's
      // result, not from the keepdims reshape (which is then dead and dropped).
      // CHECK: %[[C:.*]] = arith.cmpf oge, %arg3, %arg3 : tensor<4x8xf32>
      // CHECK: %[[NI:.*]] = arith.constant dense<0xFF800000> : tensor<4x8xf32>
      // CHECK: %[[SEL:.*]] = arith.select %[[C]], %arg3, %[[NI]] : tensor<4x8xi1>, tensor<4x8xf32>
      // CHECK-NOT: tensor.collapse_shape
      // CHECK: %[[BM:.*]] = linalg.broadcast ins(%[[R6]] : tensor<4xf32>) outs({{.*}} : tensor<4x8xf32>) dimensions = [1]
      // CHECK: %[[R10:.*]] = arith.subf %[[SEL]], %[[BM]] : tensor<4x8xf32>
      %15 = stablehlo.compare GE, %d, %d, FLOAT : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xi1>
      %ninf = stablehlo.constant dense<0xFF800000> : tensor<4x8xf32>
      %sel = stablehlo.select %15, %d, %ninf : tensor<4x8xi1>, tensor<4x8xf32>
      %kd = stablehlo.reshape %8 : (tensor<4xf32>) -> tensor<4x1xf32>
      %bm = stablehlo.broadcast_in_dim %kd, dims = [0, 1] : (tensor<4x1xf32>) -> tensor<4x8xf32>
      %16 = stablehlo.subtract %sel, %bm : tensor<4x8xf32>
      // top_k -> braid.topk; chlo.square -> mulf.
      // CHECK: %[[TK:.*]]:2 = braid.topk %arg3 {k = 2 : i64} : tensor<4x8xf32> -> tensor<4x2xf32>, tensor<4x2xi32>
      // CHECK: arith.mulf %[[TK]]#0, %[[TK]]#0 : tensor<4x2xf32>
      %values, %indices = chlo.top_k(%d, k = 2) : tensor<4x8xf32> -> (tensor<4x2xf32>, tensor<4x2xi32>)
      %17 = chlo.square %values : tensor<4x2xf32> -> tensor<4x2xf32>
      // sharding custom_call and optimization_barrier are identities.
      %18 = stablehlo.custom_call @Sharding(%17) {mhlo.sharding = "{replicated}"} : (tensor<4x2xf32>) -> tensor<4x2xf32>
      %19:2 = stablehlo.optimization_barrier %18, %indices : tensor<4x2xf32>, tensor<4x2xi32>
      sdy.return %1, %2, %3, %4, %5, %7, %8, %10, %13, %14, %16, %19#0, %19#1 : tensor<4x2xbf16>, tensor<4x2xf32>, tensor<4x4xf32>, tensor<2x8x8xf32>, tensor<8x8xf32>, tensor<4x8x2xf32>, tensor<4xf32>, tensor<2x4xf32>, tensor<4x10xf32>, tensor<8x4xi32>, tensor<4x8xf32>, tensor<4x2xf32>, tensor<4x2xi32>
    } : (tensor<4x16xbf16>, tensor<16x2xbf16>, tensor<2x8x4xf32>, tensor<4x8xf32>, tensor<8xf32>) -> (tensor<4x2xbf16>, tensor<4x2xf32>, tensor<4x4xf32>, tensor<2x8x8xf32>, tensor<8x8xf32>, tensor<4x8x2xf32>, tensor<4xf32>, tensor<2x4xf32>, tensor<4x10xf32>, tensor<8x4xi32>, tensor<4x8xf32>, tensor<4x2xf32>, tensor<4x2xi32>)
    return %0#0, %0#1, %0#2, %0#3, %0#4, %0#5, %0#6, %0#7, %0#8, %0#9, %0#10, %0#11, %0#12 : tensor<4x2xbf16>, tensor<4x2xf32>, tensor<4x4xf32>, tensor<2x8x8xf32>, tensor<8x8xf32>, tensor<4x8x2xf32>, tensor<4xf32>, tensor<2x4xf32>, tensor<4x10xf32>, tensor<8x4xi32>, tensor<4x8xf32>, tensor<4x2xf32>, tensor<4x2xi32>
  }
}
// CHECK: return %[[R0]], %[[R1]], %[[R2]], %[[R3]], %[[R4]], %[[R5]], %[[R6]], %[[R7]], %[[R8]], %[[R9]], %[[R10]], {{.*}}, %[[TK]]#1 :
