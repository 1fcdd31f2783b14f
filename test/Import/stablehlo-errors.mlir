// Every op the importer cannot map is reported with its location, the exit
// status is non-zero and no output file is written.
// RUN: rm -f %t.mlir
// RUN: not %braid-import-stablehlo %s -o %t.mlir 2>&1 | FileCheck %s -DFILE=%s
// RUN: not test -e %t.mlir
// RUN: not %braid-import-stablehlo - < %s 2>&1 | FileCheck %s -DFILE="<stdin>"
// Non-tensor values (effect tokens) are reported where they appear.
// RUN: not %braid-import-stablehlo %S/Inputs/stablehlo-token.mlir 2>&1 | FileCheck %s --check-prefix=TOKEN
// TOKEN: stablehlo-token.mlir:2:3: error: 'func.func': argument %arg0: type !stablehlo.token is not a ranked tensor
// TOKEN: stablehlo-token.mlir:4:10: error: 'stablehlo.after_all': type !stablehlo.token is not a ranked tensor
// TOKEN: 2 error(s); nothing written

module @jit_f attributes {mhlo.num_partitions = 4 : i32, mhlo.num_replicas = 1 : i32} {
  sdy.mesh @mesh = <["x"=4]>
  func.func public @main(%arg0: tensor<4x8xf32>) -> (tensor<4x8xf32>) {
    %0 = sdy.manual_computation(%arg0) in_shardings=[<@mesh, [{}, {}]>] out_shardings=[<@mesh, [{}, {}]>] manual_axes={"x"} (%a: tensor<4x8xf32>) {
      // CHECK: [[FILE]]:[[@LINE+1]]:12: error: 'stablehlo.is_finite': unsupported op
      %1 = stablehlo.is_finite %a : (tensor<4x8xf32>) -> tensor<4x8xi1>
      // CHECK: [[FILE]]:[[@LINE+1]]:12: error: 'stablehlo.custom_call': custom_call @my_kernel is not supported
      %2 = stablehlo.custom_call @my_kernel(%1) : (tensor<4x8xi1>) -> tensor<4x8xf32>
      // an argmax over two dimensions (one dimension maps onto braid.topk).
      %i = stablehlo.iota dim = 1 : tensor<4x8xi32>
      %ninf = stablehlo.constant dense<0xFF800000> : tensor<f32>
      %z = stablehlo.constant dense<0> : tensor<i32>
      // CHECK: [[FILE]]:[[@LINE+1]]:{{[0-9]+}}: error: 'stablehlo.reduce': variadic reduce that is not an argmax/argmin (x, iota) over one dimension is not supported
      %3:2 = stablehlo.reduce(%2 init: %ninf), (%i init: %z) across dimensions = [0, 1] : (tensor<4x8xf32>, tensor<4x8xi32>, tensor<f32>, tensor<i32>) -> (tensor<f32>, tensor<i32>)
       reducer(%p: tensor<f32>, %q: tensor<f32>) (%r: tensor<i32>, %s: tensor<i32>) {
        %c = stablehlo.compare GT, %p, %q, FLOAT : (tensor<f32>, tensor<f32>) -> tensor<i1>
        %m = stablehlo.select %c, %p, %q : tensor<i1>, tensor<f32>
        %n = stablehlo.select %c, %r, %s : tensor<i1>, tensor<i32>
        stablehlo.return %m, %n : tensor<f32>, tensor<i32>
      }
      // A gather that is not numpy.take along one axis.
      %idx = stablehlo.constant dense<0> : tensor<2x2xi32>
      // CHECK: [[FILE]]:[[@LINE+1]]:12: error: 'stablehlo.gather': gather: only a gather of whole slices along one axis (numpy.take) maps onto braid.gather
      %4 = "stablehlo.gather"(%2, %idx) <{dimension_numbers = #stablehlo.gather<offset_dims = [], collapsed_slice_dims = [0, 1], start_index_map = [0, 1], index_vector_dim = 1>, indices_are_sorted = false, slice_sizes = array<i64: 1, 1>}> : (tensor<4x8xf32>, tensor<2x2xi32>) -> tensor<2xf32>
      // CHECK: [[FILE]]:[[@LINE+1]]:12: error: 'stablehlo.reduce_precision': unsupported op
      %5 = stablehlo.reduce_precision %2, format = e5m2 : tensor<4x8xf32>
      sdy.return %5 : tensor<4x8xf32>
    } : (tensor<4x8xf32>) -> tensor<4x8xf32>
    return %0 : tensor<4x8xf32>
  }
}
// CHECK: braid-import-stablehlo: 5 error(s); nothing written
