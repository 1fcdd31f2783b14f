//===- MpiContext.cpp - contexts of the MPI engine ------------------------===//

#include "braid_rt/Context.h"
#include "braid_rt/MpiCommunicator.h"
#include "braid_rt/Watchdog.h"

#include <cstdio>

namespace braid_rt {

namespace {

StatusOr<std::unique_ptr<Context>>
makeContext(MPI_Comm comm, std::function<void()> finalize) {
  auto world = MpiCommunicator::create(comm, "world");
  if (!world) {
    if (finalize)
      finalize();
    return world.takeStatus();
  }
  Watchdog &watchdog = Watchdog::instance();
  watchdog.setProcessLabel("rank " + std::to_string(world.value()->rank()));
  watchdog.setAbortHandler([comm] { MPI_Abort(comm, Watchdog::kExitCode); });
  return std::make_unique<Context>(cpuDevice(), nullptr,
                                   std::move(world.value()),
                                   std::move(finalize));
}

} // namespace

StatusOr<std::function<void()>> initializeMpi(int *argc, char ***argv) {
  int initialized = 0;
  MPI_Initialized(&initialized);
  std::function<void()> finalize;
  if (!initialized) {
    int provided = MPI_THREAD_SINGLE;
    int rc = MPI_Init_thread(argc, argv, MPI_THREAD_MULTIPLE, &provided);
    if (rc != MPI_SUCCESS)
      return Status::error(StatusCode::kCommunicationError,
                           "MPI_Init_thread failed with code " +
                               std::to_string(rc));
    finalize = [] {
      int finalized = 0;
      MPI_Finalized(&finalized);
      if (finalized)
        return;
      Watchdog &watchdog = Watchdog::instance();
      if (watchdog.anyExpired()) {
        std::fprintf(stderr,
                     "braid_rt: %s: a communication timed out; aborting "
                     "instead of finalizing MPI\n",
                     watchdog.processLabel().c_str());
        MPI_Abort(MPI_COMM_WORLD, Watchdog::kExitCode);
      }
      Watchdog::Watch watch = watchdog.watchBlocking("MPI_Finalize");
      MPI_Finalize();
    };
    if (provided != MPI_THREAD_MULTIPLE) {
      finalize();
      return Status::error(StatusCode::kUnavailable,
                           "this MPI does not provide MPI_THREAD_MULTIPLE, "
                           "which braid_rt's stream threads need");
    }
  }
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  return finalize;
}

StatusOr<std::unique_ptr<Context>> initMpiContext(int *argc, char ***argv) {
  auto finalize = initializeMpi(argc, argv);
  if (!finalize.isOk())
    return finalize.takeStatus();
  auto context = makeContext(MPI_COMM_WORLD, std::move(finalize.value()));
  if (context)
    Watchdog::instance().installSignalReport();
  return context;
}

StatusOr<std::unique_ptr<Context>> createMpiContext(MPI_Comm comm) {
  return makeContext(comm, nullptr);
}

} // namespace braid_rt
