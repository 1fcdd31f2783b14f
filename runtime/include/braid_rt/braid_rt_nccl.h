/*===- braid_rt_nccl.h - embedding braid_rt beside NCCL ----------*- C -*-===*\
|*                                                                            *|
|* For a framework that already has a NCCL communicator, or distributes a     *|
|* NCCL unique id itself. Available when braid_rt was built with CUDA         *|
|* (BRAID_RT_ENABLE_CUDA); otherwise these return BRAID_RT_UNAVAILABLE.       *|
\*===----------------------------------------------------------------------===*/

#ifndef BRAID_RT_BRAID_RT_NCCL_H
#define BRAID_RT_BRAID_RT_NCCL_H

#include "braid_rt/braid_rt.h"

#include <cuda_runtime.h>
#include <nccl.h>

#ifdef __cplusplus
extern "C" {
#endif

/* NCCL engine over the caller's communicator, which the caller keeps (it is
 * neither finalized nor destroyed here; grid communicators are split from
 * it). Memory and streams on CUDA device `cuda_device`. */
braid_rt_status braid_rt_init_from_nccl_comm(ncclComm_t comm, int cuda_device,
                                             braid_rt_context **out);
/* NCCL engine from a unique id the caller distributed to `nranks` ranks. */
braid_rt_status braid_rt_init_nccl_unique_id(const ncclUniqueId *id,
                                             int nranks, int rank,
                                             int cuda_device,
                                             braid_rt_context **out);
/* The CUDA stream of a stream of the NCCL engine. */
braid_rt_status braid_rt_stream_cuda(braid_rt_stream *stream,
                                     cudaStream_t *cuda_stream);
/* The counter's 64-bit word in device memory, for kernels that raise it. */
braid_rt_status braid_rt_counter_device_pointer(braid_rt_counter *counter,
                                                uint64_t **word);
/* Sets the counter to `value` once the work enqueued on `cuda_stream` so far
 * has run (cuStreamWriteValue64): braid_rt_counter_signal for a CUDA stream
 * the runtime does not own, such as a compiled program's. */
braid_rt_status braid_rt_counter_signal_cuda(braid_rt_counter *counter,
                                             cudaStream_t cuda_stream,
                                             uint64_t value);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* BRAID_RT_BRAID_RT_NCCL_H */
