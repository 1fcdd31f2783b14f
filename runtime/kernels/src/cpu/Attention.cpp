//===- Attention.cpp - CPU scaled dot-product attention -------------------===//
//
// Two numerics, as for the GEMM:
//
//  * sequential: the interpreter's executeAttention. Per query row, scores
//    over the visible keys in f32 (sequential dot products over D), the
//    additive mask added in f32, max-subtracted exponentials summed in key
//    order, and the weighted sum of values in key order divided once by the
//    sum: bitwise braid-interp, and slow (every operation is rounded on its
//    own, well under 1 GFLOP/s).
//  * BLAS: per (batch, head) and block of query rows, Q·Kᵀ with
//    cblas_sgemm (f32 copies of bf16/f16 data; cblas_dgemm for f64), the
//    scale (in double, as the interpreter) and the mask applied, a
//    max-subtracted row softmax in f32 vectors (Vectors.h) left
//    unnormalised, O = P·V with cblas_sgemm, and O divided by the row sum
//    and rounded to the element type. A causal block multiplies only the
//    keys its last row sees. Reassociated, within the numerics contract
//    (docs/Kernels.md).
//
//===----------------------------------------------------------------------===//

#include "../Support.h"
#include "Vectors.h"
#include "braid_rt/kernels/CpuKernels.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <type_traits>
#include <vector>

#ifdef BRAID_RT_HAVE_CBLAS
#include <cblas.h>
#endif

