//===- Buffer.h - mutable buffers of buffer-level programs ------*- C++ -*-===//
//
// Buffer-level programs (memrefs, braid.cmd.*) run on Storage: the bytes of
// one allocation on one rank, each element in its type's real encoding, so a
// view may read an i8 arena's bytes as f32 or bf16 as the compiled program
// does, and bytes nobody wrote read as the garbage they hold. A BufferView is
// a memref value: storage, aligned base, offset, sizes and strides.
// Elements are rounded by the Tensor rules before they are stored; in f64
// mode the unrounded value is kept beside the bytes, so the reference run
// stays exact.
//
// Race detection: every access records its byte ranges with the task that
// made it (stream 0 is the host, other streams are a rank's workers) and that
// task's epoch, its own component of its vector clock. A later access by
// another task of the rank conflicts when one of the two writes; it is a race
// unless the earlier access happens before it, that is unless the later
// task's clock has caught up with the earlier epoch through launches (fork)
// and waits (join). Vector clocks find a missing edge whatever order the
// interleaving happened to run the two accesses in.
//
//===----------------------------------------------------------------------===//

#ifndef BRAID_INTERPRETER_BUFFER_H
#define BRAID_INTERPRETER_BUFFER_H

#include "braid/Interpreter/Tensor.h"

#include "mlir/IR/Operation.h"

#include <map>
#include <memory>
#include <optional>

namespace mlir {
namespace braid {
namespace interp {

/// One component per task of a rank, keyed by stream (0 = host).
class VectorClock {
public:
  uint64_t get(int64_t stream) const {
    auto it = components.find(stream);
    return it == components.end() ? 0 : it->second;
  }
  void tick(int64_t stream) { ++components[stream]; }
  /// Component-wise maximum: everything `other` saw happens before now.
  void join(const VectorClock &other);

private:
  std::map<int64_t, uint64_t> components;
};

/// Who touched bytes, and when in that task's own time.
struct Access {
  int64_t stream = 0;
  uint64_t epoch = 0;
  Operation *op = nullptr;

  bool operator==(const Access &other) const {
    return stream == other.stream && epoch == other.epoch && op == other.op;
  }
  /// Whether this access happens before anything a task with `clock` does.
  bool happensBefore(const VectorClock &clock) const {
    return epoch <= clock.get(stream);
  }
};

/// An access that conflicts with an earlier one no edge orders it after.
struct Race {
  /// The bytes both touch (a contiguous run).
  int64_t begin = 0, end = 0;
  Access earlier;
  bool earlierWrites = false;
};

/// The bytes of one allocation on one rank.
class Storage {
public:
  /// `bytes` bytes, each `fill`. `description` names the buffer in errors
  /// ("%arena (memref<4096xi8>)").
  Storage(int64_t bytes, uint8_t fill, bool f64Mode, std::string description);

  int64_t size() const { return bytes.size(); }
  const std::string &description() const { return description_; }

  /// The element of `kind` at byte `offset` (in bounds).
  Scalar load(int64_t offset, ElemKind kind) const;
  /// Stores `value` rounded to `kind` at byte `offset` (in bounds).
  void store(int64_t offset, const Scalar &value, ElemKind kind);

  /// Records that `access` reads or writes bytes [begin, end), with `clock`
  /// the accessing task's clock. Returns the first earlier access it races
  /// with (nothing is recorded then), else nothing.
  std::optional<Race> recordAccess(int64_t begin, int64_t end, bool write,
                                   const Access &access,
                                   const VectorClock &clock);

  /// A constant global: writes are errors.
  bool readOnly = false;

private:
  /// The last write of some bytes and the last read of each task since.
  struct Shadow {
    std::optional<Access> write;
    SmallVector<Access, 2> reads;
    bool operator==(const Shadow &other) const {
      return write == other.write && reads == other.reads;
    }
  };
  struct Segment {
    int64_t end;
    Shadow shadow;
  };
  /// Splits the segment holding `at` so that one begins there.
  void splitAt(int64_t at);
  /// Merges segments with equal shadows around [begin, end).
  void mergeAround(int64_t begin, int64_t end);

  std::vector<uint8_t> bytes;
  bool f64Mode;
  /// f64 mode: the unrounded value of a float stored at a byte offset, and
  /// its kind + 1 (0 where none is).
  std::vector<double> exact;
  std::vector<uint8_t> exactKind;
  /// Disjoint segments covering every byte, keyed by their first byte.
  std::map<int64_t, Segment> shadow;
  std::string description_;
};

/// A memref value: elements of `kind` at byte
/// baseByte + storageBytes(kind) * (offset + sum(index[d] * strides[d])).
struct BufferView {
  std::shared_ptr<Storage> storage;
  ElemKind kind = ElemKind::F32;
  /// Where the aligned pointer points, in bytes into the storage.
  int64_t baseByte = 0;
  /// In elements from the aligned pointer, as in MLIR's strided layout.
  int64_t offset = 0;
  SmallVector<int64_t> shape;
  SmallVector<int64_t> strides;

  /// A row-major view of all of `storage`'s first bytes.
  static BufferView contiguous(std::shared_ptr<Storage> storage, ElemKind kind,
                               ArrayRef<int64_t> shape);

  int64_t rank() const { return shape.size(); }
  int64_t numElements() const;
  int64_t elementBytes() const { return storageBytes(kind); }
  /// Byte of the element at `index`.
  int64_t byteAt(ArrayRef<int64_t> index) const;
  /// Whether every element lies inside the storage (arithmetic that
  /// overflows does not).
  bool inBounds() const;
  /// The bytes its elements occupy, as sorted disjoint [begin, end) runs.
  SmallVector<std::pair<int64_t, int64_t>> byteRanges() const;
  /// Its elements as a row-major tensor, and back.
  Tensor read() const;
  void write(const Tensor &tensor) const;
  /// "memref<16x8xf32, strided<[8, 1], offset: 4>>"-like description.
  std::string typeString() const;
};

} // namespace interp
} // namespace braid
} // namespace mlir

#endif // BRAID_INTERPRETER_BUFFER_H
