//===- braid_emitted.h - inline support for emitted host code ---*- C++ -*-===//
//
// Included by every C++ file `braid-compile` emits (the CPU target). Narrow
// floats are stored as their bit patterns (uint16_t) and computed in f32:
// the emitted code converts at loads and stores, so it needs no compiler
// support for __bf16 or _Float16. Kernels and communication go through
// braid_exec (braid_exec.h), which records the first failure of a step.
//
//===----------------------------------------------------------------------===//

#ifndef BRAID_RT_BRAID_EMITTED_H
#define BRAID_RT_BRAID_EMITTED_H

#include "braid_rt/braid_emitted_descs.h"
#include "braid_rt/braid_exec.h"
#include "braid_rt/kernels.h"
#include "braid_rt/kernels/Float.h"

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <tuple>

/// The step's executor: set by the step wrapper before the step body runs
/// (one step of a program runs at a time).
static braid_exec *braid_exec_self;

static inline float braid_bf16_to_f32(uint16_t bits) {
  return braid_rt::kernels::toFloat(braid_rt::kernels::bf16{bits});
}
static inline uint16_t braid_f32_to_bf16(float value) {
  return braid_rt::kernels::bf16FromFloat(value).bits;
}
static inline float braid_f16_to_f32(uint16_t bits) {
  return braid_rt::kernels::toFloat(braid_rt::kernels::f16{bits});
}
static inline uint16_t braid_f32_to_f16(float value) {
  return braid_rt::kernels::f16FromFloat(value).bits;
}

// arith's NaN-propagating maximumf/minimumf and IEEE maxnum/minnum.
template <typename T> static inline T braid_maximumf(T a, T b) {
  return std::isnan(a) || std::isnan(b) ? NAN : (a > b ? a : b);
}
template <typename T> static inline T braid_minimumf(T a, T b) {
  return std::isnan(a) || std::isnan(b) ? NAN : (a < b ? a : b);
}
// In double, rounded once: the interpreter's rsqrt (a float 1 / sqrt rounds
// twice and can land an ulp further off).
template <typename T> static inline T braid_rsqrt(T a) {
  return static_cast<T>(1.0 / std::sqrt(static_cast<double>(a)));
}
template <typename T> static inline T braid_remf(T a, T b) {
  return std::fmod(a, b);
}

/// collective_permute's (source, target) pairs as an array temporary.
template <int N> struct braid_pairs {
  int32_t data[N];
};

/// Compute outlined from a launch runs on a worker stream's thread, which
/// must not touch the executor (it belongs to the host thread): a kernel's
/// failure is kept here and returned to the stream, which fails the step.
static thread_local bool braid_on_worker;
static thread_local int braid_worker_status;

/// A kernel call: on the host, skipped after a failure and timed as a span;
/// on a worker, skipped after the body's first failure.
#define BRAID_EMIT_KERNEL(where, call)                                         \
  do {                                                                         \
    if (braid_on_worker) {                                                     \
      if (braid_worker_status == 0)                                            \
        braid_worker_status = (call);                                          \
    } else if (!braid_exec_failed(braid_exec_self)) {                          \
      braid_exec_span_begin(braid_exec_self, where);                           \
      braid_exec_check_kernel(braid_exec_self, call, where);                   \
      braid_exec_span_end(braid_exec_self);                                    \
    }                                                                          \
  } while (0)

/// A host span around a loop nest (the measured timeline's compute); no-ops
/// on a worker, whose body the stream times as a whole.
static inline void braid_emit_span_begin(const char *label) {
  if (!braid_on_worker)
    braid_exec_span_begin(braid_exec_self, label);
}
static inline void braid_emit_span_end() {
  if (!braid_on_worker)
    braid_exec_span_end(braid_exec_self);
}

/// Runs Body(args...) on worker `stream` (compute a braid.cmd.launch body
/// holds). The arguments are pointers and sizes the host computed; they are
/// kept per launch site until the stream runs the body, which is before
/// the step ends (each site is issued once per step).
template <auto Body, typename... T>
static inline void braid_emit_launch(int stream, const char *where,
                                     T... args) {
  static std::tuple<T...> captured;
  captured = std::tuple<T...>(args...);
  braid_exec_launch(
      braid_exec_self, stream,
      [](void *state) -> int {
        braid_on_worker = true;
        braid_worker_status = 0;
        std::apply(Body, *static_cast<std::tuple<T...> *>(state));
        braid_on_worker = false;
        return braid_worker_status;
      },
      &captured, where);
}

