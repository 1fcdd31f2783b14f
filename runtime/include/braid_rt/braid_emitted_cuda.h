//===- braid_emitted_cuda.h - support for emitted CUDA host code -*- CUDA -*-===//
//
// Included by every file `braid-compile --target=cuda` emits (a .cu file
// compiled by nvcc). The host code is the CPU target's, with every buffer
// in device memory; what it calls enqueues work on a CUDA stream instead of
// running it:
//
//  - `braid_emit_launch<Body>(s, ...)` runs Body on the host at once with
//    `braid_current_stream = s`: the body only enqueues (kernels, cuBLASLt,
//    copies) on stream s, which forked from stream 0 (braid_exec_fork);
//  - `braid_emit_kernel<K>(threads, where, args...)` launches an emitted
//    __global__ loop nest (grid-stride: any grid covers all `threads`);
//  - `braid_emit_gemm` and the layer kernels call the runtime's cuBLASLt
//    path and templated CUDA kernels (braid_rt/kernels.h);
//  - communication goes through braid_exec (NCCL on one stream per
//    communicator, ordered by events; braid_exec_cuda.h);
//  - when the step is traced, each of these is a span of its stream timed
//    by CUDA events (braid_exec_cuda_span_begin/_end); nothing waits.
//
// Numerics: as the CPU target, narrow floats are stored as bit patterns
// and computed in f32 with the interpreter's rounding; nvcc builds with
// --fmad=false so products and sums round on their own.
//
//===----------------------------------------------------------------------===//

#ifndef BRAID_RT_BRAID_EMITTED_CUDA_H
#define BRAID_RT_BRAID_EMITTED_CUDA_H

#include "braid_rt/braid_emitted_descs.h"
#include "braid_rt/braid_exec.h"
#include "braid_rt/braid_exec_cuda.h"
#include "braid_rt/kernels.h"

#include <cuda_runtime.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>

/// The step's executor: set by the step wrapper before the step body runs.
static braid_exec *braid_exec_self;
/// The program stream the host is issuing on (0 outside launches).
static int braid_current_stream;

#define BRAID_HD static inline __host__ __device__

BRAID_HD float braid_bits_f32(uint32_t bits) {
  float value;
  memcpy(&value, &bits, sizeof(value));
  return value;
}
BRAID_HD uint32_t braid_f32_bits(float value) {
  uint32_t bits;
  memcpy(&bits, &value, sizeof(bits));
  return bits;
}

// The bit-exact conversions of braid_rt/kernels/Float.h (nearest even,
// quiet NaNs), usable on the device.
BRAID_HD float braid_bf16_to_f32(uint16_t bits) {
  return braid_bits_f32(static_cast<uint32_t>(bits) << 16);
}
BRAID_HD uint16_t braid_f32_to_bf16(float value) {
  uint32_t bits = braid_f32_bits(value);
  if ((bits & 0x7fffffffu) > 0x7f800000u)
    return static_cast<uint16_t>((bits >> 16) | 0x40u);
  bits += 0x7fffu + ((bits >> 16) & 1u);
  return static_cast<uint16_t>(bits >> 16);
}
BRAID_HD float braid_f16_to_f32(uint16_t half) {
  uint32_t sign = static_cast<uint32_t>(half & 0x8000u) << 16;
  uint32_t exponent = (half >> 10) & 0x1fu;
  uint32_t mantissa = half & 0x3ffu;
  if (exponent == 0x1fu) // inf / NaN
    return braid_bits_f32(sign | 0x7f800000u | (mantissa << 13));
  if (exponent == 0) {
    if (mantissa == 0)
      return braid_bits_f32(sign);
    // Subnormal: mantissa * 2^-24, exact in f32.
    float magnitude = static_cast<float>(mantissa) * 5.9604644775390625e-8f;
    return sign ? -magnitude : magnitude;
  }
  return braid_bits_f32(sign | ((exponent + 112u) << 23) | (mantissa << 13));
}
BRAID_HD uint16_t braid_f32_to_f16(float value) {
  uint32_t bits = braid_f32_bits(value);
  uint16_t sign = static_cast<uint16_t>((bits >> 16) & 0x8000u);
  uint32_t magnitude = bits & 0x7fffffffu;
  if (magnitude >= 0x7f800000u)
    return static_cast<uint16_t>(
        sign | 0x7c00u |
        (magnitude > 0x7f800000u ? 0x200u | ((magnitude >> 13) & 0x3ffu)
                                 : 0u));
  if (magnitude >= 0x477ff000u)
    return static_cast<uint16_t>(sign | 0x7c00u);
  if (magnitude <= 0x33000000u)
    return sign;
  if (magnitude < 0x38800000u) {
    uint32_t mantissa = (magnitude & 0x7fffffu) | 0x800000u;
    uint32_t shift = 126u - (magnitude >> 23);
    uint32_t half = mantissa >> shift;
    uint32_t rest = mantissa & ((1u << shift) - 1u);
    uint32_t midpoint = 1u << (shift - 1u);
    if (rest > midpoint || (rest == midpoint && (half & 1u)))
      ++half;
    return static_cast<uint16_t>(sign | half);
  }
  uint32_t half = (magnitude - 0x38000000u) >> 13;
  uint32_t rest = magnitude & 0x1fffu;
  if (rest > 0x1000u || (rest == 0x1000u && (half & 1u)))
    ++half;
  return static_cast<uint16_t>(sign | half);
}

