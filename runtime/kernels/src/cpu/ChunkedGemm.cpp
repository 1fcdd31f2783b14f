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
