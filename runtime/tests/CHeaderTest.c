/*===- CHeaderTest.c - the C API compiles as C and links ------------------===*/

#include "braid_rt/braid_rt.h"
#ifdef BRAID_RT_HAVE_MPI
#include "braid_rt/braid_rt_mpi.h"
#endif
#ifdef BRAID_RT_HAVE_CUDA
#include "braid_rt/braid_rt_nccl.h"
#endif

#include <stdio.h>
#include <string.h>

int main(void) {
  int rank = -1;
  if (braid_rt_api_version() != BRAID_RT_API_VERSION) {
    fprintf(stderr, "library API %d, header %d\n", braid_rt_api_version(),
            BRAID_RT_API_VERSION);
    return 1;
  }
  if (braid_rt_rank(NULL, &rank) != BRAID_RT_INVALID_ARGUMENT ||
      strcmp(braid_rt_last_error(), "braid_rt_rank: `context` is null") != 0) {
    fprintf(stderr, "unexpected: %s\n", braid_rt_last_error());
    return 1;
  }
  printf("C API %d: %s\n", BRAID_RT_API_VERSION,
         braid_rt_status_name(BRAID_RT_INVALID_ARGUMENT));
  return 0;
}
