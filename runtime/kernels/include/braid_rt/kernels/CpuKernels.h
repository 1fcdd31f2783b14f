//===- CpuKernels.h - typed C++ interface of the CPU kernels ----*- C++ -*-===//
//
// The CPU kernels behind braid_rt/kernels.h, one template per op, explicitly
// instantiated for float, bf16, f16 and double (integer types where the op
// takes them). Each mirrors the interpreter's evaluation of the op
// (lib/Interpreter/BraidOpSemantics.cpp) expression by expression: values
// are widened to double, every intermediate the interpreter rounds to its
// f32 accumulator is rounded to f32, and each result is rounded once to its
// element type, so the results are bitwise those of braid-interp. The GEMM,
// attention and the layer ops also have fast numerics (BLAS, f32 vectors)
// that reassociate sums, within the numerics contract (docs/Kernels.md).
//
// Shapes are checked by the C entry points; these functions trust them and
// only report data-dependent errors (indices out of range).
//
//===----------------------------------------------------------------------===//

#ifndef BRAID_RT_KERNELS_CPUKERNELS_H
#define BRAID_RT_KERNELS_CPUKERNELS_H

#include "braid_rt/kernels.h"
#include "braid_rt/kernels/Float.h"

#include <cstdint>

namespace braid_rt::kernels::cpu {

/// Sequential f32 (f64 for all-f64) GEMM, bitwise braid-interp's
/// contraction. Types are those of `desc`.
template <typename TA, typename TB, typename TC>
void gemmSequential(const braid_rt_gemm_desc &desc, const TA *a, const TB *b,
                    TC *c);

/// GEMM through cblas_sgemm / cblas_dgemm, bf16/f16 converted to f32 in
/// `workspace` (at least gemmWorkspaceBytes(desc) bytes).
template <typename TA, typename TB, typename TC>
void gemmBlas(const braid_rt_gemm_desc &desc, const TA *a, const TB *b, TC *c,
              void *workspace);

size_t gemmWorkspaceBytes(const braid_rt_gemm_desc &desc);

// The layer ops in either numerics: BRAID_RT_GEMM_SEQUENTIAL is
// braid-interp's bitwise, BRAID_RT_GEMM_BLAS the fast f32 vector code
// (Layers.cpp; f64 data and gelu run the sequential code).
template <typename T>
void rmsnorm(int64_t rows, int64_t width, const T *x, const T *weight,
             float epsilon, T *y, braid_rt_gemm_numerics numerics);

template <typename T>
void layernorm(int64_t rows, int64_t width, const T *x, const T *gamma,
               const T *beta, float epsilon, T *y,
               braid_rt_gemm_numerics numerics);

template <typename T>
void activation(braid_rt_activation kind, int64_t n, const T *x, T *y,
                braid_rt_gemm_numerics numerics);

template <typename T>
void swiglu(int64_t n, const T *gate, const T *up, T *y,
            braid_rt_gemm_numerics numerics);

template <typename T>
void softmax(int64_t outer, int64_t extent, int64_t inner, const T *x, T *y,
             braid_rt_gemm_numerics numerics);

/// braid-interp's attention, bitwise. `desc.scale` 0 means 1/sqrt(D).
template <typename T, typename M>
void attentionSequential(const braid_rt_attention_desc &desc, const T *q,
                         const T *k, const T *v, const M *mask, T *out);

/// Attention whose two contractions are cblas_sgemm (cblas_dgemm for f64)
/// calls and whose softmax is in f32 (f64), with `workspace` of at least
/// attentionWorkspaceBytes(desc) bytes.
template <typename T, typename M>
void attentionBlas(const braid_rt_attention_desc &desc, const T *q, const T *k,
                   const T *v, const M *mask, T *out, void *workspace);

size_t attentionWorkspaceBytes(const braid_rt_attention_desc &desc);

/// Group sizes are checked: a negative size or groups past `rows` fail.
template <typename T, typename TO, typename I>
braid_rt_kernel_status
groupedMatmul(int64_t rows, int64_t depth, int64_t cols, int64_t experts,
              const T *lhs, const T *rhs, const I *groupSizes, TO *out,
              braid_rt_gemm_numerics numerics, void *workspace);

template <typename T, typename I>
void moeGate(int64_t tokens, int64_t numExperts, int64_t k, bool normalize,
             const T *logits, T *weights, I *experts);

/// Rows of `elementBytes` bytes are copied; expert ids are checked.
template <typename IE, typename IS, typename IM>
braid_rt_kernel_status moePermute(int64_t tokens, int64_t hidden, int64_t k,
                                  int64_t numExperts, size_t elementBytes,
                                  const void *input, const IE *experts,
                                  void *permuted, IS *groupSizes, IM *rowMap);

template <typename T, typename W, typename I>
braid_rt_kernel_status moeUnpermute(int64_t tokens, int64_t k, int64_t hidden,
                                    int64_t rows, const T *input,
                                    const I *rowMap, const W *weights, T *out);

/// Values and indices of the k largest entries of each row (T any numeric
/// type; NaN above every number, ties to the lower index).
template <typename T, typename I>
void topk(int64_t rows, int64_t width, int64_t k, const T *input, T *values,
          I *indices);

template <typename T, typename I>
void sort(int64_t rows, int64_t width, bool descending, const T *input,
          T *values, I *indices);

/// Slices of `elementBytes`-byte elements; indices are checked.
template <typename I>
braid_rt_kernel_status gather(int64_t outer, int64_t axisSize, int64_t inner,
                              size_t elementBytes, const void *source,
                              int64_t numIndices, const I *indices, void *out);

template <typename T, typename I>
braid_rt_kernel_status scatter(braid_rt_scatter_kind kind, int64_t outer,
                               int64_t axisSize, int64_t inner,
                               int64_t numIndices, const T *updates,
                               const I *indices, const T *dest, T *out);

} // namespace braid_rt::kernels::cpu

#endif // BRAID_RT_KERNELS_CPUKERNELS_H
