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

namespace braid_rt::kernels {
namespace {

constexpr const char *kChunked = "gemm_chunked";

/// First row (column) of tile `index` when `extent` is cut into `parts`.
int64_t blockBegin(int64_t extent, int64_t parts, int64_t index) {
  return index * (extent / parts) + std::min(index, extent % parts);
}

} // namespace
} // namespace braid_rt::kernels

using namespace braid_rt::kernels;

extern "C" int braid_rt_cpu_gemm_chunked(
    const braid_rt_gemm_desc *desc, const void *a, const void *b, void *c,
    braid_rt_gemm_numerics numerics, void *workspace, size_t workspace_bytes,
    braid_rt_gemm_cut cut, int64_t chunks, const int64_t *order,
    int64_t tiles_per_chunk, braid_rt_gemm_release_fn release, void *user) {
  if (!desc)
    return invalid(kChunked, "the GEMM descriptor is null");
  if (desc->batch != 1)
    return invalid(kChunked, "batch = ", desc->batch,
                   " (a chunked GEMM computes one matrix)");
  if (cut != BRAID_RT_GEMM_CUT_M && cut != BRAID_RT_GEMM_CUT_N)
    return invalid(kChunked, "cut ", static_cast<int>(cut),
                   " is neither M (0) nor N (1)");
  bool alongM = cut == BRAID_RT_GEMM_CUT_M;
  int64_t extent = alongM ? desc->m : desc->n;
  const char *axis = alongM ? "m" : "n";
  if (chunks < 1)
    return invalid(kChunked, "chunks = ", chunks, " (at least 1)");
  if (tiles_per_chunk < 1)
    return invalid(kChunked, "tiles_per_chunk = ", tiles_per_chunk,
                   " (at least 1)");
  if (extent < 0 || extent % chunks != 0)
    return invalid(kChunked, axis, " = ", extent,
                   " is not a multiple of chunks = ", chunks,
                   " (chunk c must be exactly the c-th part of the output)");
  if (order) {
    std::vector<bool> seen(static_cast<size_t>(chunks), false);
    for (int64_t i = 0; i < chunks; ++i) {
      if (order[i] < 0 || order[i] >= chunks || seen[order[i]])
        return invalid(kChunked, "order[", i, "] = ", order[i],
                       ": the order must name each of the ", chunks,
                       " chunks once");
      seen[order[i]] = true;
    }
  }
  size_t aElem = braid_rt_elem_size(desc->a_type);
  size_t bElem = braid_rt_elem_size(desc->b_type);
  size_t cElem = braid_rt_elem_size(desc->c_type);
  int64_t chunkExtent = extent / chunks;
  for (int64_t position = 0; position < chunks; ++position) {
    int64_t chunk = order ? order[position] : position;
    for (int64_t tile = 0; tile < tiles_per_chunk; ++tile) {
      int64_t begin = chunk * chunkExtent +
                      blockBegin(chunkExtent, tiles_per_chunk, tile);
      int64_t end = chunk * chunkExtent +
                    blockBegin(chunkExtent, tiles_per_chunk, tile + 1);
      braid_rt_gemm_desc piece = *desc;
      const char *aPiece = static_cast<const char *>(a);
      const char *bPiece = static_cast<const char *>(b);
      char *cPiece = static_cast<char *>(c);
      if (alongM) {
        piece.m = end - begin;
        // Row `begin` of A: a column of the stored [k, m] when transposed.
        aPiece += (desc->trans_a ? begin : begin * desc->lda) * aElem;
        cPiece += begin * desc->ldc * cElem;
      } else {
        piece.n = end - begin;
        bPiece += (desc->trans_b ? begin * desc->ldb : begin) * bElem;
        cPiece += begin * cElem;
      }
      if (end > begin)
        if (int status = braid_rt_cpu_gemm(&piece, a ? aPiece : nullptr,
                                           b ? bPiece : nullptr,
                                           c ? cPiece : nullptr, numerics,
                                           workspace, workspace_bytes))
          return status;
      if (release)
        if (int status = release(user, position, tile))
          return status;
    }
  }
  return BRAID_RT_KERNEL_OK;
}
