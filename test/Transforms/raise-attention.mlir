// RUN: braid-opt %s -braid-raise-layer-ops | FileCheck %s
// RUN: braid-opt %s -braid-raise-layer-ops -braid-explain --mlir-print-op-on-diagnostic=false -o %t.ignored 2>&1 | FileCheck %s --check-prefix=REMARK
// The raised op normalises after the value product and keeps the
// probabilities in f32: the f64-relative contract, not bitwise.
// Families picked by option: without attention, the softmax is still raised.
// RUN: braid-opt %s -braid-raise-layer-ops='attention=false' | FileCheck %s --check-prefix=NOATTN
// RUN: braid-opt %s -braid-raise-layer-ops='softmax=false' | FileCheck %s --check-prefix=NOSOFTMAX
// RUN: braid-opt %s -braid-raise-layer-ops -o %t.mlir
// RUN: %braid-diff %s --compare=%t.mlir --tolerance-factor=4 --entry=mha_f32
// RUN: %braid-diff %s --compare=%t.mlir --tolerance-factor=4 --entry=gqa_causal_bf16
// RUN: %braid-diff %s --compare=%t.mlir --tolerance-factor=4 --entry=causal_in_body
// RUN: %braid-diff %s --compare=%t.mlir --tolerance-factor=4 --entry=not_causal
// RUN: %braid-diff %s --compare=%t.mlir --tolerance-factor=4 --entry=flax_padding_mask --int-max=2
// RUN: %braid-diff %s --compare=%t.mlir --tolerance-factor=4 --entry=query_scaled_first
// RUN: %braid-diff %s --compare=%t.mlir --tolerance-factor=4 --entry=tril_helper_mask
// RUN: %braid-diff %s --compare=%t.mlir --tolerance-factor=4 --entry=additive_mask
// RUN: %braid-diff %s --compare=%t.mlir --tolerance-factor=4 --entry=bf16_scores_upcast
// RUN: %braid-diff %s --compare=%t.mlir --tolerance-factor=4 --entry=additive_mask_strict
// RUN: %braid-diff %s --compare=%t.mlir --tolerance-factor=4 --entry=bert_padding_mask --int-max=2
// RUN: %braid-diff %s --compare=%t.mlir --tolerance-factor=4 --entry=causal_and_padding

#id2 = affine_map<(d0, d1) -> (d0, d1)>

// Multi-head attention in f32: heads merged into the batch by
// collapse_shape, keys transposed, scores scaled by 1/sqrt(16), softmax in
// its fine-grained form (raised first), probabilities times values.
// CHECK-LABEL: func.func @mha_f32
// CHECK-SAME: (%[[Q:.*]]: tensor<1x2x8x16xf32>, %[[K:.*]]: tensor<1x2x8x16xf32>, %[[V:.*]]: tensor<1x2x8x16xf32>)
// CHECK: %[[O:.*]] = braid.attention %[[Q]], %[[K]], %[[V]] {scale = 2.500000e-01 : f32} : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
// CHECK-NEXT: return %[[O]]
// CHECK-NOT: linalg.batch_matmul
// REMARK-DAG: remark: raised to braid.attention (2 query heads, 2 key/value heads, scale 2.500000e-01)
// NOATTN-LABEL: func.func @mha_f32
// NOATTN: linalg.softmax
// NOATTN: linalg.batch_matmul
// NOATTN-NOT: braid.attention
// NOSOFTMAX-LABEL: func.func @mha_f32
// NOSOFTMAX-NOT: linalg.softmax
// NOSOFTMAX: math.exp
// NOSOFTMAX-NOT: braid.attention
// NOSOFTMAX-LABEL: func.func @gqa_causal_bf16
func.func @mha_f32(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  %q3 = tensor.collapse_shape %q [[0, 1], [2], [3]] : tensor<1x2x8x16xf32> into tensor<2x8x16xf32>
  %k3 = tensor.collapse_shape %k [[0, 1], [2], [3]] : tensor<1x2x8x16xf32> into tensor<2x8x16xf32>
  %v3 = tensor.collapse_shape %v [[0, 1], [2], [3]] : tensor<1x2x8x16xf32> into tensor<2x8x16xf32>
  %et = tensor.empty() : tensor<2x16x8xf32>
  %kt = linalg.transpose ins(%k3 : tensor<2x8x16xf32>) outs(%et : tensor<2x16x8xf32>) permutation = [0, 2, 1]
  %zero = arith.constant 0.0 : f32
  %es = tensor.empty() : tensor<2x8x8xf32>
  %sinit = linalg.fill ins(%zero : f32) outs(%es : tensor<2x8x8xf32>) -> tensor<2x8x8xf32>
  %s = linalg.batch_matmul ins(%q3, %kt : tensor<2x8x16xf32>, tensor<2x16x8xf32>) outs(%sinit : tensor<2x8x8xf32>) -> tensor<2x8x8xf32>
  %c = arith.constant dense<0.25> : tensor<2x8x8xf32>
  %ss = arith.mulf %s, %c : tensor<2x8x8xf32>
  %ninf = arith.constant 0xFF800000 : f32
  %er = tensor.empty() : tensor<2x8xf32>
  %minit = linalg.fill ins(%ninf : f32) outs(%er : tensor<2x8xf32>) -> tensor<2x8xf32>
  %m = linalg.reduce ins(%ss : tensor<2x8x8xf32>) outs(%minit : tensor<2x8xf32>) dimensions = [2]
    (%in: f32, %acc: f32) {
      %a = arith.maximumf %in, %acc : f32
      linalg.yield %a : f32
    }
  %mb = linalg.broadcast ins(%m : tensor<2x8xf32>) outs(%es : tensor<2x8x8xf32>) dimensions = [2]
  %d = arith.subf %ss, %mb : tensor<2x8x8xf32>
  %ex = math.exp %d : tensor<2x8x8xf32>
  %zinit = linalg.fill ins(%zero : f32) outs(%er : tensor<2x8xf32>) -> tensor<2x8xf32>
  %sum = linalg.reduce ins(%ex : tensor<2x8x8xf32>) outs(%zinit : tensor<2x8xf32>) dimensions = [2]
    (%in: f32, %acc: f32) {
      %a = arith.addf %in, %acc : f32
      linalg.yield %a : f32
    }
  %sb = linalg.broadcast ins(%sum : tensor<2x8xf32>) outs(%es : tensor<2x8x8xf32>) dimensions = [2]
  %p = arith.divf %ex, %sb : tensor<2x8x8xf32>
  %eo = tensor.empty() : tensor<2x8x16xf32>
  %oinit = linalg.fill ins(%zero : f32) outs(%eo : tensor<2x8x16xf32>) -> tensor<2x8x16xf32>
  %o = linalg.batch_matmul ins(%p, %v3 : tensor<2x8x8xf32>, tensor<2x8x16xf32>) outs(%oinit : tensor<2x8x16xf32>) -> tensor<2x8x16xf32>
  %o4 = tensor.expand_shape %o [[0, 1], [2], [3]] output_shape [1, 2, 8, 16] : tensor<2x8x16xf32> into tensor<1x2x8x16xf32>
  return %o4 : tensor<1x2x8x16xf32>
}

