//===- Buffer.cpp - mutable buffers of buffer-level programs --------------===//

#include "braid/Interpreter/Buffer.h"

#include "llvm/Support/CheckedArithmetic.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cstring>

using namespace mlir;
using namespace mlir::braid::interp;

void VectorClock::join(const VectorClock &other) {
  for (const auto &[stream, time] : other.components) {
    uint64_t &mine = components[stream];
    mine = std::max(mine, time);
  }
}

//===----------------------------------------------------------------------===//
// Storage
//===----------------------------------------------------------------------===//

Storage::Storage(int64_t size, uint8_t fill, bool f64Mode,
                 std::string description)
    : bytes(size, fill), f64Mode(f64Mode),
      description_(std::move(description)) {
  if (f64Mode) {
    exact.assign(size, 0.0);
    exactKind.assign(size, 0);
  }
  if (size > 0)
    shadow.emplace(0, Segment{size, Shadow()});
}

static uint8_t exactTag(ElemKind kind) {
  return static_cast<uint8_t>(kind) + 1;
}

Scalar Storage::load(int64_t offset, ElemKind kind) const {
  uint64_t bits = 0;
  // Little-endian, as the hosts and devices braid targets.
  std::memcpy(&bits, &bytes[offset], storageBytes(kind));
  if (isFloatKind(kind)) {
    if (f64Mode && exactKind[offset] == exactTag(kind) &&
        encodeFloat(exact[offset], kind) == bits)
      return Scalar::ofFloat(kind, exact[offset]);
    return Scalar::ofFloat(kind, decodeFloat(bits, kind));
  }
  if (kind == ElemKind::I1)
    return Scalar::ofInt(kind, bits != 0);
  return Scalar::ofInt(kind, wrapInt(static_cast<int64_t>(bits), kind));
}

void Storage::store(int64_t offset, const Scalar &value, ElemKind kind) {
  unsigned size = storageBytes(kind);
  uint64_t bits;
  if (isFloatKind(kind))
    bits = encodeFloat(value.asDouble(), kind);
  else
    bits = static_cast<uint64_t>(wrapInt(
        value.isFloat() ? static_cast<int64_t>(value.f) : value.i, kind));
  std::memcpy(&bytes[offset], &bits, size);
  if (!f64Mode)
    return;
  std::fill_n(exactKind.begin() + offset, size, 0);
  if (isFloatKind(kind)) {
    exact[offset] = value.asDouble();
    exactKind[offset] = exactTag(kind);
  }
}

void Storage::splitAt(int64_t at) {
  if (at <= 0 || at >= size())
    return;
  auto it = std::prev(shadow.upper_bound(at));
  if (it->first == at)
    return;
  Segment tail{it->second.end, it->second.shadow};
  it->second.end = at;
  shadow.emplace(at, std::move(tail));
}

void Storage::mergeAround(int64_t begin, int64_t end) {
  auto it = shadow.upper_bound(begin);
  if (it != shadow.begin())
    --it;
  if (it != shadow.begin())
    --it;
  while (it != shadow.end() && it->first <= end) {
    auto next = std::next(it);
    if (next == shadow.end())
      break;
    if (next->second.shadow == it->second.shadow) {
      it->second.end = next->second.end;
      shadow.erase(next);
      continue;
    }
    it = next;
  }
}

std::optional<Race> Storage::recordAccess(int64_t begin, int64_t end,
                                          bool write, const Access &access,
                                          const VectorClock &clock) {
  if (begin >= end)
    return std::nullopt;
  splitAt(begin);
  splitAt(end);
  // The earlier access `shadow` holds that this one conflicts with.
  auto conflict =
      [&](const Shadow &cell) -> std::optional<std::pair<Access, bool>> {
    if (cell.write && cell.write->stream != access.stream &&
        !cell.write->happensBefore(clock))
      return std::make_pair(*cell.write, true);
    if (write)
      for (const Access &read : cell.reads)
        if (read.stream != access.stream && !read.happensBefore(clock))
          return std::make_pair(read, false);
    return std::nullopt;
  };
  auto first = shadow.find(begin);
  for (auto it = first; it != shadow.end() && it->first < end; ++it) {
    std::optional<std::pair<Access, bool>> found = conflict(it->second.shadow);
    if (!found)
      continue;
    Race race{it->first, it->second.end, found->first, found->second};
    // Report the whole run of bytes the same earlier access conflicts on.
    for (auto next = std::next(it);
         next != shadow.end() && next->first < end && next->first == race.end;
         ++next) {
      std::optional<std::pair<Access, bool>> same =
          conflict(next->second.shadow);
      if (!same || !(same->first == found->first) ||
          same->second != found->second)
        break;
      race.end = next->second.end;
    }
    mergeAround(begin, end);
    return race;
  }
  for (auto it = first; it != shadow.end() && it->first < end; ++it) {
    Shadow &cell = it->second.shadow;
    if (write) {
      // No race: every earlier access happens before this write, so it
      // stands for them all.
      cell.write = access;
      cell.reads.clear();
      continue;
    }
    auto mine = llvm::find_if(cell.reads, [&](const Access &read) {
      return read.stream == access.stream;
    });
    if (mine != cell.reads.end())
      *mine = access;
    else
      cell.reads.push_back(access);
  }
  mergeAround(begin, end);
  return std::nullopt;
}

