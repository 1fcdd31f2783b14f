/*===- braid_rt_mpi.h - embedding braid_rt in an MPI program -----*- C -*-===*\
|*                                                                            *|
|* For a framework that already has MPI initialized (MPI_THREAD_MULTIPLE)    *|
|* and a communicator of the ranks that run a compiled step.                  *|
\*===----------------------------------------------------------------------===*/

#ifndef BRAID_RT_BRAID_RT_MPI_H
#define BRAID_RT_BRAID_RT_MPI_H

#include "braid_rt/braid_rt.h"

#include <mpi.h>

#ifdef __cplusplus
extern "C" {
#endif

/* MPI engine over a duplicate of `comm` (the caller keeps `comm` and
 * finalizes MPI). Ranks of `comm` are the world ranks of reports; a timed
 * out wait aborts through MPI_Abort(comm). Installs no signal handler. */
braid_rt_status braid_rt_init_from_mpi_comm(MPI_Comm comm,
                                            braid_rt_context **out);
/* The MPI communicator a braid_rt_comm of the MPI engine runs on. */
braid_rt_status braid_rt_comm_mpi_handle(const braid_rt_comm *comm,
                                         MPI_Comm *handle);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* BRAID_RT_BRAID_RT_MPI_H */
