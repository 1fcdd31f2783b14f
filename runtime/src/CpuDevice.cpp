//===- CpuDevice.cpp - CUDA's stream semantics on host threads ------------===//

#include "braid_rt/CpuDevice.h"
#include "braid_rt/Watchdog.h"

#include <cstdlib>
#include <cstring>
#include <pthread.h>
#include <sys/prctl.h>

namespace braid_rt {

namespace {

Status wrongDevice(const char *what, const std::string &stream) {
  return Status::error(StatusCode::kInvalidArgument,
                       std::string(what) + " of another device kind used on "
                                           "CPU stream '" +
                           stream + "'");
}

} // namespace

//===----------------------------------------------------------------------===//
// CpuStream
//===----------------------------------------------------------------------===//

CpuStream::CpuStream(std::string name) : Stream(std::move(name)) {
  worker_ = std::thread([this] { workerLoop(); });
}

CpuStream::~CpuStream() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  workCv_.notify_all();
  worker_.join();
}

void CpuStream::workerLoop() {
  // Sleeps in back-off loops (the communication worker's MPI_Test polling)
  // should last what they ask for, not the default 50 us timer slack.
  prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0);
  std::string threadName = ("brt:" + name()).substr(0, 15);
  pthread_setname_np(pthread_self(), threadName.c_str());

  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    workCv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (queue_.empty())
      return; // stopping, and everything enqueued has run
    Task task = std::move(queue_.front());
    queue_.pop_front();
    busy_ = true;
    Status sticky = sticky_;
    lock.unlock();
    Status result;
    if (sticky.isOk() || task.runsAfterError)
      result = task.run(sticky);
    task = Task(); // release captures outside the lock
    lock.lock();
    if (!result.isOk() && sticky_.isOk())
      sticky_ = result;
    busy_ = false;
    if (queue_.empty())
      idleCv_.notify_all();
  }
}

Status CpuStream::push(Task task) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    queue_.push_back(std::move(task));
  }
  workCv_.notify_one();
  return Status::ok();
}

Status CpuStream::enqueueHost(std::function<Status()> task) {
  if (!task)
    return Status::error(StatusCode::kInvalidArgument,
                         "empty task enqueued on stream '" + name() + "'");
  return push(Task{[task = std::move(task)](const Status &) { return task(); },
                   false});
}

Status CpuStream::copy(void *dst, const void *src, size_t bytes) {
  if (bytes > 0 && (!dst || !src))
    return Status::error(StatusCode::kInvalidArgument,
                         "copy on stream '" + name() + "' with a null buffer");
  return push(Task{[dst, src, bytes](const Status &) {
                     if (bytes > 0)
                       std::memmove(dst, src, bytes);
                     return Status::ok();
                   },
                   false});
}

Status CpuStream::record(Event &event) {
  auto *cpuEvent = dynamic_cast<CpuEvent *>(&event);
  if (!cpuEvent)
    return wrongDevice("event", name());
  uint64_t generation = cpuEvent->beginRecord();
  return push(Task{[cpuEvent, generation](const Status &sticky) {
                     cpuEvent->complete(generation, sticky);
                     return Status::ok();
                   },
                   true});
}

Status CpuStream::wait(Event &event) {
  auto *cpuEvent = dynamic_cast<CpuEvent *>(&event);
  if (!cpuEvent)
    return wrongDevice("event", name());
  uint64_t generation = cpuEvent->recordedGeneration();
  if (generation == 0)
    return Status::ok();
  std::string waiter = "stream '" + name() + "'";
  return push(Task{[cpuEvent, generation, waiter](const Status &) {
                     return cpuEvent->waitFor(generation, waiter);
                   },
                   false});
}

Status CpuStream::signal(Counter &counter, uint64_t value) {
  auto *cpuCounter = dynamic_cast<CpuCounter *>(&counter);
  if (!cpuCounter)
    return wrongDevice("counter", name());
  return push(Task{[cpuCounter, value](const Status &sticky) {
                     if (!sticky.isOk())
                       return cpuCounter->poison(sticky);
                     return cpuCounter->hostSignal(value);
                   },
                   true});
}

Status CpuStream::wait(Counter &counter, uint64_t value) {
  auto *cpuCounter = dynamic_cast<CpuCounter *>(&counter);
  if (!cpuCounter)
    return wrongDevice("counter", name());
  std::string waiter = "stream '" + name() + "'";
  return push(Task{[cpuCounter, value, waiter](const Status &) {
                     return cpuCounter->waitAtLeast(value, waiter);
                   },
                   false});
}

