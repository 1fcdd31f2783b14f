//===- Common.cuh - device element types and block reductions ---*- CUDA
//-*-===//
//
// Shared by the templated CUDA kernels (and usable by emitted element-wise
// functors): the device type of each element type, f32 loads and nearest-
// even stores, and block-wide reductions. Values are combined in f32, as in
// the interpreter; the kernels are compiled with --fmad=false so products
// and sums round separately.
//
//===----------------------------------------------------------------------===//

#ifndef BRAID_RT_KERNELS_CUDA_COMMON_CUH
#define BRAID_RT_KERNELS_CUDA_COMMON_CUH

#include "braid_rt/kernels/Float.h"

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cstdint>
#include <type_traits>

namespace braid_rt::kernels::cuda {

/// The device type of a host element type (bf16 -> __nv_bfloat16, ...).
template <typename T> struct DeviceType { using type = T; };
template <> struct DeviceType<bf16> { using type = __nv_bfloat16; };
template <> struct DeviceType<f16> { using type = __half; };
template <typename T> using DeviceTypeOf = typename DeviceType<T>::type;

template <typename T>
inline constexpr bool kIsDeviceFloat =
    std::is_same_v<T, float> || std::is_same_v<T, __nv_bfloat16> ||
    std::is_same_v<T, __half>;

__device__ __forceinline__ float toF32(float x) { return x; }
__device__ __forceinline__ float toF32(__nv_bfloat16 x) {
  return __bfloat162float(x);
}
__device__ __forceinline__ float toF32(__half x) { return __half2float(x); }

/// `x` rounded to T, nearest even.
template <typename T> __device__ __forceinline__ T fromF32(float x) {
  if constexpr (std::is_same_v<T, __nv_bfloat16>)
    return __float2bfloat16_rn(x);
  else if constexpr (std::is_same_v<T, __half>)
    return __float2half_rn(x);
  else
    return x;
}

/// The interpreter's order: NaN above every number; integers as integers.
template <typename T> __device__ __forceinline__ bool lessThan(T a, T b) {
  if constexpr (kIsDeviceFloat<T>) {
    float x = toF32(a), y = toF32(b);
    if (isnan(x) || isnan(y))
      return !isnan(x) && isnan(y);
    return x < y;
  } else {
    return a < b;
  }
}

constexpr int kWarp = 32;

__device__ __forceinline__ float warpSum(float value) {
  for (int offset = kWarp / 2; offset > 0; offset /= 2)
    value += __shfl_xor_sync(0xffffffffu, value, offset);
  return value;
}

/// fmaxf ignores NaN, as std::fmax does in the interpreter's maxima.
__device__ __forceinline__ float warpMax(float value) {
  for (int offset = kWarp / 2; offset > 0; offset /= 2)
    value = fmaxf(value, __shfl_xor_sync(0xffffffffu, value, offset));
  return value;
}

/// Sum over the block (blockDim.x a multiple of 32, at most 1024); every
/// thread gets the result. `scratch` holds 32 floats.
__device__ __forceinline__ float blockSum(float value, float *scratch) {
  int lane = threadIdx.x % kWarp, warp = threadIdx.x / kWarp;
  value = warpSum(value);
  __syncthreads();
  if (lane == 0)
    scratch[warp] = value;
  __syncthreads();
  int warps = blockDim.x / kWarp;
  value = lane < warps ? scratch[lane] : 0.0f;
  return warpSum(value);
}

__device__ __forceinline__ float blockMax(float value, float *scratch) {
  int lane = threadIdx.x % kWarp, warp = threadIdx.x / kWarp;
  value = warpMax(value);
  __syncthreads();
  if (lane == 0)
    scratch[warp] = value;
  __syncthreads();
  int warps = blockDim.x / kWarp;
  value = lane < warps ? scratch[lane] : -INFINITY;
  return warpMax(value);
}

} // namespace braid_rt::kernels::cuda

#endif // BRAID_RT_KERNELS_CUDA_COMMON_CUH
