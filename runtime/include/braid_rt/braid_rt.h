/*===- braid_rt.h - C API of Braid's runtime ---------------------*- C -*-===*\
|*                                                                            *|
|* What compiled Braid programs and the frameworks that embed them call.      *|
|* Every function returns a braid_rt_status; on failure,                      *|
|* braid_rt_last_error() gives a message naming the operation, the            *|
|* communicator and the rank. Nothing here throws, aborts or exits, except    *|
|* the watchdog (see docs/Runtime.md, "Failure model").                       *|
|*                                                                            *|
|* Handles are opaque. A context owns its communicators and their streams;    *|
|* everything created with *_create is the caller's and must be destroyed     *|
|* before the context. Operations on streams are asynchronous, with CUDA's    *|
|* semantics on CPU and GPU alike (docs/Runtime.md, "Streams").               *|
|*                                                                            *|
|* Embedding a caller's MPI_Comm or ncclComm_t: braid_rt_mpi.h,               *|
|* braid_rt_nccl.h.                                                           *|
\*===----------------------------------------------------------------------===*/

#ifndef BRAID_RT_BRAID_RT_H
#define BRAID_RT_BRAID_RT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Bumped on every incompatible change; compare with braid_rt_api_version(). */
#define BRAID_RT_API_VERSION 2 /* 2: triggered collectives */

typedef enum braid_rt_status {
  BRAID_RT_OK = 0,
  BRAID_RT_INVALID_ARGUMENT = 1,
  BRAID_RT_OUT_OF_MEMORY = 2,
  BRAID_RT_COMMUNICATION_ERROR = 3,
  BRAID_RT_TIMEOUT = 4,
  BRAID_RT_PEER_FAILURE = 5,
  BRAID_RT_UNAVAILABLE = 6, /* not built in, or no such device */
  BRAID_RT_INTERNAL = 7
} braid_rt_status;

typedef enum braid_rt_engine {
  BRAID_RT_ENGINE_MPI = 0,
  BRAID_RT_ENGINE_NCCL = 1
} braid_rt_engine;

typedef enum braid_rt_dtype {
  BRAID_RT_F64 = 0,
  BRAID_RT_F32 = 1,
  BRAID_RT_F16 = 2,
  BRAID_RT_BF16 = 3,
  BRAID_RT_I64 = 4,
  BRAID_RT_I32 = 5,
  BRAID_RT_I8 = 6
} braid_rt_dtype;

typedef enum braid_rt_reduce_op {
  BRAID_RT_SUM = 0,
  BRAID_RT_MAX = 1,
  BRAID_RT_MIN = 2,
  BRAID_RT_PROD = 3
} braid_rt_reduce_op;

typedef enum braid_rt_memory {
  BRAID_RT_MEMORY_HOST = 0,
  BRAID_RT_MEMORY_PINNED_HOST = 1, /* page-locked (CUDA staging) */
  BRAID_RT_MEMORY_DEVICE = 2       /* the engine's device (CPU: host) */
} braid_rt_memory;

typedef struct braid_rt_context braid_rt_context;
typedef struct braid_rt_comm braid_rt_comm;
typedef struct braid_rt_stream braid_rt_stream;
typedef struct braid_rt_event braid_rt_event;
typedef struct braid_rt_counter braid_rt_counter;
typedef struct braid_rt_arena braid_rt_arena;

/*--- Versions and errors ---------------------------------------------------*/

/* BRAID_RT_API_VERSION of the library (the header may be older or newer). */
int braid_rt_api_version(void);
/* "ok", "invalid_argument", ... */
const char *braid_rt_status_name(braid_rt_status status);
/* Message of the last call on this thread that failed ("" if none). Valid
 * until the next failing call on this thread. */
const char *braid_rt_last_error(void);

/*--- Contexts --------------------------------------------------------------*/

/* MPI engine for ranks started by mpirun/srun. Initializes MPI (with
 * MPI_THREAD_MULTIPLE) unless the caller did; the context then finalizes
 * it. Installs the watchdog's abort (MPI_Abort) and a SIGTERM report. */
braid_rt_status braid_rt_init_mpi(int *argc, char ***argv,
                                  braid_rt_context **out);
/* NCCL engine on CUDA device `cuda_device`, ranks from an MPI launch (one
 * rank when built without MPI). */
braid_rt_status braid_rt_init_nccl(int *argc, char ***argv, int cuda_device,
                                   braid_rt_context **out);
/* Fails (and destroys nothing) while streams, events, counters or arenas of
 * the context are alive. */
