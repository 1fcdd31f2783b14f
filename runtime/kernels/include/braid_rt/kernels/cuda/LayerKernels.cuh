//===- LayerKernels.cuh - norms, activations and softmax on CUDA -*- CUDA
//-*-===//
//
// Templated on the device element type T (float, __nv_bfloat16, __half).
// Row statistics use one block per row: each thread sums its strided
// elements in order, then the block combines the partial sums (a different
// order from the interpreter's sequential sum; docs/Kernels.md states the
// tolerance). Element-wise math is the interpreter's expression in f32 with
// CUDA's single-precision transcendentals.
//
//===----------------------------------------------------------------------===//

#ifndef BRAID_RT_KERNELS_CUDA_LAYERKERNELS_CUH
#define BRAID_RT_KERNELS_CUDA_LAYERKERNELS_CUH

#include "braid_rt/kernels.h"
#include "braid_rt/kernels/cuda/Common.cuh"

namespace braid_rt::kernels::cuda {

__device__ __forceinline__ float activate(braid_rt_activation kind, float x) {
  switch (kind) {
  case BRAID_RT_ACTIVATION_RELU:
    return x > 0.0f ? x : 0.0f;
  case BRAID_RT_ACTIVATION_SIGMOID:
    return 1.0f / (1.0f + expf(-x));
  case BRAID_RT_ACTIVATION_SILU:
    return x / (1.0f + expf(-x));
  case BRAID_RT_ACTIVATION_GELU:
    return (0.5f * x) * (1.0f + erff(x * 0.70710678118654752f));
  case BRAID_RT_ACTIVATION_GELU_TANH: {
    float inner = 0.7978845608028654f * (x + 0.044715f * (x * (x * x)));
    return (0.5f * x) * (1.0f + tanhf(inner));
  }
  }
  return NAN;
}

template <typename T>
__global__ void rmsnormKernel(int64_t rows, int64_t width, const T *x,
                              const T *weight, float epsilon, T *y) {
  __shared__ float scratch[kWarp];
  for (int64_t row = blockIdx.x; row < rows; row += gridDim.x) {
    const T *in = x + row * width;
    T *out = y + row * width;
    float sumSquares = 0.0f;
    for (int64_t j = threadIdx.x; j < width; j += blockDim.x) {
      float value = toF32(in[j]);
      sumSquares += value * value;
    }
    sumSquares = blockSum(sumSquares, scratch);
    float inverse =
        1.0f / sqrtf(sumSquares / static_cast<float>(width) + epsilon);
    for (int64_t j = threadIdx.x; j < width; j += blockDim.x)
      out[j] = fromF32<T>(toF32(in[j]) * inverse * toF32(weight[j]));
  }
}

template <typename T>
__global__ void layernormKernel(int64_t rows, int64_t width, const T *x,
                                const T *gamma, const T *beta, float epsilon,
                                T *y) {
  __shared__ float scratch[kWarp];
  float count = static_cast<float>(width);
  for (int64_t row = blockIdx.x; row < rows; row += gridDim.x) {
    const T *in = x + row * width;
    T *out = y + row * width;
    float sum = 0.0f;
    for (int64_t j = threadIdx.x; j < width; j += blockDim.x)
      sum += toF32(in[j]);
    float mean = blockSum(sum, scratch) / count;
    float sumSquares = 0.0f;
    for (int64_t j = threadIdx.x; j < width; j += blockDim.x) {
      float deviation = toF32(in[j]) - mean;
      sumSquares += deviation * deviation;
    }
    sumSquares = blockSum(sumSquares, scratch);
    float inverse = 1.0f / sqrtf(sumSquares / count + epsilon);
    for (int64_t j = threadIdx.x; j < width; j += blockDim.x) {
      float normalized = (toF32(in[j]) - mean) * inverse;
      out[j] = fromF32<T>(normalized * toF32(gamma[j]) + toF32(beta[j]));
    }
  }
}

template <typename T>
__global__ void activationKernel(braid_rt_activation kind, int64_t n,
                                 const T *x, T *y) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x;
       i < n; i += static_cast<int64_t>(gridDim.x) * blockDim.x)
    y[i] = fromF32<T>(activate(kind, toF32(x[i])));
}

template <typename T>
__global__ void swigluKernel(int64_t n, const T *gate, const T *up, T *y) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x;
       i < n; i += static_cast<int64_t>(gridDim.x) * blockDim.x)
    y[i] = fromF32<T>(activate(BRAID_RT_ACTIVATION_SILU, toF32(gate[i])) *
                      toF32(up[i]));
}

/// Softmax over contiguous rows (inner == 1): one block per row.
template <typename T>
__global__ void softmaxRowsKernel(int64_t rows, int64_t extent, const T *x,
                                  T *y) {
  __shared__ float scratch[kWarp];
  for (int64_t row = blockIdx.x; row < rows; row += gridDim.x) {
    const T *in = x + row * extent;
    T *out = y + row * extent;
    float maximum = -INFINITY;
    for (int64_t j = threadIdx.x; j < extent; j += blockDim.x)
      maximum = fmaxf(maximum, toF32(in[j]));
    maximum = blockMax(maximum, scratch);
    float sum = 0.0f;
    for (int64_t j = threadIdx.x; j < extent; j += blockDim.x)
      sum += expf(toF32(in[j]) - maximum);
    sum = blockSum(sum, scratch);
    for (int64_t j = threadIdx.x; j < extent; j += blockDim.x)
      out[j] = fromF32<T>(expf(toF32(in[j]) - maximum) / sum);
  }
}

/// Softmax over a strided dimension: one thread per (outer, inner) column,
/// summing in the interpreter's order.
template <typename T>
__global__ void softmaxColumnsKernel(int64_t outer, int64_t extent,
                                     int64_t inner, const T *x, T *y) {
  int64_t columns = outer * inner;
  for (int64_t column =
           blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x;
       column < columns;
       column += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    int64_t o = column / inner, i = column % inner;
    const T *in = x + o * extent * inner + i;
    T *out = y + o * extent * inner + i;
    float maximum = -INFINITY;
    for (int64_t j = 0; j < extent; ++j)
      maximum = fmaxf(maximum, toF32(in[j * inner]));
    float sum = 0.0f;
    for (int64_t j = 0; j < extent; ++j)
      sum += expf(toF32(in[j * inner]) - maximum);
    for (int64_t j = 0; j < extent; ++j)
      out[j * inner] = fromF32<T>(expf(toF32(in[j * inner]) - maximum) / sum);
  }
}

} // namespace braid_rt::kernels::cuda

#endif // BRAID_RT_KERNELS_CUDA_LAYERKERNELS_CUH