Status CpuStream::synchronize() {
  std::unique_lock<std::mutex> lock(mu_);
  idleCv_.wait(lock, [&] { return queue_.empty() && !busy_; });
  return sticky_;
}

StatusOr<bool> CpuStream::query() {
  std::lock_guard<std::mutex> lock(mu_);
  return queue_.empty() && !busy_;
}

//===----------------------------------------------------------------------===//
// CpuEvent
//===----------------------------------------------------------------------===//

uint64_t CpuEvent::beginRecord() {
  std::lock_guard<std::mutex> lock(mu_);
  return ++recorded_;
}

uint64_t CpuEvent::recordedGeneration() {
  std::lock_guard<std::mutex> lock(mu_);
  return recorded_;
}

// Waiters are notified under the lock: one that sees the new state may
// destroy the object as soon as it has the lock back.
void CpuEvent::complete(uint64_t generation, const Status &status) {
  std::lock_guard<std::mutex> lock(mu_);
  if (generation <= completed_)
    return; // a later record of this event already completed
  completed_ = generation;
  status_ = status;
  if (timing_)
    when_ = std::chrono::steady_clock::now();
  cv_.notify_all();
}

Status CpuEvent::waitFor(uint64_t generation, const std::string &waiter) {
  std::unique_lock<std::mutex> lock(mu_);
  if (completed_ < generation) {
    Watchdog::Watch watch =
        Watchdog::instance().watch("wait of " + waiter + " for an event");
    while (completed_ < generation) {
      if (cv_.wait_until(lock, watch.deadline()) == std::cv_status::timeout &&
          completed_ < generation) {
        lock.unlock();
        return watch.expire();
      }
    }
  }
  if (status_.isOk())
    return status_;
  Status failed = status_;
  return failed.withContext(waiter +
                            " waited for an event recorded after an error");
}

StatusOr<bool> CpuEvent::query() {
  std::lock_guard<std::mutex> lock(mu_);
  return completed_ >= recorded_;
}

Status CpuEvent::synchronize() {
  uint64_t generation = recordedGeneration();
  if (generation == 0)
    return Status::ok();
  return waitFor(generation, "the host");
}

StatusOr<double> CpuEvent::elapsedMsSince(Event &start) {
  auto *begin = dynamic_cast<CpuEvent *>(&start);
  if (!begin)
    return Status::error(StatusCode::kInvalidArgument,
                         "elapsed time between events of different devices");
  if (!timing_ || !begin->timing_)
    return Status::error(StatusCode::kInvalidArgument,
                         "elapsed time of an event created without timing");
  std::chrono::steady_clock::time_point from, to;
  for (CpuEvent *event : {begin, this}) {
    std::lock_guard<std::mutex> lock(event->mu_);
    if (event->recorded_ == 0 || event->completed_ < event->recorded_)
      return Status::error(StatusCode::kUnavailable,
                           "elapsed time of an event that was not recorded or "
                           "has not completed");
    (event == begin ? from : to) = event->when_;
  }
  return std::chrono::duration<double, std::milli>(to - from).count();
}

//===----------------------------------------------------------------------===//
// CpuCounter
//===----------------------------------------------------------------------===//

// As for events, waiters are notified under the lock.
Status CpuCounter::hostSignal(uint64_t value) {
  std::lock_guard<std::mutex> lock(mu_);
  uint64_t current = value_.load();
  if (value < current)
    return Status::error(StatusCode::kInvalidArgument,
                         "counter '" + name_ + "' would go backwards from " +
                             std::to_string(current) + " to " +
                             std::to_string(value));
  value_.store(value);
  cv_.notify_all();
  return Status::ok();
}

uint64_t CpuCounter::add(uint64_t delta) {
  std::lock_guard<std::mutex> lock(mu_);
  uint64_t result = value_.fetch_add(delta) + delta;
  cv_.notify_all();
  return result;
}

Status CpuCounter::poison(const Status &status) {
  std::lock_guard<std::mutex> lock(mu_);
  if (poison_.isOk())
    poison_ = status;
  cv_.notify_all();
  return Status::ok();
}

Status CpuCounter::poisonedStatus(const std::string &waiter) {
  Status failed = poison_;
  return failed.withContext(waiter + " waited for counter '" + name_ +
                            "', whose producer failed");
}

