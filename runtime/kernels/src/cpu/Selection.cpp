//===- Selection.cpp - CPU top-k and sort ---------------------------------===//
//
// The interpreter's executeSelection: a stable order of each row (largest
// first for top-k and descending sort, NaN above every number, ties to the
// lower index) and the source index of every entry.
//
//===----------------------------------------------------------------------===//

#include "../Support.h"
#include "braid_rt/kernels/CpuKernels.h"

#include <algorithm>
#include <numeric>
#include <vector>

namespace braid_rt::kernels {
namespace cpu {

template <typename T, typename I>
void topk(int64_t rows, int64_t width, int64_t k, const T *input, T *values,
          I *indices) {
  std::vector<int64_t> order(width);
  for (int64_t r = 0; r < rows; ++r) {
    const T *row = input + r * width;
    std::iota(order.begin(), order.end(), 0);
    // Larger first, then the lower index: the first k of the stable
    // descending order, found without sorting the rest.
    std::partial_sort(order.begin(), order.begin() + k, order.end(),
                      [&](int64_t a, int64_t b) {
                        if (lessThan(row[b], row[a]))
                          return true;
                        if (lessThan(row[a], row[b]))
                          return false;
                        return a < b;
                      });
    for (int64_t j = 0; j < k; ++j) {
      values[r * k + j] = row[order[j]];
      indices[r * k + j] = static_cast<I>(order[j]);
    }
  }
}

template <typename T, typename I>
void sort(int64_t rows, int64_t width, bool descending, const T *input,
          T *values, I *indices) {
  std::vector<int64_t> order(width);
  for (int64_t r = 0; r < rows; ++r) {
    const T *row = input + r * width;
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
      return descending ? lessThan(row[b], row[a]) : lessThan(row[a], row[b]);
    });
    for (int64_t j = 0; j < width; ++j) {
      values[r * width + j] = row[order[j]];
      indices[r * width + j] = static_cast<I>(order[j]);
    }
  }
}

#define BRAID_RT_INSTANTIATE_SELECTION(T, I)                                   \
  template void topk<T, I>(int64_t, int64_t, int64_t, const T *, T *, I *);    \
  template void sort<T, I>(int64_t, int64_t, bool, const T *, T *, I *);
#define BRAID_RT_SELECTION(T)                                                  \
  BRAID_RT_INSTANTIATE_SELECTION(T, int32_t)                                   \
  BRAID_RT_INSTANTIATE_SELECTION(T, int64_t)
BRAID_RT_SELECTION(float)
BRAID_RT_SELECTION(bf16)
BRAID_RT_SELECTION(f16)
BRAID_RT_SELECTION(double)
BRAID_RT_SELECTION(uint8_t)
BRAID_RT_SELECTION(int8_t)
BRAID_RT_SELECTION(int16_t)
BRAID_RT_SELECTION(int32_t)
BRAID_RT_SELECTION(int64_t)

} // namespace cpu

braid_rt_kernel_status checkSelection(const char *op, int64_t rows,
                                      int64_t width, std::optional<int64_t> k) {
  if (braid_rt_kernel_status status =
          checkSizes(op, {{"rows", rows}, {"width", width}}))
    return status;
  if (k && (*k < 1 || *k > width))
    return invalid(op, "k = ", *k, " must lie in [1, width = ", width, "]");
  int64_t elements;
  if (!mulChecked(rows, width, elements))
    return invalid(op, rows, " x ", width, " elements overflow int64");
  return BRAID_RT_KERNEL_OK;
}

} // namespace braid_rt::kernels

using namespace braid_rt::kernels;

extern "C" {

int braid_rt_cpu_topk(braid_rt_elem type, int64_t rows, int64_t width,
                      int64_t k, const void *input, void *values, void *indices,
                      braid_rt_elem index_type) {
  constexpr const char *op = "braid.topk";
  if (braid_rt_kernel_status status = checkSelection(op, rows, width, k))
    return status;
  if (rows > 0 && (!input || !values || !indices))
    return invalid(op, "a tensor pointer is null");
  return dispatchIndex(op, "indices", index_type, [&](auto indexTag) {
    using I = decltype(indexTag);
    return dispatchNumeric(op, "the input", type, [&](auto tag) {
      using T = decltype(tag);
      cpu::topk(rows, width, k, static_cast<const T *>(input),
                static_cast<T *>(values), static_cast<I *>(indices));
      return BRAID_RT_KERNEL_OK;
    });
  });
}

int braid_rt_cpu_sort(braid_rt_elem type, int64_t rows, int64_t width,
                      int32_t descending, const void *input, void *values,
                      void *indices, braid_rt_elem index_type) {
  constexpr const char *op = "braid.sort";
  if (braid_rt_kernel_status status =
          checkSelection(op, rows, width, std::nullopt))
    return status;
  if (rows * width > 0 && (!input || !values || !indices))
    return invalid(op, "a tensor pointer is null");
  return dispatchIndex(op, "indices", index_type, [&](auto indexTag) {
    using I = decltype(indexTag);
    return dispatchNumeric(op, "the input", type, [&](auto tag) {
      using T = decltype(tag);
      cpu::sort(rows, width, descending != 0, static_cast<const T *>(input),
                static_cast<T *>(values), static_cast<I *>(indices));
      return BRAID_RT_KERNEL_OK;
    });
  });
}

} // extern "C"
