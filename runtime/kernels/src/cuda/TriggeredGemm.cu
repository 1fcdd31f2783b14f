//===- TriggeredGemm.cu - GEMMs that release chunks to a communication stream //
//
// Producer fusion on CUDA (docs/Rationale.md, "Producer fusion on GPU").
//
// Chunk trigger: cuBLASLt once per chunk, each followed by a stream memory
// write of the chunk's release flag. Tile trigger: Braid's own tiled GEMM
// whose epilogue stores a 64x64 tile and then counts it into its chunk's
// flag with release semantics (cuBLASLt in CUDA 13 has no atomic-counter
// epilogue). Consumers wait with cuStreamWaitValue32 on their own stream:
// the stream's front end waits, no CTA spins, so a waiting consumer can
// never hold SMs the producer or NCCL need, and the producer never waits at
// all.
//
// The tiled kernel sums over K sequentially in f32 (compiled with
// --fmad=false: products and sums round separately), starting from C when
// accumulating: the interpreter's dot product, element for element.
//
//===----------------------------------------------------------------------===//

#include "CudaSupport.h"
#include "braid_rt/kernels/cuda/Common.cuh"

#include <cuda.h>
#include <cudaTypedefs.h>
#include <cuda/atomic>

#include <vector>

namespace braid_rt::kernels::cuda {
namespace {

constexpr int kTile = 64;      // C tile: kTile x kTile
constexpr int kDepth = 16;     // K slice staged in shared memory
constexpr int kThreads = 256;  // 16 x 16 threads, 4 x 4 outputs each
constexpr int kMaxChunks = 64; // the order travels as a kernel parameter

struct ChunkOrder {
  int64_t chunk[kMaxChunks];
};

template <typename TIn, typename TOut>
__global__ void __launch_bounds__(kThreads)
    tiledGemmRelease(const TIn *a, const TIn *b, TOut *c, int64_t m, int64_t n,
                     int64_t k, int64_t lda, int64_t ldb, int64_t ldc,
                     int accumulate, int64_t chunks, ChunkOrder order,
                     int64_t tilesM, int64_t tilesN, uint32_t *flags) {
  // Blocks are numbered position-major, so the hardware's roughly in-order
  // block dispatch finishes the first position's chunk first.
  int64_t perChunk = tilesM * tilesN;
  int64_t position = blockIdx.x / perChunk;
  int64_t within = blockIdx.x % perChunk;
  int64_t chunk = order.chunk[position];
  int64_t chunkRows = m / chunks;
  int64_t row0 = chunk * chunkRows + (within / tilesN) * kTile;
  int64_t rowEnd = (chunk + 1) * chunkRows;
  int64_t col0 = (within % tilesN) * kTile;

  __shared__ float aTile[kDepth][kTile + 1];
  __shared__ float bTile[kDepth][kTile];
  int tx = threadIdx.x % 16, ty = threadIdx.x / 16;
  float acc[4][4];
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 4; ++j) {
      int64_t row = row0 + ty * 4 + i, col = col0 + tx * 4 + j;
      acc[i][j] = accumulate && row < rowEnd && col < n
                      ? toF32(c[row * ldc + col])
                      : 0.0f;
    }
  for (int64_t k0 = 0; k0 < k; k0 += kDepth) {
    for (int i = threadIdx.x; i < kTile * kDepth; i += kThreads) {
      int r = i / kDepth, kk = i % kDepth;
      int64_t row = row0 + r, depth = k0 + kk;
      aTile[kk][r] =
          row < rowEnd && depth < k ? toF32(a[row * lda + depth]) : 0.0f;
    }
    for (int i = threadIdx.x; i < kTile * kDepth; i += kThreads) {
      int kk = i / kTile, col = i % kTile;
      int64_t depth = k0 + kk;
      bTile[kk][col] = depth < k && col0 + col < n
                           ? toF32(b[depth * ldb + col0 + col])
                           : 0.0f;
    }
    __syncthreads();
    int depthHere = static_cast<int>(k - k0 < kDepth ? k - k0 : kDepth);
    for (int kk = 0; kk < depthHere; ++kk)
      for (int i = 0; i < 4; ++i)
        for (int j = 0; j < 4; ++j)
          acc[i][j] += aTile[kk][ty * 4 + i] * bTile[kk][tx * 4 + j];
    __syncthreads();
  }
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 4; ++j) {
      int64_t row = row0 + ty * 4 + i, col = col0 + tx * 4 + j;
      if (row < rowEnd && col < n)
        c[row * ldc + col] = fromF32<TOut>(acc[i][j]);
    }
  // Release: every thread's stores happen before the count (the barrier
  // orders them before thread 0's release, which is cumulative), at system
  // scope so the stream front end's wait sees them with the flag.
  __syncthreads();
  if (threadIdx.x == 0) {
    ::cuda::atomic_ref<uint32_t, ::cuda::thread_scope_system> flag(
        flags[chunk]);
    flag.fetch_add(1u, ::cuda::memory_order_release);
  }
}

