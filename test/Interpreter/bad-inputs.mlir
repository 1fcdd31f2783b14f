// Bad .npy inputs and unsupported programs give a clear error and a
// non-zero exit.
// RUN: rm -rf %t && mkdir -p %t/dtype %t/shape %t/header %t/magic %t/truncated %t/missing %t/fortran
// RUN: %python %S/Inputs/make_npy.py %t
// RUN: not braid-interp %s --inputs=%t/dtype 2>&1 | FileCheck %s --check-prefix=DTYPE
// RUN: not braid-interp %s --inputs=%t/shape 2>&1 | FileCheck %s --check-prefix=SHAPE
// RUN: not braid-interp %s --inputs=%t/header 2>&1 | FileCheck %s --check-prefix=HEADER
// RUN: not braid-interp %s --inputs=%t/magic 2>&1 | FileCheck %s --check-prefix=MAGIC
// RUN: not braid-interp %s --inputs=%t/truncated 2>&1 | FileCheck %s --check-prefix=TRUNCATED
// RUN: not braid-interp %s --inputs=%t/missing 2>&1 | FileCheck %s --check-prefix=MISSING
// RUN: not braid-interp %s --inputs=%t/fortran 2>&1 | FileCheck %s --check-prefix=FORTRAN
// Good inputs, per rank, round-trip through --output-dir.
// RUN: braid-interp %s --inputs=%t/good --output-dir=%t/out --quiet
// RUN: %python %S/Inputs/make_npy.py %t --check-output %t/out

// DTYPE: braid-interp: {{.*}}dtype/arg0.npy: dtype '<f8' does not match the expected f32 (stored as '<f4')
// SHAPE: braid-interp: {{.*}}shape/arg0.npy: shape tensor<3x4xf32> does not match argument #0 of type tensor<2x4xf32>
// HEADER: braid-interp: {{.*}}header/arg0.npy: malformed header
// MAGIC: braid-interp: {{.*}}magic/arg0.npy: not a .npy file (bad magic)
// TRUNCATED: braid-interp: {{.*}}truncated/arg0.npy: holds 12 data bytes but shape (2, 4) of '<f4' needs 32
// MISSING: braid-interp: {{.*}}missing/arg0.npy: cannot read
// FORTRAN: braid-interp: {{.*}}fortran/arg0.npy: Fortran-order arrays are not supported

shard.grid @tp(shape = 2)
func.func @main(%x: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %r = braid.all_reduce %x on @tp axes = [0] reduction = sum : tensor<2x4xf32>
  return %r : tensor<2x4xf32>
}