// arith's NaN-propagating maximumf/minimumf; rsqrt in double, rounded once
// (the interpreter's); remf as fmod.
template <typename T> BRAID_HD T braid_maximumf(T a, T b) {
  return a != a || b != b ? static_cast<T>(NAN) : (a > b ? a : b);
}
template <typename T> BRAID_HD T braid_minimumf(T a, T b) {
  return a != a || b != b ? static_cast<T>(NAN) : (a < b ? a : b);
}
template <typename T> BRAID_HD T braid_rsqrt(T a) {
  return static_cast<T>(1.0 / sqrt(static_cast<double>(a)));
}
template <typename T> BRAID_HD T braid_remf(T a, T b) { return fmod(a, b); }

#undef BRAID_HD

/// collective_permute's (source, target) pairs as an array temporary.
template <int N> struct braid_pairs {
  int32_t data[N];
};

/// The position of this thread in the grid and the grid's size: an emitted
/// kernel's grid-stride loop.
static __device__ __forceinline__ size_t braid_cuda_thread_index() {
  return static_cast<size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
}
static __device__ __forceinline__ size_t braid_cuda_thread_count() {
  return static_cast<size_t>(gridDim.x) * blockDim.x;
}

static inline cudaStream_t braid_cuda_stream() {
  return static_cast<cudaStream_t>(
      braid_exec_cuda_stream(braid_exec_self, braid_current_stream));
}

static inline void braid_cuda_check(cudaError_t error, const char *where) {
  if (error != cudaSuccess)
    braid_exec_fail(braid_exec_self, where, cudaGetErrorString(error));
}

/// Threads per block of emitted kernels, and the most blocks launched (the
/// grid-stride loop covers the rest).
enum : int64_t { braid_cuda_block = 256, braid_cuda_max_blocks = 1 << 16 };

template <auto Kernel, typename... T>
static inline void braid_emit_kernel(int64_t threads, const char *where,
                                     T... args) {
  if (braid_exec_failed(braid_exec_self))
    return;
  int64_t blocks = (threads + braid_cuda_block - 1) / braid_cuda_block;
  if (blocks < 1)
    blocks = 1;
  if (blocks > braid_cuda_max_blocks)
    blocks = braid_cuda_max_blocks;
  int span = braid_exec_cuda_span_begin(braid_exec_self,
                                        braid_current_stream, where);
  Kernel<<<static_cast<unsigned>(blocks), braid_cuda_block, 0,
           braid_cuda_stream()>>>(args...);
  braid_cuda_check(cudaGetLastError(), where);
  braid_exec_cuda_span_end(braid_exec_self, span);
}

/// A braid.cmd.launch body: issued now, by the host, on `stream`.
template <auto Body, typename... T>
static inline void braid_emit_launch(int stream, const char *where,
                                     T... args) {
  int outer = braid_current_stream;
  braid_current_stream = stream;
  // The whole body is one span of the stream (its ops nest inside).
  int span = braid_exec_cuda_span_begin(braid_exec_self, stream, where);
  Body(args...);
  braid_exec_cuda_span_end(braid_exec_self, span);
  braid_current_stream = outer;
}

/// An outlined epilogue's block (braid_emit_gemm_epilogue_signal) is issued
/// on the producer's stream, after the block's GEMM and before its release.
template <typename Block> struct braid_epilogue_runner {
  static int run(int stream, Block block) {
    int outer = braid_current_stream;
    braid_current_stream = stream;
    block();
    braid_current_stream = outer;
    return braid_exec_failed(braid_exec_self) ? 1 : 0;
  }
};

/// A constant global's device address.
template <typename T, size_t N>
static inline T *braid_cuda_global(T (&symbol)[N]) {
  void *address = nullptr;
  braid_cuda_check(cudaGetSymbolAddress(&address, symbol),
                   "a constant global");
  return static_cast<T *>(address);
}

