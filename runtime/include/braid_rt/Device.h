//===- Device.h - streams, events and counters ------------------*- C++ -*-===//
//
// CUDA's execution model on every target. A stream runs what is enqueued on
// it in order, asynchronously to the host; an event marks a point in a
// stream that the host or another stream can wait for; a counter is a
// monotonic 64-bit value one stream (or kernel) raises and another stream
// waits on, so a producer can release a consumer chunk by chunk. Counter
// values are epoch-valued: step s of a program signals s * chunks + c + 1,
// so a wait from step s can never be satisfied by step s - 1.
//
// Errors are sticky per stream, as in CUDA: the first failing task puts its
// status on the stream, later tasks are skipped, events recorded after it
// complete carrying that status, and a stream that waits on such an event
// takes the status over. synchronize() returns it.
//
// On CPU (CpuDevice) each stream is one worker thread; on GPU (CudaDevice)
// streams, events and counters are CUDA streams, events and stream memory
// operations on device memory.
//
//===----------------------------------------------------------------------===//

#ifndef BRAID_RT_DEVICE_H
#define BRAID_RT_DEVICE_H

#include "braid_rt/StatusOr.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace braid_rt {

enum class DeviceKind { Cpu, Cuda };
const char *deviceKindName(DeviceKind kind);

/// Where memory lives. Values are those of braid_rt_memory in braid_rt.h.
enum class MemoryKind : int {
  Host = 0,       ///< ordinary host memory
  PinnedHost = 1, ///< page-locked host memory (CUDA staging), see
                  ///< allocatePinnedHost
  Device = 2,     ///< memory of the device (CUDA: global memory)
};
const char *memoryKindName(MemoryKind kind);

class Event;
class Counter;

class Stream {
public:
  virtual ~Stream();
  virtual DeviceKind kind() const = 0;
  const std::string &name() const { return name_; }

  /// Runs `task` on the stream after everything enqueued before it. A task
  /// that returns an error makes the stream's error sticky.
  virtual Status enqueueHost(std::function<Status()> task) = 0;
  /// Copies `bytes` from `src` to `dst` (host or this device's memory) in
  /// stream order.
  virtual Status copy(void *dst, const void *src, size_t bytes) = 0;
  /// Marks `event` complete once the work enqueued so far has run.
  virtual Status record(Event &event) = 0;
  /// Work enqueued after this call waits for the most recent record of
  /// `event` at the time of the call (no record: no wait).
  virtual Status wait(Event &event) = 0;
  /// Sets `counter` to `value` once the work enqueued so far has run.
  virtual Status signal(Counter &counter, uint64_t value) = 0;
  /// Work enqueued after this call waits until `counter` >= `value`.
  virtual Status wait(Counter &counter, uint64_t value) = 0;
  /// Blocks until the stream is idle; returns its sticky error.
  virtual Status synchronize() = 0;
  /// True when everything enqueued has run.
  virtual StatusOr<bool> query() = 0;

protected:
  explicit Stream(std::string name) : name_(std::move(name)) {}

private:
  std::string name_;
};

class Event {
public:
  virtual ~Event();
  virtual DeviceKind kind() const = 0;
  /// True when the most recent record has completed (or there was none).
  virtual StatusOr<bool> query() = 0;
  /// Blocks until the most recent record has completed; returns the status
  /// of the stream at that point.
  virtual Status synchronize() = 0;
  /// Milliseconds from `start` to `end`; both must have completed and have
  /// been created with timing.
  virtual StatusOr<double> elapsedMsSince(Event &start) = 0;
};

class Counter {
public:
  virtual ~Counter();
  virtual DeviceKind kind() const = 0;
  /// What reports call it ("counter 'released'").
  virtual const std::string &name() const = 0;
  virtual StatusOr<uint64_t> value() = 0;
  /// Sets the value from the host (must not go backwards).
  virtual Status hostSignal(uint64_t value) = 0;
  /// Blocks the host until the value is >= `value`, at most `timeoutS`.
  virtual Status hostWait(uint64_t value, double timeoutS) = 0;
};

/// A device: makes streams, events, counters and memory of one kind.
class Device {
public:
  virtual ~Device();
  virtual DeviceKind kind() const = 0;
  /// `priority`: lower runs first (CUDA's convention); a hint.
  virtual StatusOr<std::unique_ptr<Stream>> createStream(std::string name,
                                                         int priority = 0) = 0;
  virtual StatusOr<std::unique_ptr<Event>> createEvent(bool timing) = 0;
  virtual StatusOr<std::unique_ptr<Counter>>
  createCounter(std::string name, uint64_t initial = 0) = 0;

  virtual StatusOr<void *> allocate(size_t bytes, size_t alignment,
                                    MemoryKind kind) = 0;
  virtual void deallocate(void *pointer, MemoryKind kind) = 0;
  /// Device memory a communication library can register and then use in
  /// place, without copies through buffers of its own. CUDA: ncclMemAlloc,
  /// a cuMem allocation rounded up to the recommended granularity (2 MiB)
  /// and mapped for every peer GPU, which NCCL's NVLS, peer-to-peer and
  /// network registration accept (they do not take cudaMalloc memory by
  /// default). Elsewhere the same as allocate(bytes, alignment, Device).
  /// Meant for what an engine registers (the NCCL engine's arenas), not for
  /// small buffers. Freed with deallocateRegistrable.
  virtual StatusOr<void *> allocateRegistrable(size_t bytes, size_t alignment);
  virtual void deallocateRegistrable(void *pointer);
  /// Synchronous copies between host memory and memory of this device.
  virtual Status copyToDevice(void *dst, const void *src, size_t bytes) = 0;
  virtual Status copyToHost(void *dst, const void *src, size_t bytes) = 0;
};

/// The process's CPU device.
Device &cpuDevice();

/// Alignment of pinned host memory (a page).
constexpr size_t kPinnedHostAlignment = 4096;

/// Page-locked host memory for staging between host and GPU (CUDA copies
/// it by DMA, asynchronously to the host): cudaHostAlloc, portable to every
/// device of the process, page aligned. Without CUDA in the build or a CUDA
/// device on the machine nothing could use the pinning, and it is ordinary
/// page-aligned host memory. Fails for an `alignment` above a page. Freed
/// with freePinnedHost. Both devices' PinnedHost memory comes from here.
StatusOr<void *> allocatePinnedHost(size_t bytes,
                                    size_t alignment = kPinnedHostAlignment);
void freePinnedHost(void *pointer);

} // namespace braid_rt

#endif // BRAID_RT_DEVICE_H