// Grouped-query attention in bf16: 4 query heads, 2 KV heads repeated by a
// broadcast (jnp.repeat), f32 scores divided by sqrt(16), the causal mask
// from two iotas compared (j <= i) and broadcast over the heads, the
// probabilities truncated to bf16, the output accumulated in f32 and
// truncated.
// CHECK-LABEL: func.func @gqa_causal_bf16
// CHECK-SAME: (%[[Q:.*]]: tensor<1x4x8x16xbf16>, %[[K:.*]]: tensor<1x2x8x16xbf16>, %[[V:.*]]: tensor<1x2x8x16xbf16>)
// CHECK: %[[O:.*]] = braid.attention %[[Q]], %[[K]], %[[V]] {causal, scale = 2.500000e-01 : f32} : tensor<1x4x8x16xbf16>, tensor<1x2x8x16xbf16>, tensor<1x2x8x16xbf16> -> tensor<1x4x8x16xbf16>
// CHECK-NEXT: return %[[O]]
// CHECK-NOT: linalg.batch_matmul
// REMARK-DAG: remark: raised to braid.attention (4 query heads, 2 key/value heads, scale 2.500000e-01, causal)
func.func @gqa_causal_bf16(%q: tensor<1x4x8x16xbf16>, %k: tensor<1x2x8x16xbf16>, %v: tensor<1x2x8x16xbf16>) -> tensor<1x4x8x16xbf16> {
  %q3 = tensor.collapse_shape %q [[0, 1], [2], [3]] : tensor<1x4x8x16xbf16> into tensor<4x8x16xbf16>
  %ek = tensor.empty() : tensor<1x2x2x8x16xbf16>
  %kr = linalg.broadcast ins(%k : tensor<1x2x8x16xbf16>) outs(%ek : tensor<1x2x2x8x16xbf16>) dimensions = [2]
  %k3 = tensor.collapse_shape %kr [[0, 1, 2], [3], [4]] : tensor<1x2x2x8x16xbf16> into tensor<4x8x16xbf16>
  %vr = linalg.broadcast ins(%v : tensor<1x2x8x16xbf16>) outs(%ek : tensor<1x2x2x8x16xbf16>) dimensions = [2]
  %v3 = tensor.collapse_shape %vr [[0, 1, 2], [3], [4]] : tensor<1x2x2x8x16xbf16> into tensor<4x8x16xbf16>
  %et = tensor.empty() : tensor<4x16x8xbf16>
  %kt = linalg.transpose ins(%k3 : tensor<4x8x16xbf16>) outs(%et : tensor<4x16x8xbf16>) permutation = [0, 2, 1]
  %zero = arith.constant 0.0 : f32
  %es = tensor.empty() : tensor<4x8x8xf32>
  %sinit = linalg.fill ins(%zero : f32) outs(%es : tensor<4x8x8xf32>) -> tensor<4x8x8xf32>
  %s = linalg.batch_matmul ins(%q3, %kt : tensor<4x8x16xbf16>, tensor<4x16x8xbf16>) outs(%sinit : tensor<4x8x8xf32>) -> tensor<4x8x8xf32>
  %c = arith.constant dense<4.0> : tensor<4x8x8xf32>
  %ss = arith.divf %s, %c : tensor<4x8x8xf32>
  // The causal mask: iota along rows >= iota along columns.
  %ei = tensor.empty() : tensor<8x8xi32>
  %row = linalg.generic {indexing_maps = [#id2], iterator_types = ["parallel", "parallel"]} outs(%ei : tensor<8x8xi32>) {
  ^bb0(%out: i32):
    %i = linalg.index 0 : index
    %ii = arith.index_cast %i : index to i32
    linalg.yield %ii : i32
  } -> tensor<8x8xi32>
  %col = linalg.generic {indexing_maps = [#id2], iterator_types = ["parallel", "parallel"]} outs(%ei : tensor<8x8xi32>) {
  ^bb0(%out: i32):
    %j = linalg.index 1 : index
    %jj = arith.index_cast %j : index to i32
    linalg.yield %jj : i32
  } -> tensor<8x8xi32>
  %mask2 = arith.cmpi sge, %row, %col : tensor<8x8xi32>
  %em = tensor.empty() : tensor<4x8x8xi1>
  %mask = linalg.broadcast ins(%mask2 : tensor<8x8xi1>) outs(%em : tensor<4x8x8xi1>) dimensions = [0]
  %ninfs = arith.constant dense<0xFF800000> : tensor<4x8x8xf32>
  %sm = arith.select %mask, %ss, %ninfs : tensor<4x8x8xi1>, tensor<4x8x8xf32>
  %ninf = arith.constant 0xFF800000 : f32
  %er = tensor.empty() : tensor<4x8xf32>
  %minit = linalg.fill ins(%ninf : f32) outs(%er : tensor<4x8xf32>) -> tensor<4x8xf32>
  %m = linalg.reduce ins(%sm : tensor<4x8x8xf32>) outs(%minit : tensor<4x8xf32>) dimensions = [2]
    (%in: f32, %acc: f32) {
      %a = arith.maximumf %in, %acc : f32
      linalg.yield %a : f32
    }
  %mb = linalg.broadcast ins(%m : tensor<4x8xf32>) outs(%es : tensor<4x8x8xf32>) dimensions = [2]
  %d = arith.subf %sm, %mb : tensor<4x8x8xf32>
  %ex = math.exp %d : tensor<4x8x8xf32>
  %zinit = linalg.fill ins(%zero : f32) outs(%er : tensor<4x8xf32>) -> tensor<4x8xf32>
  %sum = linalg.reduce ins(%ex : tensor<4x8x8xf32>) outs(%zinit : tensor<4x8xf32>) dimensions = [2]
    (%in: f32, %acc: f32) {
      %a = arith.addf %in, %acc : f32
      linalg.yield %a : f32
    }
  %sb = linalg.broadcast ins(%sum : tensor<4x8xf32>) outs(%es : tensor<4x8x8xf32>) dimensions = [2]
  %p = arith.divf %ex, %sb : tensor<4x8x8xf32>
  %pb = arith.truncf %p : tensor<4x8x8xf32> to tensor<4x8x8xbf16>
  %eo = tensor.empty() : tensor<4x8x16xf32>
  %oinit = linalg.fill ins(%zero : f32) outs(%eo : tensor<4x8x16xf32>) -> tensor<4x8x16xf32>
  %o = linalg.batch_matmul ins(%pb, %v3 : tensor<4x8x8xbf16>, tensor<4x8x16xbf16>) outs(%oinit : tensor<4x8x16xf32>) -> tensor<4x8x16xf32>
  %ob = arith.truncf %o : tensor<4x8x16xf32> to tensor<4x8x16xbf16>
  %o4 = tensor.expand_shape %ob [[0, 1], [2], [3]] output_shape [1, 4, 8, 16] : tensor<4x8x16xbf16> into tensor<1x4x8x16xbf16>
  return %o4 : tensor<1x4x8x16xbf16>
}

// Heads already merged (3-D operands, no collapse to trace), Sq = 4 < Skv
// = 8 (decoding with a cache), the mask computed inside one generic as
// i + 4 >= j, applied as select(not mask, -inf, s), softmax already raised.
// CHECK-LABEL: func.func @causal_in_body
// CHECK: %[[O:.*]] = braid.attention {{.*}} {causal, scale = 1.000000e+00 : f32} : tensor<3x1x4x16xf32>, tensor<3x1x8x16xf32>, tensor<3x1x8x16xf32> -> tensor<3x1x4x16xf32>
// CHECK-NEXT: %[[F:.*]] = tensor.collapse_shape %[[O]] {{\[\[}}0, 1], [2], [3]]
// CHECK-NEXT: return %[[F]]
// Heads folded into the batch are not counted as one head.
// REMARK-DAG: remark: raised to braid.attention (heads folded into a batch of 3, scale 1.000000e+00, causal)
func.func @causal_in_body(%q3: tensor<3x4x16xf32>, %k3: tensor<3x8x16xf32>, %v3: tensor<3x8x16xf32>) -> tensor<3x4x16xf32> {
  %et = tensor.empty() : tensor<3x16x8xf32>
  %kt = linalg.transpose ins(%k3 : tensor<3x8x16xf32>) outs(%et : tensor<3x16x8xf32>) permutation = [0, 2, 1]
  %zeros = arith.constant dense<0.0> : tensor<3x4x8xf32>
  %s = linalg.batch_matmul ins(%q3, %kt : tensor<3x4x16xf32>, tensor<3x16x8xf32>) outs(%zeros : tensor<3x4x8xf32>) -> tensor<3x4x8xf32>
  %em = tensor.empty() : tensor<3x4x8xi1>
  %masked_out = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]} outs(%em : tensor<3x4x8xi1>) {
  ^bb0(%out: i1):
    %i = linalg.index 1 : index
    %j = linalg.index 2 : index
    %c4 = arith.constant 4 : index
    %i4 = arith.addi %i, %c4 : index
    %lt = arith.cmpi ult, %i4, %j : index
    linalg.yield %lt : i1
  } -> tensor<3x4x8xi1>
  %ninfs = arith.constant dense<0xFF800000> : tensor<3x4x8xf32>
  %sm = arith.select %masked_out, %ninfs, %s : tensor<3x4x8xi1>, tensor<3x4x8xf32>
  %ep = tensor.empty() : tensor<3x4x8xf32>
  %p = linalg.softmax dimension(2) ins(%sm : tensor<3x4x8xf32>) outs(%ep : tensor<3x4x8xf32>) -> tensor<3x4x8xf32>
  %zo = arith.constant dense<0.0> : tensor<3x4x16xf32>
  %o = linalg.batch_matmul ins(%p, %v3 : tensor<3x4x8xf32>, tensor<3x8x16xf32>) outs(%zo : tensor<3x4x16xf32>) -> tensor<3x4x16xf32>
  return %o : tensor<3x4x16xf32>
}

