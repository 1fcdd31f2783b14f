//===- Routing.cpp - CPU MoE routing and the grouped matmul ---------------===//
//
// The interpreter's executeGroupedMatmul, executeMoEGate, executeMoEPermute
// and executeMoEUnpermute. Data-dependent inputs (group sizes, expert ids,
// row maps) are checked before anything is written.
//
//===----------------------------------------------------------------------===//

#include "../Support.h"
#include "braid_rt/kernels/CpuKernels.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>
#include <vector>

namespace braid_rt::kernels {
namespace cpu {

template <typename T, typename TO, typename I>
braid_rt_kernel_status
groupedMatmul(int64_t rows, int64_t depth, int64_t cols, int64_t experts,
              const T *lhs, const T *rhs, const I *groupSizes, TO *out,
              braid_rt_gemm_numerics numerics, void *workspace) {
  int64_t used = 0;
  for (int64_t e = 0; e < experts; ++e) {
    int64_t count = static_cast<int64_t>(groupSizes[e]);
    if (count < 0 || count > rows - used)
      return invalid("braid.grouped_matmul",
                     "group sizes are negative or exceed the ", rows,
                     " rows (group ", e, " has ", count, ")");
    used += count;
  }
  std::fill(out + used * cols, out + rows * cols, roundTo<TO>(0.0));
  int64_t row = 0;
  for (int64_t e = 0; e < experts; ++e) {
    int64_t count = static_cast<int64_t>(groupSizes[e]);
    if (count == 0)
      continue;
    braid_rt_gemm_desc desc = braid_rt_gemm_desc_dense(
        1, count, cols, depth, elemOf<T>(), elemOf<T>(), elemOf<TO>(), 0);
    const T *groupLhs = lhs + row * depth;
    const T *weight = rhs + e * depth * cols;
    TO *groupOut = out + row * cols;
    if (numerics == BRAID_RT_GEMM_SEQUENTIAL)
      gemmSequential(desc, groupLhs, weight, groupOut);
    else
      gemmBlas(desc, groupLhs, weight, groupOut, workspace);
    row += count;
  }
  return BRAID_RT_KERNEL_OK;
}

template <typename T, typename I>
void moeGate(int64_t tokens, int64_t numExperts, int64_t k, bool normalize,
             const T *logits, T *weights, I *experts) {
  auto A = [](double value) { return roundAccumulator<T>(value); };
  std::vector<double> probabilities(numExperts);
  std::vector<int64_t> order(numExperts);
  for (int64_t t = 0; t < tokens; ++t) {
    const T *row = logits + t * numExperts;
    double maximum = -INFINITY;
    for (int64_t j = 0; j < numExperts; ++j)
      maximum = std::fmax(maximum, toDouble(row[j]));
    double sum = 0;
    for (int64_t j = 0; j < numExperts; ++j) {
      probabilities[j] = A(std::exp(A(toDouble(row[j]) - maximum)));
      sum = A(sum + probabilities[j]);
    }
    for (int64_t j = 0; j < numExperts; ++j)
      probabilities[j] = A(probabilities[j] / sum);
    // Largest first, ties to the lower expert: a stable descending order.
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
      return lessThan(probabilities[b], probabilities[a]);
    });
    double selected = 0;
    for (int64_t j = 0; j < k; ++j)
      selected = A(selected + probabilities[order[j]]);
    for (int64_t j = 0; j < k; ++j) {
      double p = probabilities[order[j]];
      weights[t * k + j] = roundTo<T>(normalize ? p / selected : p);
      experts[t * k + j] = static_cast<I>(order[j]);
    }
  }
}

