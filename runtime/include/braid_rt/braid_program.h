/*===- braid_program.h - the ABI of a compiled Braid program ------*- C -*-===*\
|*                                                                            *|
|* `braid-compile` turns one function of a Braid program into a shared       *|
|* library. The emitted code defines one symbol, `braid_program_descriptor`   *|
|* (what the program needs and its step function); the runtime's            *|
|* `braid_program` library, linked whole into the artifact, defines the     *|
|* functions below on top of it. A launcher (`braid-run`) or a framework      *|
|* dlopens the artifact and calls only these functions, so the artifact's    *|
|* copy of the runtime is the only one in the process.                        *|
|*                                                                            *|
|* One step = one call of the compiled function on caller buffers: argument  *|
|* and result buffers are host memory of the sizes the descriptor gives      *|
|* (row-major, dense). Every rank runs the same artifact (SPMD); shapes are  *|
|* those of one rank.                                                         *|
\*===----------------------------------------------------------------------===*/

#ifndef BRAID_RT_BRAID_PROGRAM_H
#define BRAID_RT_BRAID_PROGRAM_H

#include "braid_rt/braid_rt.h"

#ifdef __cplusplus
extern "C" {
#endif

#define BRAID_PROGRAM_ABI_VERSION 1
#define BRAID_PROGRAM_MAX_RANK 8

typedef struct braid_exec braid_exec;
typedef struct braid_program braid_program;

/* One argument or result of the step, as one rank sees it. */
typedef struct braid_program_tensor {
  braid_rt_dtype dtype;
  int32_t rank;
  int64_t shape[BRAID_PROGRAM_MAX_RANK];
} braid_program_tensor;

/* A communicator the program uses: this rank's group over `axes` of a grid
 * (braid_rt_grid_comm's arguments). Index i is "comm i" in braid_exec calls. */
typedef struct braid_program_comm {
  const char *grid;   /* the grid's symbol, for messages and traces */
  int32_t ndims;
  const int64_t *shape;
  const int32_t *device_order; /* NULL: identity */
  int32_t naxes;
  const int32_t *axes;
} braid_program_comm;

typedef void (*braid_program_step_fn)(braid_exec *exec,
                                      const void *const *args,
                                      void *const *results, char *arena);

typedef struct braid_program_desc {
  int32_t abi_version;        /* BRAID_PROGRAM_ABI_VERSION */
  const char *function;       /* the compiled function */
  const char *source;         /* the input file, for messages */
  int32_t world_size;         /* ranks the program runs on */
  int32_t num_args;
  const braid_program_tensor *args;
  int32_t num_results;
  const braid_program_tensor *results;
  uint64_t arena_bytes;       /* planned by braid-plan-arena */
  uint64_t arena_alignment;
  /* FNV-1a over the collective sequence (kind, grid, axes, type, bytes) in
   * issue order; ranks compare it at creation. */
  uint64_t collective_hash;
  int32_t num_comms;
  const braid_program_comm *comms;
  /* Worker streams 1..num_streams (stream 0 is the calling thread). */
  int32_t num_streams;
  const int32_t *stream_priorities; /* num_streams entries */
  int32_t num_events;
  const char *metadata_json;  /* all of the above, for tools */
  braid_program_step_fn step;
  /* Where the step's buffers live and its kernels run (BRAID_PROGRAM_DEVICE_*).
   * CUDA programs take device pointers in `step`; braid_program_step stages
   * the caller's host buffers. */
  int32_t device;
  /* Counters 0..num_counters-1 of the triggered ops (braid_exec.h). Last,
   * so a descriptor written without it has none. */
  int32_t num_counters;
} braid_program_desc;

#define BRAID_PROGRAM_DEVICE_CPU 0
#define BRAID_PROGRAM_DEVICE_CUDA 1

/* Defined by the emitted code. */
extern const braid_program_desc braid_program_descriptor;

/*--- Exported by every artifact (runtime/program/Program.cpp) --------------*/

const braid_program_desc *braid_program_get_desc(void);
/* The message of the last failure on this thread ("" if none). */
const char *braid_program_last_error(void);

/* Initialises the MPI engine from an mpirun/srun launch (the program owns
 * the context) and creates the program: communicators, streams, events and
 * the arena. Collective over the world: fails on every rank when the world
 * size differs from the descriptor's or when ranks loaded programs whose
 * collective sequences differ. */
braid_rt_status braid_program_create_mpi(int *argc, char ***argv,
                                         braid_program **out);
/* The NCCL engine on CUDA device `cuda_device` (ranks from an MPI launch,
 * one rank without MPI: no launcher needed) and the program on it. */
braid_rt_status braid_program_create_nccl(int *argc, char ***argv,
                                          int cuda_device,
                                          braid_program **out);
/* The same on a context the caller made (the caller keeps it). */
braid_rt_status braid_program_create(braid_rt_context *context,
                                     braid_program **out);
braid_rt_status braid_program_destroy(braid_program *program);

braid_rt_status braid_program_rank(const braid_program *program, int *rank,
                                   int *size);
/* One step: reads `args` (num_args buffers), writes `results`. Returns when
 * every stream of this rank is idle. */
braid_rt_status braid_program_step(braid_program *program,
                                   const void *const *args,
                                   void *const *results);

/* A CUDA program's step on device buffers of the descriptor's sizes
 * (braid_program_step stages host buffers through copies of its own). */
braid_rt_status braid_program_step_device(braid_program *program,
                                          const void *const *args,
                                          void *const *results);

/* Measurement support for launchers. */
braid_rt_status braid_program_barrier(braid_program *program);
/* Replaces `value` with its maximum over the world. */
braid_rt_status braid_program_max_over_ranks(braid_program *program,
                                             double *value);
/* Records a span per op and stream during the following steps. */
braid_rt_status braid_program_set_tracing(braid_program *program,
                                          int enabled);
/* Collective: rank 0 writes the spans of every rank of the last traced
 * step as a Chrome trace (one process per rank, one thread per stream),
 * in the form braid-estimate writes. */
braid_rt_status braid_program_write_trace(braid_program *program,
                                          const char *path);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* BRAID_RT_BRAID_PROGRAM_H */
