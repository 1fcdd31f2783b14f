/*===- braid_exec_cuda.h - what emitted CUDA host code adds ------*- C -*-===*\
|*                                                                            *|
|* A CUDA program (braid_program_desc.device == BRAID_PROGRAM_DEVICE_CUDA)    *|
|* calls braid_exec.h as the CPU target does, plus these. Stream 0 is a CUDA  *|
|* stream the program owns (not the calling thread): the host only enqueues. *|
|* Streams 1..n are CUDA streams with the descriptor's priorities. A fork is  *|
|* an event from stream 0 to stream s, a wait an event from s to stream 0;    *|
|* collectives run on their communicator's stream, ordered by events (NCCL),  *|
|* or staged through pinned host memory (hybrid mode, MPI engine).           *|
\*===----------------------------------------------------------------------===*/

#ifndef BRAID_RT_BRAID_EXEC_CUDA_H
#define BRAID_RT_BRAID_EXEC_CUDA_H

#include "braid_rt/braid_program.h"
#include "braid_rt/kernels.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The cudaStream_t of program stream `stream` (NULL after failing the step
 * when there is no such stream). */
void *braid_exec_cuda_stream(braid_exec *exec, int stream);

/* A GEMM through the program's cuBLASLt cache, with the workspace of
 * `stream`, enqueued on it. Returns a braid_rt_kernel_status. */
int braid_exec_cuda_gemm(braid_exec *exec, int stream,
                         const braid_rt_gemm_desc *desc, const void *a,
                         const void *b, void *c);

/* Tracing (braid_program_set_tracing; docs/Runtime.md, "Trace format"):
 * when the step is traced, a span of `label` on program stream `stream`,
 * timed by CUDA events recorded on that stream before and after the work
 * enqueued between the two calls. Nothing waits: the events are read when
 * the step has ended. Returns the token braid_exec_cuda_span_end takes (-1
 * when the step is not traced; ending -1 does nothing). */
int braid_exec_cuda_span_begin(braid_exec *exec, int stream,
                               const char *label);
void braid_exec_cuda_span_end(braid_exec *exec, int token);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* BRAID_RT_BRAID_EXEC_CUDA_H */
