//===- CudaDevice.cpp - streams, events and counters on a GPU -------------===//

#include "braid_rt/CudaDevice.h"
#include "braid_rt/Backoff.h"
#include "braid_rt/Watchdog.h"

#include <cuda.h>
#include <cudaTypedefs.h>
// The CUDA part always builds with NCCL, whose allocator registrable
// memory comes from.
#include <nccl.h>

#include <algorithm>
#include <cstdlib>

namespace braid_rt {

Status cudaStatus(cudaError_t error, const std::string &what) {
  if (error == cudaSuccess)
    return Status::ok();
  StatusCode code = error == cudaErrorMemoryAllocation ? StatusCode::kOutOfMemory
                    : error == cudaErrorNoDevice || error == cudaErrorInvalidDevice ||
                            error == cudaErrorInsufficientDriver
                        ? StatusCode::kUnavailable
                        : StatusCode::kInternal;
  return Status::error(code, what + ": " + cudaGetErrorName(error) + ": " +
                                 cudaGetErrorString(error));
}

namespace {

/// Makes `device` current for the calling thread.
Status useDevice(int device) {
  return cudaStatus(cudaSetDevice(device),
                    "cudaSetDevice(" + std::to_string(device) + ")");
}

/// The driver's stream memory operations, without linking libcuda.
struct StreamMemOps {
  PFN_cuStreamWriteValue64_v11070 write = nullptr;
  PFN_cuStreamWaitValue64_v11070 wait = nullptr;
  Status status;
};

const StreamMemOps &streamMemOps() {
  static StreamMemOps ops = [] {
    StreamMemOps result;
    cudaDriverEntryPointQueryResult found;
    cudaError_t error = cudaGetDriverEntryPointByVersion(
        "cuStreamWriteValue64", reinterpret_cast<void **>(&result.write),
        12000, cudaEnableDefault, &found);
    if (error == cudaSuccess && found == cudaDriverEntryPointSuccess)
      error = cudaGetDriverEntryPointByVersion(
          "cuStreamWaitValue64", reinterpret_cast<void **>(&result.wait),
          12000, cudaEnableDefault, &found);
    if (error != cudaSuccess)
      result.status = cudaStatus(error, "finding cuStreamWaitValue64");
    else if (found != cudaDriverEntryPointSuccess || !result.write ||
             !result.wait)
      result.status = Status::error(
          StatusCode::kUnavailable,
          "the CUDA driver has no 64-bit stream memory operations");
    return result;
  }();
  return ops;
}

Status driverStatus(CUresult result, const std::string &what) {
  if (result == CUDA_SUCCESS)
    return Status::ok();
  return Status::error(StatusCode::kInternal,
                       what + ": CUDA driver error " + std::to_string(result));
}

/// Polls `done` (true, false or an error) with back-off under a watch.
template <typename Query>
Status pollUntilDone(const std::string &what, Query done) {
  Backoff backoff;
  Watchdog::Watch watch;
  for (;;) {
    StatusOr<bool> finished = done();
    if (!finished.isOk())
      return finished.takeStatus();
    if (finished.value())
      return Status::ok();
    if (!watch.active())
      watch = Watchdog::instance().watch(what);
    BRAID_RT_RETURN_IF_ERROR(watch.check());
    backoff.pause();
  }
}

struct HostTask {
  CudaStream *stream;
  std::function<Status()> task;
};

void CUDART_CB runHostTask(void *data) {
  std::unique_ptr<HostTask> hostTask(static_cast<HostTask *>(data));
  Status status = hostTask->task();
  if (!status.isOk())
    hostTask->stream->setHostError(status);
}

} // namespace

//===----------------------------------------------------------------------===//
// CudaStream
//===----------------------------------------------------------------------===//

StatusOr<std::unique_ptr<CudaStream>>
CudaStream::create(int device, std::string name, int priority) {
  BRAID_RT_RETURN_IF_ERROR(useDevice(device));
  int least = 0, greatest = 0;
  BRAID_RT_RETURN_IF_ERROR(
      cudaStatus(cudaDeviceGetStreamPriorityRange(&least, &greatest),
                 "cudaDeviceGetStreamPriorityRange"));
  // Lower is higher priority: greatest <= priority <= least.
  priority = std::clamp(priority, greatest, least);
  cudaStream_t stream = nullptr;
  BRAID_RT_RETURN_IF_ERROR(cudaStatus(
      cudaStreamCreateWithPriority(&stream, cudaStreamNonBlocking, priority),
      "creating CUDA stream '" + name + "'"));
  return std::unique_ptr<CudaStream>(
      new CudaStream(device, stream, std::move(name)));
}

CudaStream::~CudaStream() {
  // Like cudaStreamDestroy, lets enqueued work finish.
  (void)synchronize();
  cudaStreamDestroy(stream_);
}

void CudaStream::setHostError(const Status &status) {
  std::lock_guard<std::mutex> lock(mu_);
  if (hostError_.isOk())
    hostError_ = status;
}

Status CudaStream::stickyStatus() {
  std::lock_guard<std::mutex> lock(mu_);
  return hostError_;
}

Status CudaStream::enqueueHost(std::function<Status()> task) {
  if (!task)
    return Status::error(StatusCode::kInvalidArgument,
                         "empty task enqueued on stream '" + name() + "'");
  BRAID_RT_RETURN_IF_ERROR(useDevice(device_));
  auto *hostTask = new HostTask{this, std::move(task)};
  cudaError_t error = cudaLaunchHostFunc(stream_, runHostTask, hostTask);
  if (error != cudaSuccess)
    delete hostTask;
  return cudaStatus(error, "cudaLaunchHostFunc on stream '" + name() + "'");
}

Status CudaStream::copy(void *dst, const void *src, size_t bytes) {
  BRAID_RT_RETURN_IF_ERROR(useDevice(device_));
  return cudaStatus(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDefault, stream_),
                    "cudaMemcpyAsync of " + std::to_string(bytes) +
                        " bytes on stream '" + name() + "'");
}