/// An outlined epilogue's block (braid_emit_gemm_epilogue_signal) runs on
/// the producer's thread as a worker: a kernel failure in it fails the
/// block's release, and the step.
template <typename Block> struct braid_epilogue_runner {
  static int run(int, Block block) {
    bool outer = braid_on_worker;
    int outerStatus = braid_worker_status;
    braid_on_worker = true;
    braid_worker_status = 0;
    block();
    int status = braid_worker_status;
    braid_on_worker = outer;
    braid_worker_status = outerStatus;
    return status;
  }
};

static inline void braid_emit_copy(void *dst, const void *src, size_t bytes) {
  if (dst != src)
    std::memmove(dst, src, bytes);
}

// Compiled programs take the kernels' fast numerics (BRAID_RT_GEMM_BLAS:
// OpenBLAS GEMMs, f32 vector layer ops), within the numerics contract.

/// linalg.matmul / batch_matmul on strided row-major buffers; `c` already
/// holds the init (accumulate). `trans_a`: A is stored [k, m]; `trans_b`: B
/// is stored [n, k] (a matmul whose indexing maps read them transposed).
static inline void braid_emit_gemm(int64_t batch, int64_t m, int64_t n,
                                   int64_t k, int32_t trans_a, int32_t trans_b,
                                   int a_type, int b_type, int c_type,
                                   int64_t lda, int64_t ldb, int64_t ldc,
                                   int64_t stride_a, int64_t stride_b,
                                   int64_t stride_c, const void *a,
                                   const void *b, void *c, const char *where) {
  braid_rt_gemm_desc desc = braid_emit_gemm_desc(
      batch, m, n, k, trans_a, trans_b, a_type, b_type, c_type, lda, ldb, ldc,
      stride_a, stride_b, stride_c);
  BRAID_EMIT_KERNEL(where, braid_rt_cpu_gemm(&desc, a, b, c,
                                             BRAID_RT_GEMM_BLAS, nullptr, 0));
}

static inline void braid_emit_attention(
    int64_t batch, int64_t heads, int64_t kv_heads, int64_t q_len,
    int64_t kv_len, int64_t head_dim, int64_t v_head_dim, int32_t causal,
    double scale, int type, int mask_type, int64_t m0,
    int64_t m1, int64_t m2, int64_t m3, const void *q, const void *k,
    const void *v, const void *mask, void *out, const char *where) {
  braid_rt_attention_desc desc = braid_emit_attention_desc(
      batch, heads, kv_heads, q_len, kv_len, head_dim, v_head_dim, causal,
      scale, type, mask_type, m0, m1, m2, m3);
  BRAID_EMIT_KERNEL(where,
                    braid_rt_cpu_attention(&desc, q, k, v, mask, out,
                                           BRAID_RT_GEMM_BLAS, nullptr, 0));
}


static inline void braid_emit_rmsnorm(int type, int64_t rows,
                                      int64_t width, const void *x,
                                      const void *w, float epsilon, void *y,
                                      const char *where) {
  BRAID_EMIT_KERNEL(where, braid_rt_cpu_rmsnorm(
                               static_cast<braid_rt_elem>(type), rows, width,
                               x, w, epsilon, y, BRAID_RT_GEMM_BLAS));
}
static inline void braid_emit_layernorm(int type, int64_t rows,
                                        int64_t width, const void *x,
                                        const void *gamma, const void *beta,
                                        float epsilon, void *y,
                                        const char *where) {
  BRAID_EMIT_KERNEL(where, braid_rt_cpu_layernorm(
                               static_cast<braid_rt_elem>(type), rows, width,
                               x, gamma, beta, epsilon, y, BRAID_RT_GEMM_BLAS));
}
static inline void braid_emit_swiglu(int type, int64_t n,
                                     const void *gate, const void *up, void *y,
                                     const char *where) {
  BRAID_EMIT_KERNEL(where,
                    braid_rt_cpu_swiglu(static_cast<braid_rt_elem>(type), n,
                                        gate, up, y, BRAID_RT_GEMM_BLAS));
}
static inline void braid_emit_activation(int kind, int type,
                                         int64_t n, const void *x, void *y,
                                         const char *where) {
  BRAID_EMIT_KERNEL(where,
                    braid_rt_cpu_activation(static_cast<braid_rt_activation>(
                                                kind),
                                            static_cast<braid_rt_elem>(type),
                                            n, x, y, BRAID_RT_GEMM_BLAS));
}

