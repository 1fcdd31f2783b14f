//===- FaultProbe.cpp - a job in which one rank dies or stops -------------===//
//
//   braid_rt_fault_probe KILL|STOP before|during world|row
//
// Every rank runs a few good all_reduces, then an all_reduce on the world or
// on its row of a [2 x n/2] grid, then a world barrier. The last rank (the
// victim) raises SIGKILL or SIGSTOP on itself before enqueueing the
// all_reduce, or 20 ms after (during the transfer). The other ranks must
// not complete: the watchdog (or, when the launcher kills them because the
// victim died, the SIGTERM report) says which operation was stuck and which
// ranks did not arrive. fault_test.sh checks that.
//
//===----------------------------------------------------------------------===//

#include "braid_rt/Context.h"

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <time.h>
#include <vector>

using namespace braid_rt;

int main(int argc, char **argv) {
  if (argc != 4) {
    std::fprintf(stderr,
                 "usage: %s KILL|STOP before|during world|row\n", argv[0]);
    return 2;
  }
  int signal = std::strcmp(argv[1], "KILL") == 0 ? SIGKILL : SIGSTOP;
  bool during = std::strcmp(argv[2], "during") == 0;
  bool row = std::strcmp(argv[3], "row") == 0;

  auto context = initMpiContext(&argc, &argv);
  if (!context.isOk()) {
    std::fprintf(stderr, "probe: %s\n", context.status().toString().c_str());
    return 2;
  }
  Context &ctx = *context.value();
  int rank = ctx.rank(), size = ctx.size();
  int victim = size - 1;
  Communicator *group = &ctx.world();
  if (row) {
    auto rowComm = ctx.gridCommunicator({2, size / 2}, {}, {1});
    if (!rowComm.isOk()) {
      std::fprintf(stderr, "probe: %s\n", rowComm.status().toString().c_str());
      return 2;
    }
    group = rowComm.value();
  }
  Stream &groupStream = *ctx.communicatorStream(*group).value();
  Stream &worldStream = *ctx.communicatorStream(ctx.world()).value();

  std::vector<float> data(size_t(1) << 21, 1.0f); // 8 MiB
  for (int i = 0; i < 3; ++i) {
    Status status = group->allReduce(data.data(), data.data(), 1024,
                                     DType::F32, ReduceOp::Sum, groupStream);
    if (status.isOk())
      status = groupStream.synchronize();
    if (!status.isOk()) {
      std::fprintf(stderr, "probe: rank %d: warm-up failed: %s\n", rank,
                   status.toString().c_str());
      return 2;
    }
  }

  auto fault = [&] {
    timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    std::fprintf(stderr, "probe: rank %d raises %s at %ld.%09ld\n", rank,
                 argv[1], static_cast<long>(now.tv_sec), now.tv_nsec);
    std::fflush(stderr);
    raise(signal);
    // Only a stopped victim gets here: the launcher resumes it (SIGCONT)
    // just before terminating the job. It must not contribute any more, or
    // the others could complete in that window.
    std::_Exit(9);
  };
  if (rank == victim && !during)
    fault();
  Status status = group->allReduce(data.data(), data.data(), data.size(),
                                   DType::F32, ReduceOp::Sum, groupStream);
  if (rank == victim && during) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    fault();
  }
  if (status.isOk())
    status = groupStream.synchronize();
  if (status.isOk())
    status = ctx.world().barrier(worldStream);
  if (status.isOk())
    status = worldStream.synchronize();
  if (!status.isOk()) {
    // Reached when BRAID_RT_ON_TIMEOUT=error: the status names the
    // operation, communicator, rank and the missing ranks.
    std::fprintf(stderr, "probe: rank %d: %s\n", rank,
                 status.toString().c_str());
    return 3;
  }
  std::printf("probe: rank %d completed\n", rank);
  return 0;
}
