// The bundled example through the overlap pipeline: verified, and equal on
// every rank to the original under several interleavings.
// RUN: braid-opt %braid_src_root/examples/tp_mlp.mlir --pass-pipeline='builtin.module(braid-overlap-pipeline{profile=cpu-1gbe explain=1})' --mlir-print-op-on-diagnostic=false -o %t.mlir 2>&1 | FileCheck %s --check-prefix=EXPLAIN
// RUN: FileCheck %s < %t.mlir
// RUN: %braid-diff %braid_src_root/examples/tp_mlp.mlir --compare=%t.mlir --exact
// RUN: braid-opt %t.mlir -braid-verify-collective-order -o /dev/null

// EXPLAIN: remark: issued where written; hides {{.*}} behind compute
// EXPLAIN: remark: issued where written; hides {{.*}} behind compute
// CHECK: braid.start stream = 1 priority = 2
// CHECK: braid.all_gather
// CHECK: braid.start stream = 1 priority = 1
// CHECK: braid.reduce_scatter