/// cuStreamWriteValue32 / cuStreamWaitValue32 through the runtime's driver
/// entry points (nothing links libcuda).
struct FlagOps {
  PFN_cuStreamWriteValue32_v11070 write = nullptr;
  PFN_cuStreamWaitValue32_v11070 wait = nullptr;
  bool found = false;
};

const FlagOps &flagOps() {
  static FlagOps ops = [] {
    FlagOps result;
    cudaDriverEntryPointQueryResult writeFound, waitFound;
    if (cudaGetDriverEntryPointByVersion(
            "cuStreamWriteValue32", reinterpret_cast<void **>(&result.write),
            12000, cudaEnableDefault, &writeFound) == cudaSuccess &&
        cudaGetDriverEntryPointByVersion(
            "cuStreamWaitValue32", reinterpret_cast<void **>(&result.wait),
            12000, cudaEnableDefault, &waitFound) == cudaSuccess)
      result.found = writeFound == cudaDriverEntryPointSuccess &&
                     waitFound == cudaDriverEntryPointSuccess &&
                     result.write && result.wait;
    return result;
  }();
  return ops;
}

braid_rt_kernel_status driverFailure(const char *op, const char *call,
                                     CUresult result) {
  return fail(BRAID_RT_KERNEL_INTERNAL, op,
              concat(call, " failed with CUresult ", static_cast<int>(result)));
}

braid_rt_kernel_status checkChunks(const char *op, int64_t extent,
                                   const char *axis, int64_t chunks,
                                   const int64_t *order, int64_t maxChunks) {
  if (chunks < 1 || chunks > maxChunks)
    return invalid(op, "chunks = ", chunks, " (1 to ", maxChunks, ")");
  if (extent % chunks != 0)
    return invalid(op, axis, " = ", extent, " is not a multiple of chunks = ",
                   chunks);
  if (order) {
    std::vector<bool> seen(static_cast<size_t>(chunks), false);
    for (int64_t i = 0; i < chunks; ++i) {
      if (order[i] < 0 || order[i] >= chunks || seen[order[i]])
        return invalid(op, "order[", i, "] = ", order[i],
                       ": the order must name each chunk once");
      seen[order[i]] = true;
    }
  }
  return BRAID_RT_KERNEL_OK;
}

} // namespace
} // namespace braid_rt::kernels::cuda

using namespace braid_rt::kernels;
using namespace braid_rt::kernels::cuda;

