/*===- braid_exec.h - what emitted Braid host code calls ---------*- C -*-===*\
|*                                                                            *|
|* The step function `braid-compile` emits calls only these functions, the   *|
|* kernels (braid_rt/kernels.h) and libc. Stream 0 is the calling thread:    *|
|* host-stream ops run inline, in order. Streams 1..n are the program's      *|
|* worker streams (CUDA semantics, braid_rt.h); communication is issued      *|
|* from the calling thread in program order on every rank, so every rank     *|
|* posts the same collectives in the same order (DESIGN.md, "Ordering").     *|
|*                                                                            *|
|* Errors: the first failure of a step is recorded with `where` (the op's   *|
|* location) and every later call of the step does nothing; the step        *|
|* returns that failure. Emitted code therefore needs no error branches.    *|
\*===----------------------------------------------------------------------===*/

#ifndef BRAID_RT_BRAID_EXEC_H
#define BRAID_RT_BRAID_EXEC_H

#include "braid_rt/braid_program.h"
#include "braid_rt/kernels.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Non-zero once the current step has failed. */
int braid_exec_failed(braid_exec *exec);
void braid_exec_fail(braid_exec *exec, const char *where, const char *message);
/* `rc` is a braid_rt_cpu_* kernel's result; non-zero fails the step with
 * braid_rt_kernel_last_error(). */
void braid_exec_check_kernel(braid_exec *exec, int rc, const char *where);

/* This rank's position in communicator `comm` (braid.rank). */
int64_t braid_exec_comm_rank(braid_exec *exec, int comm);

/*--- Streams and events ----------------------------------------------------*/

/* Work enqueued on `stream` from now on starts after the host's work so far
 * (a fork: nothing to do on CPU, an event on CUDA). */
void braid_exec_fork(braid_exec *exec, int stream);
/* Records event `event` (0..num_events-1) after the work enqueued so far on
 * `stream`. */
void braid_exec_record(braid_exec *exec, int event, int stream);
/* The host waits until `event` has completed (a join). */
void braid_exec_wait(braid_exec *exec, int event);
/* Runs fn(arg) on worker `stream`, in order; a non-zero result fails the
 * step with `where`. `arg` must stay valid until the step ends. */
void braid_exec_launch(braid_exec *exec, int stream, int (*fn)(void *),
                       void *arg, const char *where);

/*--- Communication, enqueued on `stream` (0: the host waits for it) --------*/

void braid_exec_all_reduce(braid_exec *exec, int comm, const void *send,
                           void *recv, size_t count, braid_rt_dtype dtype,
                           braid_rt_reduce_op op, int stream,
                           const char *where);
void braid_exec_all_gather(braid_exec *exec, int comm, const void *send,
                           void *recv, size_t send_count,
                           braid_rt_dtype dtype, int stream,
                           const char *where);
void braid_exec_reduce_scatter(braid_exec *exec, int comm, const void *send,
                               void *recv, size_t recv_count,
                               braid_rt_dtype dtype, braid_rt_reduce_op op,
                               int stream, const char *where);
void braid_exec_all_to_all(braid_exec *exec, int comm, const void *send,
                           void *recv, size_t count_per_peer,
                           braid_rt_dtype dtype, int stream,
                           const char *where);
void braid_exec_broadcast(braid_exec *exec, int comm, const void *send,
                          void *recv, size_t count, braid_rt_dtype dtype,
                          int root, int stream, const char *where);
/* collective_permute: `pairs` holds num_pairs (source, target) positions in
 * the communicator. This rank sends to its targets and receives from its
 * source; without a source, `recv` is zero-filled. */
void braid_exec_permute(braid_exec *exec, int comm, const void *send,
                        void *recv, size_t count, braid_rt_dtype dtype,
                        const int32_t *pairs, int num_pairs, int stream,
                        const char *where);

/*--- Producer fusion: a GEMM releasing a counter, triggered collectives ----*/
/* (docs/Runtime.md, "Triggered collectives"). Counters are the program's
 * (0 .. num_counters-1 of the descriptor), start at 0 and only grow. The
 * producer and its collective name the same counter, epoch, chunk count and
 * tiles per chunk; the collective's chunks are the GEMM's: chunk c of the
 * output buffer is its c-th `chunks`-th. */

/* Steps begun on this program before the current one: 0, 1, 2, ... The
 * epoch a counter's ops pass; a counter used by u triggered ops per step
 * passes braid_exec_epoch() * u + (the op's index among them). */
uint64_t braid_exec_epoch(braid_exec *exec);
/* The epoch of the next use of counter `counter`: 0, 1, 2, ... over the
 * program's life, one per call. Compiled programs call it once per
 * producer/collective pair (braid.cmd.next_epoch), so a pair inside a loop
 * gets a fresh epoch per iteration; every rank makes the same calls. */