namespace braid_rt::kernels {
namespace {

/// The softmax scale: desc.scale, or 1/sqrt(head_dim) when it is 0.
double softmaxScale(const braid_rt_attention_desc &desc) {
  return desc.scale > 0
             ? desc.scale
             : 1.0 / std::sqrt(static_cast<double>(desc.head_dim));
}

} // namespace

braid_rt_kernel_status checkAttention(const char *op,
                                      const braid_rt_attention_desc *desc,
                                      bool hasMask, double &scale) {
  if (!desc)
    return invalid(op, "the attention descriptor is null");
  if (braid_rt_kernel_status status =
          checkSizes(op, {{"batch", desc->batch},
                          {"heads", desc->heads},
                          {"kv_heads", desc->kv_heads},
                          {"q_len", desc->q_len},
                          {"kv_len", desc->kv_len},
                          {"head_dim", desc->head_dim},
                          {"v_head_dim", desc->v_head_dim}}))
    return status;
  if (desc->kv_heads == 0)
    return invalid(op, "key/value heads must be at least one");
  if (desc->heads % desc->kv_heads != 0)
    return invalid(op, "query heads (", desc->heads,
                   ") must be a multiple of key/value heads (", desc->kv_heads,
                   ")");
  if (!(desc->scale >= 0) || !std::isfinite(desc->scale))
    return invalid(op,
                   "scale must be positive (or 0 for 1/sqrt(head_dim)), "
                   "not ",
                   desc->scale);
  scale = softmaxScale(*desc);
  int64_t elements = 1;
  for (int64_t size :
       {desc->batch, desc->heads, std::max(desc->q_len, desc->kv_len),
        std::max(desc->head_dim, desc->v_head_dim)})
    if (!mulChecked(elements, size, elements))
      return invalid(op, "the tensors' element counts overflow int64");
  if (hasMask) {
    const int64_t scores[4] = {desc->batch, desc->heads, desc->q_len,
                               desc->kv_len};
    for (int dim = 0; dim < 4; ++dim)
      if (desc->mask_shape[dim] != 1 && desc->mask_shape[dim] != scores[dim])
        return invalid(
            op, "mask dimension ", dim, " is ", desc->mask_shape[dim],
            "; it must be 1 (broadcast) or the scores' ", scores[dim],
            " (scores are [B, H, Sq, Skv] = [", scores[0], ", ", scores[1],
            ", ", scores[2], ", ", scores[3], "])");
  }
  return BRAID_RT_KERNEL_OK;
}

namespace cpu {
namespace {

/// Keys [0, visibleKeys) are visible to query `row` (bottom-right causal:
/// the last query sees every key); a row may see none when Sq > Skv.
int64_t visibleKeys(const braid_rt_attention_desc &desc, int64_t row) {
  return desc.causal ? std::clamp<int64_t>(row + (desc.kv_len - desc.q_len) + 1,
                                           0, desc.kv_len)
                     : desc.kv_len;
}

/// Strides of the mask with its broadcast (size-1) dimensions pinned to 0.
std::array<int64_t, 4> maskStrides(const braid_rt_attention_desc &desc) {
  std::array<int64_t, 4> strides{0, 0, 0, 0};
  int64_t stride = 1;
  for (int dim = 3; dim >= 0; --dim) {
    strides[dim] = desc.mask_shape[dim] == 1 ? 0 : stride;
    stride *= desc.mask_shape[dim];
  }
  return strides;
}

/// Query rows per block of the BLAS path: the scores of a block stay in
/// cache, and a causal block multiplies only the keys its last row sees.
constexpr int64_t kQueryBlock = 64;

/// The BLAS path computes in f32 for f32/bf16/f16 data and f64 for f64.
template <typename T>
using Wide = std::conditional_t<std::is_same_v<T, double>, double, float>;

template <typename T> constexpr bool kWidened = !std::is_same_v<T, Wide<T>>;

/// The BLAS path's scratch in elements of Wide<T>: a block of scores and,
/// for bf16/f16, f32 copies of a query block, one head's keys and values
/// and a block of unnormalised outputs.
template <typename T>
size_t attentionWorkspaceElements(const braid_rt_attention_desc &desc) {
  auto size = [](int64_t value) {
    return static_cast<size_t>(std::max<int64_t>(value, 0));
  };
  size_t block = size(std::min(desc.q_len, kQueryBlock));
  size_t elements = block * size(desc.kv_len);
  if constexpr (kWidened<T>)
    elements += block * size(desc.head_dim) +
                size(desc.kv_len) * size(desc.head_dim) +
                size(desc.kv_len) * size(desc.v_head_dim) +
                block * size(desc.v_head_dim);
  return elements;
}

#ifdef BRAID_RT_HAVE_CBLAS
/// Row-major C = alpha A·op(B) with a zero init.
template <typename W>
void gemmRowMajor(bool transposeB, int64_t m, int64_t n, int64_t k, W alpha,
                  const W *a, int64_t lda, const W *b, int64_t ldb, W *c,
                  int64_t ldc) {
  auto transB = transposeB ? CblasTrans : CblasNoTrans;
  if constexpr (std::is_same_v<W, double>)
    cblas_dgemm(CblasRowMajor, CblasNoTrans, transB, m, n, k, alpha, a, lda, b,
                ldb, 0.0, c, ldc);
  else
    cblas_sgemm(CblasRowMajor, CblasNoTrans, transB, m, n, k, alpha, a, lda, b,
                ldb, 0.0f, c, ldc);
}

/// Replaces a row of scores by e^(s - max s) and returns their sum: f32 on
/// vectors (Vectors.h), f64 with libm in key order. NaN scores are skipped
/// by the max and make the sum NaN; an all -inf row gives NaN (as in the
/// interpreter).
float exponentiateRow(float *row, int64_t count) {
  float maximum = simd::maxOf(row, count);
  simd::transform(
      count, row, [&](simd::Floats s) { return simd::exp(s - maximum); }, row);
  return simd::sumOf(row, count);
}

double exponentiateRow(double *row, int64_t count) {
  double maximum = -INFINITY;
  for (int64_t j = 0; j < count; ++j)
    maximum = std::fmax(maximum, row[j]);
  double sum = 0;
  for (int64_t j = 0; j < count; ++j) {
    row[j] = std::exp(row[j] - maximum);
    sum += row[j];
  }
  return sum;
}
#endif

} // namespace

size_t attentionWorkspaceBytes(const braid_rt_attention_desc &desc) {
  switch (desc.type) {
  case BRAID_RT_ELEM_F32:
    return attentionWorkspaceElements<float>(desc) * sizeof(float);
  case BRAID_RT_ELEM_BF16:
    return attentionWorkspaceElements<bf16>(desc) * sizeof(float);
  case BRAID_RT_ELEM_F16:
    return attentionWorkspaceElements<f16>(desc) * sizeof(float);
  case BRAID_RT_ELEM_F64:
    return attentionWorkspaceElements<double>(desc) * sizeof(double);
  default:
    return 0;
  }
}

template <typename T, typename M>
void attentionSequential(const braid_rt_attention_desc &desc, const T *q,
                         const T *k, const T *v, const M *mask, T *out) {
  auto A = [](double value) { return roundAccumulator<T>(value); };
  int64_t sq = desc.q_len, skv = desc.kv_len, d = desc.head_dim,
          dv = desc.v_head_dim;
  int64_t group = desc.heads / desc.kv_heads;
  double scale = softmaxScale(desc);
  std::array<int64_t, 4> maskStride = maskStrides(desc);
  std::vector<double> scores(skv);
  for (int64_t b = 0; b < desc.batch; ++b)
    for (int64_t h = 0; h < desc.heads; ++h) {
      int64_t hk = h / group;
      const T *keys = k + (b * desc.kv_heads + hk) * skv * d;
      const T *values = v + (b * desc.kv_heads + hk) * skv * dv;
      for (int64_t i = 0; i < sq; ++i) {
        const T *query = q + ((b * desc.heads + h) * sq + i) * d;
        T *result = out + ((b * desc.heads + h) * sq + i) * dv;
        int64_t visible = visibleKeys(desc, i);
        double maximum = -INFINITY;
        for (int64_t j = 0; j < visible; ++j) {
          double dot = 0;
          for (int64_t c = 0; c < d; ++c)
            dot = A(dot + A(toDouble(query[c]) * toDouble(keys[j * d + c])));
          scores[j] = A(dot * scale);
          if (mask)
            scores[j] =
                A(scores[j] +
                  toDouble(mask[b * maskStride[0] + h * maskStride[1] +
                                i * maskStride[2] + j * maskStride[3]]));
          maximum = std::fmax(maximum, scores[j]);
        }
        double sum = 0;
        for (int64_t j = 0; j < visible; ++j) {
          scores[j] = A(std::exp(A(scores[j] - maximum)));
          sum = A(sum + scores[j]);
        }
        for (int64_t c = 0; c < dv; ++c) {
          double acc = 0;
          for (int64_t j = 0; j < visible; ++j)
            acc = A(acc + A(scores[j] * toDouble(values[j * dv + c])));
          // A row with no visible key (Sq > Skv, causal) is zero.
          result[c] = visible ? roundTo<T>(acc / sum) : roundTo<T>(0.0);
        }
      }
    }
}

template <typename T, typename M>
void attentionBlas(const braid_rt_attention_desc &desc, const T *q, const T *k,
                   const T *v, const M *mask, T *out, void *workspace) {
#ifndef BRAID_RT_HAVE_CBLAS
  (void)workspace;
  attentionSequential(desc, q, k, v, mask, out);
#else
  using W = Wide<T>;
  int64_t sq = desc.q_len, skv = desc.kv_len, d = desc.head_dim,
          dv = desc.v_head_dim;
  if (dv == 0)
    return;
  int64_t group = desc.heads / desc.kv_heads;
  int64_t block = std::min(sq, kQueryBlock);
  double scale = softmaxScale(desc);
  std::array<int64_t, 4> maskStride = maskStrides(desc);
  W *scores = static_cast<W *>(workspace);
  W *queryWide = scores + block * skv;
  W *keysWide = queryWide + block * d;
  W *valuesWide = keysWide + skv * d;
  W *outWide = valuesWide + skv * dv;
  W rowSums[kQueryBlock];
  for (int64_t b = 0; b < desc.batch; ++b)
    for (int64_t hk = 0; hk < desc.kv_heads; ++hk) {
      // The query heads of a group share their key/value head: widened once.
      const T *keysT = k + (b * desc.kv_heads + hk) * skv * d;
      const T *valuesT = v + (b * desc.kv_heads + hk) * skv * dv;
      const W *keys, *values;
      if constexpr (kWidened<T>) {
        simd::toFloats(keysT, skv * d, keysWide);
        simd::toFloats(valuesT, skv * dv, valuesWide);
        keys = keysWide;
        values = valuesWide;
      } else {
        keys = keysT;
        values = valuesT;
      }
      for (int64_t h = hk * group; h < (hk + 1) * group; ++h)
        for (int64_t i0 = 0; i0 < sq; i0 += block) {
          int64_t rows = std::min(block, sq - i0);
          const T *queryT = q + ((b * desc.heads + h) * sq + i0) * d;
          T *result = out + ((b * desc.heads + h) * sq + i0) * dv;
          // Rows see more keys further down: the block's last row the most.
          int64_t blockKeys = visibleKeys(desc, i0 + rows - 1);
          if (blockKeys == 0) {
            std::fill(result, result + rows * dv, roundTo<T>(0.0));
            continue;
          }
          const W *query;
          if constexpr (kWidened<T>) {
            simd::toFloats(queryT, rows * d, queryWide);
            query = queryWide;
          } else {
            query = queryT;
          }
          if (d > 0)
            gemmRowMajor<W>(/*transposeB=*/true, rows, blockKeys, d, W(1),
                            query, d, keys, d, scores, blockKeys);
          else
            std::fill(scores, scores + rows * blockKeys, W(0));
          for (int64_t r = 0; r < rows; ++r) {
            int64_t i = i0 + r;
            int64_t visible = visibleKeys(desc, i);
            W *row = scores + r * blockKeys;
            // The scale in double, rounded once, as the interpreter does (an
            // f32 scale would add its own rounding to every score).
            for (int64_t j = 0; j < visible; ++j)
              row[j] = static_cast<W>(static_cast<double>(row[j]) * scale);
            if (mask) {
              const M *maskRow = mask + b * maskStride[0] + h * maskStride[1] +
                                 i * maskStride[2];
              for (int64_t j = 0; j < visible; ++j)
                row[j] += static_cast<W>(toDouble(maskRow[j * maskStride[3]]));
            }
            rowSums[r] = exponentiateRow(row, visible);
            // Keys past the row's own causal limit weigh nothing.
            std::fill(row + visible, row + blockKeys, W(0));
          }
          // O = P·V unnormalised, straight into an f32/f64 result.
          W *unnormalised;
          if constexpr (kWidened<T>)
            unnormalised = outWide;
          else
            unnormalised = result;
          gemmRowMajor<W>(/*transposeB=*/false, rows, dv, blockKeys, W(1),
                          scores, blockKeys, values, dv, unnormalised, dv);
          for (int64_t r = 0; r < rows; ++r) {
            T *resultRow = result + r * dv;
            if (visibleKeys(desc, i0 + r) == 0) {
              std::fill(resultRow, resultRow + dv, roundTo<T>(0.0));
              continue;
            }
            W *row = unnormalised + r * dv;
            for (int64_t c = 0; c < dv; ++c)
              row[c] /= rowSums[r];
            if constexpr (kWidened<T>)
              simd::fromFloats(row, dv, resultRow);
          }
        }
    }
#endif
}

#define BRAID_RT_INSTANTIATE_ATTENTION(T, M)                                   \
  template void attentionSequential<T, M>(const braid_rt_attention_desc &,     \
                                          const T *, const T *, const T *,     \
                                          const M *, T *);                     \
  template void attentionBlas<T, M>(const braid_rt_attention_desc &,           \
                                    const T *, const T *, const T *,           \
                                    const M *, T *, void *);
#define BRAID_RT_INSTANTIATE_ATTENTION_MASKS(T)                                \
  BRAID_RT_INSTANTIATE_ATTENTION(T, float)                                     \
  BRAID_RT_INSTANTIATE_ATTENTION(T, bf16)                                      \
  BRAID_RT_INSTANTIATE_ATTENTION(T, f16)                                       \
  BRAID_RT_INSTANTIATE_ATTENTION(T, double)
BRAID_RT_INSTANTIATE_ATTENTION_MASKS(float)
BRAID_RT_INSTANTIATE_ATTENTION_MASKS(bf16)
BRAID_RT_INSTANTIATE_ATTENTION_MASKS(f16)
BRAID_RT_INSTANTIATE_ATTENTION_MASKS(double)

} // namespace cpu
} // namespace braid_rt::kernels