braid_rt_status braid_rt_context_destroy(braid_rt_context *context);

braid_rt_status braid_rt_context_engine(const braid_rt_context *context,
                                        braid_rt_engine *engine);
braid_rt_status braid_rt_rank(const braid_rt_context *context, int *rank);
braid_rt_status braid_rt_size(const braid_rt_context *context, int *size);
/* Bound of every wait of this process from now on (default 60 s, or
 * BRAID_RT_TIMEOUT_S). */
braid_rt_status braid_rt_set_timeout(braid_rt_context *context,
                                     double seconds);

/*--- Communicators (owned by the context) ----------------------------------*/

braid_rt_status braid_rt_world(braid_rt_context *context,
                               braid_rt_comm **out);
/* This rank's communicator over `axes` of a grid of `shape` (row-major
 * positions; `device_order`, if not NULL, gives the world rank at each
 * position). Members are ranked row-major over `axes` in the listed order.
 * The first call for a grid and axes is collective over the world and
 * creates it; later calls return the same communicator. */
braid_rt_status braid_rt_grid_comm(braid_rt_context *context, int ndims,
                                   const int64_t *shape,
                                   const int32_t *device_order, int naxes,
                                   const int32_t *axes, braid_rt_comm **out);
braid_rt_status braid_rt_comm_rank(const braid_rt_comm *comm, int *rank);
braid_rt_status braid_rt_comm_size(const braid_rt_comm *comm, int *size);
/* Valid as long as the context. */
braid_rt_status braid_rt_comm_name(const braid_rt_comm *comm,
                                   const char **name);
/* The communicator's own stream (owned by the context). */
braid_rt_status braid_rt_comm_stream(braid_rt_comm *comm,
                                     braid_rt_stream **out);

/*--- Collectives: enqueued on `stream`, counts in elements ------------------*/

braid_rt_status braid_rt_all_reduce(braid_rt_comm *comm, const void *send,
                                    void *recv, size_t count,
                                    braid_rt_dtype dtype,
                                    braid_rt_reduce_op op,
                                    braid_rt_stream *stream);
braid_rt_status braid_rt_all_gather(braid_rt_comm *comm, const void *send,
                                    void *recv, size_t send_count,
                                    braid_rt_dtype dtype,
                                    braid_rt_stream *stream);
braid_rt_status braid_rt_reduce_scatter(braid_rt_comm *comm, const void *send,
                                        void *recv, size_t recv_count,
                                        braid_rt_dtype dtype,
                                        braid_rt_reduce_op op,
                                        braid_rt_stream *stream);
braid_rt_status braid_rt_all_to_all(braid_rt_comm *comm, const void *send,
                                    void *recv, size_t count_per_peer,
                                    braid_rt_dtype dtype,
                                    braid_rt_stream *stream);
/* Arrays of comm-size entries, in elements. */
braid_rt_status braid_rt_all_to_all_v(
    braid_rt_comm *comm, const void *send, const size_t *send_counts,
    const size_t *send_offsets, void *recv, const size_t *recv_counts,
    const size_t *recv_offsets, braid_rt_dtype dtype, braid_rt_stream *stream);
braid_rt_status braid_rt_broadcast(braid_rt_comm *comm, const void *send,
                                   void *recv, size_t count,
                                   braid_rt_dtype dtype, int root,
                                   braid_rt_stream *stream);
braid_rt_status braid_rt_barrier(braid_rt_comm *comm,
                                 braid_rt_stream *stream);

typedef enum braid_rt_transfer_kind {
  BRAID_RT_SEND = 0,
  BRAID_RT_RECV = 1
} braid_rt_transfer_kind;

typedef struct braid_rt_peer_transfer {
  braid_rt_transfer_kind kind;
  int peer; /* rank in the communicator */
  void *buffer;
  size_t count;
  braid_rt_dtype dtype;
} braid_rt_peer_transfer;

/* Posts all transfers together and completes them together (a ring step's
 * send and receive never deadlock). */
braid_rt_status braid_rt_send_recv(braid_rt_comm *comm,
                                   const braid_rt_peer_transfer *transfers,
                                   size_t num_transfers,
                                   braid_rt_stream *stream);

/*--- Triggered collectives (producer fusion, docs/Runtime.md) --------------*/

/* The order in which a producer computes the chunks of a triggered
 * collective's buffer. */