uint64_t braid_exec_next_epoch(braid_exec *exec, int counter,
                               const char *where);

/* A fused epilogue the chunked GEMM runs on each tile block's rows of C
 * before it releases them (the compiler outlines it; docs/Lowering.md,
 * "Producer fusion"): fn(state, row_begin, row_end) returns 0 or a kernel
 * status. `state_bytes` bytes at `state` (trivially copyable) are copied
 * when the producer is issued, so the emitted step's locals may die. With
 * `rows_per_block` > 0 every block must hold exactly that many rows (the
 * outlined function has static shapes): m must cut into chunks *
 * tiles_per_chunk blocks of it. On CUDA, fn only enqueues on the producer's
 * stream, before the block's release. */
typedef struct braid_exec_epilogue {
  int (*fn)(void *state, int64_t row_begin, int64_t row_end);
  const void *state;
  size_t state_bytes;
  int64_t rows_per_block;
} braid_exec_epilogue;

/* C = A·B (braid_rt_cpu_gemm_chunked) on `stream`, computed in `chunks`
 * chunks cut along `cut`, in `order` (RING: ring order of this rank in comm
 * `comm`, chunks a multiple of its size; NATURAL: 0, 1, ...; `comm` is then
 * ignored), each chunk as `tiles_per_chunk` tile blocks (1: whole chunks);
 * after each tile block it raises counter `counter` to the value of
 * braid_rt_trigger_release (epoch `epoch`). `desc` is copied; the operands
 * must stay valid until the step ends. `epilogue` (NULL: none; cut M
 * only) runs on each block's rows before its release. If the GEMM or the
 * epilogue fails, the counter is poisoned: a collective waiting on it fails
 * with that error instead of waiting out the timeout. */
void braid_exec_gemm_signal(braid_exec *exec, int stream,
                            const braid_rt_gemm_desc *desc, const void *a,
                            const void *b, void *c,
                            braid_rt_gemm_numerics numerics,
                            braid_rt_gemm_cut cut, int64_t chunks,
                            braid_rt_chunk_order order, int comm, int counter,
                            uint64_t epoch, int64_t tiles_per_chunk,
                            const braid_exec_epilogue *epilogue,
                            const char *where);

/* The same producer for braid.grouped_matmul
 * (braid_rt_cpu_grouped_matmul_chunked: `chunks` row chunks in `order`, each
 * as `tiles_per_chunk` row blocks, the counter raised after each); on a
 * CUDA program braid_rt_cuda_grouped_matmul_chunked on the stream, as
 * braid_exec_gemm_signal runs braid_rt_cuda_gemm_chunked there. */
void braid_exec_grouped_matmul_signal(
    braid_exec *exec, int stream, braid_rt_elem type, braid_rt_elem out_type,
    int64_t rows, int64_t depth, int64_t cols, int64_t experts,
    const void *lhs, const void *rhs, const void *group_sizes,
    braid_rt_elem sizes_type, void *out, braid_rt_gemm_numerics numerics,
    int64_t chunks, braid_rt_chunk_order order, int comm, int counter,
    uint64_t epoch, int64_t tiles_per_chunk, const char *where);

/* braid_rt_reduce_scatter_triggered on comm `comm`: send is the GEMM's
 * output (size * recv_count elements), produced by braid_exec_gemm_signal
 * with chunks = size * chunks_per_rank in RING order on the same comm. */
void braid_exec_reduce_scatter_triggered(
    braid_exec *exec, int comm, const void *send, void *recv,
    size_t recv_count, braid_rt_dtype dtype, braid_rt_reduce_op op,
    int counter, uint64_t epoch, int64_t chunks_per_rank,
    int64_t tiles_per_chunk, int stream, const char *where);
/* braid_rt_all_reduce_triggered (count elements; may be in place); the
 * producer as for reduce_scatter. */
void braid_exec_all_reduce_triggered(
    braid_exec *exec, int comm, const void *send, void *recv, size_t count,
    braid_rt_dtype dtype, braid_rt_reduce_op op, int counter, uint64_t epoch,
    int64_t chunks_per_rank, int64_t tiles_per_chunk, int stream,
    const char *where);
/* braid_rt_all_gather_triggered: send (send_count elements, may be this
 * rank's block of recv) produced in `chunks` chunks in NATURAL order. */
void braid_exec_all_gather_triggered(
    braid_exec *exec, int comm, const void *send, void *recv,
    size_t send_count, braid_rt_dtype dtype, int counter, uint64_t epoch,
    int64_t chunks, int64_t tiles_per_chunk, int stream, const char *where);

/*--- Tracing of host-stream work (no-ops unless tracing is on) -------------*/

void braid_exec_span_begin(braid_exec *exec, const char *label);
void braid_exec_span_end(braid_exec *exec);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* BRAID_RT_BRAID_EXEC_H */