// Near misses.

// j < i is not j <= i: the diagonal is masked too. Not causal, so the
// select becomes the op's additive mask select(mask, 0, -inf). Query 0
// sees no key: NaN in that row, in both programs.
// CHECK-LABEL: func.func @not_causal
// CHECK: %[[COND:.*]] = tensor.expand_shape %{{.*}} {{\[\[}}0, 1], [2], [3]] output_shape [2, 1, 8, 8] : tensor<2x8x8xi1> into tensor<2x1x8x8xi1>
// CHECK: %[[ZERO:.*]] = arith.constant dense<0.000000e+00> : tensor<2x1x8x8xf32>
// CHECK: %[[NINF:.*]] = arith.constant dense<0xFF800000> : tensor<2x1x8x8xf32>
// CHECK: %[[MASK:.*]] = arith.select %[[COND]], %[[ZERO]], %[[NINF]]
// CHECK: braid.attention {{.*}} mask %[[MASK]] {scale = 1.000000e+00 : f32}
// CHECK-NOT: linalg.softmax
// REMARK-DAG: remark: raised to braid.attention (heads folded into a batch of 2, scale 1.000000e+00, mask from a select)
func.func @not_causal(%q3: tensor<2x8x16xf32>, %k3: tensor<2x8x16xf32>, %v3: tensor<2x8x16xf32>) -> tensor<2x8x16xf32> {
  %et = tensor.empty() : tensor<2x16x8xf32>
  %kt = linalg.transpose ins(%k3 : tensor<2x8x16xf32>) outs(%et : tensor<2x16x8xf32>) permutation = [0, 2, 1]
  %zeros = arith.constant dense<0.0> : tensor<2x8x8xf32>
  %s = linalg.batch_matmul ins(%q3, %kt : tensor<2x8x16xf32>, tensor<2x16x8xf32>) outs(%zeros : tensor<2x8x8xf32>) -> tensor<2x8x8xf32>
  %em = tensor.empty() : tensor<2x8x8xi1>
  %mask = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]} outs(%em : tensor<2x8x8xi1>) {
  ^bb0(%out: i1):
    %i = linalg.index 1 : index
    %j = linalg.index 2 : index
    %gt = arith.cmpi sgt, %i, %j : index
    linalg.yield %gt : i1
  } -> tensor<2x8x8xi1>
  %ninfs = arith.constant dense<0xFF800000> : tensor<2x8x8xf32>
  %sm = arith.select %mask, %s, %ninfs : tensor<2x8x8xi1>, tensor<2x8x8xf32>
  %ep = tensor.empty() : tensor<2x8x8xf32>
  %p = linalg.softmax dimension(2) ins(%sm : tensor<2x8x8xf32>) outs(%ep : tensor<2x8x8xf32>) -> tensor<2x8x8xf32>
  %zo = arith.constant dense<0.0> : tensor<2x8x16xf32>
  %o = linalg.batch_matmul ins(%p, %v3 : tensor<2x8x8xf32>, tensor<2x8x16xf32>) outs(%zo : tensor<2x8x16xf32>) -> tensor<2x8x16xf32>
  return %o : tensor<2x8x16xf32>
}