//===----------------------------------------------------------------------===//
// BufferView
//===----------------------------------------------------------------------===//

/// Row-major strides of `shape`.
static SmallVector<int64_t> rowMajorStrides(ArrayRef<int64_t> shape) {
  SmallVector<int64_t> strides(shape.size(), 1);
  for (int64_t d = static_cast<int64_t>(shape.size()) - 2; d >= 0; --d)
    strides[d] = strides[d + 1] * shape[d + 1];
  return strides;
}

BufferView BufferView::contiguous(std::shared_ptr<Storage> storage,
                                  ElemKind kind, ArrayRef<int64_t> shape) {
  BufferView view;
  view.storage = std::move(storage);
  view.kind = kind;
  view.shape.assign(shape.begin(), shape.end());
  view.strides = rowMajorStrides(shape);
  return view;
}

int64_t BufferView::numElements() const {
  int64_t count = 1;
  for (int64_t size : shape)
    count *= size;
  return count;
}

int64_t BufferView::byteAt(ArrayRef<int64_t> index) const {
  int64_t element = offset;
  for (auto [i, stride] : llvm::zip(index, strides))
    element += i * stride;
  return baseByte + element * elementBytes();
}

bool BufferView::inBounds() const {
  if (llvm::any_of(shape, [](int64_t size) { return size <= 0; }))
    return llvm::none_of(shape, [](int64_t size) { return size < 0; });
  std::optional<int64_t> low = offset, high = offset;
  for (auto [size, stride] : llvm::zip(shape, strides)) {
    std::optional<int64_t> span = llvm::checkedMul(size - 1, stride);
    if (!span)
      return false;
    std::optional<int64_t> &end = *span < 0 ? low : high;
    end = end ? llvm::checkedAdd(*end, *span) : std::nullopt;
  }
  auto toByte = [&](std::optional<int64_t> element,
                    int64_t extra) -> std::optional<int64_t> {
    std::optional<int64_t> bytes =
        element ? llvm::checkedMul(*element, elementBytes()) : std::nullopt;
    bytes = bytes ? llvm::checkedAdd(*bytes, baseByte) : std::nullopt;
    return bytes ? llvm::checkedAdd(*bytes, extra) : std::nullopt;
  };
  std::optional<int64_t> first = toByte(low, 0);
  std::optional<int64_t> end = toByte(high, elementBytes());
  return first && end && *first >= 0 && *end <= storage->size();
}

/// Advances `index` in row-major order within `shape`; false at the end.
static bool advance(SmallVectorImpl<int64_t> &index, ArrayRef<int64_t> shape) {
  for (int64_t d = static_cast<int64_t>(index.size()) - 1; d >= 0; --d) {
    if (++index[d] < shape[d])
      return true;
    index[d] = 0;
  }
  return false;
}

SmallVector<std::pair<int64_t, int64_t>> BufferView::byteRanges() const {
  SmallVector<std::pair<int64_t, int64_t>> ranges;
  if (numElements() == 0)
    return ranges;
  int64_t size = elementBytes();
  SmallVector<int64_t> index(rank(), 0);
  do {
    int64_t begin = byteAt(index);
    if (!ranges.empty() && ranges.back().second == begin)
      ranges.back().second = begin + size;
    else
      ranges.push_back({begin, begin + size});
  } while (advance(index, shape));
  llvm::sort(ranges);
  SmallVector<std::pair<int64_t, int64_t>> merged;
  for (auto range : ranges) {
    if (!merged.empty() && range.first <= merged.back().second)
      merged.back().second = std::max(merged.back().second, range.second);
    else
      merged.push_back(range);
  }
  return merged;
}

Tensor BufferView::read() const {
  Tensor tensor(kind, shape);
  SmallVector<int64_t> index(rank(), 0);
  if (tensor.numElements() == 0)
    return tensor;
  int64_t linear = 0;
  do
    tensor.set(linear++, storage->load(byteAt(index), kind));
  while (advance(index, shape));
  return tensor;
}

void BufferView::write(const Tensor &tensor) const {
  assert(tensor.numElements() == numElements() && "element count mismatch");
  SmallVector<int64_t> index(rank(), 0);
  if (tensor.numElements() == 0)
    return;
  int64_t linear = 0;
  do
    storage->store(byteAt(index), tensor.get(linear++), kind);
  while (advance(index, shape));
}

std::string BufferView::typeString() const {
  std::string text;
  llvm::raw_string_ostream os(text);
  os << "memref<";
  for (int64_t size : shape)
    os << size << "x";
  os << kindName(kind);
  if (strides != rowMajorStrides(shape) || offset != 0) {
    os << ", strided<[";
    llvm::interleaveComma(strides, os);
    os << "], offset: " << offset << ">";
  }
  os << ">";
  return text;
}
