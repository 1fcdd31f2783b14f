//===- CudaDevice.h - streams, events and counters on a GPU -----*- C++ -*-===//
//
// The Device interface on CUDA: streams are non-blocking CUDA streams,
// events CUDA events, counters 64-bit words of device memory written and
// waited on by stream memory operations (cuStreamWriteValue64 /
// cuStreamWaitValue64 with GEQ, reached through cudaGetDriverEntryPoint so
// nothing links libcuda), which kernels can also raise with atomics through
// devicePointer(). Host waits (synchronize) poll with back-off under the
// watchdog, so a GPU stuck on a dead peer cannot hang the host forever.
//
// Host tasks (enqueueHost) run through cudaLaunchHostFunc and, as there,
// must not call CUDA.
//
//===----------------------------------------------------------------------===//

#ifndef BRAID_RT_CUDADEVICE_H
#define BRAID_RT_CUDADEVICE_H

#include "braid_rt/Device.h"

#include <cuda_runtime.h>

#include <mutex>

namespace braid_rt {

/// "cudaMalloc: out of memory" as a Status naming `what`; ok on success.
Status cudaStatus(cudaError_t error, const std::string &what);

class CudaStream final : public Stream {
public:
  static StatusOr<std::unique_ptr<CudaStream>> create(int device,
                                                      std::string name,
                                                      int priority);
  ~CudaStream() override;

  DeviceKind kind() const override { return DeviceKind::Cuda; }
  cudaStream_t handle() const { return stream_; }
  int device() const { return device_; }

  Status enqueueHost(std::function<Status()> task) override;
  Status copy(void *dst, const void *src, size_t bytes) override;
  Status record(Event &event) override;
  Status wait(Event &event) override;
  Status signal(Counter &counter, uint64_t value) override;
  Status wait(Counter &counter, uint64_t value) override;
  Status synchronize() override;
  StatusOr<bool> query() override;

  /// Called by host tasks that fail.
  void setHostError(const Status &status);

private:
  CudaStream(int device, cudaStream_t stream, std::string name)
      : Stream(std::move(name)), device_(device), stream_(stream) {}
  Status stickyStatus();

  int device_;
  cudaStream_t stream_;
  std::mutex mu_;
  Status hostError_;
};

class CudaEvent final : public Event {
public:
  static StatusOr<std::unique_ptr<CudaEvent>> create(int device, bool timing);
  ~CudaEvent() override;
  DeviceKind kind() const override { return DeviceKind::Cuda; }
  cudaEvent_t handle() const { return event_; }
  StatusOr<bool> query() override;
  Status synchronize() override;
  StatusOr<double> elapsedMsSince(Event &start) override;

private:
  CudaEvent(int device, cudaEvent_t event) : device_(device), event_(event) {}
  int device_;
  cudaEvent_t event_;
};

class CudaCounter final : public Counter {
public:
  static StatusOr<std::unique_ptr<CudaCounter>>
  create(int device, std::string name, uint64_t initial);
  ~CudaCounter() override;
  DeviceKind kind() const override { return DeviceKind::Cuda; }
  const std::string &name() const override { return name_; }
  /// The 64-bit word kernels may raise (atomicAdd / atomicMax with release
  /// semantics) and stream memory operations wait on.
  uint64_t *devicePointer() const { return value_; }
  StatusOr<uint64_t> value() override;
  Status hostSignal(uint64_t value) override;
  Status hostWait(uint64_t value, double timeoutS) override;

private:
  CudaCounter(int device, std::string name, uint64_t *value)
      : device_(device), name_(std::move(name)), value_(value) {}
  int device_;
  std::string name_;
  uint64_t *value_;
};

/// Sets `counter` to `value` once the work enqueued on `stream` so far has
/// run (cuStreamWriteValue64); CudaStream::signal on a stream the runtime
/// does not own. `streamName` is for the status.
Status signalCounter(cudaStream_t stream, CudaCounter &counter,
                     uint64_t value, const std::string &streamName);

class CudaDevice final : public Device {
public:
  /// Fails when there is no such CUDA device.
  static StatusOr<std::unique_ptr<CudaDevice>> open(int ordinal);
  DeviceKind kind() const override { return DeviceKind::Cuda; }
  int ordinal() const { return ordinal_; }

  StatusOr<std::unique_ptr<Stream>> createStream(std::string name,
                                                 int priority) override;
  StatusOr<std::unique_ptr<Event>> createEvent(bool timing) override;
  StatusOr<std::unique_ptr<Counter>> createCounter(std::string name,
                                                   uint64_t initial) override;
  StatusOr<void *> allocate(size_t bytes, size_t alignment,
                            MemoryKind kind) override;
  void deallocate(void *pointer, MemoryKind kind) override;
  /// ncclMemAlloc / ncclMemFree.
  StatusOr<void *> allocateRegistrable(size_t bytes,
                                       size_t alignment) override;
  void deallocateRegistrable(void *pointer) override;
  Status copyToDevice(void *dst, const void *src, size_t bytes) override;
  Status copyToHost(void *dst, const void *src, size_t bytes) override;

private:
  explicit CudaDevice(int ordinal) : ordinal_(ordinal) {}
  int ordinal_;
};

} // namespace braid_rt

#endif // BRAID_RT_CUDADEVICE_H
