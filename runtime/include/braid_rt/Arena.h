//===- Arena.h - one allocation per program and device ----------*- C++ -*-===//
//
// The compiler plans every buffer of a program as an offset into one arena
// (shared/DESIGN.md, "BUFFER LEVEL"); the runtime allocates the arena once,
// from the planned size, and hands out views by offset. Nothing is
// allocated while a step runs.
//
// Arenas of a context (Context::createArena) are also what the engine
// registers: the NCCL engine's device arenas come from ncclMemAlloc and are
// registered with every communicator, which the release hook undoes before
// the memory goes (docs/Runtime.md, "Memory").
//
//===----------------------------------------------------------------------===//

#ifndef BRAID_RT_ARENA_H
#define BRAID_RT_ARENA_H

#include "braid_rt/Device.h"

#include <cstddef>
#include <functional>
#include <memory>

namespace braid_rt {

class Arena {
public:
  /// Allocates `bytes` of `kind` memory on `device`, its base aligned to
  /// `alignment` (a power of two; at least 64 is used).
  static StatusOr<std::unique_ptr<Arena>> create(Device &device, size_t bytes,
                                                 size_t alignment,
                                                 MemoryKind kind);
  /// Device memory from Device::allocateRegistrable, for an engine to
  /// register (CUDA: ncclMemAlloc).
  static StatusOr<std::unique_ptr<Arena>>
  createRegistrable(Device &device, size_t bytes, size_t alignment);
  /// release(), reporting nothing.
  ~Arena();
  Arena(const Arena &) = delete;
  Arena &operator=(const Arena &) = delete;

  void *base() const { return base_; }
  size_t size() const { return size_; }
  size_t alignment() const { return alignment_; }
  MemoryKind memoryKind() const { return kind_; }
  bool registrable() const { return registrable_; }
  Device &device() const { return device_; }
  /// What the device returned and its length: base() rounded it up to the
  /// alignment, so it holds every view.
  void *allocation() const { return allocation_; }
  size_t allocationBytes() const { return allocationBytes_; }

  /// The `bytes` at `offset`; fails when they do not fit or `offset` is not
  /// a multiple of `alignment` (1: any).
  StatusOr<void *> at(size_t offset, size_t bytes,
                      size_t alignment = 1) const;

  /// `hook` runs once, when the arena is released, before its memory is
  /// freed (a registration with communicators undone); its failure is
  /// release()'s.
  void setReleaseHook(std::function<Status()> hook);
  /// Runs the release hook, then frees the memory, even when the hook
  /// failed; returns the hook's status. Later calls do nothing; views must
  /// not be used afterwards (at() fails).
  Status release();

private:
  Arena(Device &device, void *allocation, size_t allocationBytes, void *base,
        size_t size, size_t alignment, MemoryKind kind, bool registrable)
      : device_(device), allocation_(allocation),
        allocationBytes_(allocationBytes), base_(base), size_(size),
        alignment_(alignment), kind_(kind), registrable_(registrable) {}
  static StatusOr<std::unique_ptr<Arena>> allocate(Device &device,
                                                   size_t bytes,
                                                   size_t alignment,
                                                   MemoryKind kind,
                                                   bool registrable);

  Device &device_;
  void *allocation_; ///< null once released
  size_t allocationBytes_;
  void *base_;
  size_t size_;
  size_t alignment_;
  MemoryKind kind_;
  bool registrable_;
  std::function<Status()> releaseHook_;
};

} // namespace braid_rt

#endif // BRAID_RT_ARENA_H
