//===- Watchdog.h - bounded waits for the whole process ---------*- C++ -*-===//
//
// Every wait the runtime does on something outside its thread (a peer's
// message, another stream's event or counter, a blocking MPI or NCCL call)
// is registered as a Watch with a deadline: the process-wide timeout
// (default 60 s; BRAID_RT_TIMEOUT_S or setTimeout). When a deadline passes,
// the watch reports once on stderr:
//
//   braid_rt: rank 0: all_reduce #3 (f32 sum, 1024 elements) on
//   communicator 'world' (rank 0 of 4) did not complete within 10 s;
//   ranks that did not arrive: 2 (world rank 2)
//
// and, when an engine installed an abort handler (MPI: MPI_Abort on the
// world; NCCL: ncclCommAbort) and BRAID_RT_ON_TIMEOUT is not "error", ends
// the job through it, so every other rank exits too. Otherwise the waiting
// call returns a kTimeout status carrying the same message.
//
// A thread of its own checks the deadlines of watches whose owner cannot
// (a blocking MPI call, GPU work of a NCCL communicator). The watchdog also
// keeps the list of what is in flight ready for a SIGTERM handler, so a rank
// that the launcher kills because a peer died says what it was waiting for.
//
//===----------------------------------------------------------------------===//

#ifndef BRAID_RT_WATCHDOG_H
#define BRAID_RT_WATCHDOG_H

#include "braid_rt/Status.h"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace braid_rt {

class Watchdog {
public:
  using Clock = std::chrono::steady_clock;
  /// Exit code of a process the watchdog ends without an abort handler.
  static constexpr int kExitCode = 70;

  static Watchdog &instance();

  double timeoutSeconds() const;
  /// Applies to watches created afterwards.
  void setTimeoutSeconds(double seconds);
  bool abortsOnTimeout() const;
  void setAbortOnTimeout(bool abort);
  /// Called once when a deadline passes and aborting is on; should not
  /// return (MPI_Abort). If it does, the process _Exit()s with kExitCode.
  void setAbortHandler(std::function<void()> handler);
  /// Prefix of every report, e.g. "rank 3".
  void setProcessLabel(std::string label);
  std::string processLabel() const;
  /// Installs a SIGTERM handler that prints what is in flight, then
  /// terminates as before. Idempotent.
  void installSignalReport();

  /// Called by the watchdog thread every tick (about timeout/20, at most
  /// 100 ms) until it returns false; lets an engine complete watches whose
  /// completion it can only poll (CUDA events).
  void addPoller(std::function<bool()> poller);

  struct Entry;

  /// A registered wait. Move-only; unregisters when destroyed.
  class Watch {
  public:
    Watch() = default;
    Watch(Watch &&other) noexcept;
    Watch &operator=(Watch &&other) noexcept;
    Watch(const Watch &) = delete;
    Watch &operator=(const Watch &) = delete;
    ~Watch();

    bool active() const { return entry_ != nullptr; }
    Clock::time_point deadline() const;
    /// What the wait is still waiting for ("ranks that did not arrive: 2").
    void setWaitingFor(std::string waitingFor);
    /// True once the deadline passed (checked by the owner or the thread).
    bool expired() const;
    /// Reports the timeout if nobody has yet (and aborts when configured, or
  /// when the watch is blocking);
    /// returns the kTimeout status for the caller to return.
    Status expire();
    /// Expires when the deadline has passed; ok otherwise.
    Status check();
    void release();

  private:
    friend class Watchdog;
    explicit Watch(std::shared_ptr<Entry> entry) : entry_(std::move(entry)) {}
    std::shared_ptr<Entry> entry_;
  };

  /// Reports a failure found asynchronously (a NCCL communicator's error)
  /// like an expired watch: printed once, the job aborted when configured.
  /// Returns the status for whoever asks next.
  Status reportFailure(StatusCode code, const std::string &message);

  /// Starts watching `what` ("all_reduce #3 ... on communicator 'tp'").
  Watch watch(std::string what, std::string waitingFor = "");
  /// Watches a call that cannot return until it completes (a blocking MPI
  /// call): when it expires the job is aborted even if BRAID_RT_ON_TIMEOUT
  /// is "error", since no status could reach the caller.
  Watch watchBlocking(std::string what);
  /// True once any watch of this process expired: communication state is
  /// then undefined (MPI must not be finalized normally).
  bool anyExpired() const;

  ~Watchdog();

private:
  Watchdog();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

} // namespace braid_rt

#endif // BRAID_RT_WATCHDOG_H