static inline void braid_emit_softmax(int type, int64_t outer, int64_t extent,
                                      int64_t inner, const void *x, void *y,
                                      const char *where) {
  BRAID_EMIT_KERNEL(where, braid_rt_cpu_softmax(
                               static_cast<braid_rt_elem>(type), outer,
                               extent, inner, x, y, BRAID_RT_GEMM_BLAS));
}
static inline void braid_emit_gather(int type, int64_t outer,
                                     int64_t axis_size, int64_t inner,
                                     const void *source, int64_t num_indices,
                                     const void *indices, int index_type,
                                     void *out, const char *where) {
  BRAID_EMIT_KERNEL(where, braid_rt_cpu_gather(
                               static_cast<braid_rt_elem>(type), outer,
                               axis_size, inner, source, num_indices, indices,
                               static_cast<braid_rt_elem>(index_type), out));
}
static inline void braid_emit_scatter(int kind, int type, int64_t outer,
                                      int64_t axis_size, int64_t inner,
                                      int64_t num_indices, const void *updates,
                                      const void *indices, int index_type,
                                      const void *dest, void *out,
                                      const char *where) {
  BRAID_EMIT_KERNEL(where, braid_rt_cpu_scatter(
                               static_cast<braid_rt_scatter_kind>(kind),
                               static_cast<braid_rt_elem>(type), outer,
                               axis_size, inner, num_indices, updates, indices,
                               static_cast<braid_rt_elem>(index_type), dest,
                               out));
}
static inline void braid_emit_topk(int type, int64_t rows, int64_t width,
                                   int64_t k, const void *input, void *values,
                                   void *indices, int index_type,
                                   const char *where) {
  BRAID_EMIT_KERNEL(where, braid_rt_cpu_topk(
                               static_cast<braid_rt_elem>(type), rows, width,
                               k, input, values, indices,
                               static_cast<braid_rt_elem>(index_type)));
}
static inline void braid_emit_sort(int type, int64_t rows, int64_t width,
                                   int32_t descending, const void *input,
                                   void *values, void *indices, int index_type,
                                   const char *where) {
  BRAID_EMIT_KERNEL(where, braid_rt_cpu_sort(
                               static_cast<braid_rt_elem>(type), rows, width,
                               descending, input, values, indices,
                               static_cast<braid_rt_elem>(index_type)));
}

/// braid.grouped_matmul: one GEMM per expert group (BLAS numerics, as
/// braid_emit_gemm).
static inline void braid_emit_grouped_matmul(
    int type, int out_type, int64_t rows, int64_t depth, int64_t cols,
    int64_t experts, const void *lhs, const void *rhs, const void *group_sizes,
    int sizes_type, void *out, const char *where) {
  BRAID_EMIT_KERNEL(where, braid_rt_cpu_grouped_matmul(
                               static_cast<braid_rt_elem>(type),
                               static_cast<braid_rt_elem>(out_type), rows,
                               depth, cols, experts, lhs, rhs, group_sizes,
                               static_cast<braid_rt_elem>(sizes_type), out,
                               BRAID_RT_GEMM_BLAS, nullptr, 0));
}
static inline void braid_emit_moe_gate(int type, int64_t tokens,
                                       int64_t num_experts, int64_t k,
                                       int32_t normalize, const void *logits,
                                       void *weights, void *experts,
                                       int experts_type, const char *where) {
  BRAID_EMIT_KERNEL(where, braid_rt_cpu_moe_gate(
                               static_cast<braid_rt_elem>(type), tokens,
                               num_experts, k, normalize, logits, weights,
                               experts,
                               static_cast<braid_rt_elem>(experts_type)));
}
static inline void braid_emit_moe_permute(
    int type, int64_t tokens, int64_t hidden, int64_t k, int64_t num_experts,
    const void *input, const void *experts, int experts_type, void *permuted,
    void *group_sizes, int sizes_type, void *row_map, int map_type,
    const char *where) {
  BRAID_EMIT_KERNEL(where, braid_rt_cpu_moe_permute(
                               static_cast<braid_rt_elem>(type), tokens,
                               hidden, k, num_experts, input, experts,
                               static_cast<braid_rt_elem>(experts_type),
                               permuted, group_sizes,
                               static_cast<braid_rt_elem>(sizes_type), row_map,
                               static_cast<braid_rt_elem>(map_type)));
}
static inline void braid_emit_moe_unpermute(
    int type, int weights_type, int64_t tokens, int64_t k, int64_t hidden,
    int64_t rows, const void *input, const void *row_map, int map_type,
    const void *weights, void *out, const char *where) {
  BRAID_EMIT_KERNEL(where, braid_rt_cpu_moe_unpermute(
                               static_cast<braid_rt_elem>(type),
                               static_cast<braid_rt_elem>(weights_type),
                               tokens, k, hidden, rows, input, row_map,
                               static_cast<braid_rt_elem>(map_type), weights,
                               out));
}

#endif // BRAID_RT_BRAID_EMITTED_H
