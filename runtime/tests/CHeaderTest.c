/*===- CHeaderTest.c - the C API from C -----------------------------------===*\
|*                                                                            *|
|* The headers compile as C99 and link; with MPI (run as one rank) a C       *|
|* caller's out-of-range enum values are errors with messages, as C lets a   *|
|* caller pass any int.                                                       *|
\*===----------------------------------------------------------------------===*/

#include "braid_rt/braid_rt.h"
#ifdef BRAID_RT_HAVE_MPI
#include "braid_rt/braid_rt_mpi.h"
#endif
#ifdef BRAID_RT_HAVE_CUDA
#include "braid_rt/braid_rt_nccl.h"
#endif

#include <stdio.h>
#include <string.h>

static int failures = 0;

static void expect(int ok, const char *what) {
  if (!ok) {
    fprintf(stderr, "CHeaderTest: %s (last error: %s)\n", what,
            braid_rt_last_error());
    ++failures;
  }
}

int main(int argc, char **argv) {
  int rank = -1;
  expect(braid_rt_api_version() == BRAID_RT_API_VERSION,
         "library and header API versions differ");
  expect(braid_rt_rank(NULL, &rank) == BRAID_RT_INVALID_ARGUMENT,
         "a null context is an invalid argument");
  expect(strcmp(braid_rt_last_error(), "braid_rt_rank: `context` is null") ==
             0,
         "the message names the call and the argument");
#ifdef BRAID_RT_HAVE_MPI
  {
    braid_rt_context *context = NULL;
    braid_rt_comm *world = NULL;
    braid_rt_stream *stream = NULL;
    braid_rt_arena *arena = NULL;
    braid_rt_peer_transfer transfer;
    float value = 1.0f;
    if (braid_rt_init_mpi(&argc, &argv, &context) != BRAID_RT_OK) {
      fprintf(stderr, "CHeaderTest: %s\n", braid_rt_last_error());
      return 1;
    }
    expect(braid_rt_world(context, &world) == BRAID_RT_OK, "world");
    expect(braid_rt_stream_create(context, "c", 0, &stream) == BRAID_RT_OK,
           "stream");
    expect(braid_rt_all_reduce(world, &value, &value, 1, (braid_rt_dtype)9,
                               BRAID_RT_SUM, stream) ==
               BRAID_RT_INVALID_ARGUMENT,
           "element type 9 is rejected");
    expect(strstr(braid_rt_last_error(), "unknown element type 9") != NULL,
           "the message names the element type");
    expect(braid_rt_all_reduce(world, &value, &value, 1, BRAID_RT_F32,
                               (braid_rt_reduce_op)-1,
                               stream) == BRAID_RT_INVALID_ARGUMENT,
           "reduction -1 is rejected");
    transfer.kind = (braid_rt_transfer_kind)7;
    transfer.peer = 0;
    transfer.buffer = &value;
    transfer.count = 1;
    transfer.dtype = BRAID_RT_F32;
    expect(braid_rt_send_recv(world, &transfer, 1, stream) ==
               BRAID_RT_INVALID_ARGUMENT,
           "transfer kind 7 is rejected");
    expect(braid_rt_arena_create(context, 64, 64, (braid_rt_memory)5,
                                 &arena) == BRAID_RT_INVALID_ARGUMENT,
           "memory kind 5 is rejected");
    expect(braid_rt_stream_synchronize(stream) == BRAID_RT_OK,
           "nothing was enqueued");
    expect(braid_rt_stream_destroy(stream) == BRAID_RT_OK, "destroy stream");
    expect(braid_rt_context_destroy(context) == BRAID_RT_OK,
           "destroy context");
  }
#else
  (void)argc;
  (void)argv;
#endif
  if (failures == 0)
    printf("CHeaderTest: C API %d: all passed\n", BRAID_RT_API_VERSION);
  return failures == 0 ? 0 : 1;
}
