//===- Attention.cu - CUDA entry point of braid.attention -----------------===//

#include "CudaSupport.h"
#include "braid_rt/kernels/cuda/AttentionKernels.cuh"

using namespace braid_rt::kernels;
using namespace braid_rt::kernels::cuda;

extern "C" int braid_rt_cuda_attention(const braid_rt_attention_desc *desc,
                                       const void *q, const void *k,
                                       const void *v, const void *mask,
                                       void *out, void *stream) {
  constexpr const char *op = "braid.attention";
  double scale;
  if (braid_rt_kernel_status status =
          checkAttention(op, desc, mask != nullptr, scale))
    return status;
  int64_t rows = desc->batch * desc->heads * desc->q_len;
  if (rows == 0 || desc->v_head_dim == 0)
    return BRAID_RT_KERNEL_OK;
  if (!out || ((desc->kv_len > 0 || desc->head_dim > 0) && (!q || !k || !v)))
    return invalid(op, "a tensor pointer is null");
  size_t sharedBytes = sizeof(float) * desc->v_head_dim;
  if (sharedBytes > 48 * 1024)
    return fail(BRAID_RT_KERNEL_UNAVAILABLE, op,
                concat("a value head dimension of ", desc->v_head_dim,
                       " exceeds the kernel's 12288"));
  AttentionShape shape{desc->batch,      desc->heads,       desc->kv_heads,
                       desc->q_len,      desc->kv_len,      desc->head_dim,
                       desc->v_head_dim, desc->causal != 0, scale,
                       {0, 0, 0, 0}};
  if (mask) {
    int64_t stride = 1;
    for (int dim = 3; dim >= 0; --dim) {
      shape.maskStride[dim] = desc->mask_shape[dim] == 1 ? 0 : stride;
      stride *= desc->mask_shape[dim];
    }
  }
  return dispatchCudaFloat(op, "the element type", desc->type, [&](auto tag) {
    using T = DeviceTypeOf<decltype(tag)>;
    auto launch = [&](auto *typedMask) {
      using M = std::remove_const_t<std::remove_pointer_t<decltype(typedMask)>>;
      attentionKernel<T, M><<<gridForRows(rows), kAttentionThreads, sharedBytes,
                              streamOf(stream)>>>(
          shape, static_cast<const T *>(q), static_cast<const T *>(k),
          static_cast<const T *>(v), typedMask, static_cast<T *>(out));
      return checkLaunch(op);
    };
    if (!mask)
      return launch(static_cast<const float *>(nullptr));
    return dispatchCudaFloat(op, "the mask type", desc->mask_type,
                             [&](auto maskTag) {
                               using M = DeviceTypeOf<decltype(maskTag)>;
                               return launch(static_cast<const M *>(mask));
                             });
  });
}
