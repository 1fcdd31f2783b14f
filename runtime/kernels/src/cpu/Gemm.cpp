//===- Gemm.cpp - CPU GEMM: OpenBLAS and the interpreter's sequential sum -===//
//
// The BLAS path hands f32 (f64) problems to cblas_sgemm (cblas_dgemm)
// untouched, so its cost over a direct call is the argument checks
// (bench/runtime/gemm-overhead). bf16/f16 operands are widened to f32 in the
// workspace, one batch entry at a time, and a bf16/f16 C is rounded back to
// nearest even after the f32 GEMM.
//
//===----------------------------------------------------------------------===//

#include "../Support.h"
#include "braid_rt/kernels/CpuKernels.h"

#include <algorithm>
#include <vector>

#ifdef BRAID_RT_HAVE_CBLAS
#include <cblas.h>
#endif

namespace braid_rt::kernels {
namespace {

constexpr const char *kGemm = "gemm";

bool isF32Family(braid_rt_elem type) {
  return type == BRAID_RT_ELEM_F32 || type == BRAID_RT_ELEM_BF16 ||
         type == BRAID_RT_ELEM_F16;
}

int64_t storedCols(bool transposed, int64_t rows, int64_t cols) {
  return transposed ? rows : cols;
}

int64_t storedRows(bool transposed, int64_t rows, int64_t cols) {
  return transposed ? cols : rows;
}

/// Copies a stored rows x cols matrix with leading dimension `ld` into a
/// compact f32 one.
template <typename T>
void widen(const T *source, int64_t rows, int64_t cols, int64_t ld,
           float *target) {
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c)
      target[r * cols + c] = static_cast<float>(toDouble(source[r * ld + c]));
}

} // namespace

void *threadScratch(size_t bytes) {
  thread_local std::vector<unsigned char> scratch;
  if (scratch.size() < bytes)
    scratch.resize(bytes);
  return scratch.data();
}

braid_rt_kernel_status checkGemmDesc(const char *op,
                                     const braid_rt_gemm_desc *desc) {
  if (!desc)
    return invalid(op, "the GEMM descriptor is null");
  if (braid_rt_kernel_status status =
          checkSizes(op, {{"m", desc->m},
                          {"n", desc->n},
                          {"k", desc->k},
                          {"batch", desc->batch},
                          {"stride_a", desc->stride_a},
                          {"stride_b", desc->stride_b},
                          {"stride_c", desc->stride_c}}))
    return status;
  bool allF64 = desc->a_type == BRAID_RT_ELEM_F64 &&
                desc->b_type == BRAID_RT_ELEM_F64 &&
                desc->c_type == BRAID_RT_ELEM_F64;
  bool allF32Family = isF32Family(desc->a_type) && isF32Family(desc->b_type) &&
                      isF32Family(desc->c_type);
  if (!allF64 && !allF32Family)
    return invalid(op, "operand types ", braid_rt_elem_name(desc->a_type),
                   " x ", braid_rt_elem_name(desc->b_type), " -> ",
                   braid_rt_elem_name(desc->c_type),
                   " are not supported (f32/bf16/f16 in any mix, or all f64)");
  int64_t aCols = storedCols(desc->trans_a, desc->m, desc->k);
  int64_t bCols = storedCols(desc->trans_b, desc->k, desc->n);
  if (desc->lda < std::max<int64_t>(1, aCols))
    return invalid(op, "lda = ", desc->lda, " is less than the ", aCols,
                   " columns of the stored A");
  if (desc->ldb < std::max<int64_t>(1, bCols))
    return invalid(op, "ldb = ", desc->ldb, " is less than the ", bCols,
                   " columns of the stored B");
  if (desc->ldc < std::max<int64_t>(1, desc->n))
    return invalid(op, "ldc = ", desc->ldc, " is less than n = ", desc->n);
  return BRAID_RT_KERNEL_OK;
}