Status CpuCounter::waitAtLeast(uint64_t value, const std::string &waiter) {
  if (value_.load() >= value)
    return Status::ok();
  std::unique_lock<std::mutex> lock(mu_);
  if (value_.load() >= value)
    return Status::ok();
  Watchdog::Watch watch = Watchdog::instance().watch(
      "wait of " + waiter + " for counter '" + name_ +
      "' >= " + std::to_string(value));
  while (value_.load() < value) {
    if (!poison_.isOk())
      return poisonedStatus(waiter);
    if (cv_.wait_until(lock, watch.deadline()) == std::cv_status::timeout &&
        value_.load() < value) {
      watch.setWaitingFor("the counter is at " +
                          std::to_string(value_.load()));
      lock.unlock();
      return watch.expire();
    }
  }
  return Status::ok();
}

StatusOr<bool> CpuCounter::waitAtLeastFor(uint64_t value,
                                          std::chrono::nanoseconds duration,
                                          const std::string &waiter) {
  if (value_.load() >= value)
    return true;
  std::unique_lock<std::mutex> lock(mu_);
  auto deadline = std::chrono::steady_clock::now() + duration;
  while (value_.load() < value) {
    if (!poison_.isOk())
      return poisonedStatus(waiter);
    if (cv_.wait_until(lock, deadline) == std::cv_status::timeout)
      break;
  }
  if (value_.load() >= value)
    return true;
  if (!poison_.isOk())
    return poisonedStatus(waiter);
  return false;
}

Status CpuCounter::hostWait(uint64_t value, double timeoutS) {
  std::unique_lock<std::mutex> lock(mu_);
  auto deadline = std::chrono::steady_clock::now() +
                  std::chrono::duration_cast<std::chrono::nanoseconds>(
                      std::chrono::duration<double>(timeoutS));
  while (value_.load() < value) {
    if (!poison_.isOk())
      return poisonedStatus("the host");
    if (cv_.wait_until(lock, deadline) == std::cv_status::timeout &&
        value_.load() < value)
      return Status::error(StatusCode::kTimeout,
                           "counter '" + name_ + "' is at " +
                               std::to_string(value_.load()) + " after " +
                               std::to_string(timeoutS) +
                               " s of waiting for >= " + std::to_string(value));
  }
  return Status::ok();
}

//===----------------------------------------------------------------------===//
// CpuDevice
//===----------------------------------------------------------------------===//

StatusOr<std::unique_ptr<Stream>> CpuDevice::createStream(std::string name,
                                                          int /*priority*/) {
  return std::unique_ptr<Stream>(std::make_unique<CpuStream>(std::move(name)));
}

StatusOr<std::unique_ptr<Event>> CpuDevice::createEvent(bool timing) {
  return std::unique_ptr<Event>(std::make_unique<CpuEvent>(timing));
}

StatusOr<std::unique_ptr<Counter>> CpuDevice::createCounter(std::string name,
                                                            uint64_t initial) {
  return std::unique_ptr<Counter>(
      std::make_unique<CpuCounter>(std::move(name), initial));
}

StatusOr<void *> CpuDevice::allocate(size_t bytes, size_t alignment,
                                     MemoryKind kind) {
  if (alignment < sizeof(void *) || (alignment & (alignment - 1)) != 0)
    return Status::error(StatusCode::kInvalidArgument,
                         "alignment " + std::to_string(alignment) +
                             " is not a power of two >= " +
                             std::to_string(sizeof(void *)));
  // Host staging of a GPU (the hybrid mode's MPI engine beside a CUDA
  // device) needs it pinned even though this device never copies by DMA.
  if (kind == MemoryKind::PinnedHost)
    return allocatePinnedHost(bytes, alignment);
  void *pointer = nullptr;
  if (posix_memalign(&pointer, alignment, bytes == 0 ? 1 : bytes) != 0)
    return Status::error(StatusCode::kOutOfMemory,
                         "cannot allocate " + std::to_string(bytes) +
                             " bytes of host memory");
  return pointer;
}

void CpuDevice::deallocate(void *pointer, MemoryKind kind) {
  if (kind == MemoryKind::PinnedHost)
    freePinnedHost(pointer);
  else
    std::free(pointer);
}

Status CpuDevice::copyToDevice(void *dst, const void *src, size_t bytes) {
  if (bytes)
    std::memcpy(dst, src, bytes);
  return Status::ok();
}

Status CpuDevice::copyToHost(void *dst, const void *src, size_t bytes) {
  if (bytes)
    std::memcpy(dst, src, bytes);
  return Status::ok();
}

Device &cpuDevice() {
  static CpuDevice device;
  return device;
}

} // namespace braid_rt