static inline void braid_emit_copy(void *dst, const void *src, size_t bytes) {
  if (dst == src || bytes == 0 || braid_exec_failed(braid_exec_self))
    return;
  int span = braid_exec_cuda_span_begin(braid_exec_self,
                                        braid_current_stream, "memref.copy");
  braid_cuda_check(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice,
                                   braid_cuda_stream()),
                   "memref.copy");
  braid_exec_cuda_span_end(braid_exec_self, span);
}

/// A runtime kernel: skipped after a failure; its status checked; a span
/// of the current stream when the step is traced.
#define BRAID_EMIT_CUDA_KERNEL(where, call)                                    \
  do {                                                                         \
    if (!braid_exec_failed(braid_exec_self)) {                                 \
      int braid_span_ = braid_exec_cuda_span_begin(                            \
          braid_exec_self, braid_current_stream, where);                       \
      braid_exec_check_kernel(braid_exec_self, (call), where);                 \
      braid_exec_cuda_span_end(braid_exec_self, braid_span_);                  \
    }                                                                          \
  } while (0)

/// linalg.matmul / batch_matmul through cuBLASLt (f32 accumulation); `c`
/// already holds the init (accumulate).
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
  BRAID_EMIT_CUDA_KERNEL(where,
                         braid_exec_cuda_gemm(braid_exec_self,
                                              braid_current_stream, &desc, a,
                                              b, c));
}

static inline void braid_emit_attention(
    int64_t batch, int64_t heads, int64_t kv_heads, int64_t q_len,
    int64_t kv_len, int64_t head_dim, int64_t v_head_dim, int32_t causal,
    double scale, int type, int mask_type, int64_t m0, int64_t m1, int64_t m2,
    int64_t m3, const void *q, const void *k, const void *v, const void *mask,
    void *out, const char *where) {
  braid_rt_attention_desc desc = braid_emit_attention_desc(
      batch, heads, kv_heads, q_len, kv_len, head_dim, v_head_dim, causal,
      scale, type, mask_type, m0, m1, m2, m3);
  BRAID_EMIT_CUDA_KERNEL(where, braid_rt_cuda_attention(&desc, q, k, v, mask,
                                                        out,
                                                        braid_cuda_stream()));
}

