// A forced run that cuts nothing still says why, for every collective,
// without -braid-explain.
// RUN: braid-opt %s --pass-pipeline='builtin.module(func.func(braid-decompose-collective-matmul{force=1}))' -verify-diagnostics -o %t.ignored
//
// Why a forced cut's *sequential* estimate is above the original's: the
// sequential time runs every op in order on one stream, so the pieces'
// launches, the ring steps' latencies and the smaller GEMMs' wave
// quantization show, and no overlap pays them back; the scheduled time is
// the one a cut must lower. The TP MLP on cpu-1gbe, as written and forced:
// RUN: braid-opt %braid_src_root/examples/tp_mlp.mlir --pass-pipeline='builtin.module(braid-set-target{profile=cpu-1gbe},braid-estimate)' -o %t.ignored 2>&1 | FileCheck %s --check-prefix=WRITTEN
// RUN: braid-opt %braid_src_root/examples/tp_mlp.mlir --pass-pipeline='builtin.module(braid-set-target{profile=cpu-1gbe},func.func(braid-decompose-collective-matmul{force=1}),braid-estimate)' -o %t.ignored 2>&1 | FileCheck %s --check-prefix=CUT-SYNC
// RUN: braid-opt %braid_src_root/examples/tp_mlp.mlir --pass-pipeline='builtin.module(braid-overlap-pipeline{profile=cpu-1gbe force-decompose=1},braid-estimate)' -o %t.ignored 2>&1 | FileCheck %s --check-prefix=CUT-ASYNC
// WRITTEN: estimate on cpu-1gbe: sequential 4654.204 us, scheduled 4654.204 us
// CUT-SYNC: estimate on cpu-1gbe: sequential 4832.334 us, scheduled 4832.334 us
// CUT-ASYNC: estimate on cpu-1gbe: sequential 4832.334 us, scheduled 3442.934 us

shard.grid @tp(shape = 4)

func.func @nothing_to_cut(%x: tensor<8x16xf32>, %y: tensor<8x16xf32>) -> (tensor<8x16xf32>, tensor<8x16xf32>) {
  // expected-remark @+1 {{not decomposed: braid.all_to_all has no collective-matmul form (all_gather, reduce_scatter and all_reduce do)}}
  %a = braid.all_to_all %x on @tp axes = [0] split_dim = 0 concat_dim = 0 : tensor<8x16xf32> -> tensor<8x16xf32>
  // expected-remark @+1 {{not decomposed: the all-reduced value is not the floating-point result of a plain matmul used only here}}
  %b = braid.all_reduce %a on @tp axes = [0] reduction = sum : tensor<8x16xf32>
  %f = braid.start stream = 1 {
    // expected-remark @+1 {{not decomposed: it is asynchronous already (inside braid.start)}}
    %r = braid.all_reduce %y on @tp axes = [0] reduction = sum : tensor<8x16xf32>
    braid.yield %r : tensor<8x16xf32>
  } : !braid.future<tensor<8x16xf32>>
  // expected-remark @+1 {{not decomposed: nothing uses the gathered value}}
  %g = braid.all_gather %x on @tp axes = [0] dim = 0 : tensor<8x16xf32> -> tensor<32x16xf32>
  %c = braid.await %f : !braid.future<tensor<8x16xf32>>
  return %b, %c : tensor<8x16xf32>, tensor<8x16xf32>
}