template <typename IE, typename IS, typename IM>
braid_rt_kernel_status moePermute(int64_t tokens, int64_t hidden, int64_t k,
                                  int64_t numExperts, size_t elementBytes,
                                  const void *input, const IE *experts,
                                  void *permuted, IS *groupSizes, IM *rowMap) {
  int64_t pairs = tokens * k;
  std::vector<int64_t> next(numExperts, 0);
  for (int64_t p = 0; p < pairs; ++p) {
    int64_t expert = static_cast<int64_t>(experts[p]);
    if (expert < 0 || expert >= numExperts)
      return invalid("braid.moe_permute", "token ", p / k,
                     " is routed to expert ", expert, ", outside [0, ",
                     numExperts, ")");
    ++next[expert];
  }
  for (int64_t e = 0; e < numExperts; ++e)
    groupSizes[e] = static_cast<IS>(next[e]);
  // A counting sort places the pairs of each expert in pair order, which is
  // the interpreter's stable sort by expert id.
  std::exclusive_scan(next.begin(), next.end(), next.begin(), int64_t{0});
  size_t rowBytes = elementBytes * hidden;
  const auto *source = static_cast<const unsigned char *>(input);
  auto *target = static_cast<unsigned char *>(permuted);
  for (int64_t p = 0; p < pairs; ++p) {
    int64_t row = next[static_cast<int64_t>(experts[p])]++;
    rowMap[p] = static_cast<IM>(row);
    if (rowBytes)
      std::memcpy(target + row * rowBytes, source + (p / k) * rowBytes,
                  rowBytes);
  }
  return BRAID_RT_KERNEL_OK;
}

template <typename T, typename W, typename I>
braid_rt_kernel_status moeUnpermute(int64_t tokens, int64_t k, int64_t hidden,
                                    int64_t rows, const T *input,
                                    const I *rowMap, const W *weights, T *out) {
  auto A = [](double value) { return roundAccumulator<T>(value); };
  for (int64_t p = 0; p < tokens * k; ++p)
    if (rowMap[p] < 0 || static_cast<int64_t>(rowMap[p]) >= rows)
      return invalid("braid.moe_unpermute", "row_map entry ",
                     static_cast<int64_t>(rowMap[p]), " is outside [0, ", rows,
                     ")");
  for (int64_t t = 0; t < tokens; ++t)
    for (int64_t c = 0; c < hidden; ++c) {
      double acc = 0;
      for (int64_t j = 0; j < k; ++j) {
        int64_t row = static_cast<int64_t>(rowMap[t * k + j]);
        acc = A(acc + A(toDouble(weights[t * k + j]) *
                        toDouble(input[row * hidden + c])));
      }
      out[t * hidden + c] = roundTo<T>(acc);
    }
  return BRAID_RT_KERNEL_OK;
}

// Instantiations: every float type, i32/i64 for each index operand.
#define BRAID_RT_INSTANTIATE_GROUPED(T, TO, I)                                 \
  template braid_rt_kernel_status groupedMatmul<T, TO, I>(                     \
      int64_t, int64_t, int64_t, int64_t, const T *, const T *, const I *,     \
      TO *, braid_rt_gemm_numerics, void *);
#define BRAID_RT_GROUPED_I(T, TO)                                              \
  BRAID_RT_INSTANTIATE_GROUPED(T, TO, int32_t)                                 \
  BRAID_RT_INSTANTIATE_GROUPED(T, TO, int64_t)
#define BRAID_RT_GROUPED_F32(T)                                                \
  BRAID_RT_GROUPED_I(T, float)                                                 \
  BRAID_RT_GROUPED_I(T, bf16)                                                  \
  BRAID_RT_GROUPED_I(T, f16)
BRAID_RT_GROUPED_F32(float)
BRAID_RT_GROUPED_F32(bf16)
BRAID_RT_GROUPED_F32(f16)
BRAID_RT_GROUPED_I(double, double)

#define BRAID_RT_INSTANTIATE_GATE(T, I)                                        \
  template void moeGate<T, I>(int64_t, int64_t, int64_t, bool, const T *, T *, \
                              I *);
#define BRAID_RT_GATE(T)                                                       \
  BRAID_RT_INSTANTIATE_GATE(T, int32_t)                                        \
  BRAID_RT_INSTANTIATE_GATE(T, int64_t)
BRAID_RT_GATE(float)
BRAID_RT_GATE(bf16)
BRAID_RT_GATE(f16)
BRAID_RT_GATE(double)

