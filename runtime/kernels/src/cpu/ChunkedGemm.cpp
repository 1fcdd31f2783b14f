//===- ChunkedGemm.cpp - the CPU GEMM in a collective's chunk order -------===//
//
// Producer fusion on the CPU: the output is computed chunk by chunk (row or
// column blocks of C) in the order a triggered collective consumes it, and
// each tile block is released (a callback, which the runtime turns into a
// counter signal) as soon as it is stored. Each block is one call of the
// ordinary GEMM on sub-matrices, so the numerics are those of one call: a
// cut along M or N leaves every element's dot product over K untouched.
//
//===----------------------------------------------------------------------===//

#include "../Support.h"
#include "braid_rt/kernels.h"

#include <algorithm>
#include <vector>

using namespace braid_rt::kernels;

extern "C" int braid_rt_cpu_gemm_chunked(
    const braid_rt_gemm_desc *desc, const void *a, const void *b, void *c,
    braid_rt_gemm_numerics numerics, void *workspace, size_t workspace_bytes,
    braid_rt_gemm_cut cut, int64_t chunks, const int64_t *order,
    int64_t tiles_per_chunk, braid_rt_gemm_release_fn release, void *user) {
  if (braid_rt_kernel_status status = checkChunkedGemm(
          "gemm_chunked", desc, cut, chunks, order, tiles_per_chunk))
    return status;
  return forEachChunkTile(
      *desc, a, b, c, cut, chunks, order, tiles_per_chunk,
      [&](const braid_rt_gemm_desc &piece, const void *aPiece,
          const void *bPiece, void *cPiece) {
        return braid_rt_cpu_gemm(&piece, aPiece, bPiece, cPiece, numerics,
                                 workspace, workspace_bytes);
      },
      release, user);
}

namespace braid_rt::kernels {

braid_rt_kernel_status
checkChunkedGroupedMatmul(const char *op, braid_rt_elem type,
                          braid_rt_elem outType, int64_t rows, int64_t depth,
                          int64_t cols, int64_t experts, const void *groupSizes,
                          braid_rt_elem sizesType, int64_t chunks,
                          const int64_t *order, int64_t tilesPerChunk) {
  if (braid_rt_kernel_status status =
          checkGroupedMatmul(op, type, outType, rows, depth, cols, experts))
    return status;
  if (braid_rt_kernel_status status =
          checkPointer(op, "group_sizes", groupSizes, experts))
    return status;
  if (!isIndexElem(sizesType))
    return invalid(op, "group_sizes must be i32 or i64, not ",
                   braid_rt_elem_name(sizesType));
  // The output as a GEMM's C cut along M: the chunks and their tile blocks
  // are row blocks, checked, ordered and released as a GEMM's.
  braid_rt_gemm_desc rowBlocks = braid_rt_gemm_desc_dense(
      1, rows, cols, depth, type, type, outType, /*accumulate=*/0);
  return checkChunkedGemm(op, &rowBlocks, BRAID_RT_GEMM_CUT_M, chunks, order,
                          tilesPerChunk);
}

} // namespace braid_rt::kernels

extern "C" int braid_rt_cpu_grouped_matmul_chunked(
    braid_rt_elem type, braid_rt_elem out_type, int64_t rows, int64_t depth,
    int64_t cols, int64_t experts, const void *lhs, const void *rhs,
    const void *group_sizes, braid_rt_elem sizes_type, void *out,
    braid_rt_gemm_numerics numerics, int64_t chunks, const int64_t *order,
    int64_t tiles_per_chunk, braid_rt_gemm_release_fn release, void *user) {
  constexpr const char *op = "grouped_matmul_chunked";
  if (braid_rt_kernel_status status = checkChunkedGroupedMatmul(
          op, type, out_type, rows, depth, cols, experts, group_sizes,
          sizes_type, chunks, order, tiles_per_chunk))
    return status;
  // Group e holds rows [bounds[e], bounds[e + 1]).
  std::vector<int64_t> bounds(static_cast<size_t>(experts) + 1, 0);
  dispatchIndex(op, "group_sizes", sizes_type, [&](auto tag) {
    using I = decltype(tag);
    auto *sizes = static_cast<const I *>(group_sizes);
    for (int64_t e = 0; e < experts; ++e)
      bounds[e + 1] =
          bounds[e] + std::max<int64_t>(0, static_cast<int64_t>(sizes[e]));
    return BRAID_RT_KERNEL_OK;
  });
  std::vector<int64_t> clipped(static_cast<size_t>(experts));
  size_t lhsRowBytes = static_cast<size_t>(depth) * braid_rt_elem_size(type);
  size_t outRowBytes = static_cast<size_t>(cols) * braid_rt_elem_size(out_type);
  return forEachChunkBlock(
      rows, chunks, order, tiles_per_chunk,
      [&](int64_t begin, int64_t end) {
        // A block's rows keep their groups, clipped to the block: each row
        // is the same dot products as in one call.
        for (int64_t e = 0; e < experts; ++e)
          clipped[e] = std::max<int64_t>(
              0, std::min(bounds[e + 1], end) - std::max(bounds[e], begin));
        return braid_rt_cpu_grouped_matmul(
            type, out_type, end - begin, depth, cols, experts,
            lhs ? static_cast<const char *>(lhs) + begin * lhsRowBytes
                : nullptr,
            rhs, clipped.data(), BRAID_RT_ELEM_I64,
            out ? static_cast<char *>(out) + begin * outRowBytes : nullptr,
            numerics, nullptr, 0);
      },
      release, user);
}