typedef enum braid_rt_chunk_order {
  BRAID_RT_CHUNK_ORDER_NATURAL = 0, /* position i is chunk i (all_gather) */
  BRAID_RT_CHUNK_ORDER_RING = 1     /* T3's ring order (reduce_scatter,
                                       all_reduce) */
} braid_rt_chunk_order;

/* The chunk a producer on rank `rank` of a group of `size` computes at
 * `position` of `chunks`. RING (chunks a multiple of size, k = chunks /
 * size): position s*k + q is chunk ((rank - s - 1) mod size)*k + q, the
 * block the ring's step s consumes on this rank. -1 for invalid arguments. */
int64_t braid_rt_chunk_at(braid_rt_chunk_order order, int rank, int size,
                          int64_t chunks, int64_t position);

/* What a triggered collective waits on. The producer computes the buffer's
 * `chunks` chunks in the collective's order and, after tile t (0 ..
 * tiles_per_chunk-1) of position i, raises `counter` to
 *   (epoch * chunks + i) * tiles_per_chunk + t + 1
 * (braid_rt_trigger_release); the collective moves position i once the
 * counter reaches (epoch * chunks + i + 1) * tiles_per_chunk. With one tile
 * per chunk that is epoch * chunks + i + 1. `epoch` is the step number, so a
 * step never sees an earlier step's releases and counters are never reset;
 * the counter must start at or below epoch * chunks * tiles_per_chunk. */
typedef struct braid_rt_trigger {
  braid_rt_counter *counter;
  uint64_t epoch;
  uint64_t tiles_per_chunk; /* 0 is read as 1 */
} braid_rt_trigger;

/* Host side of a producer (a CPU kernel's release callback): raises the
 * trigger's counter to the value that releases tile `tile` of position
 * `position` of `chunks`. */
braid_rt_status braid_rt_trigger_release(const braid_rt_trigger *trigger,
                                         uint64_t chunks, uint64_t position,
                                         uint64_t tile);

/* reduce_scatter in T3's ring order, triggered chunk by chunk. `send` holds
 * comm-size blocks of recv_count elements, each cut into chunks_per_rank
 * chunks (recv_count a multiple of it); the producer computes them in
 * BRAID_RT_CHUNK_ORDER_RING (chunks = size * chunks_per_rank). Step s of
 * rank r waits for block (r - s - 1) mod size, adds it to the partial sum
 * received from rank r - 1 (received + own) and sends it to rank r + 1;
 * the last step writes block r to `recv`. Block b is folded over ranks
 * b+1, b+2, ..., b: identical run to run, within the numerics contract of
 * braid_rt_reduce_scatter's rank-order fold (not bitwise equal to it). The
 * buffers must not overlap. MPI engine; the NCCL engine answers
 * BRAID_RT_UNAVAILABLE. */
braid_rt_status braid_rt_reduce_scatter_triggered(
    braid_rt_comm *comm, const void *send, void *recv, size_t recv_count,
    braid_rt_dtype dtype, braid_rt_reduce_op op,
    const braid_rt_trigger *trigger, size_t chunks_per_rank,
    braid_rt_stream *stream);
/* braid_rt_reduce_scatter_triggered with blocks of count / size elements
 * (count a multiple of size * chunks_per_rank), each reduced chunk then sent
 * to every rank as soon as it is done: every rank gets the owner's bytes.
 * May run in place (send == recv). */
braid_rt_status braid_rt_all_reduce_triggered(
    braid_rt_comm *comm, const void *send, void *recv, size_t count,
    braid_rt_dtype dtype, braid_rt_reduce_op op,
    const braid_rt_trigger *trigger, size_t chunks_per_rank,
    braid_rt_stream *stream);
/* all_gather whose send block (send_count elements, a multiple of `chunks`)
 * is produced in `chunks` chunks in natural order: chunk i goes to every
 * rank as soon as it is released. Bitwise the same as braid_rt_all_gather;
 * `send` may be this rank's block of `recv`. */
braid_rt_status braid_rt_all_gather_triggered(
    braid_rt_comm *comm, const void *send, void *recv, size_t send_count,
    braid_rt_dtype dtype, const braid_rt_trigger *trigger, size_t chunks,
    braid_rt_stream *stream);

/*--- Streams, events, counters ---------------------------------------------*/

/* `priority`: lower runs first (CUDA's convention), a hint. */
braid_rt_status braid_rt_stream_create(braid_rt_context *context,
                                       const char *name, int priority,
                                       braid_rt_stream **out);
