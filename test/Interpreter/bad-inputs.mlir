// Bad .npy inputs and unsupported programs give a clear error, in the
// `file: error: message` form, and a non-zero exit; nothing is allocated
// before the file's length confirms its header.
// RUN: rm -rf %t && mkdir -p %t/dtype %t/shape %t/truncated %t/missing %t/fortran
// RUN: %python %S/Inputs/make_npy.py %t
// RUN: not braid-interp %s --inputs=%t/dtype 2>&1 | FileCheck %s --check-prefix=DTYPE
// RUN: not braid-interp %s --inputs=%t/shape 2>&1 | FileCheck %s --check-prefix=SHAPE
// RUN: not braid-interp %s --inputs=%t/header 2>&1 | FileCheck %s --check-prefix=HEADER
// RUN: not braid-interp %s --inputs=%t/nobrace 2>&1 | FileCheck %s --check-prefix=NOBRACE
// RUN: not braid-interp %s --inputs=%t/magic 2>&1 | FileCheck %s --check-prefix=MAGIC
// RUN: not braid-interp %s --inputs=%t/truncated 2>&1 | FileCheck %s --check-prefix=TRUNCATED
// RUN: not braid-interp %s --inputs=%t/missing 2>&1 | FileCheck %s --check-prefix=MISSING
// RUN: not braid-interp %s --inputs=%t/missingrank 2>&1 | FileCheck %s --check-prefix=MISSING-RANK
// RUN: not braid-interp %s --inputs=%t/nowhere 2>&1 | FileCheck %s --check-prefix=NO-DIR
// RUN: not braid-interp %s --inputs=%t/fortran 2>&1 | FileCheck %s --check-prefix=FORTRAN
// RUN: not braid-interp %s --inputs=%t/huge 2>&1 | FileCheck %s --check-prefix=HUGE
// RUN: not braid-interp %s --inputs=%t/overflow 2>&1 | FileCheck %s --check-prefix=OVERFLOW
// RUN: not braid-interp %s --inputs=%t/overflow3 2>&1 | FileCheck %s --check-prefix=OVERFLOW3
// RUN: not braid-interp %s --inputs=%t/headerlength 2>&1 | FileCheck %s --check-prefix=HEADER-LENGTH
// RUN: not braid-interp %s --inputs=%t/empty 2>&1 | FileCheck %s --check-prefix=EMPTY
// RUN: not braid-interp %s --inputs=%t/version 2>&1 | FileCheck %s --check-prefix=VERSION
// RUN: not braid-interp %s --inputs=%t/complex 2>&1 | FileCheck %s --check-prefix=COMPLEX
// RUN: not braid-interp %s --inputs=%t/binary 2>&1 | FileCheck %s --check-prefix=BINARY
// RUN: not braid-interp %s --inputs=%t/negative 2>&1 | FileCheck %s --check-prefix=NEGATIVE
// Good inputs, per rank, round-trip through --output-dir.
// RUN: braid-interp %s --inputs=%t/good --output-dir=%t/out --quiet 2>&1 | count 0
// RUN: %python %S/Inputs/make_npy.py %t --check-output %t/out
// Files the program does not read are named in warnings; the run goes on.
// RUN: braid-interp %s --inputs=%t/extra --quiet 2>&1 | FileCheck %s --check-prefix=EXTRA

// DTYPE: {{.*}}dtype/arg0.npy: error: dtype '<f8' does not match the expected f32 (stored as '<f4')
// SHAPE: {{.*}}shape/arg0.npy: error: shape tensor<3x4xf32> does not match argument #0 of type tensor<2x4xf32>
// HEADER: {{.*}}header/arg0.npy: error: malformed header '{'fortran_order': False}': needs 'descr', 'fortran_order' and 'shape'
// NOBRACE: {{.*}}nobrace/arg0.npy: error: malformed header '{'descr': '<f4', 'fortran_order': False, 'shape': (2, 4),': not a {...} dict
// MAGIC: {{.*}}magic/arg0.npy: error: not a .npy file (bad magic)
// TRUNCATED: {{.*}}truncated/arg0.npy: error: holds 12 data bytes but shape (2, 4) of '<f4' needs 32
// MISSING: {{.*}}missing{{/|\\}}arg0.npy: error: missing: argument #0 has neither this file nor a per-rank {{.*}}missing{{/|\\}}rank0{{/|\\}}arg0.npy
// MISSING-RANK: {{.*}}missingrank{{/|\\}}rank1{{/|\\}}arg0.npy: error: missing: argument #0 of rank 1 has neither this file nor a shared {{.*}}missingrank{{/|\\}}arg0.npy
// NO-DIR: {{.*}}nowhere: error: --inputs names no directory
// FORTRAN: {{.*}}fortran/arg0.npy: error: Fortran-order arrays are not supported
// HUGE: {{.*}}huge/arg0.npy: error: holds 32 data bytes but shape (1099511627776, 4) of '<f4' needs 17592186044416
// OVERFLOW: {{.*}}overflow/arg0.npy: error: shape '(4611686018427387904, 4611686018427387904)' has more elements than int64 can count
// OVERFLOW3: {{.*}}overflow3/arg0.npy: error: shape '(9223372036854775807, 9223372036854775807, 9223372036854775807)' has more elements than int64 can count
// HEADER-LENGTH: {{.*}}headerlength/arg0.npy: error: truncated header: it claims 4294967295 bytes, the file holds 2 more
// EMPTY: {{.*}}empty/arg0.npy: error: not a .npy file (bad magic)
// VERSION: {{.*}}version/arg0.npy: error: unsupported .npy version 9
// COMPLEX: {{.*}}complex/arg0.npy: error: dtype '<c8' does not match the expected f32 (stored as '<f4')
// BINARY: {{.*}}binary/arg0.npy: error: dtype '<f4\FF\01' does not match the expected f32
// NEGATIVE: {{.*}}negative/arg0.npy: error: malformed shape '(-2, -4)'
// EXTRA: {{.*}}extra{{/|\\}}arg0.npy: warning: ignored: every rank reads its own rankR/arg0.npy
// EXTRA-NEXT: {{.*}}extra{{/|\\}}arg1.npy: warning: ignored: not an input of this program (it reads argN.npy for N < 1, shared or under rankR/ for R < 2)
// EXTRA-NEXT: {{.*}}extra{{/|\\}}rank1{{/|\\}}arg_0.npy: warning: ignored
// EXTRA-NEXT: {{.*}}extra{{/|\\}}rank2: warning: ignored
// EXTRA-NOT: warning

shard.grid @tp(shape = 2)
func.func @main(%x: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %r = braid.all_reduce %x on @tp axes = [0] reduction = sum : tensor<2x4xf32>
  return %r : tensor<2x4xf32>
}
