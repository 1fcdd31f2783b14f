//===- Backoff.h - polling that leaves the core to others -------*- C++ -*-===//
//
// How the runtime polls what it cannot block on (MPI requests, CUDA work):
// re-poll 8 times, then poll and yield the core for up to 50 us (a peer
// that is about to arrive costs no sleep), then sleep 1 us doubling up to
// 200 us; reset() on progress. A transfer in flight thus costs a few polls
// per 200 us, not a core; yielding leaves the core to any runnable thread.
//
//===----------------------------------------------------------------------===//

#ifndef BRAID_RT_BACKOFF_H
#define BRAID_RT_BACKOFF_H

#include <algorithm>
#include <sched.h>
#include <time.h>

namespace braid_rt {

class Backoff {
public:
  static constexpr long kMaxSleepNs = 200000;
  static constexpr long kYieldNs = 50000;

  void reset() {
    polls_ = 0;
    sleepNs_ = 0;
  }
  void pause() {
    ++polls_;
    if (polls_ <= 8)
      return;
    if (polls_ == 9)
      yieldUntil_ = nowNs() + kYieldNs;
    if (sleepNs_ == 0 && nowNs() < yieldUntil_) {
      sched_yield();
      return;
    }
    sleepNs_ = sleepNs_ == 0 ? 1000 : std::min(sleepNs_ * 2, kMaxSleepNs);
    timespec duration{0, sleepNs_};
    nanosleep(&duration, nullptr);
  }

private:
  static long long nowNs() {
    timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return now.tv_sec * 1000000000LL + now.tv_nsec;
  }

  int polls_ = 0;
  long sleepNs_ = 0;
  long long yieldUntil_ = 0;
};

} // namespace braid_rt

#endif // BRAID_RT_BACKOFF_H
