//===- CublasLtGemm.cpp - GEMM through cuBLASLt, one plan per shape -------===//
//
// Row-major C[m,n] = A[m,k] B[k,n] is column-major C^T = B^T A^T, so B is
// cuBLASLt's first operand and A its second, each with the caller's leading
// dimension. Accumulation is f32 (CUBLAS_COMPUTE_32F, never TF32). The
// heuristic runs once per problem (shape, layout, types, batch, workspace
// limit and pointer alignment) and its choice is cached with the
// descriptors in the braid_rt_cuda_gemm_cache.
//
//===----------------------------------------------------------------------===//

#include "CudaSupport.h"

#include <cublasLt.h>

#include <array>
#include <memory>
#include <unordered_map>

using namespace braid_rt::kernels;

namespace {

constexpr const char *kGemm = "gemm";

using PlanKey = std::array<int64_t, 20>;

struct PlanKeyHash {
  size_t operator()(const PlanKey &key) const {
    size_t hash = 1469598103934665603ull;
    for (int64_t value : key)
      hash = (hash ^ static_cast<size_t>(value)) * 1099511628211ull;
    return hash;
  }
};

/// The descriptors and the algorithm of one problem.
struct Plan {
  cublasLtMatmulDesc_t operation = nullptr;
  cublasLtMatrixLayout_t first = nullptr, second = nullptr, result = nullptr;
  cublasLtMatmulAlgo_t algorithm{};

  ~Plan() {
    if (result)
      cublasLtMatrixLayoutDestroy(result);
    if (second)
      cublasLtMatrixLayoutDestroy(second);
    if (first)
      cublasLtMatrixLayoutDestroy(first);
    if (operation)
      cublasLtMatmulDescDestroy(operation);
  }
};

braid_rt_kernel_status cublasFailure(cublasStatus_t status, const char *what) {
  braid_rt_kernel_status code = BRAID_RT_KERNEL_INTERNAL;
  if (status == CUBLAS_STATUS_NOT_SUPPORTED)
    code = BRAID_RT_KERNEL_UNAVAILABLE;
  else if (status == CUBLAS_STATUS_INVALID_VALUE)
    code = BRAID_RT_KERNEL_INVALID_ARGUMENT;
  else if (status == CUBLAS_STATUS_ALLOC_FAILED)
    code = BRAID_RT_KERNEL_OUT_OF_MEMORY;
  return fail(code, kGemm, concat(what, ": ", cublasLtGetStatusString(status)));
}

cudaDataType_t cudaTypeOf(braid_rt_elem type) {
  switch (type) {
  case BRAID_RT_ELEM_BF16:
    return CUDA_R_16BF;
  case BRAID_RT_ELEM_F16:
    return CUDA_R_16F;
  default:
    return CUDA_R_32F;
  }
}

/// The largest power of two (up to 256) that divides the address.
int64_t alignmentOf(const void *pointer) {
  auto address = reinterpret_cast<uintptr_t>(pointer);
  int64_t alignment = 256;
  while (alignment > 1 && address % alignment != 0)
    alignment /= 2;
  return alignment;
}

cublasStatus_t makeLayout(cublasLtMatrixLayout_t &layout, braid_rt_elem type,
                          int64_t rows, int64_t cols, int64_t ld, int64_t batch,
                          int64_t stride) {
  cublasStatus_t status = cublasLtMatrixLayoutCreate(
      &layout, cudaTypeOf(type), static_cast<uint64_t>(rows),
      static_cast<uint64_t>(cols), ld);
  if (status != CUBLAS_STATUS_SUCCESS || batch <= 1)
    return status;
  int32_t count = static_cast<int32_t>(batch);
  status = cublasLtMatrixLayoutSetAttribute(
      layout, CUBLASLT_MATRIX_LAYOUT_BATCH_COUNT, &count, sizeof count);
  if (status != CUBLAS_STATUS_SUCCESS)
    return status;
  return cublasLtMatrixLayoutSetAttribute(
      layout, CUBLASLT_MATRIX_LAYOUT_STRIDED_BATCH_OFFSET, &stride,
      sizeof stride);
}

} // namespace

struct braid_rt_cuda_gemm_cache {
  cublasLtHandle_t handle = nullptr;
  int device = -1;
  std::unordered_map<PlanKey, std::unique_ptr<Plan>, PlanKeyHash> plans;
};

