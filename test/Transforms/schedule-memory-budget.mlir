// The memory budget (bytes per rank) bounds how far collectives are issued
// ahead: prefetching the second all_gather raises the peak from 77824 B to
// 94208 B (the liveness analysis); under 85000 B it is not issued ahead.
// RUN: braid-opt %S/Inputs/microbatches-slow-link.mlir --pass-pipeline='builtin.module(braid-convert-to-async,func.func(braid-schedule{memory-budget=85000 explain=1}))' --mlir-print-op-on-diagnostic=false -o %t.budget.mlir 2>&1 | FileCheck %s --check-prefix=EXPLAIN
// RUN: FileCheck %s < %t.budget.mlir
// RUN: braid-opt %t.budget.mlir -test-braid-memory-profile -o %t.ignored 2>&1 | FileCheck %s --check-prefix=PEAK
// Without a budget the prefetch happens, at the higher peak.
// RUN: braid-opt %S/Inputs/microbatches-slow-link.mlir --pass-pipeline='builtin.module(braid-convert-to-async,func.func(braid-schedule))' -o %t.free.mlir
// RUN: braid-opt %t.free.mlir -test-braid-memory-profile -o %t.ignored 2>&1 | FileCheck %s --check-prefix=FREE-PEAK
// A budget below what any order needs is reported, not silently exceeded.
// RUN: braid-opt %S/Inputs/microbatches-slow-link.mlir --pass-pipeline='builtin.module(braid-convert-to-async,func.func(braid-schedule{memory-budget=10000}))' -o %t.ignored 2>&1 | FileCheck %s --check-prefix=TOO-SMALL

// EXPLAIN: remark: memory budget 85000 B: at most 0 collectives issued ahead of need, peak 77824 B
// CHECK-LABEL: func.func @main
// CHECK: %[[AG0:.*]] = braid.start
// CHECK: braid.await %[[AG0]]
// CHECK-NEXT: linalg.matmul
// PEAK: peak 77824 B
// FREE-PEAK: peak 94208 B
// TOO-SMALL: warning: memory budget 10000 B is below the leanest schedule's peak of 77824 B; kept that schedule