/* Waits for the stream's work, then destroys it. */
braid_rt_status braid_rt_stream_destroy(braid_rt_stream *stream);
/* Blocks until idle; returns the stream's sticky error. */
braid_rt_status braid_rt_stream_synchronize(braid_rt_stream *stream);
braid_rt_status braid_rt_stream_query(braid_rt_stream *stream, int *idle);
/* Copies `bytes` between host memory and the engine's device memory, in
 * stream order. */
braid_rt_status braid_rt_stream_copy(braid_rt_stream *stream, void *dst,
                                     const void *src, size_t bytes);
/* Runs fn(user_data) on the stream, in order; a non-zero result becomes the
 * stream's error. On CUDA streams fn must not call CUDA. */
braid_rt_status braid_rt_stream_launch_host(braid_rt_stream *stream,
                                            int (*fn)(void *user_data),
                                            void *user_data);

braid_rt_status braid_rt_event_create(braid_rt_context *context, int timing,
                                      braid_rt_event **out);
braid_rt_status braid_rt_event_destroy(braid_rt_event *event);
braid_rt_status braid_rt_event_record(braid_rt_event *event,
                                      braid_rt_stream *stream);
braid_rt_status braid_rt_stream_wait_event(braid_rt_stream *stream,
                                           braid_rt_event *event);
braid_rt_status braid_rt_event_query(braid_rt_event *event, int *done);
braid_rt_status braid_rt_event_synchronize(braid_rt_event *event);
braid_rt_status braid_rt_event_elapsed_ms(braid_rt_event *start,
                                          braid_rt_event *end, double *ms);

/* A monotonic 64-bit value. Signal values must not go backwards; programs
 * use epoch values (step * chunks + chunk + 1). */
braid_rt_status braid_rt_counter_create(braid_rt_context *context,
                                        const char *name, uint64_t initial,
                                        braid_rt_counter **out);
braid_rt_status braid_rt_counter_destroy(braid_rt_counter *counter);
/* Sets the counter to `value` once the stream's earlier work has run. */
braid_rt_status braid_rt_counter_signal(braid_rt_stream *stream,
                                        braid_rt_counter *counter,
                                        uint64_t value);
/* Later work on the stream waits until the counter is >= `value`. */
braid_rt_status braid_rt_stream_wait_counter(braid_rt_stream *stream,
                                             braid_rt_counter *counter,
                                             uint64_t value);
braid_rt_status braid_rt_counter_value(braid_rt_counter *counter,
                                       uint64_t *value);
braid_rt_status braid_rt_counter_host_signal(braid_rt_counter *counter,
                                             uint64_t value);
braid_rt_status braid_rt_counter_host_wait(braid_rt_counter *counter,
                                           uint64_t value, double timeout_s);
/* CPU only: raises the value by `delta` (kernels releasing tiles). */
braid_rt_status braid_rt_counter_host_add(braid_rt_counter *counter,
                                          uint64_t delta);

/*--- Memory ----------------------------------------------------------------*/

/* One allocation of `bytes` for a program, its base aligned to `alignment`
 * (a power of two; at least 64). DEVICE arenas are registered with every
 * communicator of the context, those there now and those made later (NCCL
 * engine: allocated by ncclMemAlloc, registered by ncclCommRegister, so
 * collectives on buffers inside them can skip NCCL's internal copies);
 * PINNED_HOST arenas are page-locked staging memory for a GPU (ordinary host
 * memory on a machine without one). */
braid_rt_status braid_rt_arena_create(braid_rt_context *context,
                                      uint64_t bytes, uint64_t alignment,
                                      braid_rt_memory kind,
                                      braid_rt_arena **out);
/* Deregisters (no operation on the arena may be in flight) and frees; the
 * memory is freed even when deregistering fails, which is reported. */
braid_rt_status braid_rt_arena_destroy(braid_rt_arena *arena);
braid_rt_status braid_rt_arena_size(const braid_rt_arena *arena,
                                    uint64_t *bytes);
/* The `bytes` at `offset`; fails when they do not fit or `offset` is not a
 * multiple of `alignment` (1: any). */
braid_rt_status braid_rt_arena_at(const braid_rt_arena *arena,
                                  uint64_t offset, uint64_t bytes,
                                  uint64_t alignment, void **pointer);
/* Synchronous copies between host memory and the engine's device memory. */
braid_rt_status braid_rt_copy_to_device(braid_rt_context *context, void *dst,
                                        const void *src, size_t bytes);
braid_rt_status braid_rt_copy_to_host(braid_rt_context *context, void *dst,
                                      const void *src, size_t bytes);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* BRAID_RT_BRAID_RT_H */