namespace {

/// The cached plan of `desc`, made on first use.
braid_rt_kernel_status findPlan(braid_rt_cuda_gemm_cache &cache,
                                const braid_rt_gemm_desc &desc, const void *a,
                                const void *b, const void *c,
                                size_t workspaceBytes, const Plan *&plan) {
  PlanKey key{desc.m,
              desc.n,
              desc.k,
              desc.trans_a,
              desc.trans_b,
              desc.a_type,
              desc.b_type,
              desc.c_type,
              desc.lda,
              desc.ldb,
              desc.ldc,
              desc.batch,
              desc.stride_a,
              desc.stride_b,
              desc.stride_c,
              desc.accumulate,
              static_cast<int64_t>(workspaceBytes),
              alignmentOf(a),
              alignmentOf(b),
              alignmentOf(c)};
  auto found = cache.plans.find(key);
  if (found != cache.plans.end()) {
    plan = found->second.get();
    return BRAID_RT_KERNEL_OK;
  }
  auto made = std::make_unique<Plan>();
  cublasStatus_t status = cublasLtMatmulDescCreate(
      &made->operation, CUBLAS_COMPUTE_32F, CUDA_R_32F);
  if (status != CUBLAS_STATUS_SUCCESS)
    return cublasFailure(status, "cublasLtMatmulDescCreate");
  // cuBLASLt's first operand is B, its second A (see the file comment).
  cublasOperation_t firstOp = desc.trans_b ? CUBLAS_OP_T : CUBLAS_OP_N;
  cublasOperation_t secondOp = desc.trans_a ? CUBLAS_OP_T : CUBLAS_OP_N;
  cublasLtMatmulDescSetAttribute(made->operation, CUBLASLT_MATMUL_DESC_TRANSA,
                                 &firstOp, sizeof firstOp);
  cublasLtMatmulDescSetAttribute(made->operation, CUBLASLT_MATMUL_DESC_TRANSB,
                                 &secondOp, sizeof secondOp);
  int64_t firstRows = desc.trans_b ? desc.k : desc.n;
  int64_t firstCols = desc.trans_b ? desc.n : desc.k;
  int64_t secondRows = desc.trans_a ? desc.m : desc.k;
  int64_t secondCols = desc.trans_a ? desc.k : desc.m;
  if ((status = makeLayout(made->first, desc.b_type, firstRows, firstCols,
                           desc.ldb, desc.batch, desc.stride_b)) !=
          CUBLAS_STATUS_SUCCESS ||
      (status = makeLayout(made->second, desc.a_type, secondRows, secondCols,
                           desc.lda, desc.batch, desc.stride_a)) !=
          CUBLAS_STATUS_SUCCESS ||
      (status = makeLayout(made->result, desc.c_type, desc.n, desc.m, desc.ldc,
                           desc.batch, desc.stride_c)) != CUBLAS_STATUS_SUCCESS)
    return cublasFailure(status, "cublasLtMatrixLayoutCreate");

  cublasLtMatmulPreference_t preference;
  status = cublasLtMatmulPreferenceCreate(&preference);
  if (status != CUBLAS_STATUS_SUCCESS)
    return cublasFailure(status, "cublasLtMatmulPreferenceCreate");
  uint64_t limit = workspaceBytes;
  cublasLtMatmulPreferenceSetAttribute(preference,
                                       CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES,
                                       &limit, sizeof limit);
  uint32_t alignments[3] = {static_cast<uint32_t>(alignmentOf(b)),
                            static_cast<uint32_t>(alignmentOf(a)),
                            static_cast<uint32_t>(alignmentOf(c))};
  cublasLtMatmulPreferenceSetAttribute(
      preference, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES, &alignments[0],
      sizeof(uint32_t));
  cublasLtMatmulPreferenceSetAttribute(
      preference, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_B_BYTES, &alignments[1],
      sizeof(uint32_t));
  cublasLtMatmulPreferenceSetAttribute(
      preference, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_C_BYTES, &alignments[2],
      sizeof(uint32_t));
  cublasLtMatmulPreferenceSetAttribute(
      preference, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_D_BYTES, &alignments[2],
      sizeof(uint32_t));
  cublasLtMatmulHeuristicResult_t heuristic{};
  int found_count = 0;
  status = cublasLtMatmulAlgoGetHeuristic(
      cache.handle, made->operation, made->first, made->second, made->result,
      made->result, preference, 1, &heuristic, &found_count);
  cublasLtMatmulPreferenceDestroy(preference);
  if (status != CUBLAS_STATUS_SUCCESS)
    return cublasFailure(status, "cublasLtMatmulAlgoGetHeuristic");
  if (found_count == 0)
    return fail(BRAID_RT_KERNEL_UNAVAILABLE, kGemm,
                concat("cuBLASLt has no algorithm for ", desc.m, "x", desc.n,
                       "x", desc.k, " with a ", workspaceBytes,
                       "-byte workspace"));
  made->algorithm = heuristic.algo;
  plan = made.get();
  cache.plans.emplace(key, std::move(made));
  return BRAID_RT_KERNEL_OK;
}

braid_rt_kernel_status checkCudaGemmTypes(const braid_rt_gemm_desc &desc) {
  bool supported =
      desc.a_type == desc.b_type &&
      (desc.c_type == desc.a_type || desc.c_type == BRAID_RT_ELEM_F32) &&
      desc.a_type != BRAID_RT_ELEM_F64;
  if (supported)
    return BRAID_RT_KERNEL_OK;
  return fail(BRAID_RT_KERNEL_UNAVAILABLE, kGemm,
              concat("cuBLASLt takes A and B of one type and C of that type "
                     "or f32 (f32, bf16, f16), not ",
                     braid_rt_elem_name(desc.a_type), " x ",
                     braid_rt_elem_name(desc.b_type), " -> ",
                     braid_rt_elem_name(desc.c_type)));
}

} // namespace