// The probabilities are also returned.
// CHECK-LABEL: func.func @probs_used_twice
// CHECK-NOT: braid.attention
// REMARK-DAG: remark: attention not raised: an intermediate (scores, probabilities) has other users
func.func @probs_used_twice(%q3: tensor<2x8x16xf32>, %k3: tensor<2x8x16xf32>, %v3: tensor<2x8x16xf32>) -> (tensor<2x8x16xf32>, tensor<2x8x8xf32>) {
  %et = tensor.empty() : tensor<2x16x8xf32>
  %kt = linalg.transpose ins(%k3 : tensor<2x8x16xf32>) outs(%et : tensor<2x16x8xf32>) permutation = [0, 2, 1]
  %zeros = arith.constant dense<0.0> : tensor<2x8x8xf32>
  %s = linalg.batch_matmul ins(%q3, %kt : tensor<2x8x16xf32>, tensor<2x16x8xf32>) outs(%zeros : tensor<2x8x8xf32>) -> tensor<2x8x8xf32>
  %ep = tensor.empty() : tensor<2x8x8xf32>
  %p = linalg.softmax dimension(2) ins(%s : tensor<2x8x8xf32>) outs(%ep : tensor<2x8x8xf32>) -> tensor<2x8x8xf32>
  %zo = arith.constant dense<0.0> : tensor<2x8x16xf32>
  %o = linalg.batch_matmul ins(%p, %v3 : tensor<2x8x8xf32>, tensor<2x8x16xf32>) outs(%zo : tensor<2x8x16xf32>) -> tensor<2x8x16xf32>
  return %o, %p : tensor<2x8x16xf32>, tensor<2x8x8xf32>
}

// Softmax over the queries (dim 1).
// CHECK-LABEL: func.func @softmax_over_queries
// CHECK-NOT: braid.attention
// REMARK-DAG: remark: attention not raised: the softmax is not over the keys (the last dim)
func.func @softmax_over_queries(%q3: tensor<2x8x16xf32>, %k3: tensor<2x8x16xf32>, %v3: tensor<2x8x16xf32>) -> tensor<2x8x16xf32> {
  %et = tensor.empty() : tensor<2x16x8xf32>
  %kt = linalg.transpose ins(%k3 : tensor<2x8x16xf32>) outs(%et : tensor<2x16x8xf32>) permutation = [0, 2, 1]
  %zeros = arith.constant dense<0.0> : tensor<2x8x8xf32>
  %s = linalg.batch_matmul ins(%q3, %kt : tensor<2x8x16xf32>, tensor<2x16x8xf32>) outs(%zeros : tensor<2x8x8xf32>) -> tensor<2x8x8xf32>
  %ep = tensor.empty() : tensor<2x8x8xf32>
  %p = linalg.softmax dimension(1) ins(%s : tensor<2x8x8xf32>) outs(%ep : tensor<2x8x8xf32>) -> tensor<2x8x8xf32>
  %zo = arith.constant dense<0.0> : tensor<2x8x16xf32>
  %o = linalg.batch_matmul ins(%p, %v3 : tensor<2x8x8xf32>, tensor<2x8x16xf32>) outs(%zo : tensor<2x8x16xf32>) -> tensor<2x8x16xf32>
  return %o : tensor<2x8x16xf32>
}

// Flax's form: the query divided by sqrt(D) in [B, S, H, D] before the
// einsum, which transposes it to [B, H, S, D]; bf16 throughout with f32
// scores. The raised op takes the unscaled query (transposed anew) and
// the scale.
// CHECK-LABEL: func.func @query_scaled_first
// CHECK-SAME: (%[[Q:.*]]: tensor<1x8x2x16xbf16>,
// CHECK: %[[QT:.*]] = linalg.transpose ins(%[[Q]] : tensor<1x8x2x16xbf16>) {{.*}} permutation = [0, 2, 1, 3]
// CHECK: braid.attention %[[QT]], {{.*}} {scale = 2.500000e-01 : f32} : tensor<1x2x8x16xbf16>
// CHECK-NOT: arith.divf
// REMARK-DAG: remark: raised to braid.attention (2 query heads, 2 key/value heads, scale 2.500000e-01)
func.func @query_scaled_first(%q: tensor<1x8x2x16xbf16>, %k: tensor<1x2x8x16xbf16>, %v: tensor<1x2x8x16xbf16>) -> tensor<2x8x16xbf16> {
  %c = arith.constant dense<4.0> : tensor<1x8x2x16xbf16>
  %qs = arith.divf %q, %c : tensor<1x8x2x16xbf16>
  %eq = tensor.empty() : tensor<1x2x8x16xbf16>
  %qt = linalg.transpose ins(%qs : tensor<1x8x2x16xbf16>) outs(%eq : tensor<1x2x8x16xbf16>) permutation = [0, 2, 1, 3]
  %q3 = tensor.collapse_shape %qt [[0, 1], [2], [3]] : tensor<1x2x8x16xbf16> into tensor<2x8x16xbf16>
  %k3 = tensor.collapse_shape %k [[0, 1], [2], [3]] : tensor<1x2x8x16xbf16> into tensor<2x8x16xbf16>
  %v3 = tensor.collapse_shape %v [[0, 1], [2], [3]] : tensor<1x2x8x16xbf16> into tensor<2x8x16xbf16>
  %et = tensor.empty() : tensor<2x16x8xbf16>
  %kt = linalg.transpose ins(%k3 : tensor<2x8x16xbf16>) outs(%et : tensor<2x16x8xbf16>) permutation = [0, 2, 1]
  %zeros = arith.constant dense<0.0> : tensor<2x8x8xf32>
  %s = linalg.batch_matmul ins(%q3, %kt : tensor<2x8x16xbf16>, tensor<2x16x8xbf16>) outs(%zeros : tensor<2x8x8xf32>) -> tensor<2x8x8xf32>
  %ep = tensor.empty() : tensor<2x8x8xf32>
  %p = linalg.softmax dimension(2) ins(%s : tensor<2x8x8xf32>) outs(%ep : tensor<2x8x8xf32>) -> tensor<2x8x8xf32>
  %pb = arith.truncf %p : tensor<2x8x8xf32> to tensor<2x8x8xbf16>
  %zo = arith.constant dense<0.0> : tensor<2x8x16xf32>
  %o = linalg.batch_matmul ins(%pb, %v3 : tensor<2x8x8xbf16>, tensor<2x8x16xbf16>) outs(%zo : tensor<2x8x16xf32>) -> tensor<2x8x16xf32>
  %ob = arith.truncf %o : tensor<2x8x16xf32> to tensor<2x8x16xbf16>
  return %ob : tensor<2x8x16xbf16>
}