namespace cpu {

size_t gemmWorkspaceBytes(const braid_rt_gemm_desc &desc) {
  if (desc.a_type == BRAID_RT_ELEM_F64)
    return 0;
  size_t floats = 0;
  if (desc.a_type != BRAID_RT_ELEM_F32)
    floats += static_cast<size_t>(desc.m) * desc.k;
  if (desc.b_type != BRAID_RT_ELEM_F32)
    floats += static_cast<size_t>(desc.k) * desc.n;
  if (desc.c_type != BRAID_RT_ELEM_F32)
    floats += static_cast<size_t>(desc.m) * desc.n;
  return floats * sizeof(float);
}

template <typename TA, typename TB, typename TC>
void gemmSequential(const braid_rt_gemm_desc &desc, const TA *a, const TB *b,
                    TC *c) {
  for (int64_t e = 0; e < desc.batch; ++e) {
    const TA *aEntry = a + e * desc.stride_a;
    const TB *bEntry = b + e * desc.stride_b;
    TC *cEntry = c + e * desc.stride_c;
    for (int64_t i = 0; i < desc.m; ++i)
      for (int64_t j = 0; j < desc.n; ++j) {
        TC &result = cEntry[i * desc.ldc + j];
        double acc = desc.accumulate ? toDouble(result) : 0.0;
        for (int64_t kk = 0; kk < desc.k; ++kk) {
          double lhs = toDouble(desc.trans_a ? aEntry[kk * desc.lda + i]
                                             : aEntry[i * desc.lda + kk]);
          double rhs = toDouble(desc.trans_b ? bEntry[j * desc.ldb + kk]
                                             : bEntry[kk * desc.ldb + j]);
          acc = roundAccumulator<TC>(acc + roundAccumulator<TC>(lhs * rhs));
        }
        result = roundTo<TC>(acc);
      }
  }
}

template <typename TA, typename TB, typename TC>
void gemmBlas(const braid_rt_gemm_desc &desc, const TA *a, const TB *b, TC *c,
              void *workspace) {
#ifndef BRAID_RT_HAVE_CBLAS
  (void)workspace;
  gemmSequential(desc, a, b, c);
#else
  if (desc.m == 0 || desc.n == 0)
    return;
  auto transA = desc.trans_a ? CblasTrans : CblasNoTrans;
  auto transB = desc.trans_b ? CblasTrans : CblasNoTrans;
  if constexpr (std::is_same_v<TC, double>) {
    for (int64_t e = 0; e < desc.batch; ++e)
      cblas_dgemm(CblasRowMajor, transA, transB, desc.m, desc.n, desc.k, 1.0,
                  a + e * desc.stride_a, desc.lda, b + e * desc.stride_b,
                  desc.ldb, desc.accumulate ? 1.0 : 0.0, c + e * desc.stride_c,
                  desc.ldc);
  } else {
    int64_t aRows = storedRows(desc.trans_a, desc.m, desc.k);
    int64_t aCols = storedCols(desc.trans_a, desc.m, desc.k);
    int64_t bRows = storedRows(desc.trans_b, desc.k, desc.n);
    int64_t bCols = storedCols(desc.trans_b, desc.k, desc.n);
    float *scratch = static_cast<float *>(workspace);
    float *aWide = nullptr, *bWide = nullptr, *cWide = nullptr;
    if constexpr (!std::is_same_v<TA, float>) {
      aWide = scratch;
      scratch += aRows * aCols;
    }
    if constexpr (!std::is_same_v<TB, float>) {
      bWide = scratch;
      scratch += bRows * bCols;
    }
    if constexpr (!std::is_same_v<TC, float>)
      cWide = scratch;
    for (int64_t e = 0; e < desc.batch; ++e) {
      const TA *aEntry = a + e * desc.stride_a;
      const TB *bEntry = b + e * desc.stride_b;
      TC *cEntry = c + e * desc.stride_c;
      const float *aArg;
      const float *bArg;
      float *cArg;
      int64_t lda = desc.lda, ldb = desc.ldb, ldc = desc.ldc;
      if constexpr (std::is_same_v<TA, float>) {
        aArg = aEntry;
      } else {
        // A broadcast operand (stride 0) is widened once.
        if (e == 0 || desc.stride_a != 0)
          widen(aEntry, aRows, aCols, desc.lda, aWide);
        aArg = aWide;
        lda = std::max<int64_t>(1, aCols);
      }
      if constexpr (std::is_same_v<TB, float>) {
        bArg = bEntry;
      } else {
        if (e == 0 || desc.stride_b != 0)
          widen(bEntry, bRows, bCols, desc.ldb, bWide);
        bArg = bWide;
        ldb = std::max<int64_t>(1, bCols);
      }
      if constexpr (std::is_same_v<TC, float>) {
        cArg = cEntry;
      } else {
        if (desc.accumulate)
          widen(cEntry, desc.m, desc.n, desc.ldc, cWide);
        cArg = cWide;
        ldc = desc.n;
      }
      cblas_sgemm(CblasRowMajor, transA, transB, desc.m, desc.n, desc.k, 1.0f,
                  aArg, lda, bArg, ldb, desc.accumulate ? 1.0f : 0.0f, cArg,
                  ldc);
      if constexpr (!std::is_same_v<TC, float>) {
        for (int64_t i = 0; i < desc.m; ++i)
          for (int64_t j = 0; j < desc.n; ++j)
            cEntry[i * desc.ldc + j] = roundTo<TC>(cWide[i * desc.n + j]);
      }
    }
  }
#endif
}

/// Calls fn(T{}) for the C++ type of an f32-family `type`.
template <typename Fn> void visitF32Family(braid_rt_elem type, Fn &&fn) {
  switch (type) {
  case BRAID_RT_ELEM_BF16:
    fn(bf16{});
    return;
  case BRAID_RT_ELEM_F16:
    fn(f16{});
    return;
  default:
    fn(float{});
    return;
  }
}

} // namespace cpu