#define BRAID_RT_INSTANTIATE_PERMUTE(IE, IS, IM)                               \
  template braid_rt_kernel_status moePermute<IE, IS, IM>(                      \
      int64_t, int64_t, int64_t, int64_t, size_t, const void *, const IE *,    \
      void *, IS *, IM *);
#define BRAID_RT_PERMUTE_M(IE, IS)                                             \
  BRAID_RT_INSTANTIATE_PERMUTE(IE, IS, int32_t)                                \
  BRAID_RT_INSTANTIATE_PERMUTE(IE, IS, int64_t)
BRAID_RT_PERMUTE_M(int32_t, int32_t)
BRAID_RT_PERMUTE_M(int32_t, int64_t)
BRAID_RT_PERMUTE_M(int64_t, int32_t)
BRAID_RT_PERMUTE_M(int64_t, int64_t)

#define BRAID_RT_INSTANTIATE_UNPERMUTE(T, W, I)                                \
  template braid_rt_kernel_status moeUnpermute<T, W, I>(                       \
      int64_t, int64_t, int64_t, int64_t, const T *, const I *, const W *,     \
      T *);
#define BRAID_RT_UNPERMUTE_I(T, W)                                             \
  BRAID_RT_INSTANTIATE_UNPERMUTE(T, W, int32_t)                                \
  BRAID_RT_INSTANTIATE_UNPERMUTE(T, W, int64_t)
#define BRAID_RT_UNPERMUTE_W(T)                                                \
  BRAID_RT_UNPERMUTE_I(T, float)                                               \
  BRAID_RT_UNPERMUTE_I(T, bf16)                                                \
  BRAID_RT_UNPERMUTE_I(T, f16)                                                 \
  BRAID_RT_UNPERMUTE_I(T, double)
BRAID_RT_UNPERMUTE_W(float)
BRAID_RT_UNPERMUTE_W(bf16)
BRAID_RT_UNPERMUTE_W(f16)
BRAID_RT_UNPERMUTE_W(double)

} // namespace cpu

braid_rt_kernel_status checkGroupedMatmul(const char *op, braid_rt_elem type,
                                          braid_rt_elem outType, int64_t rows,
                                          int64_t depth, int64_t cols,
                                          int64_t experts) {
  if (braid_rt_kernel_status status = checkSizes(op, {{"rows", rows},
                                                      {"depth", depth},
                                                      {"cols", cols},
                                                      {"experts", experts}}))
    return status;
  int64_t elements;
  if (!mulChecked(rows, std::max(depth, cols), elements) ||
      !mulChecked(experts, depth, elements) ||
      !mulChecked(elements, cols, elements))
    return invalid(op, "the tensors' element counts overflow int64");
  bool allF64 = type == BRAID_RT_ELEM_F64 && outType == BRAID_RT_ELEM_F64;
  bool f32Family = type != BRAID_RT_ELEM_F64 && isFloatElem(type) &&
                   outType != BRAID_RT_ELEM_F64 && isFloatElem(outType);
  if (!allF64 && !f32Family)
    return invalid(op, "operand type ", braid_rt_elem_name(type),
                   " with result type ", braid_rt_elem_name(outType),
                   " is not supported (f32/bf16/f16 in any mix, or f64)");
  return BRAID_RT_KERNEL_OK;
}

braid_rt_kernel_status checkMoeGate(const char *op, int64_t tokens,
                                    int64_t numExperts, int64_t k) {
  if (braid_rt_kernel_status status =
          checkSizes(op, {{"tokens", tokens}, {"num_experts", numExperts}}))
    return status;
  if (k < 1 || k > numExperts)
    return invalid(op, "k = ", k, " must lie in [1, num_experts = ", numExperts,
                   "]");
  int64_t elements;
  if (!mulChecked(tokens, numExperts, elements))
    return invalid(op, "the logits' element count overflows int64");
  return BRAID_RT_KERNEL_OK;
}

