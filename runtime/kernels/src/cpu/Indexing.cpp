//===- Indexing.cpp - CPU gather and scatter ------------------------------===//
//
// The interpreter's executeGather and executeScatter on the collapsed shape
// [outer, axis, inner]. Indices are checked before anything is written; a
// scatter applies its slices in increasing index order, so with repeated
// indices the last write wins and sums are ordered.
//
//===----------------------------------------------------------------------===//

#include "../Support.h"
#include "braid_rt/kernels/CpuKernels.h"

#include <cstring>

namespace braid_rt::kernels {
namespace {

template <typename I>
braid_rt_kernel_status checkIndices(const char *op, int64_t numIndices,
                                    const I *indices, int64_t axisSize) {
  for (int64_t i = 0; i < numIndices; ++i)
    if (indices[i] < 0 || static_cast<int64_t>(indices[i]) >= axisSize)
      return invalid(op, "index ", static_cast<int64_t>(indices[i]),
                     " is outside [0, ", axisSize, ")");
  return BRAID_RT_KERNEL_OK;
}

/// `a + b` as the interpreter's `combine(sum)`: floats in double rounded
/// once to T, integers wrapped to their width.
template <typename T> T addElements(T a, T b) {
  if constexpr (std::is_integral_v<T>) {
    using U = std::make_unsigned_t<T>;
    return static_cast<T>(
        static_cast<U>(static_cast<U>(a) + static_cast<U>(b)));
  } else {
    return roundTo<T>(toDouble(a) + toDouble(b));
  }
}

} // namespace

namespace cpu {

template <typename I>
braid_rt_kernel_status gather(int64_t outer, int64_t axisSize, int64_t inner,
                              size_t elementBytes, const void *source,
                              int64_t numIndices, const I *indices, void *out) {
  // Like the interpreter, an empty result reads no index.
  if (outer == 0 || inner == 0)
    return BRAID_RT_KERNEL_OK;
  if (braid_rt_kernel_status status =
          checkIndices("braid.gather", numIndices, indices, axisSize))
    return status;
  size_t sliceBytes = elementBytes * inner;
  const auto *from = static_cast<const unsigned char *>(source);
  auto *to = static_cast<unsigned char *>(out);
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < numIndices; ++i)
      std::memcpy(to + (o * numIndices + i) * sliceBytes,
                  from + (o * axisSize + static_cast<int64_t>(indices[i])) *
                             sliceBytes,
                  sliceBytes);
  return BRAID_RT_KERNEL_OK;
}

template <typename T, typename I>
braid_rt_kernel_status scatter(braid_rt_scatter_kind kind, int64_t outer,
                               int64_t axisSize, int64_t inner,
                               int64_t numIndices, const T *updates,
                               const I *indices, const T *dest, T *out) {
  if (braid_rt_kernel_status status =
          checkIndices("braid.scatter", numIndices, indices, axisSize))
    return status;
  if (out != dest)
    std::memcpy(out, dest, sizeof(T) * outer * axisSize * inner);
  bool add = kind == BRAID_RT_SCATTER_ADD;
  for (int64_t slice = 0; slice < numIndices; ++slice) {
    int64_t index = static_cast<int64_t>(indices[slice]);
    for (int64_t o = 0; o < outer; ++o) {
      const T *from = updates + (o * numIndices + slice) * inner;
      T *to = out + (o * axisSize + index) * inner;
      for (int64_t i = 0; i < inner; ++i)
        to[i] = add ? addElements(to[i], from[i]) : from[i];
    }
  }
  return BRAID_RT_KERNEL_OK;
}

#define BRAID_RT_INSTANTIATE_GATHER(I)                                         \
  template braid_rt_kernel_status gather<I>(int64_t, int64_t, int64_t, size_t, \
                                            const void *, int64_t, const I *,  \
                                            void *);
BRAID_RT_INSTANTIATE_GATHER(int32_t)
BRAID_RT_INSTANTIATE_GATHER(int64_t)

#define BRAID_RT_INSTANTIATE_SCATTER(T, I)                                     \
  template braid_rt_kernel_status scatter<T, I>(                               \
      braid_rt_scatter_kind, int64_t, int64_t, int64_t, int64_t, const T *,    \
      const I *, const T *, T *);
#define BRAID_RT_SCATTER(T)                                                    \
  BRAID_RT_INSTANTIATE_SCATTER(T, int32_t)                                     \
  BRAID_RT_INSTANTIATE_SCATTER(T, int64_t)
BRAID_RT_SCATTER(float)
BRAID_RT_SCATTER(bf16)
BRAID_RT_SCATTER(f16)
BRAID_RT_SCATTER(double)
BRAID_RT_SCATTER(uint8_t)
BRAID_RT_SCATTER(int8_t)
BRAID_RT_SCATTER(int16_t)
BRAID_RT_SCATTER(int32_t)
BRAID_RT_SCATTER(int64_t)

} // namespace cpu

