//===- RoutingKernels.cuh - grouped matmul and MoE routing on CUDA -*- CUDA
//-*-===//
//
// The grouped matmul and moe_unpermute sum in the interpreter's order in
// f32, one thread per output element, so they are bitwise the interpreter's
// (the grouped matmul is a plain SIMT loop: correct, not fast; it needs no
// group sizes on the host). moe_permute is a stable counting sort (a
// histogram, then one block per expert placing its pairs in pair order).
// moe_gate ranks the experts of a token by counting, with the interpreter's
// tie and NaN rules. Out-of-range data (group sizes, expert ids, row-map
// entries) cannot be reported from the device: such entries are skipped.
//
//===----------------------------------------------------------------------===//

#ifndef BRAID_RT_KERNELS_CUDA_ROUTINGKERNELS_CUH
#define BRAID_RT_KERNELS_CUDA_ROUTINGKERNELS_CUH

#include "braid_rt/kernels/cuda/Common.cuh"

namespace braid_rt::kernels::cuda {

/// Rows [rowBegin, rowEnd) of the grouped matmul; the others are not
/// written. A row's expert comes from the device-side group sizes (their
/// running sum), so each row is computed exactly as in the whole call
/// whatever range it is part of (producer fusion's row blocks).
template <typename T, typename TO, typename I>
__global__ void groupedMatmulKernel(int64_t rowBegin, int64_t rowEnd,
                                    int64_t depth, int64_t cols,
                                    int64_t experts, const T *lhs, const T *rhs,
                                    const I *groupSizes, TO *out) {
  for (int64_t row = rowBegin + blockIdx.y * static_cast<int64_t>(blockDim.y) +
                     threadIdx.y;
       row < rowEnd; row += static_cast<int64_t>(gridDim.y) * blockDim.y) {
    int64_t expert = -1, start = 0;
    for (int64_t e = 0; e < experts; ++e) {
      int64_t count = max(static_cast<int64_t>(groupSizes[e]), int64_t{0});
      if (row < start + count) {
        expert = e;
        break;
      }
      start += count;
    }
    const T *a = lhs + row * depth;
    for (int64_t col =
             blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x;
         col < cols; col += static_cast<int64_t>(gridDim.x) * blockDim.x) {
      float acc = 0.0f;
      if (expert >= 0) {
        const T *b = rhs + expert * depth * cols + col;
        for (int64_t k = 0; k < depth; ++k)
          acc += toF32(a[k]) * toF32(b[k * cols]);
      }
      out[row * cols + col] = fromF32<TO>(acc);
    }
  }
}

/// Dynamic shared memory: (num_experts + k) floats.
template <typename T, typename I>
__global__ void moeGateKernel(int64_t tokens, int64_t numExperts, int64_t k,
                              bool normalize, const T *logits, T *weights,
                              I *experts) {
  __shared__ float scratch[kWarp];
  __shared__ float total;
  extern __shared__ float shared[];
  float *probabilities = shared;
  float *selected = shared + numExperts;
  for (int64_t t = blockIdx.x; t < tokens; t += gridDim.x) {
    const T *row = logits + t * numExperts;
    float maximum = -INFINITY;
    for (int64_t j = threadIdx.x; j < numExperts; j += blockDim.x)
      maximum = fmaxf(maximum, toF32(row[j]));
    maximum = blockMax(maximum, scratch);
    float sum = 0.0f;
    for (int64_t j = threadIdx.x; j < numExperts; j += blockDim.x) {
      probabilities[j] = expf(toF32(row[j]) - maximum);
      sum += probabilities[j];
    }
    sum = blockSum(sum, scratch);
    for (int64_t j = threadIdx.x; j < numExperts; j += blockDim.x)
      probabilities[j] = probabilities[j] / sum;
    __syncthreads();
    // The rank of expert j in the stable descending order.
    for (int64_t j = threadIdx.x; j < numExperts; j += blockDim.x) {
      float p = probabilities[j];
      int64_t rank = 0;
      for (int64_t m = 0; m < numExperts; ++m) {
        float other = probabilities[m];
        rank += lessThan(p, other) || (m < j && !lessThan(other, p));
      }
      if (rank < k) {
        selected[rank] = p;
        experts[t * k + rank] = static_cast<I>(j);
      }
    }
    __syncthreads();
    if (threadIdx.x == 0) {
      float chosen = 0.0f;
      for (int64_t r = 0; r < k; ++r)
        chosen += selected[r];
      total = chosen;
    }
    __syncthreads();
    for (int64_t r = threadIdx.x; r < k; r += blockDim.x)
      weights[t * k + r] =
          fromF32<T>(normalize ? selected[r] / total : selected[r]);
    __syncthreads();
  }
}

/// group_sizes[e] += pairs routed to e (group_sizes zeroed before).
template <typename IE, typename IS>
__global__ void countExpertsKernel(int64_t pairs, int64_t numExperts,
                                   const IE *experts, IS *groupSizes) {
  for (int64_t p = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x;
       p < pairs; p += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    int64_t e = static_cast<int64_t>(experts[p]);
    if (e < 0 || e >= numExperts)
      continue;
    if constexpr (sizeof(IS) == 8)
      atomicAdd(reinterpret_cast<unsigned long long *>(groupSizes + e), 1ull);
    else
      atomicAdd(reinterpret_cast<unsigned int *>(groupSizes + e), 1u);
  }
}

/// One block per expert: row_map[p] for its pairs, in pair order.
template <typename IE, typename IS, typename IM>
__global__ void placePairsKernel(int64_t pairs, int64_t numExperts,
                                 const IE *experts, const IS *groupSizes,
                                 IM *rowMap) {
  __shared__ int64_t warpCounts[kWarp];
  __shared__ int64_t base;
  int lane = threadIdx.x % kWarp, warp = threadIdx.x / kWarp;
  int warps = blockDim.x / kWarp;
  for (int64_t e = blockIdx.x; e < numExperts; e += gridDim.x) {
    if (threadIdx.x == 0) {
      int64_t offset = 0;
      for (int64_t other = 0; other < e; ++other)
        offset += static_cast<int64_t>(groupSizes[other]);
      base = offset;
    }
    __syncthreads();
    for (int64_t chunk = 0; chunk < pairs; chunk += blockDim.x) {
      int64_t p = chunk + threadIdx.x;
      bool mine = p < pairs && static_cast<int64_t>(experts[p]) == e;
      unsigned ballot = __ballot_sync(0xffffffffu, mine);
      if (lane == 0)
        warpCounts[warp] = __popc(ballot);
      __syncthreads();
      int64_t before = base;
      for (int w = 0; w < warp; ++w)
        before += warpCounts[w];
      before += __popc(ballot & ((1u << lane) - 1u));
      if (mine)
        rowMap[p] = static_cast<IM>(before);
      __syncthreads();
      if (threadIdx.x == 0)
        for (int w = 0; w < warps; ++w)
          base += warpCounts[w];
      __syncthreads();
    }
  }
}

/// permuted[row_map[p]] = input[p / k], elements of type E (by size).
template <typename E, typename IM>
__global__ void copyPermutedRowsKernel(int64_t pairs, int64_t k, int64_t hidden,
                                       const E *input, const IM *rowMap,
                                       E *permuted) {
  for (int64_t p = blockIdx.x; p < pairs; p += gridDim.x) {
    int64_t row = static_cast<int64_t>(rowMap[p]);
    if (row < 0 || row >= pairs)
      continue;
    const E *from = input + (p / k) * hidden;
    E *to = permuted + row * hidden;
    for (int64_t c = threadIdx.x; c < hidden; c += blockDim.x)
      to[c] = from[c];
  }
}

template <typename T, typename W, typename I>
__global__ void moeUnpermuteKernel(int64_t tokens, int64_t k, int64_t hidden,
                                   int64_t rows, const T *input,
                                   const I *rowMap, const W *weights, T *out) {
  int64_t elements = tokens * hidden;
  for (int64_t at = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x;
       at < elements; at += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    int64_t t = at / hidden, c = at % hidden;
    float acc = 0.0f;
    for (int64_t j = 0; j < k; ++j) {
      int64_t row = static_cast<int64_t>(rowMap[t * k + j]);
      if (row < 0 || row >= rows)
        continue;
      acc += toF32(weights[t * k + j]) * toF32(input[row * hidden + c]);
    }
    out[at] = fromF32<T>(acc);
  }
}

} // namespace braid_rt::kernels::cuda

#endif // BRAID_RT_KERNELS_CUDA_ROUTINGKERNELS_CUH