braid_rt_kernel_status checkMoePermute(const char *op, int64_t tokens,
                                       int64_t hidden, int64_t k,
                                       int64_t numExperts) {
  if (braid_rt_kernel_status status =
          checkSizes(op, {{"tokens", tokens}, {"hidden", hidden}, {"k", k}}))
    return status;
  if (numExperts < 1)
    return invalid(op, "num_experts must be positive, not ", numExperts);
  int64_t pairs, elements;
  if (!mulChecked(tokens, k, pairs) || !mulChecked(pairs, hidden, elements))
    return invalid(op, "the tensors' element counts overflow int64");
  return BRAID_RT_KERNEL_OK;
}

braid_rt_kernel_status checkMoeUnpermute(const char *op, int64_t tokens,
                                         int64_t k, int64_t hidden,
                                         int64_t rows) {
  if (braid_rt_kernel_status status = checkSizes(
          op,
          {{"tokens", tokens}, {"k", k}, {"hidden", hidden}, {"rows", rows}}))
    return status;
  int64_t pairs, elements;
  if (!mulChecked(tokens, k, pairs) ||
      !mulChecked(std::max(pairs, rows), hidden, elements))
    return invalid(op, "the tensors' element counts overflow int64");
  return BRAID_RT_KERNEL_OK;
}

} // namespace braid_rt::kernels

using namespace braid_rt::kernels;

