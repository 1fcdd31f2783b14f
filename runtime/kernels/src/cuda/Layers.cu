//===- Layers.cu - CUDA entry points of the norms, activations, softmax ---===//

#include "CudaSupport.h"
#include "braid_rt/kernels/cuda/LayerKernels.cuh"

using namespace braid_rt::kernels;
using namespace braid_rt::kernels::cuda;

namespace {
constexpr int kRowThreads = 256;
constexpr int kElementThreads = 256;
} // namespace

extern "C" {

int braid_rt_cuda_rmsnorm(braid_rt_elem type, int64_t rows, int64_t width,
                          const void *x, const void *weight, float epsilon,
                          void *y, void *stream) {
  constexpr const char *op = "braid.rmsnorm";
  if (braid_rt_kernel_status status = checkRows(op, rows, width, epsilon))
    return status;
  if (rows * width > 0 && (!x || !weight || !y))
    return invalid(op, "a tensor pointer is null");
  return dispatchCudaFloat(op, "the element type", type, [&](auto tag) {
    using T = DeviceTypeOf<decltype(tag)>;
    if (rows * width == 0)
      return BRAID_RT_KERNEL_OK;
    rmsnormKernel<T><<<gridForRows(rows), kRowThreads, 0, streamOf(stream)>>>(
        rows, width, static_cast<const T *>(x), static_cast<const T *>(weight),
        epsilon, static_cast<T *>(y));
    return checkLaunch(op);
  });
}

int braid_rt_cuda_layernorm(braid_rt_elem type, int64_t rows, int64_t width,
                            const void *x, const void *gamma, const void *beta,
                            float epsilon, void *y, void *stream) {
  constexpr const char *op = "braid.layernorm";
  if (braid_rt_kernel_status status = checkRows(op, rows, width, epsilon))
    return status;
  if (rows * width > 0 && (!x || !gamma || !beta || !y))
    return invalid(op, "a tensor pointer is null");
  return dispatchCudaFloat(op, "the element type", type, [&](auto tag) {
    using T = DeviceTypeOf<decltype(tag)>;
    if (rows * width == 0)
      return BRAID_RT_KERNEL_OK;
    layernormKernel<T><<<gridForRows(rows), kRowThreads, 0, streamOf(stream)>>>(
        rows, width, static_cast<const T *>(x), static_cast<const T *>(gamma),
        static_cast<const T *>(beta), epsilon, static_cast<T *>(y));
    return checkLaunch(op);
  });
}

int braid_rt_cuda_activation(braid_rt_activation kind, braid_rt_elem type,
                             int64_t n, const void *x, void *y, void *stream) {
  constexpr const char *op = "braid.activation";
  if (braid_rt_kernel_status status = checkActivationKind(op, kind))
    return status;
  if (braid_rt_kernel_status status = checkSizes(op, {{"n", n}}))
    return status;
  if (n > 0 && (!x || !y))
    return invalid(op, "a tensor pointer is null");
  return dispatchCudaFloat(op, "the element type", type, [&](auto tag) {
    using T = DeviceTypeOf<decltype(tag)>;
    if (n == 0)
      return BRAID_RT_KERNEL_OK;
    activationKernel<T>
        <<<gridFor(n, kElementThreads), kElementThreads, 0, streamOf(stream)>>>(
            kind, n, static_cast<const T *>(x), static_cast<T *>(y));
    return checkLaunch(op);
  });
}

int braid_rt_cuda_swiglu(braid_rt_elem type, int64_t n, const void *gate,
                         const void *up, void *y, void *stream) {
  constexpr const char *op = "braid.swiglu";
  if (braid_rt_kernel_status status = checkSizes(op, {{"n", n}}))
    return status;
  if (n > 0 && (!gate || !up || !y))
    return invalid(op, "a tensor pointer is null");
  return dispatchCudaFloat(op, "the element type", type, [&](auto tag) {
    using T = DeviceTypeOf<decltype(tag)>;
    if (n == 0)
      return BRAID_RT_KERNEL_OK;
    swigluKernel<T>
        <<<gridFor(n, kElementThreads), kElementThreads, 0, streamOf(stream)>>>(
            n, static_cast<const T *>(gate), static_cast<const T *>(up),
            static_cast<T *>(y));
    return checkLaunch(op);
  });
}

int braid_rt_cuda_softmax(braid_rt_elem type, int64_t outer, int64_t extent,
                          int64_t inner, const void *x, void *y, void *stream) {
  constexpr const char *op = "linalg.softmax";
  if (braid_rt_kernel_status status =
          checkSoftmaxShape(op, outer, extent, inner))
    return status;
  int64_t elements = outer * extent * inner;
  if (elements > 0 && (!x || !y))
    return invalid(op, "a tensor pointer is null");
  return dispatchCudaFloat(op, "the element type", type, [&](auto tag) {
    using T = DeviceTypeOf<decltype(tag)>;
    if (elements == 0)
      return BRAID_RT_KERNEL_OK;
    auto *in = static_cast<const T *>(x);
    auto *out = static_cast<T *>(y);
    if (inner == 1)
      softmaxRowsKernel<T>
          <<<gridForRows(outer), kRowThreads, 0, streamOf(stream)>>>(
              outer, extent, in, out);
    else
      softmaxColumnsKernel<T>
          <<<gridFor(outer * inner, kElementThreads), kElementThreads, 0,
             streamOf(stream)>>>(outer, extent, inner, in, out);
    return checkLaunch(op);
  });
}

} // extern "C"
