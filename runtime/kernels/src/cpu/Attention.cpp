//===- Attention.cpp - CPU scaled dot-product attention -------------------===//
//
// The interpreter's executeAttention: per query row, scores over the visible
// keys in f32 (sequential dot products over D), the additive mask added in
// f32, max-subtracted exponentials summed in key order, and the weighted sum
// of values in key order divided once by the sum.
//
//===----------------------------------------------------------------------===//

#include "../Support.h"
#include "braid_rt/kernels/CpuKernels.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace braid_rt::kernels {

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
  scale = desc->scale > 0
              ? desc->scale
              : 1.0 / std::sqrt(static_cast<double>(desc->head_dim));
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

template <typename T, typename M>
void attention(const braid_rt_attention_desc &desc, const T *q, const T *k,
               const T *v, const M *mask, T *out) {
  auto A = [](double value) { return roundAccumulator<T>(value); };
  int64_t sq = desc.q_len, skv = desc.kv_len, d = desc.head_dim,
          dv = desc.v_head_dim;
  int64_t group = desc.heads / desc.kv_heads;
  double scale =
      desc.scale > 0 ? desc.scale : 1.0 / std::sqrt(static_cast<double>(d));
  // Strides of the mask with its broadcast (size-1) dimensions pinned to 0.
  int64_t maskStride[4] = {0, 0, 0, 0};
  if (mask) {
    int64_t stride = 1;
    for (int dim = 3; dim >= 0; --dim) {
      maskStride[dim] = desc.mask_shape[dim] == 1 ? 0 : stride;
      stride *= desc.mask_shape[dim];
    }
  }
  std::vector<double> scores(skv);
  for (int64_t b = 0; b < desc.batch; ++b)
    for (int64_t h = 0; h < desc.heads; ++h) {
      int64_t hk = h / group;
      const T *keys = k + (b * desc.kv_heads + hk) * skv * d;
      const T *values = v + (b * desc.kv_heads + hk) * skv * dv;
      for (int64_t i = 0; i < sq; ++i) {
        const T *query = q + ((b * desc.heads + h) * sq + i) * d;
        T *result = out + ((b * desc.heads + h) * sq + i) * dv;
        int64_t visible =
            desc.causal ? std::clamp<int64_t>(i + (skv - sq) + 1, 0, skv) : skv;
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

#define BRAID_RT_INSTANTIATE_ATTENTION(T, M)                                   \
  template void attention<T, M>(const braid_rt_attention_desc &, const T *,    \
                                const T *, const T *, const M *, T *);
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

extern "C" int braid_rt_cpu_attention(const braid_rt_attention_desc *desc,
                                      const void *q, const void *k,
                                      const void *v, const void *mask,
                                      void *out) {
  constexpr const char *op = "braid.attention";
  double scale;
  if (braid_rt_kernel_status status =
          checkAttention(op, desc, mask != nullptr, scale))
    return status;
  bool empty = desc->batch == 0 || desc->heads == 0 || desc->q_len == 0;
  if (!empty) {
    bool needsInputs = desc->kv_len > 0 || desc->head_dim > 0;
    if (!out || (needsInputs && (!q || !k || !v)))
      return invalid(op, "a tensor pointer is null");
  }
  braid_rt_attention_desc effective = *desc;
  effective.scale = scale;
  return dispatchFloat(op, "the element type", desc->type, [&](auto tag) {
    using T = decltype(tag);
    auto *qT = static_cast<const T *>(q);
    auto *kT = static_cast<const T *>(k);
    auto *vT = static_cast<const T *>(v);
    auto *outT = static_cast<T *>(out);
    if (!mask) {
      cpu::attention<T, float>(effective, qT, kT, vT, nullptr, outT);
      return BRAID_RT_KERNEL_OK;
    }
    return dispatchFloat(op, "the mask type", desc->mask_type,
                         [&](auto maskTag) {
                           using M = decltype(maskTag);
                           cpu::attention(effective, qT, kT, vT,
                                          static_cast<const M *>(mask), outT);
                           return BRAID_RT_KERNEL_OK;
                         });
  });
}