extern "C" {

size_t braid_rt_cpu_grouped_matmul_workspace_bytes(braid_rt_elem type,
                                                   braid_rt_elem out_type,
                                                   int64_t rows, int64_t depth,
                                                   int64_t cols) {
  braid_rt_gemm_desc desc =
      braid_rt_gemm_desc_dense(1, rows, cols, depth, type, type, out_type, 0);
  return braid_rt_cpu_gemm_workspace_bytes(&desc);
}

int braid_rt_cpu_grouped_matmul(braid_rt_elem type, braid_rt_elem out_type,
                                int64_t rows, int64_t depth, int64_t cols,
                                int64_t experts, const void *lhs,
                                const void *rhs, const void *group_sizes,
                                braid_rt_elem sizes_type, void *out,
                                braid_rt_gemm_numerics numerics,
                                void *workspace, size_t workspace_bytes) {
  constexpr const char *op = "braid.grouped_matmul";
  if (braid_rt_kernel_status status =
          checkGroupedMatmul(op, type, out_type, rows, depth, cols, experts))
    return status;
  if (braid_rt_kernel_status status = checkNumerics(op, numerics))
    return status;
  if (braid_rt_kernel_status status =
          checkPointer(op, "group_sizes", group_sizes, experts))
    return status;
  if (braid_rt_kernel_status status = checkPointer(op, "out", out, rows * cols))
    return status;
  if (braid_rt_kernel_status status =
          checkPointer(op, "lhs", lhs, rows * depth))
    return status;
  if (braid_rt_kernel_status status =
          checkPointer(op, "rhs", rhs, experts * depth * cols))
    return status;
  size_t needed = braid_rt_cpu_grouped_matmul_workspace_bytes(
      type, out_type, rows, depth, cols);
  if (numerics == BRAID_RT_GEMM_BLAS && needed > 0) {
    if (!workspace)
      workspace = threadScratch(needed);
    else if (workspace_bytes < needed)
      return invalid(op, "the workspace holds ", workspace_bytes,
                     " bytes; this grouped matmul needs ", needed);
  }
  return dispatchIndex(op, "group_sizes", sizes_type, [&](auto indexTag) {
    using I = decltype(indexTag);
    auto *sizes = static_cast<const I *>(group_sizes);
    if (type == BRAID_RT_ELEM_F64)
      return cpu::groupedMatmul(
          rows, depth, cols, experts, static_cast<const double *>(lhs),
          static_cast<const double *>(rhs), sizes, static_cast<double *>(out),
          numerics, workspace);
    return dispatchFloat(op, "lhs", type, [&](auto tag) {
      using T = decltype(tag);
      if constexpr (std::is_same_v<T, double>) {
        return BRAID_RT_KERNEL_INTERNAL; // handled above
      } else {
        return dispatchFloat(op, "the result", out_type, [&](auto outTag) {
          using TO = decltype(outTag);
          if constexpr (std::is_same_v<TO, double>)
            return BRAID_RT_KERNEL_INTERNAL; // rejected by the check
          else
            return cpu::groupedMatmul(
                rows, depth, cols, experts, static_cast<const T *>(lhs),
                static_cast<const T *>(rhs), sizes, static_cast<TO *>(out),
                numerics, workspace);
        });
      }
    });
  });
}

int braid_rt_cpu_moe_gate(braid_rt_elem type, int64_t tokens,
                          int64_t num_experts, int64_t k, int32_t normalize,
                          const void *logits, void *weights, void *experts,
                          braid_rt_elem experts_type) {
  constexpr const char *op = "braid.moe_gate";
  if (braid_rt_kernel_status status = checkMoeGate(op, tokens, num_experts, k))
    return status;
  if (tokens > 0 && (!logits || !weights || !experts))
    return invalid(op, "a tensor pointer is null");
  return dispatchIndex(op, "experts", experts_type, [&](auto indexTag) {
    using I = decltype(indexTag);
    return dispatchFloat(op, "the logits", type, [&](auto tag) {
      using T = decltype(tag);
      cpu::moeGate(tokens, num_experts, k, normalize != 0,
                   static_cast<const T *>(logits), static_cast<T *>(weights),
                   static_cast<I *>(experts));
      return BRAID_RT_KERNEL_OK;
    });
  });
}

int braid_rt_cpu_moe_permute(braid_rt_elem type, int64_t tokens, int64_t hidden,
                             int64_t k, int64_t num_experts, const void *input,
                             const void *experts, braid_rt_elem experts_type,
                             void *permuted, void *group_sizes,
                             braid_rt_elem sizes_type, void *row_map,
                             braid_rt_elem map_type) {
  constexpr const char *op = "braid.moe_permute";
  if (braid_rt_kernel_status status =
          checkMoePermute(op, tokens, hidden, k, num_experts))
    return status;
  size_t elementBytes = braid_rt_elem_size(type);
  if (elementBytes == 0)
    return invalid(op, "unknown element type ", static_cast<int>(type));
  int64_t pairs = tokens * k;
  if (!group_sizes || (pairs > 0 && (!experts || !row_map)) ||
      (pairs * hidden > 0 && (!input || !permuted)))
    return invalid(op, "a tensor pointer is null");
  return dispatchIndex(op, "experts", experts_type, [&](auto expertTag) {
    using IE = decltype(expertTag);
    return dispatchIndex(op, "group_sizes", sizes_type, [&](auto sizeTag) {
      using IS = decltype(sizeTag);
      return dispatchIndex(op, "row_map", map_type, [&](auto mapTag) {
        using IM = decltype(mapTag);
        return cpu::moePermute(tokens, hidden, k, num_experts, elementBytes,
                               input, static_cast<const IE *>(experts),
                               permuted, static_cast<IS *>(group_sizes),
                               static_cast<IM *>(row_map));
      });
    });
  });
}

int braid_rt_cpu_moe_unpermute(braid_rt_elem type, braid_rt_elem weights_type,
                               int64_t tokens, int64_t k, int64_t hidden,
                               int64_t rows, const void *input,
                               const void *row_map, braid_rt_elem map_type,
                               const void *weights, void *out) {
  constexpr const char *op = "braid.moe_unpermute";
  if (braid_rt_kernel_status status =
          checkMoeUnpermute(op, tokens, k, hidden, rows))
    return status;
  int64_t pairs = tokens * k;
  if ((pairs > 0 && (!row_map || !weights)) || (tokens * hidden > 0 && !out) ||
      (rows * hidden > 0 && !input))
    return invalid(op, "a tensor pointer is null");
  return dispatchIndex(op, "row_map", map_type, [&](auto mapTag) {
    using I = decltype(mapTag);
    return dispatchFloat(op, "the input", type, [&](auto tag) {
      using T = decltype(tag);
      return dispatchFloat(op, "the weights", weights_type, [&](auto wTag) {
        using W = decltype(wTag);
        return cpu::moeUnpermute(
            tokens, k, hidden, rows, static_cast<const T *>(input),
            static_cast<const I *>(row_map), static_cast<const W *>(weights),
            static_cast<T *>(out));
      });
    });
  });
}

} // extern "C"
