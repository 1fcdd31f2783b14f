//===- Routing.cu - CUDA entry points of the grouped matmul and MoE ops ---===//

#include "CudaSupport.h"
#include "braid_rt/kernels/cuda/RoutingKernels.cuh"

using namespace braid_rt::kernels;
using namespace braid_rt::kernels::cuda;

namespace {

constexpr int kThreads = 256;

/// Calls fn(U{}) with U the unsigned type of `bytes` bytes.
template <typename Fn>
braid_rt_kernel_status dispatchBits(size_t bytes, Fn &&fn) {
  switch (bytes) {
  case 1:
    return fn(uint8_t{});
  case 2:
    return fn(uint16_t{});
  case 4:
    return fn(uint32_t{});
  default:
    return fn(uint64_t{});
  }
}

/// Enqueues rows [rowBegin, rowEnd) of braid_rt_cuda_grouped_matmul
/// (shape and types checked by checkGroupedMatmul).
braid_rt_kernel_status
groupedMatmulRows(const char *op, braid_rt_elem type, braid_rt_elem outType,
                  int64_t rowBegin, int64_t rowEnd, int64_t depth,
                  int64_t cols, int64_t experts, const void *lhs,
                  const void *rhs, const void *groupSizes,
                  braid_rt_elem sizesType, void *out, void *stream) {
  if (rowEnd <= rowBegin || cols == 0)
    return BRAID_RT_KERNEL_OK;
  if (!out || (experts > 0 && !groupSizes) ||
      (depth > 0 && (!lhs || (experts > 0 && !rhs))))
    return invalid(op, "a tensor pointer is null");
  return dispatchIndex(op, "group_sizes", sizesType, [&](auto indexTag) {
    using I = decltype(indexTag);
    return dispatchCudaFloat(op, "lhs", type, [&](auto tag) {
      using T = DeviceTypeOf<decltype(tag)>;
      return dispatchCudaFloat(op, "the result", outType, [&](auto outTag) {
        using TO = DeviceTypeOf<decltype(outTag)>;
        dim3 block(32, 8);
        dim3 grid(gridFor(cols, 32),
                  static_cast<unsigned>(
                      std::min<int64_t>((rowEnd - rowBegin + 7) / 8, 65535)));
        groupedMatmulKernel<T, TO, I><<<grid, block, 0, streamOf(stream)>>>(
            rowBegin, rowEnd, depth, cols, experts,
            static_cast<const T *>(lhs), static_cast<const T *>(rhs),
            static_cast<const I *>(groupSizes), static_cast<TO *>(out));
        return checkLaunch(op);
      });
    });
  });
}

} // namespace