Status CudaStream::record(Event &event) {
  auto *cudaEvent = dynamic_cast<CudaEvent *>(&event);
  if (!cudaEvent)
    return Status::error(StatusCode::kInvalidArgument,
                         "CPU event recorded on CUDA stream '" + name() + "'");
  BRAID_RT_RETURN_IF_ERROR(useDevice(device_));
  return cudaStatus(cudaEventRecord(cudaEvent->handle(), stream_),
                    "cudaEventRecord on stream '" + name() + "'");
}

Status CudaStream::wait(Event &event) {
  auto *cudaEvent = dynamic_cast<CudaEvent *>(&event);
  if (!cudaEvent)
    return Status::error(StatusCode::kInvalidArgument,
                         "CUDA stream '" + name() + "' waits on a CPU event");
  BRAID_RT_RETURN_IF_ERROR(useDevice(device_));
  return cudaStatus(cudaStreamWaitEvent(stream_, cudaEvent->handle(), 0),
                    "cudaStreamWaitEvent on stream '" + name() + "'");
}

Status signalCounter(cudaStream_t stream, CudaCounter &counter,
                     uint64_t value, const std::string &streamName) {
  const StreamMemOps &ops = streamMemOps();
  BRAID_RT_RETURN_IF_ERROR(ops.status);
  return driverStatus(
      ops.write(stream, reinterpret_cast<CUdeviceptr>(counter.devicePointer()),
                value, CU_STREAM_WRITE_VALUE_DEFAULT),
      "cuStreamWriteValue64 of counter '" + counter.name() + "' on " +
          streamName);
}

Status CudaStream::signal(Counter &counter, uint64_t value) {
  auto *cudaCounter = dynamic_cast<CudaCounter *>(&counter);
  if (!cudaCounter)
    return Status::error(StatusCode::kInvalidArgument,
                         "CUDA stream '" + name() + "' signals a CPU counter");
  BRAID_RT_RETURN_IF_ERROR(useDevice(device_));
  return signalCounter(stream_, *cudaCounter, value,
                       "stream '" + name() + "'");
}