extern "C" {

int braid_rt_kernels_have_cuda(void) { return 1; }

size_t braid_rt_cuda_gemm_workspace_bytes(void) {
  // NVIDIA's recommendation for Hopper; enough for every split-K plan.
  return 32u << 20;
}

int braid_rt_cuda_gemm_cache_create(braid_rt_cuda_gemm_cache **cache) {
  if (!cache)
    return invalid(kGemm, "the cache pointer is null");
  *cache = nullptr;
  auto made = std::make_unique<braid_rt_cuda_gemm_cache>();
  cudaError_t error = cudaGetDevice(&made->device);
  if (error != cudaSuccess)
    return fail(BRAID_RT_KERNEL_UNAVAILABLE, kGemm,
                concat("no CUDA device: ", cudaGetErrorString(error)));
  cublasStatus_t status = cublasLtCreate(&made->handle);
  if (status != CUBLAS_STATUS_SUCCESS)
    return cublasFailure(status, "cublasLtCreate");
  *cache = made.release();
  return BRAID_RT_KERNEL_OK;
}

void braid_rt_cuda_gemm_cache_destroy(braid_rt_cuda_gemm_cache *cache) {
  if (!cache)
    return;
  cache->plans.clear();
  if (cache->handle)
    cublasLtDestroy(cache->handle);
  delete cache;
}

int braid_rt_cuda_gemm(braid_rt_cuda_gemm_cache *cache,
                       const braid_rt_gemm_desc *desc, const void *a,
                       const void *b, void *c, void *workspace,
                       size_t workspace_bytes, void *stream) {
  if (!cache)
    return invalid(kGemm,
                   "the cache is null (braid_rt_cuda_gemm_cache_create)");
  if (braid_rt_kernel_status status = checkGemmDesc(kGemm, desc))
    return status;
  if (braid_rt_kernel_status status = checkCudaGemmTypes(*desc))
    return status;
  if (desc->m == 0 || desc->n == 0 || desc->batch == 0)
    return BRAID_RT_KERNEL_OK;
  if (!c || (desc->k > 0 && (!a || !b)))
    return invalid(kGemm, "an operand pointer is null");
  if (!workspace && workspace_bytes > 0)
    return invalid(kGemm, "the workspace is null but its size is ",
                   workspace_bytes);
  int device = -1;
  cudaGetDevice(&device);
  if (device != cache->device)
    return invalid(kGemm, "the cache was made for device ", cache->device,
                   ", not the current device ", device);
  cudaStream_t s = cuda::streamOf(stream);
  if (desc->k == 0) {
    // Empty sums: C keeps its value, or becomes zero.
    if (desc->accumulate)
      return BRAID_RT_KERNEL_OK;
    size_t elementBytes = braid_rt_elem_size(desc->c_type);
    for (int64_t e = 0; e < desc->batch; ++e)
      cudaMemset2DAsync(
          static_cast<char *>(c) + e * desc->stride_c * elementBytes,
          desc->ldc * elementBytes, 0, desc->n * elementBytes, desc->m, s);
    return cuda::checkLaunch(kGemm);
  }
  const Plan *plan = nullptr;
  if (braid_rt_kernel_status status =
          findPlan(*cache, *desc, a, b, c, workspace_bytes, plan))
    return status;
  float alpha = 1.0f, beta = desc->accumulate ? 1.0f : 0.0f;
  cublasStatus_t status =
      cublasLtMatmul(cache->handle, plan->operation, &alpha, b, plan->first, a,
                     plan->second, &beta, c, plan->result, c, plan->result,
                     &plan->algorithm, workspace, workspace_bytes, s);
  if (status != CUBLAS_STATUS_SUCCESS)
    return cublasFailure(status, "cublasLtMatmul");
  return BRAID_RT_KERNEL_OK;
}

} // extern "C"