/// Runs a checked GEMM on the CPU.
braid_rt_kernel_status runCpuGemm(const braid_rt_gemm_desc &desc, const void *a,
                                  const void *b, void *c,
                                  braid_rt_gemm_numerics numerics,
                                  void *workspace, size_t workspaceBytes) {
  if (braid_rt_kernel_status status = checkNumerics(kGemm, numerics))
    return status;
  size_t needed = cpu::gemmWorkspaceBytes(desc);
  if (numerics == BRAID_RT_GEMM_BLAS && needed > 0) {
    if (!workspace)
      workspace = threadScratch(needed);
    else if (workspaceBytes < needed)
      return invalid(kGemm, "the workspace holds ", workspaceBytes,
                     " bytes; this GEMM needs ", needed);
  }
  bool sequential = numerics == BRAID_RT_GEMM_SEQUENTIAL;
  if (desc.a_type == BRAID_RT_ELEM_F64) {
    auto *aT = static_cast<const double *>(a);
    auto *bT = static_cast<const double *>(b);
    auto *cT = static_cast<double *>(c);
    if (sequential)
      cpu::gemmSequential(desc, aT, bT, cT);
    else
      cpu::gemmBlas(desc, aT, bT, cT, workspace);
    return BRAID_RT_KERNEL_OK;
  }
  cpu::visitF32Family(desc.a_type, [&](auto aType) {
    cpu::visitF32Family(desc.b_type, [&](auto bType) {
      cpu::visitF32Family(desc.c_type, [&](auto cType) {
        using TA = decltype(aType);
        using TB = decltype(bType);
        using TC = decltype(cType);
        auto *aT = static_cast<const TA *>(a);
        auto *bT = static_cast<const TB *>(b);
        auto *cT = static_cast<TC *>(c);
        if (sequential)
          cpu::gemmSequential(desc, aT, bT, cT);
        else
          cpu::gemmBlas(desc, aT, bT, cT, workspace);
      });
    });
  });
  return BRAID_RT_KERNEL_OK;
}

} // namespace braid_rt::kernels

using namespace braid_rt::kernels;

extern "C" {

size_t braid_rt_cpu_gemm_workspace_bytes(const braid_rt_gemm_desc *desc) {
  return desc ? cpu::gemmWorkspaceBytes(*desc) : 0;
}

int braid_rt_cpu_gemm(const braid_rt_gemm_desc *desc, const void *a,
                      const void *b, void *c, braid_rt_gemm_numerics numerics,
                      void *workspace, size_t workspace_bytes) {
  if (braid_rt_kernel_status status = checkGemmDesc(kGemm, desc))
    return status;
  bool empty = desc->m == 0 || desc->n == 0 || desc->batch == 0;
  if (!empty && (!c || (desc->k > 0 && (!a || !b))))
    return invalid(kGemm, "an operand pointer is null");
  if (empty)
    return BRAID_RT_KERNEL_OK;
  return runCpuGemm(*desc, a, b, c, numerics, workspace, workspace_bytes);
}

} // extern "C"

namespace braid_rt::kernels::cpu {
#define BRAID_RT_INSTANTIATE_GEMM(TA, TB, TC)                                  \
  template void gemmSequential<TA, TB, TC>(const braid_rt_gemm_desc &,         \
                                           const TA *, const TB *, TC *);      \
  template void gemmBlas<TA, TB, TC>(const braid_rt_gemm_desc &, const TA *,   \
                                     const TB *, TC *, void *);
#define BRAID_RT_INSTANTIATE_GEMM_C(TA, TB)                                    \
  BRAID_RT_INSTANTIATE_GEMM(TA, TB, float)                                     \
  BRAID_RT_INSTANTIATE_GEMM(TA, TB, bf16)                                      \
  BRAID_RT_INSTANTIATE_GEMM(TA, TB, f16)
#define BRAID_RT_INSTANTIATE_GEMM_BC(TA)                                       \
  BRAID_RT_INSTANTIATE_GEMM_C(TA, float)                                       \
  BRAID_RT_INSTANTIATE_GEMM_C(TA, bf16)                                        \
  BRAID_RT_INSTANTIATE_GEMM_C(TA, f16)
BRAID_RT_INSTANTIATE_GEMM_BC(float)
BRAID_RT_INSTANTIATE_GEMM_BC(bf16)
BRAID_RT_INSTANTIATE_GEMM_BC(f16)
BRAID_RT_INSTANTIATE_GEMM(double, double, double)
} // namespace braid_rt::kernels::cpu
