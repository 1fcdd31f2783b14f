// braid-interp PROG --check-outputs RUNDIR judges a compiled run's results
// (RUNDIR/rankR/resultN.npy, from the inputs RUNDIR/rankR/argN.npy it
// wrote, or --inputs) against the interpreter's own run of PROG under the
// numerics contract: floats at most --tolerance-factor times less accurate
// than the interpreter against f64, integers exact, and results the program
// replicates bitwise equal across their group in the run. Here the "run"
// is the interpreter's own --output-dir, then corrupted copies of it.
// RUN: rm -rf %t && mkdir -p %t
// RUN: braid-interp %s --quiet --output-dir=%t/run
// RUN: braid-interp %s --check-outputs=%t/run | FileCheck %s --check-prefix=PASS
// RUN: braid-interp %s --check-outputs=%t/run --inputs=%t/run --exact | FileCheck %s --check-prefix=EXACT
// PASS: result #0 tensor<4x8xf32>: relative error vs f64: interpreter 0.000e+00, compiled 0.000e+00
// PASS: result #1 tensor<4x8xf32>: relative error vs f64: interpreter {{.*}}, compiled {{.*}}
// PASS: result #2 tensor<4xi32>: integers equal on all 2 ranks
// PASS: check-outputs: 3 results on 2 ranks of {{.*}} meet the numerics contract
// EXACT: check-outputs: 3 results on 2 ranks of {{.*}}run meet the numerics contract (bitwise)
//
// A result 0.1% off on one rank.
// RUN: cp -r %t/run %t/scaled && %python %S/Inputs/edit_npy.py %t/scaled/rank1/result0.npy scale=1.001
// RUN: not braid-interp %s --check-outputs=%t/scaled 2>&1 | FileCheck %s --check-prefix=SCALED
// SCALED: scaled{{/|\\}}rank1{{/|\\}}result0.npy: error: the compiled run is less accurate than the numerics contract allows: result #0 has relative error {{9\.[0-9]+e-04|1\.0[0-9]+e-03}} vs f64, over the bound 1.192e-07 (largest difference on rank 1, element {{[0-9]+}}: {{.*}} in f64)
//
// One ulp on one rank of a replicated result: accurate, but not bitwise
// equal across the group.
// RUN: cp -r %t/run %t/split && %python %S/Inputs/edit_npy.py %t/split/rank1/result1.npy nudge
// RUN: not braid-interp %s --check-outputs=%t/split 2>&1 | FileCheck %s --check-prefix=SPLIT
// SPLIT: split{{/|\\}}rank1{{/|\\}}result1.npy: error: in the run, result #1 is replicated over @tp axes [0] but rank 0 and rank 1 hold different values (element 3: {{.*}})
// SPLIT-NOT: less accurate
//
// Integer results must be exact.
// RUN: cp -r %t/run %t/ids && %python %S/Inputs/edit_npy.py %t/ids/rank0/result2.npy add-int
// RUN: not braid-interp %s --check-outputs=%t/ids 2>&1 | FileCheck %s --check-prefix=IDS
// IDS: ids{{/|\\}}rank0{{/|\\}}result2.npy: error: integer result #2 differs on rank 0 at element 2: {{-?[0-9]+}} (interpreter) vs {{-?[0-9]+}} (compiled); integer results must be exact
//
// Files missing, extra, of another shape or dtype.
// RUN: cp -r %t/run %t/files && rm %t/files/rank0/result2.npy && mkdir %t/files/rank2
// RUN: cp %t/files/rank1/result0.npy %t/files/rank1/result3.npy
// RUN: %python %S/Inputs/edit_npy.py %t/files/rank1/result1.npy rows=2
// RUN: %python %S/Inputs/edit_npy.py %t/files/rank0/result0.npy as-f64
// RUN: not braid-interp %s --check-outputs=%t/files 2>&1 | FileCheck %s --check-prefix=FILES
// FILES-DAG: files{{/|\\}}rank2: error: the run has a rank 2 but the program runs on 2 ranks
// FILES-DAG: files{{/|\\}}rank0{{/|\\}}result2.npy: error: missing: result #2 of rank 0
// FILES-DAG: files{{/|\\}}rank0{{/|\\}}result0.npy: error: {{.*}}f8{{.*}}
// FILES-DAG: files{{/|\\}}rank1{{/|\\}}result3.npy: error: not a result of this program: it has 3 results
// FILES-DAG: files{{/|\\}}rank1{{/|\\}}result1.npy: error: shape tensor<2x8xf32> does not match result #1 of the program, tensor<4x8xf32>
//
// Inputs: the run's own, --inputs, or a clear error.
// RUN: mkdir -p %t/noinputs/rank0 %t/noinputs/rank1 && cp %t/run/rank0/result* %t/noinputs/rank0 && cp %t/run/rank1/result* %t/noinputs/rank1
// RUN: braid-interp %s --check-outputs=%t/noinputs --inputs=%t/run --quiet | FileCheck %s --check-prefix=PASS
// RUN: not braid-interp %s --check-outputs=%t/noinputs 2>&1 | FileCheck %s --check-prefix=NOINPUTS
// NOINPUTS: noinputs{{/|\\}}rank0{{/|\\}}arg0.npy: error: missing: argument #0 of rank 0
// RUN: not braid-interp %s --check-outputs=%t/nowhere 2>&1 | FileCheck %s --check-prefix=NODIR
// NODIR: nowhere: error: --check-outputs names no directory
// --output-dir writes the inputs it generated, not those it read.
// RUN: braid-interp %s --quiet --inputs=%t/run --output-dir=%t/again
// RUN: %python -c "import os, sys; print(sorted(os.listdir(sys.argv[1])))" %t/again/rank0 | FileCheck %s --check-prefix=AGAIN
// AGAIN: ['result0.npy', 'result1.npy', 'result2.npy']
// RUN: not braid-interp %s --check-outputs=%t/run --compare=%s 2>&1 | FileCheck %s --check-prefix=BOTH
// BOTH: error: --check-outputs and --compare each judge a candidate; give one

shard.grid @tp(shape = 2)
func.func @main(%x: tensor<4x8xf32>, %ids: tensor<4xi32>)
    -> (tensor<4x8xf32>, tensor<4x8xf32>, tensor<4xi32>) {
  %y = arith.addf %x, %x : tensor<4x8xf32>
  %r = braid.all_reduce %x on @tp axes = [0] reduction = sum : tensor<4x8xf32>
  %i = arith.addi %ids, %ids : tensor<4xi32>
  return %y, %r, %i : tensor<4x8xf32>, tensor<4x8xf32>, tensor<4xi32>
}
