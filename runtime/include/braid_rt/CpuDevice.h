//===- CpuDevice.h - CUDA's stream semantics on host threads ----*- C++ -*-===//
//
// A CpuStream is one worker thread running its queue in order. Waits on
// events and counters block the worker (never the host thread that
// enqueued them) and are bounded by the watchdog. CpuCounter::add lets CPU
// kernels release tiles one by one.
//
//===----------------------------------------------------------------------===//

#ifndef BRAID_RT_CPUDEVICE_H
#define BRAID_RT_CPUDEVICE_H

#include "braid_rt/Device.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

namespace braid_rt {

class CpuEvent;
class CpuCounter;

class CpuStream final : public Stream {
public:
  explicit CpuStream(std::string name);
  ~CpuStream() override;

  DeviceKind kind() const override { return DeviceKind::Cpu; }
  Status enqueueHost(std::function<Status()> task) override;
  Status copy(void *dst, const void *src, size_t bytes) override;
  Status record(Event &event) override;
  Status wait(Event &event) override;
  Status signal(Counter &counter, uint64_t value) override;
  Status wait(Counter &counter, uint64_t value) override;
  Status synchronize() override;
  StatusOr<bool> query() override;

private:
  struct Task {
    /// Receives the stream's sticky status (ok, or the first error);
    /// returns the task's own status.
    std::function<Status(const Status &sticky)> run;
    /// Event records run after an error too, to pass the error on.
    bool runsAfterError = false;
  };
  Status push(Task task);
  void workerLoop();

  std::mutex mu_;
  std::condition_variable workCv_;
  std::condition_variable idleCv_;
  std::deque<Task> queue_;
  bool busy_ = false;
  bool stopping_ = false;
  Status sticky_;
  std::thread worker_;
};

class CpuEvent final : public Event {
public:
  explicit CpuEvent(bool timing) : timing_(timing) {}
  DeviceKind kind() const override { return DeviceKind::Cpu; }
  StatusOr<bool> query() override;
  Status synchronize() override;
  StatusOr<double> elapsedMsSince(Event &start) override;

private:
  friend class CpuStream;
  /// Called on the enqueueing thread: the generation the record completes.
  uint64_t beginRecord();
  void complete(uint64_t generation, const Status &status);
  /// Blocks until generation `generation` completed, bounded by the
  /// watchdog; returns the status recorded with it.
  Status waitFor(uint64_t generation, const std::string &waiter);
  uint64_t recordedGeneration();

  const bool timing_;
  std::mutex mu_;
  std::condition_variable cv_;
  uint64_t recorded_ = 0;
  uint64_t completed_ = 0;
  Status status_;
  std::chrono::steady_clock::time_point when_;
};

class CpuCounter final : public Counter {
public:
  CpuCounter(std::string name, uint64_t initial)
      : name_(std::move(name)), value_(initial) {}
  DeviceKind kind() const override { return DeviceKind::Cpu; }
  const std::string &name() const override { return name_; }
  StatusOr<uint64_t> value() override { return value_.load(); }
  Status hostSignal(uint64_t value) override;
  Status hostWait(uint64_t value, double timeoutS) override;
  /// Raises the value by `delta` (CPU kernels releasing tiles); returns the
  /// new value.
  uint64_t add(uint64_t delta);
  /// Blocks until the value is >= `value`, bounded by the watchdog.
  Status waitAtLeast(uint64_t value, const std::string &waiter);
  /// Blocks at most `duration` (not watched: the caller bounds its own
  /// wait) until the value is >= `value`; wakes as soon as a signal raises
  /// it. True when reached; the producer's error when it was poisoned. Lets
  /// a communication worker sleep between polls of its messages and still
  /// start a chunk's transfer the moment the chunk is released.
  StatusOr<bool> waitAtLeastFor(uint64_t value,
                                std::chrono::nanoseconds duration,
                                const std::string &waiter);
  /// The producer failed: waiters return `status` instead of waiting out
  /// the timeout.
  Status poison(const Status &status);

private:
  Status poisonedStatus(const std::string &waiter);

  const std::string name_;
  Status poison_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::atomic<uint64_t> value_;
};

class CpuDevice final : public Device {
public:
  DeviceKind kind() const override { return DeviceKind::Cpu; }
  StatusOr<std::unique_ptr<Stream>> createStream(std::string name,
                                                 int priority) override;
  StatusOr<std::unique_ptr<Event>> createEvent(bool timing) override;
  StatusOr<std::unique_ptr<Counter>> createCounter(std::string name,
                                                   uint64_t initial) override;
  StatusOr<void *> allocate(size_t bytes, size_t alignment,
                            MemoryKind kind) override;
  void deallocate(void *pointer, MemoryKind kind) override;
  Status copyToDevice(void *dst, const void *src, size_t bytes) override;
  Status copyToHost(void *dst, const void *src, size_t bytes) override;
};

} // namespace braid_rt

#endif // BRAID_RT_CPUDEVICE_H
