//===- Arena.h - one allocation per program and device ----------*- C++ -*-===//
//
// The compiler plans every buffer of a program as an offset into one arena
// (shared/DESIGN.md, "BUFFER LEVEL"); the runtime allocates the arena once,
// from the planned size, and hands out views by offset. Nothing is
// allocated while a step runs.
//
//===----------------------------------------------------------------------===//

#ifndef BRAID_RT_ARENA_H
#define BRAID_RT_ARENA_H

#include "braid_rt/Device.h"

#include <cstddef>
#include <memory>

namespace braid_rt {

class Arena {
public:
  /// Allocates `bytes` of `kind` memory on `device`, its base aligned to
  /// `alignment` (a power of two; at least 64 is used).
  static StatusOr<std::unique_ptr<Arena>> create(Device &device, size_t bytes,
                                                 size_t alignment,
                                                 MemoryKind kind);
  ~Arena();
  Arena(const Arena &) = delete;
  Arena &operator=(const Arena &) = delete;

  void *base() const { return base_; }
  size_t size() const { return size_; }
  size_t alignment() const { return alignment_; }
  MemoryKind memoryKind() const { return kind_; }
  Device &device() const { return device_; }

  /// The `bytes` at `offset`; fails when they do not fit or `offset` is not
  /// a multiple of `alignment` (1: any).
  StatusOr<void *> at(size_t offset, size_t bytes,
                      size_t alignment = 1) const;

private:
  Arena(Device &device, void *allocation, void *base, size_t size,
        size_t alignment, MemoryKind kind)
      : device_(device), allocation_(allocation), base_(base), size_(size),
        alignment_(alignment), kind_(kind) {}

  Device &device_;
  void *allocation_; ///< what the device returned; base_ rounds it up
  void *base_;
  size_t size_;
  size_t alignment_;
  MemoryKind kind_;
};

} // namespace braid_rt

#endif // BRAID_RT_ARENA_H
