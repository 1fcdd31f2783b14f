//===- ChunkFold.h - the NCCL engine's reduction of two chunks --*- C++ -*-===//
//
// The one step of a ring reduce-scatter the NCCL engine computes itself:
// the partial received from the left folded with this rank's chunk, rounded
// as reduceInOrder rounds a fold of two sources (ElementOps.h), so the NCCL
// and MPI engines' triggered collectives agree bit for bit.
//
//===----------------------------------------------------------------------===//

#ifndef BRAID_RT_BACKENDS_NCCL_CHUNKFOLD_H
#define BRAID_RT_BACKENDS_NCCL_CHUNKFOLD_H

#include "braid_rt/DType.h"

#include <cuda_runtime.h>

#include <cstddef>

namespace braid_rt {

/// Enqueues dst[i] = received[i] op own[i] (i < count) on `stream`; `dst`
/// may be `received` or `own`. Device memory of the current device.
cudaError_t enqueueChunkFold(void *dst, const void *received, const void *own,
                             size_t count, DType dtype, ReduceOp op,
                             cudaStream_t stream);

} // namespace braid_rt

#endif // BRAID_RT_BACKENDS_NCCL_CHUNKFOLD_H
