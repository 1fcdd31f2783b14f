//===- Device.cpp - streams, events and counters --------------------------===//

#include "braid_rt/Device.h"

#include <cstdlib>

#ifdef BRAID_RT_HAVE_CUDA
#include <cuda_runtime.h>
#endif

namespace braid_rt {

Stream::~Stream() = default;
Event::~Event() = default;
Counter::~Counter() = default;
Device::~Device() = default;

StatusOr<void *> Device::allocateRegistrable(size_t bytes, size_t alignment) {
  return allocate(bytes, alignment, MemoryKind::Device);
}

void Device::deallocateRegistrable(void *pointer) {
  deallocate(pointer, MemoryKind::Device);
}

const char *deviceKindName(DeviceKind kind) {
  switch (kind) {
  case DeviceKind::Cpu:
    return "cpu";
  case DeviceKind::Cuda:
    return "cuda";
  }
  return "invalid-device";
}

const char *memoryKindName(MemoryKind kind) {
  switch (kind) {
  case MemoryKind::Host:
    return "host";
  case MemoryKind::PinnedHost:
    return "pinned-host";
  case MemoryKind::Device:
    return "device";
  }
  return "invalid-memory-kind";
}

StatusOr<void *> allocatePinnedHost(size_t bytes, size_t alignment) {
  if (alignment == 0 || (alignment & (alignment - 1)) != 0 ||
      alignment > kPinnedHostAlignment)
    return Status::error(StatusCode::kInvalidArgument,
                         "pinned host memory is aligned to " +
                             std::to_string(kPinnedHostAlignment) +
                             " bytes; alignment " + std::to_string(alignment) +
                             " is not a power of two up to that");
  size_t size = bytes == 0 ? 1 : bytes;
  void *pointer = nullptr;
#ifdef BRAID_RT_HAVE_CUDA
  cudaError_t error = cudaHostAlloc(&pointer, size, cudaHostAllocPortable);
  if (error == cudaSuccess)
    return pointer;
  // No GPU (or no driver): nothing can DMA from this memory, so ordinary
  // memory serves. Any other failure (out of pinnable memory, a memlock
  // limit) is the caller's to know.
  if (error != cudaErrorNoDevice && error != cudaErrorInsufficientDriver)
    return Status::error(error == cudaErrorMemoryAllocation
                             ? StatusCode::kOutOfMemory
                             : StatusCode::kInternal,
                         "cudaHostAlloc of " + std::to_string(bytes) +
                             " bytes: " + cudaGetErrorName(error) + ": " +
                             cudaGetErrorString(error));
  (void)cudaGetLastError(); // a later launch check must not see it
#endif
  if (posix_memalign(&pointer, kPinnedHostAlignment, size) != 0)
    return Status::error(StatusCode::kOutOfMemory,
                         "cannot allocate " + std::to_string(bytes) +
                             " bytes of host memory");
  return pointer;
}

void freePinnedHost(void *pointer) {
  if (!pointer)
    return;
#ifdef BRAID_RT_HAVE_CUDA
  // cudaHostAlloc memory is host memory known to CUDA; the fallback is not
  // (and without a device the query fails).
  cudaPointerAttributes attributes;
  if (cudaPointerGetAttributes(&attributes, pointer) == cudaSuccess &&
      attributes.type == cudaMemoryTypeHost) {
    cudaFreeHost(pointer);
    return;
  }
  (void)cudaGetLastError();
#endif
  std::free(pointer);
}

} // namespace braid_rt
