//===- braid_emitted_descs.h - kernel descriptors from emitted arguments -*- C++ -*-===//
//
// The descriptors the GEMM and attention kernels take, built from the flat
// arguments emitted code passes: shared by the CPU (braid_emitted.h) and
// CUDA (braid_emitted_cuda.h) targets, which differ only in the kernel
// they hand them to.
//
//===----------------------------------------------------------------------===//

#ifndef BRAID_RT_BRAID_EMITTED_DESCS_H
#define BRAID_RT_BRAID_EMITTED_DESCS_H

#include "braid_rt/braid_exec.h"
#include "braid_rt/kernels.h"

/// linalg.matmul / batch_matmul on strided row-major buffers; C holds the
/// init (accumulate).
static inline braid_rt_gemm_desc
braid_emit_gemm_desc(int64_t batch, int64_t m, int64_t n, int64_t k,
                     int32_t trans_a, int32_t trans_b, int a_type, int b_type,
                     int c_type, int64_t lda, int64_t ldb, int64_t ldc,
                     int64_t stride_a, int64_t stride_b, int64_t stride_c) {
  braid_rt_gemm_desc desc = braid_rt_gemm_desc_dense(
      batch, m, n, k, static_cast<braid_rt_elem>(a_type),
      static_cast<braid_rt_elem>(b_type), static_cast<braid_rt_elem>(c_type),
      /*accumulate=*/1);
  desc.trans_a = trans_a;
  desc.trans_b = trans_b;
  desc.lda = lda;
  desc.ldb = ldb;
  desc.ldc = ldc;
  desc.stride_a = stride_a;
  desc.stride_b = stride_b;
  desc.stride_c = stride_c;
  return desc;
}

static inline braid_rt_attention_desc braid_emit_attention_desc(
    int64_t batch, int64_t heads, int64_t kv_heads, int64_t q_len,
    int64_t kv_len, int64_t head_dim, int64_t v_head_dim, int32_t causal,
    double scale, int type, int mask_type, int64_t m0, int64_t m1, int64_t m2,
    int64_t m3) {
  braid_rt_attention_desc desc;
  desc.batch = batch;
  desc.heads = heads;
  desc.kv_heads = kv_heads;
  desc.q_len = q_len;
  desc.kv_len = kv_len;
  desc.head_dim = head_dim;
  desc.v_head_dim = v_head_dim;
  desc.causal = causal;
  desc.scale = scale;
  desc.type = static_cast<braid_rt_elem>(type);
  desc.mask_type = static_cast<braid_rt_elem>(mask_type);
  desc.mask_shape[0] = m0;
  desc.mask_shape[1] = m1;
  desc.mask_shape[2] = m2;
  desc.mask_shape[3] = m3;
  return desc;
}

/// braid.cmd.chunked_compute of a linalg.matmul, on both targets: C
/// (holding the init) += A·B on `stream`, in `chunks` chunks along M in
/// ring order of comm `comm` (`ring`) or natural order, raising counter
/// `counter` after each of `tiles` tile blocks per chunk (epoch `epoch`;
/// braid_exec_gemm_signal runs OpenBLAS per block on CPU, cuBLASLt per
/// block on CUDA), running `epilogue` (NULL for a bare matmul) on each
/// block's rows before its release.
static inline void braid_emit_gemm_signal(
    braid_exec *exec, int stream, int64_t batch, int64_t m, int64_t n,
    int64_t k, int32_t trans_a, int32_t trans_b, int a_type, int b_type,
    int c_type, int64_t lda, int64_t ldb, int64_t ldc, int64_t stride_a,
    int64_t stride_b, int64_t stride_c, const void *a, const void *b, void *c,
    int counter, int64_t epoch, int comm, int ring, int64_t chunks,
    int64_t tiles, const braid_exec_epilogue *epilogue, const char *where) {
  braid_rt_gemm_desc desc = braid_emit_gemm_desc(
      batch, m, n, k, trans_a, trans_b, a_type, b_type, c_type, lda, ldb, ldc,
      stride_a, stride_b, stride_c);
  braid_exec_gemm_signal(
      exec, stream, &desc, a, b, c, BRAID_RT_GEMM_BLAS, BRAID_RT_GEMM_CUT_M,
      chunks, ring ? BRAID_RT_CHUNK_ORDER_RING : BRAID_RT_CHUNK_ORDER_NATURAL,
      comm, counter, static_cast<uint64_t>(epoch), tiles, epilogue, where);
}