Status CudaStream::wait(Counter &counter, uint64_t value) {
  auto *cudaCounter = dynamic_cast<CudaCounter *>(&counter);
  if (!cudaCounter)
    return Status::error(StatusCode::kInvalidArgument,
                         "CUDA stream '" + name() + "' waits on a CPU counter");
  const StreamMemOps &ops = streamMemOps();
  BRAID_RT_RETURN_IF_ERROR(ops.status);
  BRAID_RT_RETURN_IF_ERROR(useDevice(device_));
  return driverStatus(
      ops.wait(stream_,
               reinterpret_cast<CUdeviceptr>(cudaCounter->devicePointer()),
               value, CU_STREAM_WAIT_VALUE_GEQ),
      "cuStreamWaitValue64 of counter '" + cudaCounter->name() +
          "' on stream '" + name() + "'");
}

StatusOr<bool> CudaStream::query() {
  BRAID_RT_RETURN_IF_ERROR(useDevice(device_));
  cudaError_t error = cudaStreamQuery(stream_);
  if (error == cudaErrorNotReady)
    return false;
  BRAID_RT_RETURN_IF_ERROR(
      cudaStatus(error, "cudaStreamQuery on stream '" + name() + "'"));
  return true;
}

Status CudaStream::synchronize() {
  BRAID_RT_RETURN_IF_ERROR(pollUntilDone(
      "synchronizing CUDA stream '" + name() + "'", [&] { return query(); }));
  return stickyStatus();
}

//===----------------------------------------------------------------------===//
// CudaEvent
//===----------------------------------------------------------------------===//

StatusOr<std::unique_ptr<CudaEvent>> CudaEvent::create(int device,
                                                      bool timing) {
  BRAID_RT_RETURN_IF_ERROR(useDevice(device));
  cudaEvent_t event = nullptr;
  BRAID_RT_RETURN_IF_ERROR(cudaStatus(
      cudaEventCreateWithFlags(&event, timing ? cudaEventDefault
                                              : cudaEventDisableTiming),
      "cudaEventCreateWithFlags"));
  return std::unique_ptr<CudaEvent>(new CudaEvent(device, event));
}

CudaEvent::~CudaEvent() { cudaEventDestroy(event_); }

StatusOr<bool> CudaEvent::query() {
  BRAID_RT_RETURN_IF_ERROR(useDevice(device_));
  cudaError_t error = cudaEventQuery(event_);
  if (error == cudaErrorNotReady)
    return false;
  BRAID_RT_RETURN_IF_ERROR(cudaStatus(error, "cudaEventQuery"));
  return true;
}

Status CudaEvent::synchronize() {
  return pollUntilDone("waiting for a CUDA event", [&] { return query(); });
}

StatusOr<double> CudaEvent::elapsedMsSince(Event &start) {
  auto *begin = dynamic_cast<CudaEvent *>(&start);
  if (!begin)
    return Status::error(StatusCode::kInvalidArgument,
                         "elapsed time between events of different devices");
  BRAID_RT_RETURN_IF_ERROR(useDevice(device_));
  float ms = 0;
  BRAID_RT_RETURN_IF_ERROR(cudaStatus(
      cudaEventElapsedTime(&ms, begin->event_, event_), "cudaEventElapsedTime"));
  return static_cast<double>(ms);
}

//===----------------------------------------------------------------------===//
// CudaCounter
//===----------------------------------------------------------------------===//

StatusOr<std::unique_ptr<CudaCounter>>
CudaCounter::create(int device, std::string name, uint64_t initial) {
  BRAID_RT_RETURN_IF_ERROR(useDevice(device));
  void *word = nullptr;
  BRAID_RT_RETURN_IF_ERROR(cudaStatus(cudaMalloc(&word, sizeof(uint64_t)),
                                      "allocating counter '" + name + "'"));
  cudaError_t error =
      cudaMemcpy(word, &initial, sizeof(uint64_t), cudaMemcpyHostToDevice);
  if (error != cudaSuccess) {
    cudaFree(word);
    return cudaStatus(error, "initializing counter '" + name + "'");
  }
  return std::unique_ptr<CudaCounter>(
      new CudaCounter(device, std::move(name), static_cast<uint64_t *>(word)));
}

