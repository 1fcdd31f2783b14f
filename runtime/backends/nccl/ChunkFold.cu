//===- ChunkFold.cu - the NCCL engine's reduction of two chunks -----------===//
//
// A grid-stride elementwise kernel; each element is computed by the same
// inline functions as the MPI engine's reduceInOrder (ElementOps.h): f16 and
// bf16 are widened to f32, combined and rounded back to nearest even, the
// others combined in their own type. One operation per element, so no
// contraction can change a rounding.
//
//===----------------------------------------------------------------------===//

#include "ChunkFold.h"

#include "../../src/ElementOps.h"

#include <algorithm>
#include <cstdint>

namespace braid_rt {
namespace {

constexpr int kThreads = 256;

template <typename T>
__global__ void foldNative(T *dst, const T *received, const T *own,
                           size_t count, ReduceOp op) {
  for (size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x; i < count;
       i += size_t(gridDim.x) * blockDim.x) {
    if constexpr (std::is_floating_point_v<T>)
      dst[i] = elements::combineFloat(received[i], own[i], op);
    else
      dst[i] = elements::combineInt(received[i], own[i], op);
  }
}

template <bool Bf16>
__global__ void foldHalf(uint16_t *dst, const uint16_t *received,
                         const uint16_t *own, size_t count, ReduceOp op) {
  for (size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x; i < count;
       i += size_t(gridDim.x) * blockDim.x) {
    float a = Bf16 ? elements::bf16ToFloat(received[i])
                   : elements::halfToFloat(received[i]);
    float b = Bf16 ? elements::bf16ToFloat(own[i])
                   : elements::halfToFloat(own[i]);
    float sum = elements::combineFloat(a, b, op);
    dst[i] = Bf16 ? elements::floatToBf16(sum) : elements::floatToHalf(sum);
  }
}

template <typename T>
cudaError_t launchNative(void *dst, const void *received, const void *own,
                         size_t count, ReduceOp op, unsigned blocks,
                         cudaStream_t stream) {
  foldNative<T><<<blocks, kThreads, 0, stream>>>(
      static_cast<T *>(dst), static_cast<const T *>(received),
      static_cast<const T *>(own), count, op);
  return cudaGetLastError();
}

template <bool Bf16>
cudaError_t launchHalf(void *dst, const void *received, const void *own,
                       size_t count, ReduceOp op, unsigned blocks,
                       cudaStream_t stream) {
  foldHalf<Bf16><<<blocks, kThreads, 0, stream>>>(
      static_cast<uint16_t *>(dst), static_cast<const uint16_t *>(received),
      static_cast<const uint16_t *>(own), count, op);
  return cudaGetLastError();
}

} // namespace

cudaError_t enqueueChunkFold(void *dst, const void *received, const void *own,
                             size_t count, DType dtype, ReduceOp op,
                             cudaStream_t stream) {
  if (count == 0)
    return cudaSuccess;
  // A few waves of blocks; the grid-stride loop covers the rest.
  size_t wanted = (count + kThreads - 1) / kThreads;
  unsigned blocks = static_cast<unsigned>(std::min<size_t>(wanted, 4096));
  switch (dtype) {
  case DType::F64:
    return launchNative<double>(dst, received, own, count, op, blocks, stream);
  case DType::F32:
    return launchNative<float>(dst, received, own, count, op, blocks, stream);
  case DType::F16:
    return launchHalf<false>(dst, received, own, count, op, blocks, stream);
  case DType::BF16:
    return launchHalf<true>(dst, received, own, count, op, blocks, stream);
  case DType::I64:
    return launchNative<int64_t>(dst, received, own, count, op, blocks,
                                 stream);
  case DType::I32:
    return launchNative<int32_t>(dst, received, own, count, op, blocks,
                                 stream);
  case DType::I8:
    return launchNative<int8_t>(dst, received, own, count, op, blocks, stream);
  }
  return cudaErrorInvalidValue;
}

} // namespace braid_rt