braid_rt_kernel_status checkIndexing(const char *op, int64_t outer,
                                     int64_t axisSize, int64_t inner,
                                     int64_t numIndices) {
  if (braid_rt_kernel_status status =
          checkSizes(op, {{"outer", outer},
                          {"axis_size", axisSize},
                          {"inner", inner},
                          {"num_indices", numIndices}}))
    return status;
  int64_t elements;
  if (!mulChecked(outer, std::max(axisSize, numIndices), elements) ||
      !mulChecked(elements, inner, elements))
    return invalid(op, "the tensors' element counts overflow int64");
  return BRAID_RT_KERNEL_OK;
}

} // namespace braid_rt::kernels

using namespace braid_rt::kernels;

extern "C" {

int braid_rt_cpu_gather(braid_rt_elem type, int64_t outer, int64_t axis_size,
                        int64_t inner, const void *source, int64_t num_indices,
                        const void *indices, braid_rt_elem index_type,
                        void *out) {
  constexpr const char *op = "braid.gather";
  if (braid_rt_kernel_status status =
          checkIndexing(op, outer, axis_size, inner, num_indices))
    return status;
  size_t elementBytes = braid_rt_elem_size(type);
  if (elementBytes == 0)
    return invalid(op, "unknown element type ", static_cast<int>(type));
  if (outer * inner * num_indices > 0 && (!source || !indices || !out))
    return invalid(op, "a tensor pointer is null");
  return dispatchIndex(op, "indices", index_type, [&](auto indexTag) {
    using I = decltype(indexTag);
    return cpu::gather(outer, axis_size, inner, elementBytes, source,
                       num_indices, static_cast<const I *>(indices), out);
  });
}

int braid_rt_cpu_scatter(braid_rt_scatter_kind kind, braid_rt_elem type,
                         int64_t outer, int64_t axis_size, int64_t inner,
                         int64_t num_indices, const void *updates,
                         const void *indices, braid_rt_elem index_type,
                         const void *dest, void *out) {
  constexpr const char *op = "braid.scatter";
  if (kind != BRAID_RT_SCATTER_REPLACE && kind != BRAID_RT_SCATTER_ADD)
    return invalid(op, "unknown scatter kind ", static_cast<int>(kind));
  if (kind == BRAID_RT_SCATTER_ADD && type == BRAID_RT_ELEM_I1)
    return invalid(op, "kind 'add' is not defined on i1");
  if (braid_rt_kernel_status status =
          checkIndexing(op, outer, axis_size, inner, num_indices))
    return status;
  if ((num_indices > 0 && !indices) ||
      (outer * axis_size * inner > 0 && (!dest || !out)) ||
      (outer * num_indices * inner > 0 && !updates))
    return invalid(op, "a tensor pointer is null");
  return dispatchIndex(op, "indices", index_type, [&](auto indexTag) {
    using I = decltype(indexTag);
    return dispatchNumeric(op, "the element type", type, [&](auto tag) {
      using T = decltype(tag);
      return cpu::scatter(kind, outer, axis_size, inner, num_indices,
                          static_cast<const T *>(updates),
                          static_cast<const I *>(indices),
                          static_cast<const T *>(dest), static_cast<T *>(out));
    });
  });
}

} // extern "C"
