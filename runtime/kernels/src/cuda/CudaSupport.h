//===- CudaSupport.h - host side of the CUDA entry points -------*- C++ -*-===//

#ifndef BRAID_RT_KERNELS_SRC_CUDA_CUDASUPPORT_H
#define BRAID_RT_KERNELS_SRC_CUDA_CUDASUPPORT_H

#include "../Support.h"

#include <cuda_runtime.h>

#include <algorithm>

namespace braid_rt::kernels::cuda {

inline cudaStream_t streamOf(void *stream) {
  return static_cast<cudaStream_t>(stream);
}

/// The status of the launch just made on this thread.
inline braid_rt_kernel_status checkLaunch(const char *op) {
  cudaError_t error = cudaGetLastError();
  if (error == cudaSuccess)
    return BRAID_RT_KERNEL_OK;
  return fail(BRAID_RT_KERNEL_INTERNAL, op,
              concat("kernel launch failed: ", cudaGetErrorString(error)));
}

/// Blocks for a grid-stride loop over `work` items.
inline unsigned gridFor(int64_t work, int threads) {
  int64_t blocks = (work + threads - 1) / threads;
  return static_cast<unsigned>(std::clamp<int64_t>(blocks, 1, 1 << 20));
}

/// Blocks for one block per row (a grid-stride loop past 2^31 - 1 rows).
inline unsigned gridForRows(int64_t rows) {
  return static_cast<unsigned>(std::clamp<int64_t>(rows, 1, 0x7fffffff));
}

/// dispatchFloat for the types the CUDA kernels take: f32, bf16, f16.
template <typename Fn>
braid_rt_kernel_status dispatchCudaFloat(const char *op, const char *what,
                                         braid_rt_elem type, Fn &&fn) {
  switch (type) {
  case BRAID_RT_ELEM_F32:
    return fn(float{});
  case BRAID_RT_ELEM_BF16:
    return fn(bf16{});
  case BRAID_RT_ELEM_F16:
    return fn(f16{});
  case BRAID_RT_ELEM_F64:
    return fail(BRAID_RT_KERNEL_UNAVAILABLE, op,
                concat(what, " f64 is not supported by the CUDA kernels"));
  default:
    return invalid(op, what, " must be f32, bf16 or f16, not ",
                   braid_rt_elem_name(type));
  }
}

/// As dispatchCudaFloat, plus the integer types (i1 as uint8_t).
template <typename Fn>
braid_rt_kernel_status dispatchCudaNumeric(const char *op, const char *what,
                                           braid_rt_elem type, Fn &&fn) {
  switch (type) {
  case BRAID_RT_ELEM_I1:
    return fn(uint8_t{});
  case BRAID_RT_ELEM_I8:
    return fn(int8_t{});
  case BRAID_RT_ELEM_I16:
    return fn(int16_t{});
  case BRAID_RT_ELEM_I32:
    return fn(int32_t{});
  case BRAID_RT_ELEM_I64:
    return fn(int64_t{});
  default:
    return dispatchCudaFloat(op, what, type, std::forward<Fn>(fn));
  }
}

} // namespace braid_rt::kernels::cuda

#endif // BRAID_RT_KERNELS_SRC_CUDA_CUDASUPPORT_H