/// The values an outlined function captures, as one trivially copyable
/// aggregate (the runtime copies it byte by byte): apply(f, extra...) calls
/// f(values..., extra...).
template <typename... T> struct braid_pack;
template <> struct braid_pack<> {
  template <typename F, typename... A> void apply(F f, A... extra) const {
    f(extra...);
  }
};
template <typename H, typename... R> struct braid_pack<H, R...> {
  H head;
  braid_pack<R...> rest;
  // Each level appends its value before the ones it received (extra... are
  // kept last by passing them through).
  template <typename F, typename... A> void apply(F f, A... extra) const {
    rest.apply([&](auto... tail) { f(head, tail...); }, extra...);
  }
};
static inline braid_pack<> braid_make_pack() { return {}; }
template <typename H, typename... R>
static inline braid_pack<H, R...> braid_make_pack(H head, R... rest) {
  return {head, braid_make_pack(rest...)};
}

/// How each target runs one block of an outlined epilogue:
/// braid_epilogue_runner<Block>::run(stream, block) calls block() and
/// returns 0 or a failure (defined by braid_emitted.h and
/// braid_emitted_cuda.h).
template <typename Block> struct braid_epilogue_runner;

/// braid.cmd.chunked_compute of a linalg.matmul and its epilogue: the GEMM
/// as braid_emit_gemm_signal; Body(args..., row_begin), the outlined
/// epilogue of one block of `rows_per_block` rows, runs on each block
/// before its release (through the target's braid_epilogue_runner).
template <auto Body, typename... T>
static inline void braid_emit_gemm_epilogue_signal(
    braid_exec *exec, int stream, int64_t batch, int64_t m, int64_t n,
    int64_t k, int32_t trans_a, int32_t trans_b, int a_type, int b_type,
    int c_type, int64_t lda, int64_t ldb, int64_t ldc, int64_t stride_a,
    int64_t stride_b, int64_t stride_c, const void *a, const void *b, void *c,
    int counter, int64_t epoch, int comm, int ring, int64_t chunks,
    int64_t tiles, int64_t rows_per_block, const char *where, T... args) {
  braid_pack<int, T...> captured = braid_make_pack(stream, args...);
  braid_exec_epilogue epilogue{
      [](void *state, int64_t row_begin, int64_t) -> int {
        const auto *pack = static_cast<const braid_pack<int, T...> *>(state);
        auto block = [pack, row_begin] {
          pack->rest.apply([](auto... values) { Body(values...); },
                           static_cast<size_t>(row_begin));
        };
        // pack->head is the producer's stream.
        return braid_epilogue_runner<decltype(block)>::run(pack->head, block);
      },
      &captured, sizeof captured, rows_per_block};
  braid_emit_gemm_signal(exec, stream, batch, m, n, k, trans_a, trans_b,
                         a_type, b_type, c_type, lda, ldb, ldc, stride_a,
                         stride_b, stride_c, a, b, c, counter, epoch, comm,
                         ring, chunks, tiles, &epilogue, where);
}

/// braid.cmd.chunked_compute of a braid.grouped_matmul (both targets: the
/// runtime's CPU or CUDA chunked grouped matmul).
static inline void braid_emit_grouped_matmul_signal(
    braid_exec *exec, int stream, int type, int out_type, int64_t rows,
    int64_t depth, int64_t cols, int64_t experts, const void *lhs,
    const void *rhs, const void *group_sizes, int sizes_type, void *out,
    int counter, int64_t epoch, int comm, int ring, int64_t chunks,
    int64_t tiles, const char *where) {
  braid_exec_grouped_matmul_signal(
      exec, stream, static_cast<braid_rt_elem>(type),
      static_cast<braid_rt_elem>(out_type), rows, depth, cols, experts, lhs,
      rhs, group_sizes, static_cast<braid_rt_elem>(sizes_type), out,
      BRAID_RT_GEMM_BLAS, chunks,
      ring ? BRAID_RT_CHUNK_ORDER_RING : BRAID_RT_CHUNK_ORDER_NATURAL, comm,
      counter, static_cast<uint64_t>(epoch), tiles, where);
}

#endif // BRAID_RT_BRAID_EMITTED_DESCS_H
