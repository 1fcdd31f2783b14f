//===- CudaUnavailable.cpp - the CUDA entry points in a CPU-only build ----===//
//
// A build without nvcc still links every braid_rt_cuda_* symbol, so host
// code compiled for either target links against one library; each call
// reports that CUDA is unavailable.
//
//===----------------------------------------------------------------------===//

#include "Support.h"

using namespace braid_rt::kernels;

namespace {
braid_rt_kernel_status unavailable(const char *op) {
  return fail(BRAID_RT_KERNEL_UNAVAILABLE, op,
              "the kernels were built without CUDA");
}
} // namespace

extern "C" {

int braid_rt_kernels_have_cuda(void) { return 0; }

int braid_rt_cuda_gemm_cache_create(braid_rt_cuda_gemm_cache **cache) {
  if (cache)
    *cache = nullptr;
  return unavailable("gemm");
}
void braid_rt_cuda_gemm_cache_destroy(braid_rt_cuda_gemm_cache *) {}
size_t braid_rt_cuda_gemm_workspace_bytes(void) { return 0; }
int braid_rt_cuda_gemm(braid_rt_cuda_gemm_cache *, const braid_rt_gemm_desc *,
                       const void *, const void *, void *, void *, size_t,
                       void *) {
  return unavailable("gemm");
}
int braid_rt_cuda_gemm_chunked(braid_rt_cuda_gemm_cache *,
                               const braid_rt_gemm_desc *, const void *,
                               const void *, void *, void *, size_t,
                               braid_rt_gemm_cut, int64_t, const int64_t *,
                               int64_t, braid_rt_gemm_release_fn, void *,
                               void *) {
  return unavailable("cuda_gemm_chunked");
}
int braid_rt_cuda_grouped_matmul_chunked(
    braid_rt_elem, braid_rt_elem, int64_t, int64_t, int64_t, int64_t,
    const void *, const void *, const void *, braid_rt_elem, void *, int64_t,
    const int64_t *, int64_t, braid_rt_gemm_release_fn, void *, void *) {
  return unavailable("cuda_grouped_matmul_chunked");
}
int braid_rt_cuda_gemm_chunked_signal(braid_rt_cuda_gemm_cache *,
                                      const braid_rt_gemm_desc *, const void *,
                                      const void *, void *, void *, size_t,
                                      braid_rt_gemm_cut, int64_t,
                                      const int64_t *, uint32_t *, uint32_t,
                                      void *) {
  return unavailable("gemm_chunked_signal");
}
int64_t braid_rt_cuda_tiles_per_chunk(int64_t, int64_t, int64_t) { return 0; }
int braid_rt_cuda_gemm_tiles_signal(const braid_rt_gemm_desc *, const void *,
                                    const void *, void *, int64_t,
                                    const int64_t *, uint32_t *, void *) {
  return unavailable("gemm_tiles_signal");
}
int braid_rt_cuda_wait_flag(const uint32_t *, int64_t, uint32_t, void *) {
  return unavailable("wait_flag");
}
int braid_rt_cuda_rmsnorm(braid_rt_elem, int64_t, int64_t, const void *,
                          const void *, float, void *, void *) {
  return unavailable("braid.rmsnorm");
}
int braid_rt_cuda_layernorm(braid_rt_elem, int64_t, int64_t, const void *,
                            const void *, const void *, float, void *, void *) {
  return unavailable("braid.layernorm");
}
int braid_rt_cuda_activation(braid_rt_activation, braid_rt_elem, int64_t,
                             const void *, void *, void *) {
  return unavailable("braid.activation");
}
int braid_rt_cuda_swiglu(braid_rt_elem, int64_t, const void *, const void *,
                         void *, void *) {
  return unavailable("braid.swiglu");
}
int braid_rt_cuda_softmax(braid_rt_elem, int64_t, int64_t, int64_t,
                          const void *, void *, void *) {
  return unavailable("linalg.softmax");
}
int braid_rt_cuda_attention(const braid_rt_attention_desc *, const void *,
                            const void *, const void *, const void *, void *,
                            void *) {
  return unavailable("braid.attention");
}
int braid_rt_cuda_grouped_matmul(braid_rt_elem, braid_rt_elem, int64_t, int64_t,
                                 int64_t, int64_t, const void *, const void *,
                                 const void *, braid_rt_elem, void *, void *) {
  return unavailable("braid.grouped_matmul");
}
int braid_rt_cuda_moe_gate(braid_rt_elem, int64_t, int64_t, int64_t, int32_t,
                           const void *, void *, void *, braid_rt_elem,
                           void *) {
  return unavailable("braid.moe_gate");
}
int braid_rt_cuda_moe_permute(braid_rt_elem, int64_t, int64_t, int64_t, int64_t,
                              const void *, const void *, braid_rt_elem, void *,
                              void *, braid_rt_elem, void *, braid_rt_elem,
                              void *) {
  return unavailable("braid.moe_permute");
}
int braid_rt_cuda_moe_unpermute(braid_rt_elem, braid_rt_elem, int64_t, int64_t,
                                int64_t, int64_t, const void *, const void *,
                                braid_rt_elem, const void *, void *, void *) {
  return unavailable("braid.moe_unpermute");
}
int braid_rt_cuda_topk(braid_rt_elem, int64_t, int64_t, int64_t, const void *,
                       void *, void *, braid_rt_elem, void *) {
  return unavailable("braid.topk");
}
int braid_rt_cuda_sort(braid_rt_elem, int64_t, int64_t, int32_t, const void *,
                       void *, void *, braid_rt_elem, void *) {
  return unavailable("braid.sort");
}
int braid_rt_cuda_gather(braid_rt_elem, int64_t, int64_t, int64_t, const void *,
                         int64_t, const void *, braid_rt_elem, void *, void *) {
  return unavailable("braid.gather");
}
int braid_rt_cuda_scatter(braid_rt_scatter_kind, braid_rt_elem, int64_t,
                          int64_t, int64_t, int64_t, const void *, const void *,
                          braid_rt_elem, const void *, void *, void *) {
  return unavailable("braid.scatter");
}

} // extern "C"