extern "C" {

int braid_rt_cuda_grouped_matmul(braid_rt_elem type, braid_rt_elem out_type,
                                 int64_t rows, int64_t depth, int64_t cols,
                                 int64_t experts, const void *lhs,
                                 const void *rhs, const void *group_sizes,
                                 braid_rt_elem sizes_type, void *out,
                                 void *stream) {
  constexpr const char *op = "braid.grouped_matmul";
  if (braid_rt_kernel_status status =
          checkGroupedMatmul(op, type, out_type, rows, depth, cols, experts))
    return status;
  return groupedMatmulRows(op, type, out_type, 0, rows, depth, cols, experts,
                           lhs, rhs, group_sizes, sizes_type, out, stream);
}

int braid_rt_cuda_grouped_matmul_chunked(
    braid_rt_elem type, braid_rt_elem out_type, int64_t rows, int64_t depth,
    int64_t cols, int64_t experts, const void *lhs, const void *rhs,
    const void *group_sizes, braid_rt_elem sizes_type, void *out,
    int64_t chunks, const int64_t *order, int64_t tiles_per_chunk,
    braid_rt_gemm_release_fn release, void *user, void *stream) {
  constexpr const char *op = "cuda_grouped_matmul_chunked";
  if (braid_rt_kernel_status status = checkChunkedGroupedMatmul(
          op, type, out_type, rows, depth, cols, experts, group_sizes,
          sizes_type, chunks, order, tiles_per_chunk))
    return status;
  // The group sizes are on the device: each row block is a row range of
  // the whole call, whose rows find their experts there.
  return forEachChunkBlock(
      rows, chunks, order, tiles_per_chunk,
      [&](int64_t begin, int64_t end) {
        return groupedMatmulRows(op, type, out_type, begin, end, depth, cols,
                                 experts, lhs, rhs, group_sizes, sizes_type,
                                 out, stream);
      },
      release, user);
}

int braid_rt_cuda_moe_gate(braid_rt_elem type, int64_t tokens,
                           int64_t num_experts, int64_t k, int32_t normalize,
                           const void *logits, void *weights, void *experts,
                           braid_rt_elem experts_type, void *stream) {
  constexpr const char *op = "braid.moe_gate";
  if (braid_rt_kernel_status status = checkMoeGate(op, tokens, num_experts, k))
    return status;
  if (tokens == 0)
    return BRAID_RT_KERNEL_OK;
  if (!logits || !weights || !experts)
    return invalid(op, "a tensor pointer is null");
  size_t sharedBytes = sizeof(float) * (num_experts + k);
  if (sharedBytes > 48 * 1024)
    return fail(BRAID_RT_KERNEL_UNAVAILABLE, op,
                concat("num_experts + k = ", num_experts + k,
                       " floats exceed the kernel's 48 KiB of shared memory"));
  return dispatchIndex(op, "experts", experts_type, [&](auto indexTag) {
    using I = decltype(indexTag);
    return dispatchCudaFloat(op, "the logits", type, [&](auto tag) {
      using T = DeviceTypeOf<decltype(tag)>;
      moeGateKernel<T, I>
          <<<gridForRows(tokens), 128, sharedBytes, streamOf(stream)>>>(
              tokens, num_experts, k, normalize != 0,
              static_cast<const T *>(logits), static_cast<T *>(weights),
              static_cast<I *>(experts));
      return checkLaunch(op);
    });
  });
}

int braid_rt_cuda_moe_permute(braid_rt_elem type, int64_t tokens,
                              int64_t hidden, int64_t k, int64_t num_experts,
                              const void *input, const void *experts,
                              braid_rt_elem experts_type, void *permuted,
                              void *group_sizes, braid_rt_elem sizes_type,
                              void *row_map, braid_rt_elem map_type,
                              void *stream) {
  constexpr const char *op = "braid.moe_permute";
  if (braid_rt_kernel_status status =
          checkMoePermute(op, tokens, hidden, k, num_experts))
    return status;
  size_t elementBytes = braid_rt_elem_size(type);
  if (elementBytes == 0)
    return invalid(op, "unknown element type ", static_cast<int>(type));
  int64_t pairs = tokens * k;
  if (!group_sizes || (pairs > 0 && (!experts || !row_map)) ||
      (pairs * hidden > 0 && (!input || !permuted)))
    return invalid(op, "a tensor pointer is null");
  cudaStream_t s = streamOf(stream);
  return dispatchIndex(op, "experts", experts_type, [&](auto expertTag) {
    using IE = decltype(expertTag);
    return dispatchIndex(op, "group_sizes", sizes_type, [&](auto sizeTag) {
      using IS = decltype(sizeTag);
      return dispatchIndex(op, "row_map", map_type, [&](auto mapTag) {
        using IM = decltype(mapTag);
        auto *sizes = static_cast<IS *>(group_sizes);
        auto *map = static_cast<IM *>(row_map);
        auto *ids = static_cast<const IE *>(experts);
        cudaMemsetAsync(sizes, 0, sizeof(IS) * num_experts, s);
        if (pairs == 0)
          return checkLaunch(op);
        // Pairs with an invalid expert keep row -1 and are not copied.
        cudaMemsetAsync(map, 0xff, sizeof(IM) * pairs, s);
        countExpertsKernel<IE, IS>
            <<<gridFor(pairs, kThreads), kThreads, 0, s>>>(pairs, num_experts,
                                                           ids, sizes);
        placePairsKernel<IE, IS, IM>
            <<<gridForRows(num_experts), kThreads, 0, s>>>(pairs, num_experts,
                                                           ids, sizes, map);
        if (hidden > 0)
          dispatchBits(elementBytes, [&](auto bits) {
            using E = decltype(bits);
            copyPermutedRowsKernel<E, IM><<<gridForRows(pairs), 128, 0, s>>>(
                pairs, k, hidden, static_cast<const E *>(input), map,
                static_cast<E *>(permuted));
            return BRAID_RT_KERNEL_OK;
          });
        return checkLaunch(op);
      });
    });
  });
}

int braid_rt_cuda_moe_unpermute(braid_rt_elem type, braid_rt_elem weights_type,
                                int64_t tokens, int64_t k, int64_t hidden,
                                int64_t rows, const void *input,
                                const void *row_map, braid_rt_elem map_type,
                                const void *weights, void *out, void *stream) {
  constexpr const char *op = "braid.moe_unpermute";
  if (braid_rt_kernel_status status =
          checkMoeUnpermute(op, tokens, k, hidden, rows))
    return status;
  int64_t elements = tokens * hidden;
  if (elements == 0)
    return BRAID_RT_KERNEL_OK;
  if (!out || (k > 0 && (!row_map || !weights || (rows > 0 && !input))))
    return invalid(op, "a tensor pointer is null");
  return dispatchIndex(op, "row_map", map_type, [&](auto mapTag) {
    using I = decltype(mapTag);
    return dispatchCudaFloat(op, "the input", type, [&](auto tag) {
      using T = DeviceTypeOf<decltype(tag)>;
      return dispatchCudaFloat(op, "the weights", weights_type, [&](auto w) {
        using W = DeviceTypeOf<decltype(w)>;
        moeUnpermuteKernel<T, W, I>
            <<<gridFor(elements, kThreads), kThreads, 0, streamOf(stream)>>>(
                tokens, k, hidden, rows, static_cast<const T *>(input),
                static_cast<const I *>(row_map),
                static_cast<const W *>(weights), static_cast<T *>(out));
        return checkLaunch(op);
      });
    });
  });
}

} // extern "C"
