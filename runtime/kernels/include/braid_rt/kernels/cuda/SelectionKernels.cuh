//===- SelectionKernels.cuh - top-k, sort, gather, scatter on CUDA -*- CUDA
//-*-===//
//
// Top-k and sort compute each entry's rank in the stable order (one block
// per row, O(width^2 / threads) comparisons: meant for expert counts and
// short rows, not vocabulary-sized ones). Gather copies elements by size;
// scatter gives each (outer, inner) column to one thread, which applies the
// slices in increasing index order as the interpreter does. The results are
// bitwise the interpreter's.
//
//===----------------------------------------------------------------------===//

#ifndef BRAID_RT_KERNELS_CUDA_SELECTIONKERNELS_CUH
#define BRAID_RT_KERNELS_CUDA_SELECTIONKERNELS_CUH

#include "braid_rt/kernels/cuda/Common.cuh"

namespace braid_rt::kernels::cuda {

/// The first `keep` entries of each row in stable order (descending: larger
/// first; ascending: smaller first; NaN above every number; ties to the
/// lower index), with their source indices.
template <typename T, typename I>
__global__ void selectKernel(int64_t rows, int64_t width, int64_t keep,
                             bool descending, const T *input, T *values,
                             I *indices) {
  for (int64_t row = blockIdx.x; row < rows; row += gridDim.x) {
    const T *x = input + row * width;
    for (int64_t i = threadIdx.x; i < width; i += blockDim.x) {
      T value = x[i];
      int64_t rank = 0;
      for (int64_t m = 0; m < width; ++m) {
        T other = x[m];
        bool above = lessThan(value, other), below = lessThan(other, value);
        rank += (descending ? above : below) || (m < i && !above && !below);
      }
      if (rank < keep) {
        values[row * keep + rank] = value;
        indices[row * keep + rank] = static_cast<I>(i);
      }
    }
  }
}

template <typename E, typename I>
__global__ void gatherKernel(int64_t outer, int64_t axisSize, int64_t inner,
                             const E *source, int64_t numIndices,
                             const I *indices, E *out) {
  int64_t elements = outer * numIndices * inner;
  for (int64_t at = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x;
       at < elements; at += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    int64_t c = at % inner, n = (at / inner) % numIndices,
            o = at / (inner * numIndices);
    int64_t index = static_cast<int64_t>(indices[n]);
    if (index < 0 || index >= axisSize)
      continue;
    out[at] = source[(o * axisSize + index) * inner + c];
  }
}

template <typename T> __device__ __forceinline__ T addElements(T a, T b) {
  if constexpr (kIsDeviceFloat<T>) {
    // f32 is wide enough that rounding the f32 sum of two bf16/f16 values
    // to bf16/f16 equals rounding the exact sum once.
    return fromF32<T>(toF32(a) + toF32(b));
  } else {
    using U = std::make_unsigned_t<T>;
    return static_cast<T>(
        static_cast<U>(static_cast<U>(a) + static_cast<U>(b)));
  }
}

template <typename T, typename I>
__global__ void scatterKernel(bool add, int64_t outer, int64_t axisSize,
                              int64_t inner, int64_t numIndices,
                              const T *updates, const I *indices, T *out) {
  int64_t columns = outer * inner;
  for (int64_t column =
           blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x;
       column < columns;
       column += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    int64_t o = column / inner, c = column % inner;
    for (int64_t slice = 0; slice < numIndices; ++slice) {
      int64_t index = static_cast<int64_t>(indices[slice]);
      if (index < 0 || index >= axisSize)
        continue;
      T &target = out[(o * axisSize + index) * inner + c];
      T update = updates[(o * numIndices + slice) * inner + c];
      target = add ? addElements(target, update) : update;
    }
  }
}

} // namespace braid_rt::kernels::cuda

#endif // BRAID_RT_KERNELS_CUDA_SELECTIONKERNELS_CUH