static inline void braid_emit_rmsnorm(int type, int64_t rows, int64_t width,
                                      const void *x, const void *w,
                                      float epsilon, void *y,
                                      const char *where) {
  BRAID_EMIT_CUDA_KERNEL(where, braid_rt_cuda_rmsnorm(
                                    static_cast<braid_rt_elem>(type), rows,
                                    width, x, w, epsilon, y,
                                    braid_cuda_stream()));
}
static inline void braid_emit_layernorm(int type, int64_t rows, int64_t width,
                                        const void *x, const void *gamma,
                                        const void *beta, float epsilon,
                                        void *y, const char *where) {
  BRAID_EMIT_CUDA_KERNEL(where, braid_rt_cuda_layernorm(
                                    static_cast<braid_rt_elem>(type), rows,
                                    width, x, gamma, beta, epsilon, y,
                                    braid_cuda_stream()));
}
static inline void braid_emit_swiglu(int type, int64_t n, const void *gate,
                                     const void *up, void *y,
                                     const char *where) {
  BRAID_EMIT_CUDA_KERNEL(where,
                         braid_rt_cuda_swiglu(static_cast<braid_rt_elem>(type),
                                              n, gate, up, y,
                                              braid_cuda_stream()));
}
static inline void braid_emit_activation(int kind, int type, int64_t n,
                                         const void *x, void *y,
                                         const char *where) {
  BRAID_EMIT_CUDA_KERNEL(
      where, braid_rt_cuda_activation(static_cast<braid_rt_activation>(kind),
                                      static_cast<braid_rt_elem>(type), n, x,
                                      y, braid_cuda_stream()));
}
static inline void braid_emit_softmax(int type, int64_t outer, int64_t extent,
                                      int64_t inner, const void *x, void *y,
                                      const char *where) {
  BRAID_EMIT_CUDA_KERNEL(where, braid_rt_cuda_softmax(
                                    static_cast<braid_rt_elem>(type), outer,
                                    extent, inner, x, y, braid_cuda_stream()));
}
static inline void braid_emit_gather(int type, int64_t outer,
                                     int64_t axis_size, int64_t inner,
                                     const void *source, int64_t num_indices,
                                     const void *indices, int index_type,
                                     void *out, const char *where) {
  BRAID_EMIT_CUDA_KERNEL(where, braid_rt_cuda_gather(
                                    static_cast<braid_rt_elem>(type), outer,
                                    axis_size, inner, source, num_indices,
                                    indices,
                                    static_cast<braid_rt_elem>(index_type),
                                    out, braid_cuda_stream()));
}
static inline void braid_emit_scatter(int kind, int type, int64_t outer,
                                      int64_t axis_size, int64_t inner,
                                      int64_t num_indices, const void *updates,
                                      const void *indices, int index_type,
                                      const void *dest, void *out,
                                      const char *where) {
  BRAID_EMIT_CUDA_KERNEL(where, braid_rt_cuda_scatter(
                                    static_cast<braid_rt_scatter_kind>(kind),
                                    static_cast<braid_rt_elem>(type), outer,
                                    axis_size, inner, num_indices, updates,
                                    indices,
                                    static_cast<braid_rt_elem>(index_type),
                                    dest, out, braid_cuda_stream()));
}
static inline void braid_emit_topk(int type, int64_t rows, int64_t width,
                                   int64_t k, const void *input, void *values,
                                   void *indices, int index_type,
                                   const char *where) {
  BRAID_EMIT_CUDA_KERNEL(where, braid_rt_cuda_topk(
                                    static_cast<braid_rt_elem>(type), rows,
                                    width, k, input, values, indices,
                                    static_cast<braid_rt_elem>(index_type),
                                    braid_cuda_stream()));
}
static inline void braid_emit_sort(int type, int64_t rows, int64_t width,
                                   int32_t descending, const void *input,
                                   void *values, void *indices, int index_type,
                                   const char *where) {
  BRAID_EMIT_CUDA_KERNEL(where, braid_rt_cuda_sort(
                                    static_cast<braid_rt_elem>(type), rows,
                                    width, descending, input, values, indices,
                                    static_cast<braid_rt_elem>(index_type),
                                    braid_cuda_stream()));
}
static inline void braid_emit_grouped_matmul(
    int type, int out_type, int64_t rows, int64_t depth, int64_t cols,
    int64_t experts, const void *lhs, const void *rhs, const void *group_sizes,
    int sizes_type, void *out, const char *where) {
  BRAID_EMIT_CUDA_KERNEL(where, braid_rt_cuda_grouped_matmul(
                                    static_cast<braid_rt_elem>(type),
                                    static_cast<braid_rt_elem>(out_type), rows,
                                    depth, cols, experts, lhs, rhs,
                                    group_sizes,
                                    static_cast<braid_rt_elem>(sizes_type),
                                    out, braid_cuda_stream()));
}
static inline void braid_emit_moe_gate(int type, int64_t tokens,
                                       int64_t num_experts, int64_t k,
                                       int32_t normalize, const void *logits,
                                       void *weights, void *experts,
                                       int experts_type, const char *where) {
  BRAID_EMIT_CUDA_KERNEL(where, braid_rt_cuda_moe_gate(
                                    static_cast<braid_rt_elem>(type), tokens,
                                    num_experts, k, normalize, logits, weights,
                                    experts,
                                    static_cast<braid_rt_elem>(experts_type),
                                    braid_cuda_stream()));
}
static inline void braid_emit_moe_permute(
    int type, int64_t tokens, int64_t hidden, int64_t k, int64_t num_experts,
    const void *input, const void *experts, int experts_type, void *permuted,
    void *group_sizes, int sizes_type, void *row_map, int map_type,
    const char *where) {
  BRAID_EMIT_CUDA_KERNEL(where, braid_rt_cuda_moe_permute(
                                    static_cast<braid_rt_elem>(type), tokens,
                                    hidden, k, num_experts, input, experts,
                                    static_cast<braid_rt_elem>(experts_type),
                                    permuted, group_sizes,
                                    static_cast<braid_rt_elem>(sizes_type),
                                    row_map,
                                    static_cast<braid_rt_elem>(map_type),
                                    braid_cuda_stream()));
}
static inline void braid_emit_moe_unpermute(
    int type, int weights_type, int64_t tokens, int64_t k, int64_t hidden,
    int64_t rows, const void *input, const void *row_map, int map_type,
    const void *weights, void *out, const char *where) {
  BRAID_EMIT_CUDA_KERNEL(where, braid_rt_cuda_moe_unpermute(
                                    static_cast<braid_rt_elem>(type),
                                    static_cast<braid_rt_elem>(weights_type),
                                    tokens, k, hidden, rows, input, row_map,
                                    static_cast<braid_rt_elem>(map_type),
                                    weights, out, braid_cuda_stream()));
}

#endif // BRAID_RT_BRAID_EMITTED_CUDA_H