CudaCounter::~CudaCounter() { cudaFree(value_); }

StatusOr<uint64_t> CudaCounter::value() {
  BRAID_RT_RETURN_IF_ERROR(useDevice(device_));
  uint64_t current = 0;
  BRAID_RT_RETURN_IF_ERROR(
      cudaStatus(cudaMemcpy(&current, value_, sizeof(uint64_t),
                            cudaMemcpyDeviceToHost),
                 "reading counter '" + name_ + "'"));
  return current;
}

Status CudaCounter::hostSignal(uint64_t value) {
  auto current = this->value();
  if (!current.isOk())
    return current.takeStatus();
  if (value < current.value())
    return Status::error(StatusCode::kInvalidArgument,
                         "counter '" + name_ + "' would go backwards from " +
                             std::to_string(current.value()) + " to " +
                             std::to_string(value));
  return cudaStatus(
      cudaMemcpy(value_, &value, sizeof(uint64_t), cudaMemcpyHostToDevice),
      "writing counter '" + name_ + "'");
}

Status CudaCounter::hostWait(uint64_t value, double timeoutS) {
  auto deadline = std::chrono::steady_clock::now() +
                  std::chrono::duration_cast<std::chrono::nanoseconds>(
                      std::chrono::duration<double>(timeoutS));
  Backoff backoff;
  for (;;) {
    auto current = this->value();
    if (!current.isOk())
      return current.takeStatus();
    if (current.value() >= value)
      return Status::ok();
    if (std::chrono::steady_clock::now() >= deadline)
      return Status::error(StatusCode::kTimeout,
                           "counter '" + name_ + "' is at " +
                               std::to_string(current.value()) + " after " +
                               std::to_string(timeoutS) +
                               " s of waiting for >= " + std::to_string(value));
    backoff.pause();
  }
}

//===----------------------------------------------------------------------===//
// CudaDevice
//===----------------------------------------------------------------------===//

StatusOr<std::unique_ptr<CudaDevice>> CudaDevice::open(int ordinal) {
  int count = 0;
  cudaError_t error = cudaGetDeviceCount(&count);
  if (error != cudaSuccess)
    return cudaStatus(error, "cudaGetDeviceCount");
  if (ordinal < 0 || ordinal >= count)
    return Status::error(StatusCode::kUnavailable,
                         "CUDA device " + std::to_string(ordinal) +
                             " does not exist (this machine has " +
                             std::to_string(count) + ")");
  BRAID_RT_RETURN_IF_ERROR(useDevice(ordinal));
  return std::unique_ptr<CudaDevice>(new CudaDevice(ordinal));
}

StatusOr<std::unique_ptr<Stream>> CudaDevice::createStream(std::string name,
                                                           int priority) {
  auto stream = CudaStream::create(ordinal_, std::move(name), priority);
  if (!stream.isOk())
    return stream.takeStatus();
  return std::unique_ptr<Stream>(std::move(stream.value()));
}

StatusOr<std::unique_ptr<Event>> CudaDevice::createEvent(bool timing) {
  auto event = CudaEvent::create(ordinal_, timing);
  if (!event.isOk())
    return event.takeStatus();
  return std::unique_ptr<Event>(std::move(event.value()));
}

StatusOr<std::unique_ptr<Counter>>
CudaDevice::createCounter(std::string name, uint64_t initial) {
  auto counter = CudaCounter::create(ordinal_, std::move(name), initial);
  if (!counter.isOk())
    return counter.takeStatus();
  return std::unique_ptr<Counter>(std::move(counter.value()));
}