// jnp.tril's form: the mask built by a private @tril helper as
// select(row >= col, ones, zeros), and-ed with an all-true padding mask.
// CHECK-LABEL: func.func @tril_helper_mask
// CHECK: braid.attention {{.*}} {causal, scale = 1.000000e+00 : f32}
// CHECK-NOT: call @tril
func.func private @tril(%ones: tensor<8x8xi1>) -> tensor<8x8xi1> {
  %ei = tensor.empty() : tensor<8x8xi32>
  %row = linalg.generic {indexing_maps = [#id2], iterator_types = ["parallel", "parallel"]} outs(%ei : tensor<8x8xi32>) {
  ^bb0(%out: i32):
    %i = linalg.index 0 : index
    %ii = arith.index_cast %i : index to i32
    linalg.yield %ii : i32
  } -> tensor<8x8xi32>
  %col = linalg.generic {indexing_maps = [#id2], iterator_types = ["parallel", "parallel"]} outs(%ei : tensor<8x8xi32>) {
  ^bb0(%out: i32):
    %j = linalg.index 1 : index
    %jj = arith.index_cast %j : index to i32
    linalg.yield %jj : i32
  } -> tensor<8x8xi32>
  %ge = arith.cmpi sge, %row, %col : tensor<8x8xi32>
  %zeros = arith.constant dense<false> : tensor<8x8xi1>
  %m = arith.select %ge, %ones, %zeros : tensor<8x8xi1>, tensor<8x8xi1>
  return %m : tensor<8x8xi1>
}
func.func @tril_helper_mask(%q3: tensor<2x8x16xf32>, %k3: tensor<2x8x16xf32>, %v3: tensor<2x8x16xf32>) -> tensor<2x8x16xf32> {
  %et = tensor.empty() : tensor<2x16x8xf32>
  %kt = linalg.transpose ins(%k3 : tensor<2x8x16xf32>) outs(%et : tensor<2x16x8xf32>) permutation = [0, 2, 1]
  %zeros = arith.constant dense<0.0> : tensor<2x8x8xf32>
  %s = linalg.batch_matmul ins(%q3, %kt : tensor<2x8x16xf32>, tensor<2x16x8xf32>) outs(%zeros : tensor<2x8x8xf32>) -> tensor<2x8x8xf32>
  %ones = arith.constant dense<true> : tensor<8x8xi1>
  %tril = func.call @tril(%ones) : (tensor<8x8xi1>) -> tensor<8x8xi1>
  %em = tensor.empty() : tensor<2x8x8xi1>
  %tb = linalg.broadcast ins(%tril : tensor<8x8xi1>) outs(%em : tensor<2x8x8xi1>) dimensions = [0]
  %pad = arith.constant dense<true> : tensor<2x8x8xi1>
  %mask = arith.andi %pad, %tb : tensor<2x8x8xi1>
  %ninf = arith.constant dense<0xFF7FFFFF> : tensor<2x8x8xf32>
  %sm = arith.select %mask, %s, %ninf : tensor<2x8x8xi1>, tensor<2x8x8xf32>
  %ep = tensor.empty() : tensor<2x8x8xf32>
  %p = linalg.softmax dimension(2) ins(%sm : tensor<2x8x8xf32>) outs(%ep : tensor<2x8x8xf32>) -> tensor<2x8x8xf32>
  %zo = arith.constant dense<0.0> : tensor<2x8x16xf32>
  %o = linalg.batch_matmul ins(%p, %v3 : tensor<2x8x8xf32>, tensor<2x8x16xf32>) outs(%zo : tensor<2x8x16xf32>) -> tensor<2x8x16xf32>
  return %o : tensor<2x8x16xf32>
}

// An additive causal mask: scores + broadcast(select(i >= j, 0, -inf)).
// CHECK-LABEL: func.func @additive_mask
// CHECK: braid.attention {{.*}} {causal, scale = 1.000000e+00 : f32}
// CHECK-NOT: arith.addf
func.func @additive_mask(%q3: tensor<2x8x16xf32>, %k3: tensor<2x8x16xf32>, %v3: tensor<2x8x16xf32>) -> tensor<2x8x16xf32> {
  %et = tensor.empty() : tensor<2x16x8xf32>
  %kt = linalg.transpose ins(%k3 : tensor<2x8x16xf32>) outs(%et : tensor<2x16x8xf32>) permutation = [0, 2, 1]
  %zeros = arith.constant dense<0.0> : tensor<2x8x8xf32>
  %s = linalg.batch_matmul ins(%q3, %kt : tensor<2x8x16xf32>, tensor<2x16x8xf32>) outs(%zeros : tensor<2x8x8xf32>) -> tensor<2x8x8xf32>
  %ei = tensor.empty() : tensor<8x8xi1>
  %visible = linalg.generic {indexing_maps = [#id2], iterator_types = ["parallel", "parallel"]} outs(%ei : tensor<8x8xi1>) {
  ^bb0(%out: i1):
    %i = linalg.index 0 : index
    %j = linalg.index 1 : index
    %c = arith.cmpi sge, %i, %j : index
    linalg.yield %c : i1
  } -> tensor<8x8xi1>
  %z = arith.constant dense<0.0> : tensor<8x8xf32>
  %ninf = arith.constant dense<0xFF800000> : tensor<8x8xf32>
  %bias2 = arith.select %visible, %z, %ninf : tensor<8x8xi1>, tensor<8x8xf32>
  %eb = tensor.empty() : tensor<2x8x8xf32>
  %bias = linalg.broadcast ins(%bias2 : tensor<8x8xf32>) outs(%eb : tensor<2x8x8xf32>) dimensions = [0]
  %sm = arith.addf %s, %bias : tensor<2x8x8xf32>
  %ep = tensor.empty() : tensor<2x8x8xf32>
  %p = linalg.softmax dimension(2) ins(%sm : tensor<2x8x8xf32>) outs(%ep : tensor<2x8x8xf32>) -> tensor<2x8x8xf32>
  %zo = arith.constant dense<0.0> : tensor<2x8x16xf32>
  %o = linalg.batch_matmul ins(%p, %v3 : tensor<2x8x8xf32>, tensor<2x8x16xf32>) outs(%zo : tensor<2x8x16xf32>) -> tensor<2x8x16xf32>
  return %o : tensor<2x8x16xf32>
}

// The same with a strictly lower mask (the diagonal hidden): not causal, so
// the bias becomes the op's additive mask, compacted to the [8, 8] it
// broadcasts. Query 0 sees no key: NaN in that row, in both programs.
// CHECK-LABEL: func.func @additive_mask_strict
// CHECK: %[[BIAS:.*]] = arith.select %{{.*}} : tensor<8x8xi1>, tensor<8x8xf32>
// CHECK: %[[MASK:.*]] = tensor.expand_shape %[[BIAS]] {{.*}} into tensor<1x1x8x8xf32>
// CHECK: braid.attention {{.*}} mask %[[MASK]] {scale = 1.000000e+00 : f32} : tensor<2x1x8x16xf32>, tensor<2x1x8x16xf32>, tensor<2x1x8x16xf32>, tensor<1x1x8x8xf32> -> tensor<2x1x8x16xf32>
// REMARK-DAG: remark: raised to braid.attention (heads folded into a batch of 2, scale 1.000000e+00, additive mask)
func.func @additive_mask_strict(%q3: tensor<2x8x16xf32>, %k3: tensor<2x8x16xf32>, %v3: tensor<2x8x16xf32>) -> tensor<2x8x16xf32> {
  %et = tensor.empty() : tensor<2x16x8xf32>
  %kt = linalg.transpose ins(%k3 : tensor<2x8x16xf32>) outs(%et : tensor<2x16x8xf32>) permutation = [0, 2, 1]
  %zeros = arith.constant dense<0.0> : tensor<2x8x8xf32>
  %s = linalg.batch_matmul ins(%q3, %kt : tensor<2x8x16xf32>, tensor<2x16x8xf32>) outs(%zeros : tensor<2x8x8xf32>) -> tensor<2x8x8xf32>
  %ei = tensor.empty() : tensor<8x8xi1>
  %visible = linalg.generic {indexing_maps = [#id2], iterator_types = ["parallel", "parallel"]} outs(%ei : tensor<8x8xi1>) {
  ^bb0(%out: i1):
    %i = linalg.index 0 : index
    %j = linalg.index 1 : index
    %c = arith.cmpi sgt, %i, %j : index
    linalg.yield %c : i1
  } -> tensor<8x8xi1>
  %z = arith.constant dense<0.0> : tensor<8x8xf32>
  %ninf = arith.constant dense<0xFF800000> : tensor<8x8xf32>
  %bias2 = arith.select %visible, %z, %ninf : tensor<8x8xi1>, tensor<8x8xf32>
  %eb = tensor.empty() : tensor<2x8x8xf32>
  %bias = linalg.broadcast ins(%bias2 : tensor<8x8xf32>) outs(%eb : tensor<2x8x8xf32>) dimensions = [0]
  %sm = arith.addf %s, %bias : tensor<2x8x8xf32>
  %ep = tensor.empty() : tensor<2x8x8xf32>
  %p = linalg.softmax dimension(2) ins(%sm : tensor<2x8x8xf32>) outs(%ep : tensor<2x8x8xf32>) -> tensor<2x8x8xf32>
  %zo = arith.constant dense<0.0> : tensor<2x8x16xf32>
  %o = linalg.batch_matmul ins(%p, %v3 : tensor<2x8x8xf32>, tensor<2x8x16xf32>) outs(%zo : tensor<2x8x16xf32>) -> tensor<2x8x16xf32>
  return %o : tensor<2x8x16xf32>
}

// bf16 scores (bf16 accumulator) upcast for an f32 softmax, probabilities
// truncated back: the op keeps scores in f32, which is only more accurate.
// CHECK-LABEL: func.func @bf16_scores_upcast
// CHECK: braid.attention {{.*}} : tensor<2x1x8x16xbf16>, tensor<2x1x8x16xbf16>, tensor<2x1x8x16xbf16> -> tensor<2x1x8x16xbf16>
func.func @bf16_scores_upcast(%q3: tensor<2x8x16xbf16>, %k3: tensor<2x8x16xbf16>, %v3: tensor<2x8x16xbf16>) -> tensor<2x8x16xbf16> {
  %et = tensor.empty() : tensor<2x16x8xbf16>
  %kt = linalg.transpose ins(%k3 : tensor<2x8x16xbf16>) outs(%et : tensor<2x16x8xbf16>) permutation = [0, 2, 1]
  %zeros = arith.constant dense<0.0> : tensor<2x8x8xbf16>
  %s = linalg.batch_matmul ins(%q3, %kt : tensor<2x8x16xbf16>, tensor<2x16x8xbf16>) outs(%zeros : tensor<2x8x8xbf16>) -> tensor<2x8x8xbf16>
  %sf = arith.extf %s : tensor<2x8x8xbf16> to tensor<2x8x8xf32>
  %ep = tensor.empty() : tensor<2x8x8xf32>
  %p = linalg.softmax dimension(2) ins(%sf : tensor<2x8x8xf32>) outs(%ep : tensor<2x8x8xf32>) -> tensor<2x8x8xf32>
  %pb = arith.truncf %p : tensor<2x8x8xf32> to tensor<2x8x8xbf16>
  %zo = arith.constant dense<0.0> : tensor<2x8x16xbf16>
  %o = linalg.batch_matmul ins(%pb, %v3 : tensor<2x8x8xbf16>, tensor<2x8x16xbf16>) outs(%zo : tensor<2x8x16xbf16>) -> tensor<2x8x16xbf16>
  return %o : tensor<2x8x16xbf16>
}

// BERT's padding mask as the ONNX importer writes it: the [B, S] token mask
// (1 keep, 0 pad) turned into (1 - mask) * -10000 of shape [B, 1, 1, S],
// broadcast over heads and queries and added to the scaled 4-D scores.
// The op takes the [B, 1, 1, S] mask itself.
// CHECK-LABEL: func.func @bert_padding_mask
// CHECK: %[[PAD:.*]] = arith.mulf %{{.*}} : tensor<2x1x1x8xf32>
// CHECK: braid.attention %{{.*}}, %{{.*}}, %{{.*}} mask %[[PAD]] {scale = 5.000000e-01 : f32} : tensor<2x2x8x4xf32>, tensor<2x2x8x4xf32>, tensor<2x2x8x4xf32>, tensor<2x1x1x8xf32> -> tensor<2x2x8x4xf32>
// CHECK-NOT: linalg.batch_matmul
// CHECK-NOT: linalg.broadcast
// REMARK-DAG: remark: raised to braid.attention (2 query heads, 2 key/value heads, scale 5.000000e-01, additive mask)
func.func @bert_padding_mask(%q: tensor<2x2x8x4xf32>, %k: tensor<2x2x8x4xf32>, %v: tensor<2x2x8x4xf32>, %tokens: tensor<2x8xi64>) -> tensor<2x2x8x4xf32> {
  %ekt = tensor.empty() : tensor<2x2x4x8xf32>
  %zero = arith.constant 0.0 : f32
  %es = tensor.empty() : tensor<4x8x8xf32>
  %sinit = linalg.fill ins(%zero : f32) outs(%es : tensor<4x8x8xf32>) -> tensor<4x8x8xf32>
  %kt = linalg.transpose ins(%k : tensor<2x2x8x4xf32>) outs(%ekt : tensor<2x2x4x8xf32>) permutation = [0, 1, 3, 2]
  %q3 = tensor.collapse_shape %q [[0, 1], [2], [3]] : tensor<2x2x8x4xf32> into tensor<4x8x4xf32>
  %kt3 = tensor.collapse_shape %kt [[0, 1], [2], [3]] : tensor<2x2x4x8xf32> into tensor<4x4x8xf32>
  %s3 = linalg.batch_matmul ins(%q3, %kt3 : tensor<4x8x4xf32>, tensor<4x4x8xf32>) outs(%sinit : tensor<4x8x8xf32>) -> tensor<4x8x8xf32>
  %s = tensor.expand_shape %s3 [[0, 1], [2], [3]] output_shape [2, 2, 8, 8] : tensor<4x8x8xf32> into tensor<2x2x8x8xf32>
  %sqrtd = arith.constant dense<2.0> : tensor<2x2x8x8xf32>
  %ss = arith.divf %s, %sqrtd : tensor<2x2x8x8xf32>
  %t4 = tensor.expand_shape %tokens [[0], [1, 2, 3]] output_shape [2, 1, 1, 8] : tensor<2x8xi64> into tensor<2x1x1x8xi64>
  %tf = arith.sitofp %t4 : tensor<2x1x1x8xi64> to tensor<2x1x1x8xf32>
  %one = arith.constant dense<1.0> : tensor<2x1x1x8xf32>
  %pad = arith.subf %one, %tf : tensor<2x1x1x8xf32>
  %big = arith.constant dense<-10000.0> : tensor<2x1x1x8xf32>
  %bias = arith.mulf %pad, %big : tensor<2x1x1x8xf32>
  %bias2 = tensor.collapse_shape %bias [[0], [1, 2, 3]] : tensor<2x1x1x8xf32> into tensor<2x8xf32>
  %eb = tensor.empty() : tensor<2x2x8x8xf32>
  %biasb = linalg.broadcast ins(%bias2 : tensor<2x8xf32>) outs(%eb : tensor<2x2x8x8xf32>) dimensions = [1, 2]
  %sm = arith.addf %ss, %biasb : tensor<2x2x8x8xf32>
  %p = linalg.softmax dimension(3) ins(%sm : tensor<2x2x8x8xf32>) outs(%eb : tensor<2x2x8x8xf32>) -> tensor<2x2x8x8xf32>
  %p3 = tensor.collapse_shape %p [[0, 1], [2], [3]] : tensor<2x2x8x8xf32> into tensor<4x8x8xf32>
  %v3 = tensor.collapse_shape %v [[0, 1], [2], [3]] : tensor<2x2x8x4xf32> into tensor<4x8x4xf32>
  %eo = tensor.empty() : tensor<4x8x4xf32>
  %oinit = linalg.fill ins(%zero : f32) outs(%eo : tensor<4x8x4xf32>) -> tensor<4x8x4xf32>
  %o3 = linalg.batch_matmul ins(%p3, %v3 : tensor<4x8x8xf32>, tensor<4x8x4xf32>) outs(%oinit : tensor<4x8x4xf32>) -> tensor<4x8x4xf32>
  %o = tensor.expand_shape %o3 [[0, 1], [2], [3]] output_shape [2, 2, 8, 4] : tensor<4x8x4xf32> into tensor<2x2x8x4xf32>
  return %o : tensor<2x2x8x4xf32>
}

// A causal select and a full [B·H, Sq, Skv] float bias on 3-D scores:
// the causal flag and the bias as the mask, reshaped to the op's
// [B·H, 1, Sq, Skv].
// CHECK-LABEL: func.func @causal_and_padding
// CHECK-SAME: %[[BIAS:[a-z0-9]+]]: tensor<2x8x8xf32>)
// CHECK: %[[MASK:.*]] = tensor.expand_shape %[[BIAS]] {{\[\[}}0, 1], [2], [3]] output_shape [2, 1, 8, 8]
// CHECK: braid.attention {{.*}} mask %[[MASK]] {causal, scale = 2.500000e-01 : f32}
// REMARK-DAG: remark: raised to braid.attention (heads folded into a batch of 2, scale 2.500000e-01, causal, additive mask)
func.func @causal_and_padding(%q3: tensor<2x8x16xf32>, %k3: tensor<2x8x16xf32>, %v3: tensor<2x8x16xf32>, %bias: tensor<2x8x8xf32>) -> tensor<2x8x16xf32> {
  %et = tensor.empty() : tensor<2x16x8xf32>
  %kt = linalg.transpose ins(%k3 : tensor<2x8x16xf32>) outs(%et : tensor<2x16x8xf32>) permutation = [0, 2, 1]
  %zeros = arith.constant dense<0.0> : tensor<2x8x8xf32>
  %s = linalg.batch_matmul ins(%q3, %kt : tensor<2x8x16xf32>, tensor<2x16x8xf32>) outs(%zeros : tensor<2x8x8xf32>) -> tensor<2x8x8xf32>
  %c = arith.constant dense<0.25> : tensor<2x8x8xf32>
  %ss = arith.mulf %s, %c : tensor<2x8x8xf32>
  %em = tensor.empty() : tensor<2x8x8xi1>
  %visible = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]} outs(%em : tensor<2x8x8xi1>) {
  ^bb0(%out: i1):
    %i = linalg.index 1 : index
    %j = linalg.index 2 : index
    %ge = arith.cmpi sge, %i, %j : index
    linalg.yield %ge : i1
  } -> tensor<2x8x8xi1>
  %ninfs = arith.constant dense<0xFF800000> : tensor<2x8x8xf32>
  %sc = arith.select %visible, %ss, %ninfs : tensor<2x8x8xi1>, tensor<2x8x8xf32>
  %sm = arith.addf %bias, %sc : tensor<2x8x8xf32>
  %ep = tensor.empty() : tensor<2x8x8xf32>
  %p = linalg.softmax dimension(2) ins(%sm : tensor<2x8x8xf32>) outs(%ep : tensor<2x8x8xf32>) -> tensor<2x8x8xf32>
  %zo = arith.constant dense<0.0> : tensor<2x8x16xf32>
  %o = linalg.batch_matmul ins(%p, %v3 : tensor<2x8x8xf32>, tensor<2x8x16xf32>) outs(%zo : tensor<2x8x16xf32>) -> tensor<2x8x16xf32>
  return %o : tensor<2x8x16xf32>
}

// Near misses with their true reason.

// The mask added before the scale: (q kᵀ + mask) * c scales the mask too.
// CHECK-LABEL: func.func @mask_before_scale
// CHECK-NOT: braid.attention
// REMARK-DAG: remark: attention not raised: the mask is added before the scores are scaled (braid.attention adds it to the scaled scores)
func.func @mask_before_scale(%q3: tensor<2x8x16xf32>, %k3: tensor<2x8x16xf32>, %v3: tensor<2x8x16xf32>, %bias: tensor<2x8x8xf32>) -> tensor<2x8x16xf32> {
  %et = tensor.empty() : tensor<2x16x8xf32>
  %kt = linalg.transpose ins(%k3 : tensor<2x8x16xf32>) outs(%et : tensor<2x16x8xf32>) permutation = [0, 2, 1]
  %zeros = arith.constant dense<0.0> : tensor<2x8x8xf32>
  %s = linalg.batch_matmul ins(%q3, %kt : tensor<2x8x16xf32>, tensor<2x16x8xf32>) outs(%zeros : tensor<2x8x8xf32>) -> tensor<2x8x8xf32>
  %sb = arith.addf %s, %bias : tensor<2x8x8xf32>
  %c = arith.constant dense<0.25> : tensor<2x8x8xf32>
  %ss = arith.mulf %sb, %c : tensor<2x8x8xf32>
  %ep = tensor.empty() : tensor<2x8x8xf32>
  %p = linalg.softmax dimension(2) ins(%ss : tensor<2x8x8xf32>) outs(%ep : tensor<2x8x8xf32>) -> tensor<2x8x8xf32>
  %zo = arith.constant dense<0.0> : tensor<2x8x16xf32>
  %o = linalg.batch_matmul ins(%p, %v3 : tensor<2x8x8xf32>, tensor<2x8x16xf32>) outs(%zo : tensor<2x8x16xf32>) -> tensor<2x8x16xf32>
  return %o : tensor<2x8x16xf32>
}

// Scores minus a bias: the remark names the op the scores come from.
// CHECK-LABEL: func.func @scores_minus_bias
// CHECK-NOT: braid.attention
// REMARK-DAG: remark: attention not raised: the scores come from 'arith.subf', not from a batch_matmul of the query and the transposed keys (through scales, additive masks, causal selects and casts)
func.func @scores_minus_bias(%q3: tensor<2x8x16xf32>, %k3: tensor<2x8x16xf32>, %v3: tensor<2x8x16xf32>, %bias: tensor<2x8x8xf32>) -> tensor<2x8x16xf32> {
  %et = tensor.empty() : tensor<2x16x8xf32>
  %kt = linalg.transpose ins(%k3 : tensor<2x8x16xf32>) outs(%et : tensor<2x16x8xf32>) permutation = [0, 2, 1]
  %zeros = arith.constant dense<0.0> : tensor<2x8x8xf32>
  %s = linalg.batch_matmul ins(%q3, %kt : tensor<2x8x16xf32>, tensor<2x16x8xf32>) outs(%zeros : tensor<2x8x8xf32>) -> tensor<2x8x8xf32>
  %sb = arith.subf %s, %bias : tensor<2x8x8xf32>
  %ep = tensor.empty() : tensor<2x8x8xf32>
  %p = linalg.softmax dimension(2) ins(%sb : tensor<2x8x8xf32>) outs(%ep : tensor<2x8x8xf32>) -> tensor<2x8x8xf32>
  %zo = arith.constant dense<0.0> : tensor<2x8x16xf32>
  %o = linalg.batch_matmul ins(%p, %v3 : tensor<2x8x8xf32>, tensor<2x8x16xf32>) outs(%zo : tensor<2x8x16xf32>) -> tensor<2x8x16xf32>
  return %o : tensor<2x8x16xf32>
}

// Flax's padding mask: jnp.where(mask, scores, lowest) with the [B, 1, 1, S]
// boolean token mask broadcast over heads and queries (here on the 3-D
// scores, as the JAX importer collapses heads into the batch). It becomes
// the additive select(mask, 0, lowest) on the compact [B, 1, 1, S] mask.
// CHECK-LABEL: func.func @flax_padding_mask
// CHECK: %[[KEEP:.*]] = arith.cmpi ne, %{{.*}} : tensor<2x1x1x8xi32>
// CHECK: %[[ZERO:.*]] = arith.constant dense<0.000000e+00> : tensor<2x1x1x8xf32>
// CHECK: %[[LOW:.*]] = arith.constant dense<-3.40282347E+38> : tensor<2x1x1x8xf32>
// CHECK: %[[MASK:.*]] = arith.select %[[KEEP]], %[[ZERO]], %[[LOW]]
// CHECK: braid.attention {{.*}} mask %[[MASK]] {scale = 2.500000e-01 : f32} : tensor<2x2x8x16xf32>, tensor<2x2x8x16xf32>, tensor<2x2x8x16xf32>, tensor<2x1x1x8xf32> -> tensor<2x2x8x16xf32>
// REMARK-DAG: remark: raised to braid.attention (2 query heads, 2 key/value heads, scale 2.500000e-01, mask from a select)
func.func @flax_padding_mask(%q: tensor<2x2x8x16xf32>, %k: tensor<2x2x8x16xf32>, %v: tensor<2x2x8x16xf32>, %tokens: tensor<2x1x1x8xi32>) -> tensor<2x2x8x16xf32> {
  %q3 = tensor.collapse_shape %q [[0, 1], [2], [3]] : tensor<2x2x8x16xf32> into tensor<4x8x16xf32>
  %k3 = tensor.collapse_shape %k [[0, 1], [2], [3]] : tensor<2x2x8x16xf32> into tensor<4x8x16xf32>
  %v3 = tensor.collapse_shape %v [[0, 1], [2], [3]] : tensor<2x2x8x16xf32> into tensor<4x8x16xf32>
  %et = tensor.empty() : tensor<4x16x8xf32>
  %kt = linalg.transpose ins(%k3 : tensor<4x8x16xf32>) outs(%et : tensor<4x16x8xf32>) permutation = [0, 2, 1]
  %zeros = arith.constant dense<0.0> : tensor<4x8x8xf32>
  %s = linalg.batch_matmul ins(%q3, %kt : tensor<4x8x16xf32>, tensor<4x16x8xf32>) outs(%zeros : tensor<4x8x8xf32>) -> tensor<4x8x8xf32>
  %c = arith.constant dense<0.25> : tensor<4x8x8xf32>
  %ss = arith.mulf %s, %c : tensor<4x8x8xf32>
  %zi = arith.constant dense<0> : tensor<2x1x1x8xi32>
  %keep = arith.cmpi ne, %tokens, %zi : tensor<2x1x1x8xi32>
  %keep2 = tensor.collapse_shape %keep [[0], [1, 2, 3]] : tensor<2x1x1x8xi1> into tensor<2x8xi1>
  %em = tensor.empty() : tensor<2x2x8x8xi1>
  %keep4 = linalg.broadcast ins(%keep2 : tensor<2x8xi1>) outs(%em : tensor<2x2x8x8xi1>) dimensions = [1, 2]
  %keep3 = tensor.collapse_shape %keep4 [[0, 1], [2], [3]] : tensor<2x2x8x8xi1> into tensor<4x8x8xi1>
  %low = arith.constant dense<0xFF7FFFFF> : tensor<4x8x8xf32>
  %sm = arith.select %keep3, %ss, %low : tensor<4x8x8xi1>, tensor<4x8x8xf32>
  %ep = tensor.empty() : tensor<4x8x8xf32>
  %p = linalg.softmax dimension(2) ins(%sm : tensor<4x8x8xf32>) outs(%ep : tensor<4x8x8xf32>) -> tensor<4x8x8xf32>
  %zo = arith.constant dense<0.0> : tensor<4x8x16xf32>
  %o = linalg.batch_matmul ins(%p, %v3 : tensor<4x8x8xf32>, tensor<4x8x16xf32>) outs(%zo : tensor<4x8x16xf32>) -> tensor<4x8x16xf32>
  %o4 = tensor.expand_shape %o [[0, 1], [2], [3]] output_shape [2, 2, 8, 16] : tensor<4x8x16xf32> into tensor<2x2x8x16xf32>
  return %o4 : tensor<2x2x8x16xf32>
}
