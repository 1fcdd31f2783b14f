//===- Launch.h - tools that start their own MPI ranks ----------*- C++ -*-===//
//
// braid-run and braid-calibrate run the same way: started by hand they are
// the *parent*, which launches `mpirun` on themselves with the same
// arguments and waits for it; started by mpirun/srun they are a *rank*.
//
//===----------------------------------------------------------------------===//

#ifndef BRAID_RT_SUPPORT_LAUNCH_H
#define BRAID_RT_SUPPORT_LAUNCH_H

#include <string>
#include <vector>

namespace braid_rt::launch {

/// Whether a launcher started this process (OMPI_COMM_WORLD_SIZE, PMI_SIZE
/// or PMIX_RANK is set).
bool insideLaunch();
/// The rank the launcher gave this process (0 when it says none).
int launchedRank();

/// The launcher a tool uses when not told: $BRAID_MPIRUN where set (the
/// shaped link of bench/net/ sets it, so every tool started under it runs
/// its ranks over that link), else `mpirun`.
std::string defaultLauncher();

struct Relaunch {
  int np = 1;
  double timeoutSeconds = 300;
  std::string mpirun = defaultLauncher();
  /// Variables passed to the ranks with `-x` when they are set
  /// (OPENBLAS_NUM_THREADS always is).
  std::vector<std::string> exportedEnv;
};

/// Runs `timeout --kill-after=10 T MPIRUN --oversubscribe --bind-to none
/// -np N [-x VAR]... SELF ARGV[1..]` and waits for it, forwarding SIGINT and
/// SIGTERM. Sets OMPI_ALLOW_RUN_AS_ROOT(_CONFIRM)=1 and
/// OPENBLAS_NUM_THREADS=1 unless already set (ranks share the machine's
/// cores). Returns the launcher's exit status (124 or 137 when `timeout`
/// stopped it, 128 + N for a signal), or 1 after printing
/// `TOOL: cannot start the launcher: ...` when it could not be started.
int relaunchUnderMpirun(const char *tool, const Relaunch &request, int argc,
                        char **argv);

/// Whether a launcher exit status means `timeout` stopped it.
inline bool timedOut(int status) { return status == 124 || status == 137; }

/// `seconds` as the shortest decimal ("%g").
std::string formatSeconds(double seconds);

} // namespace braid_rt::launch

#endif // BRAID_RT_SUPPORT_LAUNCH_H