using namespace braid_rt::kernels;

extern "C" size_t
braid_rt_cpu_attention_workspace_bytes(const braid_rt_attention_desc *desc) {
  return desc ? cpu::attentionWorkspaceBytes(*desc) : 0;
}

extern "C" int braid_rt_cpu_attention(const braid_rt_attention_desc *desc,
                                      const void *q, const void *k,
                                      const void *v, const void *mask,
                                      void *out,
                                      braid_rt_gemm_numerics numerics,
                                      void *workspace,
                                      size_t workspace_bytes) {
  constexpr const char *op = "braid.attention";
  double scale; // both paths take it from desc themselves (softmaxScale)
  if (braid_rt_kernel_status status =
          checkAttention(op, desc, mask != nullptr, scale))
    return status;
  if (braid_rt_kernel_status status = checkNumerics(op, numerics))
    return status;
  bool empty = desc->batch == 0 || desc->heads == 0 || desc->q_len == 0;
  if (!empty) {
    bool needsInputs = desc->kv_len > 0 || desc->head_dim > 0;
    if (!out || (needsInputs && (!q || !k || !v)))
      return invalid(op, "a tensor pointer is null");
  }
  bool sequential = numerics == BRAID_RT_GEMM_SEQUENTIAL;
  if (!sequential && !empty) {
    size_t needed = cpu::attentionWorkspaceBytes(*desc);
    if (!workspace)
      workspace = threadScratch(needed);
    else if (workspace_bytes < needed)
      return invalid(op, "the workspace holds ", workspace_bytes,
                     " bytes; this attention needs ", needed);
  }
  return dispatchFloat(op, "the element type", desc->type, [&](auto tag) {
    using T = decltype(tag);
    auto *qT = static_cast<const T *>(q);
    auto *kT = static_cast<const T *>(k);
    auto *vT = static_cast<const T *>(v);
    auto *outT = static_cast<T *>(out);
    auto run = [&](auto *maskT) {
      if (sequential)
        cpu::attentionSequential(*desc, qT, kT, vT, maskT, outT);
      else
        cpu::attentionBlas(*desc, qT, kT, vT, maskT, outT, workspace);
      return BRAID_RT_KERNEL_OK;
    };
    if (!mask)
      return run(static_cast<const float *>(nullptr));
    return dispatchFloat(op, "the mask type", desc->mask_type,
                         [&](auto maskTag) {
                           using M = decltype(maskTag);
                           return run(static_cast<const M *>(mask));
                         });
  });
}
