//===- Arena.cpp - one allocation per program and device ------------------===//

#include "braid_rt/Arena.h"

#include <algorithm>
#include <cstdint>
#include <string>

namespace braid_rt {

StatusOr<std::unique_ptr<Arena>> Arena::create(Device &device, size_t bytes,
                                               size_t alignment,
                                               MemoryKind kind) {
  return allocate(device, bytes, alignment, kind, /*registrable=*/false);
}

StatusOr<std::unique_ptr<Arena>>
Arena::createRegistrable(Device &device, size_t bytes, size_t alignment) {
  return allocate(device, bytes, alignment, MemoryKind::Device,
                  /*registrable=*/true);
}

StatusOr<std::unique_ptr<Arena>> Arena::allocate(Device &device, size_t bytes,
                                                 size_t alignment,
                                                 MemoryKind kind,
                                                 bool registrable) {
  if (alignment == 0 || (alignment & (alignment - 1)) != 0)
    return Status::error(StatusCode::kInvalidArgument,
                         "arena alignment " + std::to_string(alignment) +
                             " is not a power of two");
  if (kind != MemoryKind::Host && kind != MemoryKind::PinnedHost &&
      kind != MemoryKind::Device)
    return Status::error(StatusCode::kInvalidArgument,
                         "unknown arena memory kind " +
                             std::to_string(static_cast<int>(kind)));
  alignment = std::max<size_t>(alignment, 64);
  // Devices promise 256-byte alignment (cudaMalloc; ncclMemAlloc gives a
  // granule, 2 MiB); beyond that the arena over-allocates and rounds its
  // base up.
  size_t promised = std::min<size_t>(alignment, 256);
  size_t extra = alignment - promised;
  size_t allocationBytes = bytes + extra;
  auto allocation =
      registrable ? device.allocateRegistrable(allocationBytes, promised)
                  : device.allocate(allocationBytes, promised, kind);
  if (!allocation)
    return allocation.takeStatus().withContext(
        "allocating a " + std::to_string(bytes) + "-byte " +
        (registrable ? "registrable " : "") + memoryKindName(kind) +
        " arena on the " + deviceKindName(device.kind()) + " device");
  uintptr_t raw = reinterpret_cast<uintptr_t>(allocation.value());
  uintptr_t base = (raw + alignment - 1) & ~(uintptr_t(alignment) - 1);
  return std::unique_ptr<Arena>(
      new Arena(device, allocation.value(), allocationBytes,
                reinterpret_cast<void *>(base), bytes, alignment, kind,
                registrable));
}

Arena::~Arena() { (void)release(); }

void Arena::setReleaseHook(std::function<Status()> hook) {
  releaseHook_ = std::move(hook);
}

Status Arena::release() {
  if (!allocation_)
    return Status::ok();
  Status status;
  if (releaseHook_) {
    status = releaseHook_();
    releaseHook_ = nullptr;
  }
  if (registrable_)
    device_.deallocateRegistrable(allocation_);
  else
    device_.deallocate(allocation_, kind_);
  allocation_ = nullptr;
  base_ = nullptr;
  return status;
}

StatusOr<void *> Arena::at(size_t offset, size_t bytes,
                           size_t alignment) const {
  if (!allocation_)
    return Status::error(StatusCode::kInvalidArgument,
                         "the arena has been released");
  if (offset > size_ || bytes > size_ - offset)
    return Status::error(StatusCode::kInvalidArgument,
                         "arena range [" + std::to_string(offset) + ", " +
                             std::to_string(offset) + " + " +
                             std::to_string(bytes) +
                             ") is outside the arena of " +
                             std::to_string(size_) + " bytes");
  if (alignment == 0 || (alignment & (alignment - 1)) != 0 ||
      offset % alignment != 0)
    return Status::error(StatusCode::kInvalidArgument,
                         "arena offset " + std::to_string(offset) +
                             " is not a multiple of the alignment " +
                             std::to_string(alignment));
  if (alignment > alignment_)
    return Status::error(StatusCode::kInvalidArgument,
                         "alignment " + std::to_string(alignment) +
                             " exceeds the arena's " +
                             std::to_string(alignment_));
  return static_cast<void *>(static_cast<char *>(base_) + offset);
}

} // namespace braid_rt
