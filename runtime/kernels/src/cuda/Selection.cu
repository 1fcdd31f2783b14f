//===- Selection.cu - CUDA entry points of top-k, sort, gather, scatter ---===//

#include "CudaSupport.h"
#include "braid_rt/kernels/cuda/SelectionKernels.cuh"

using namespace braid_rt::kernels;
using namespace braid_rt::kernels::cuda;

namespace {

constexpr int kThreads = 256;

braid_rt_kernel_status select(const char *op, braid_rt_elem type, int64_t rows,
                              int64_t width, int64_t keep, bool descending,
                              const void *input, void *values, void *indices,
                              braid_rt_elem indexType, void *stream) {
  if (rows * width == 0)
    return BRAID_RT_KERNEL_OK;
  if (!input || !values || !indices)
    return invalid(op, "a tensor pointer is null");
  return dispatchIndex(op, "indices", indexType, [&](auto indexTag) {
    using I = decltype(indexTag);
    return dispatchCudaNumeric(op, "the input", type, [&](auto tag) {
      using T = DeviceTypeOf<decltype(tag)>;
      selectKernel<T, I><<<gridForRows(rows), 128, 0, streamOf(stream)>>>(
          rows, width, keep, descending, static_cast<const T *>(input),
          static_cast<T *>(values), static_cast<I *>(indices));
      return checkLaunch(op);
    });
  });
}

} // namespace

extern "C" {

int braid_rt_cuda_topk(braid_rt_elem type, int64_t rows, int64_t width,
                       int64_t k, const void *input, void *values,
                       void *indices, braid_rt_elem index_type, void *stream) {
  constexpr const char *op = "braid.topk";
  if (braid_rt_kernel_status status = checkSelection(op, rows, width, k))
    return status;
  return select(op, type, rows, width, k, /*descending=*/true, input, values,
                indices, index_type, stream);
}

int braid_rt_cuda_sort(braid_rt_elem type, int64_t rows, int64_t width,
                       int32_t descending, const void *input, void *values,
                       void *indices, braid_rt_elem index_type, void *stream) {
  constexpr const char *op = "braid.sort";
  if (braid_rt_kernel_status status =
          checkSelection(op, rows, width, std::nullopt))
    return status;
  return select(op, type, rows, width, width, descending != 0, input, values,
                indices, index_type, stream);
}

int braid_rt_cuda_gather(braid_rt_elem type, int64_t outer, int64_t axis_size,
                         int64_t inner, const void *source, int64_t num_indices,
                         const void *indices, braid_rt_elem index_type,
                         void *out, void *stream) {
  constexpr const char *op = "braid.gather";
  if (braid_rt_kernel_status status =
          checkIndexing(op, outer, axis_size, inner, num_indices))
    return status;
  size_t elementBytes = braid_rt_elem_size(type);
  if (elementBytes == 0)
    return invalid(op, "unknown element type ", static_cast<int>(type));
  int64_t elements = outer * num_indices * inner;
  if (elements == 0)
    return BRAID_RT_KERNEL_OK;
  if (!source || !indices || !out)
    return invalid(op, "a tensor pointer is null");
  return dispatchIndex(op, "indices", index_type, [&](auto indexTag) {
    using I = decltype(indexTag);
    auto launch = [&](auto bits) {
      using E = decltype(bits);
      gatherKernel<E, I>
          <<<gridFor(elements, kThreads), kThreads, 0, streamOf(stream)>>>(
              outer, axis_size, inner, static_cast<const E *>(source),
              num_indices, static_cast<const I *>(indices),
              static_cast<E *>(out));
      return checkLaunch(op);
    };
    switch (elementBytes) {
    case 1:
      return launch(uint8_t{});
    case 2:
      return launch(uint16_t{});
    case 4:
      return launch(uint32_t{});
    default:
      return launch(uint64_t{});
    }
  });
}

int braid_rt_cuda_scatter(braid_rt_scatter_kind kind, braid_rt_elem type,
                          int64_t outer, int64_t axis_size, int64_t inner,
                          int64_t num_indices, const void *updates,
                          const void *indices, braid_rt_elem index_type,
                          const void *dest, void *out, void *stream) {
  constexpr const char *op = "braid.scatter";
  if (kind != BRAID_RT_SCATTER_REPLACE && kind != BRAID_RT_SCATTER_ADD)
    return invalid(op, "unknown scatter kind ", static_cast<int>(kind));
  if (kind == BRAID_RT_SCATTER_ADD && type == BRAID_RT_ELEM_I1)
    return invalid(op, "kind 'add' is not defined on i1");
  if (braid_rt_kernel_status status =
          checkIndexing(op, outer, axis_size, inner, num_indices))
    return status;
  int64_t destElements = outer * axis_size * inner;
  if (destElements == 0)
    return BRAID_RT_KERNEL_OK;
  if (!dest || !out ||
      (outer * num_indices * inner > 0 && (!updates || !indices)))
    return invalid(op, "a tensor pointer is null");
  return dispatchIndex(op, "indices", index_type, [&](auto indexTag) {
    using I = decltype(indexTag);
    return dispatchCudaNumeric(op, "the element type", type, [&](auto tag) {
      using T = DeviceTypeOf<decltype(tag)>;
      cudaStream_t s = streamOf(stream);
      if (out != dest)
        cudaMemcpyAsync(out, dest, sizeof(T) * destElements,
                        cudaMemcpyDeviceToDevice, s);
      int64_t columns = outer * inner;
      if (columns > 0 && num_indices > 0)
        scatterKernel<T, I><<<gridFor(columns, kThreads), kThreads, 0, s>>>(
            kind == BRAID_RT_SCATTER_ADD, outer, axis_size, inner, num_indices,
            static_cast<const T *>(updates), static_cast<const I *>(indices),
            static_cast<T *>(out));
      return checkLaunch(op);
    });
  });
}

} // extern "C"