extern "C" {

int braid_rt_cuda_wait_flag(const uint32_t *flags, int64_t index,
                            uint32_t value, void *stream) {
  const char *op = "wait_flag";
  if (!flags || index < 0)
    return invalid(op, "no flag to wait on");
  const FlagOps &ops = flagOps();
  if (!ops.found)
    return fail(BRAID_RT_KERNEL_UNAVAILABLE, op,
                "the CUDA driver has no 32-bit stream memory operations");
  CUresult result = ops.wait(
      reinterpret_cast<CUstream>(stream),
      reinterpret_cast<CUdeviceptr>(flags + index), value,
      CU_STREAM_WAIT_VALUE_GEQ);
  return result == CUDA_SUCCESS ? BRAID_RT_KERNEL_OK
                                : driverFailure(op, "cuStreamWaitValue32",
                                                result);
}

int braid_rt_cuda_gemm_chunked(braid_rt_cuda_gemm_cache *cache,
                               const braid_rt_gemm_desc *desc, const void *a,
                               const void *b, void *c, void *workspace,
                               size_t workspace_bytes, braid_rt_gemm_cut cut,
                               int64_t chunks, const int64_t *order,
                               int64_t tiles_per_chunk,
                               braid_rt_gemm_release_fn release, void *user,
                               void *stream) {
  if (braid_rt_kernel_status status = checkChunkedGemm(
          "cuda_gemm_chunked", desc, cut, chunks, order, tiles_per_chunk))
    return status;
  return forEachChunkTile(
      *desc, a, b, c, cut, chunks, order, tiles_per_chunk,
      [&](const braid_rt_gemm_desc &piece, const void *aPiece,
          const void *bPiece, void *cPiece) {
        return braid_rt_cuda_gemm(cache, &piece, aPiece, bPiece, cPiece,
                                  workspace, workspace_bytes, stream);
      },
      release, user);
}

int braid_rt_cuda_gemm_chunked_signal(
    braid_rt_cuda_gemm_cache *cache, const braid_rt_gemm_desc *desc,
    const void *a, const void *b, void *c, void *workspace,
    size_t workspace_bytes, braid_rt_gemm_cut cut, int64_t chunks,
    const int64_t *order, uint32_t *flags, uint32_t epoch, void *stream) {
  const char *op = "gemm_chunked_signal";
  if (!flags)
    return invalid(op, "the flags are null");
  const FlagOps &ops = flagOps();
  if (!ops.found)
    return fail(BRAID_RT_KERNEL_UNAVAILABLE, op,
                "the CUDA driver has no 32-bit stream memory operations");
  // Each chunk's flag is written in stream order after the chunk's GEMM.
  struct Release {
    const FlagOps &ops;
    const int64_t *order;
    uint32_t *flags;
    uint32_t epoch;
    void *stream;
  } state{ops, order, flags, epoch, stream};
  auto release = [](void *user, int64_t position, int64_t) -> int {
    auto *self = static_cast<Release *>(user);
    int64_t chunk = self->order ? self->order[position] : position;
    CUresult result = self->ops.write(
        reinterpret_cast<CUstream>(self->stream),
        reinterpret_cast<CUdeviceptr>(self->flags + chunk), self->epoch + 1,
        CU_STREAM_WRITE_VALUE_DEFAULT);
    return result == CUDA_SUCCESS
               ? BRAID_RT_KERNEL_OK
               : driverFailure("gemm_chunked_signal", "cuStreamWriteValue32",
                               result);
  };
  return braid_rt_cuda_gemm_chunked(cache, desc, a, b, c, workspace,
                                    workspace_bytes, cut, chunks, order, 1,
                                    release, &state, stream);
}

int64_t braid_rt_cuda_tiles_per_chunk(int64_t m, int64_t n, int64_t chunks) {
  if (chunks < 1 || m < 0 || n < 0 || m % chunks != 0)
    return 0;
  int64_t rows = m / chunks;
  return ((rows + kTile - 1) / kTile) * ((n + kTile - 1) / kTile);
}

int braid_rt_cuda_gemm_tiles_signal(const braid_rt_gemm_desc *desc,
                                    const void *a, const void *b, void *c,
                                    int64_t chunks, const int64_t *order,
                                    uint32_t *flags, void *stream) {
  const char *op = "gemm_tiles_signal";
  if (braid_rt_kernel_status status = checkGemmDesc(op, desc))
    return status;
  if (!flags)
    return invalid(op, "the flags are null");
  if (desc->batch != 1 || desc->trans_a || desc->trans_b)
    return invalid(op, "one matrix without transposes (batch ", desc->batch,
                   ", trans_a ", desc->trans_a, ", trans_b ", desc->trans_b,
                   ")");
  if (desc->a_type != desc->b_type)
    return invalid(op, "A and B must have one type (",
                   braid_rt_elem_name(desc->a_type), " x ",
                   braid_rt_elem_name(desc->b_type), ")");
  if (braid_rt_kernel_status status =
          checkChunks(op, desc->m, "m", chunks, order, kMaxChunks))
    return status;
  if (desc->m == 0 || desc->n == 0)
    return BRAID_RT_KERNEL_OK;
  ChunkOrder chunkOrder{};
  for (int64_t i = 0; i < chunks; ++i)
    chunkOrder.chunk[i] = order ? order[i] : i;
  int64_t tilesM = (desc->m / chunks + kTile - 1) / kTile;
  int64_t tilesN = (desc->n + kTile - 1) / kTile;
  int64_t blocks = chunks * tilesM * tilesN;
  if (blocks > 0x7fffffff)
    return invalid(op, "the problem needs ", blocks, " tiles (at most 2^31-1)");
  return dispatchCudaFloat(op, "A", desc->a_type, [&](auto in) {
    using TIn = DeviceTypeOf<decltype(in)>;
    return dispatchCudaFloat(op, "C", desc->c_type, [&](auto out) {
      using TOut = DeviceTypeOf<decltype(out)>;
      tiledGemmRelease<TIn, TOut>
          <<<static_cast<unsigned>(blocks), kThreads, 0, streamOf(stream)>>>(
              static_cast<const TIn *>(a), static_cast<const TIn *>(b),
              static_cast<TOut *>(c), desc->m, desc->n, desc->k, desc->lda,
              desc->ldb, desc->ldc, desc->accumulate, chunks, chunkOrder,
              tilesM, tilesN, flags);
      return checkLaunch(op);
    });
  });
}

} // extern "C"
