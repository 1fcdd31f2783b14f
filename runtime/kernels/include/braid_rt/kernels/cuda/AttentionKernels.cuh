//===- AttentionKernels.cuh - scaled dot-product attention on CUDA -*- CUDA
//-*-===//
//
// One block per query row. The scores are the interpreter's (sequential f32
// dot products over D, the scale applied in double and rounded, the mask
// added in f32); the maximum is a block reduction; the exponentials are
// summed, and the values weighted, in key order, one chunk of keys at a
// time. Only expf differs from the interpreter's rounded double exp.
//
// A reference-grade kernel: it reads K and V once per query row and uses no
// tensor cores (a FlashAttention-style kernel is future work).
//
//===----------------------------------------------------------------------===//

#ifndef BRAID_RT_KERNELS_CUDA_ATTENTIONKERNELS_CUH
#define BRAID_RT_KERNELS_CUDA_ATTENTIONKERNELS_CUH

#include "braid_rt/kernels/cuda/Common.cuh"

namespace braid_rt::kernels::cuda {

struct AttentionShape {
  int64_t batch, heads, kvHeads, qLen, kvLen, headDim, vHeadDim;
  bool causal;
  double scale;
  /// Element strides of the mask, 0 along its broadcast dimensions.
  int64_t maskStride[4];
};

constexpr int kAttentionThreads = 128;

/// Dynamic shared memory: v_head_dim floats of output accumulators.
template <typename T, typename M>
__global__ void attentionKernel(AttentionShape s, const T *q, const T *k,
                                const T *v, const M *mask, T *out) {
  __shared__ float scratch[kWarp];
  __shared__ float probabilities[kAttentionThreads];
  __shared__ float total;
  extern __shared__ float accumulators[];
  int64_t rows = s.batch * s.heads * s.qLen;
  int64_t group = s.heads / s.kvHeads;
  for (int64_t row = blockIdx.x; row < rows; row += gridDim.x) {
    int64_t i = row % s.qLen, h = (row / s.qLen) % s.heads,
            b = row / (s.qLen * s.heads);
    int64_t hk = h / group;
    const T *query = q + row * s.headDim;
    const T *keys = k + (b * s.kvHeads + hk) * s.kvLen * s.headDim;
    const T *values = v + (b * s.kvHeads + hk) * s.kvLen * s.vHeadDim;
    T *result = out + row * s.vHeadDim;
    int64_t visible = s.kvLen;
    if (s.causal)
      visible = min(max(i + (s.kvLen - s.qLen) + 1, int64_t{0}), s.kvLen);
    auto score = [&](int64_t j) {
      float dot = 0.0f;
      for (int64_t c = 0; c < s.headDim; ++c)
        dot += toF32(query[c]) * toF32(keys[j * s.headDim + c]);
      float scaled = static_cast<float>(static_cast<double>(dot) * s.scale);
      if (mask)
        scaled += toF32(mask[b * s.maskStride[0] + h * s.maskStride[1] +
                             i * s.maskStride[2] + j * s.maskStride[3]]);
      return scaled;
    };
    float maximum = -INFINITY;
    for (int64_t j = threadIdx.x; j < visible; j += blockDim.x)
      maximum = fmaxf(maximum, score(j));
    maximum = blockMax(maximum, scratch);
    for (int64_t c = threadIdx.x; c < s.vHeadDim; c += blockDim.x)
      accumulators[c] = 0.0f;
    float sum = 0.0f; // kept by thread 0
    for (int64_t chunk = 0; chunk < visible; chunk += blockDim.x) {
      int64_t j = chunk + threadIdx.x;
      probabilities[threadIdx.x] = j < visible ? expf(score(j) - maximum) : 0;
      __syncthreads();
      int64_t count = min(static_cast<int64_t>(blockDim.x), visible - chunk);
      if (threadIdx.x == 0)
        for (int64_t t = 0; t < count; ++t)
          sum += probabilities[t];
      for (int64_t c = threadIdx.x; c < s.vHeadDim; c += blockDim.x) {
        float acc = accumulators[c];
        for (int64_t t = 0; t < count; ++t)
          acc += probabilities[t] * toF32(values[(chunk + t) * s.vHeadDim + c]);
        accumulators[c] = acc;
      }
      __syncthreads();
    }
    if (threadIdx.x == 0)
      total = sum;
    __syncthreads();
    for (int64_t c = threadIdx.x; c < s.vHeadDim; c += blockDim.x)
      // A row with no visible key (Sq > Skv, causal) is zero.
      result[c] = fromF32<T>(visible ? accumulators[c] / total : 0.0f);
    __syncthreads();
  }
}

} // namespace braid_rt::kernels::cuda

#endif // BRAID_RT_KERNELS_CUDA_ATTENTIONKERNELS_CUH
