//===- Scheduler.h - seeded interleaving of ranks and streams ---*- C++ -*-===//
//
// Every rank's host program and every stream of every rank is a task on its
// own thread, but only one task runs at a time: the one holding the baton.
// At each scheduling point (before a collective, a start or an await) the
// running task hands the baton to a task chosen by a seeded random generator
// among those that can make progress. The same seed gives the same
// interleaving; different seeds expose ordering bugs; when no task can make
// progress the run stops with a report of what each task waits for instead
// of hanging.
//
//===----------------------------------------------------------------------===//

#ifndef BRAID_INTERPRETER_SCHEDULER_H
#define BRAID_INTERPRETER_SCHEDULER_H

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace mlir {
namespace braid {
namespace interp {

class Scheduler {
public:
  using TaskFn = std::function<void(int taskId)>;

  explicit Scheduler(uint64_t seed) : rng(seed) {}
  ~Scheduler();

  /// Adds a task; callable before `run` and from a running task.
  int spawn(std::string name, TaskFn fn);

  /// Lets another task run. Returns false when the run was aborted: the
  /// caller must unwind.
  bool yield(int self);

  /// Blocks until `ready()` holds (it is evaluated only while the caller's
  /// state cannot change). `waitingFor` explains the wait in a deadlock
  /// report. Returns false when the run was aborted.
  bool waitUntil(int self, std::function<bool()> ready, std::string waitingFor);

  /// Stops every task; `run` reports failure.
  void abort();
  bool aborted() const { return abortedFlag; }

  /// Runs all tasks to completion. Returns false when a task aborted or no
  /// task could make progress; `deadlock` then describes the stuck tasks.
  bool run(std::string &deadlock);

private:
  enum class State { Runnable, Waiting, Done };
  struct Task {
    std::string name;
    TaskFn fn;
    State state = State::Runnable;
    std::function<bool()> ready;
    std::string waitingFor;
  };

  /// Picks the next task to hold the baton (lock held). Returns -1 when none
  /// can run.
  int pickNext();
  /// Hands the baton on and waits for it to come back (lock held).
  bool handOff(std::unique_lock<std::mutex> &lock, int self);
  void startThread(int id);
  void describeStuck();

  std::mutex mutex;
  std::condition_variable turnChanged;
  std::vector<Task> tasks;
  std::vector<std::thread> threads;
  std::mt19937_64 rng;
  int current = -1;
  bool running = false;
  std::atomic<bool> abortedFlag{false};
  std::string deadlockReport;
};

} // namespace interp
} // namespace braid
} // namespace mlir

#endif // BRAID_INTERPRETER_SCHEDULER_H