StatusOr<void *> CudaDevice::allocate(size_t bytes, size_t alignment,
                                      MemoryKind kind) {
  if (alignment == 0 || (alignment & (alignment - 1)) != 0)
    return Status::error(StatusCode::kInvalidArgument,
                         "alignment " + std::to_string(alignment) +
                             " is not a power of two");
  BRAID_RT_RETURN_IF_ERROR(useDevice(ordinal_));
  void *pointer = nullptr;
  size_t size = bytes == 0 ? 1 : bytes;
  switch (kind) {
  case MemoryKind::Host:
    if (posix_memalign(&pointer, std::max(alignment, sizeof(void *)), size))
      return Status::error(StatusCode::kOutOfMemory,
                           "cannot allocate " + std::to_string(bytes) +
                               " bytes of host memory");
    return pointer;
  case MemoryKind::PinnedHost:
    return allocatePinnedHost(bytes, alignment);
  case MemoryKind::Device:
    // cudaMalloc aligns to at least 256 bytes; larger alignments are not
    // promised.
    if (alignment > 256)
      return Status::error(StatusCode::kInvalidArgument,
                           "device memory is aligned to 256 bytes, not " +
                               std::to_string(alignment));
    BRAID_RT_RETURN_IF_ERROR(
        cudaStatus(cudaMalloc(&pointer, size),
                   "cudaMalloc of " + std::to_string(bytes) + " bytes"));
    return pointer;
  }
  return Status::error(StatusCode::kInvalidArgument, "unknown memory kind");
}

void CudaDevice::deallocate(void *pointer, MemoryKind kind) {
  if (!pointer)
    return;
  switch (kind) {
  case MemoryKind::Host:
    std::free(pointer);
    return;
  case MemoryKind::PinnedHost:
    freePinnedHost(pointer);
    return;
  case MemoryKind::Device:
    cudaFree(pointer);
    return;
  }
}

StatusOr<void *> CudaDevice::allocateRegistrable(size_t bytes,
                                                 size_t alignment) {
  if (alignment == 0 || (alignment & (alignment - 1)) != 0 || alignment > 256)
    return Status::error(StatusCode::kInvalidArgument,
                         "registrable device memory is aligned to 256 bytes "
                         "(at least); alignment " +
                             std::to_string(alignment) +
                             " is not a power of two up to that");
  // ncclMemAlloc allocates on the current device.
  BRAID_RT_RETURN_IF_ERROR(useDevice(ordinal_));
  void *pointer = nullptr;
  std::string what = "ncclMemAlloc of " + std::to_string(bytes) +
                     " bytes on CUDA device " + std::to_string(ordinal_);
  ncclResult_t result = ncclMemAlloc(&pointer, bytes == 0 ? 1 : bytes);
  if (result != ncclSuccess) {
    std::string text = what + ": " + ncclGetErrorString(result);
    const char *last = ncclGetLastError(nullptr);
    if (last && *last)
      text += " (" + std::string(last) + ")";
    // Its failures are the CUDA allocator's (cuMemCreate, cudaMalloc).
    return Status::error(result == ncclInvalidArgument
                             ? StatusCode::kInvalidArgument
                             : StatusCode::kOutOfMemory,
                         text);
  }
  return pointer;
}

void CudaDevice::deallocateRegistrable(void *pointer) {
  if (pointer)
    ncclMemFree(pointer);
}

Status CudaDevice::copyToDevice(void *dst, const void *src, size_t bytes) {
  BRAID_RT_RETURN_IF_ERROR(useDevice(ordinal_));
  return cudaStatus(cudaMemcpy(dst, src, bytes, cudaMemcpyDefault),
                    "copying " + std::to_string(bytes) + " bytes to the GPU");
}

Status CudaDevice::copyToHost(void *dst, const void *src, size_t bytes) {
  BRAID_RT_RETURN_IF_ERROR(useDevice(ordinal_));
  return cudaStatus(cudaMemcpy(dst, src, bytes, cudaMemcpyDefault),
                    "copying " + std::to_string(bytes) +
                        " bytes from the GPU");
}

} // namespace braid_rt
