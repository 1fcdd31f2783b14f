//===- Tensor.h - values of the reference interpreter -----------*- C++ -*-===//
//
// The interpreter stores every floating-point element as a double that is
// exactly representable in its element type (each write rounds to nearest
// even), and every integer as an int64 wrapped to its bit width. In f64 mode
// floating-point types do not round at all, which gives the reference run of
// the numerics contract.
//
//===----------------------------------------------------------------------===//

#ifndef BRAID_INTERPRETER_TENSOR_H
#define BRAID_INTERPRETER_TENSOR_H

#include "mlir/IR/Types.h"
#include "mlir/Support/LLVM.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <string>
#include <vector>

namespace mlir {
namespace braid {
namespace interp {

enum class ElemKind { F64, F32, F16, BF16, I1, I8, I16, I32, I64, Index };

bool isFloatKind(ElemKind kind);
unsigned bitWidth(ElemKind kind);
StringRef kindName(ElemKind kind);
/// The kind of an MLIR element type; failure for types the interpreter does
/// not support.
FailureOr<ElemKind> kindOf(Type type);

/// Rounds `value` to the nearest value of `kind` (ties to even). In f64 mode
/// floating-point kinds are not rounded.
double roundFloat(double value, ElemKind kind, bool f64Mode);
/// Rounds the integer `value` (of `fromKind`, read as unsigned when
/// `isUnsigned`) to the nearest value of the floating-point `kind`, once.
double roundIntToFloat(int64_t value, ElemKind fromKind, bool isUnsigned,
                       ElemKind kind, bool f64Mode);
/// Wraps `value` to the bit width of the integer `kind` (i1 is 0/1;
/// other widths sign-extend, as MLIR's signless integers print).
int64_t wrapInt(int64_t value, ElemKind kind);

/// Bytes one element of `kind` occupies in memory (buffers, .npy files):
/// its bit width in whole bytes (i1 takes a byte, index eight).
unsigned storageBytes(ElemKind kind);
/// The bit pattern of the floating-point `kind` nearest to `value` (ties to
/// even), in the low bits.
uint64_t encodeFloat(double value, ElemKind kind);
/// The value of the bit pattern `bits` of the floating-point `kind`.
double decodeFloat(uint64_t bits, ElemKind kind);

/// Bytes the interpreter holds per element, whatever the element type: a
/// double or an int64.
constexpr uint64_t kStorageBytesPerElement = 8;
/// Default per-tensor limit on that storage (braid-interp
/// --max-tensor-bytes): 4 GiB, 2^29 elements.
constexpr uint64_t kDefaultMaxTensorBytes = uint64_t(4) << 30;

/// Elements of a tensor of `shape`; failure when a dimension is negative
/// (or dynamic) or the count overflows int64.
FailureOr<int64_t> getNumElements(ArrayRef<int64_t> shape);

/// Success when a tensor of `shape` can be allocated: no dimension is
/// negative and its storage (kStorageBytesPerElement per element) fits in
/// `maxBytes`. Otherwise an error naming the tensor type and the limit.
llvm::Error checkTensorSize(ArrayRef<int64_t> shape, ElemKind kind,
                            uint64_t maxBytes);

/// "tensor<4x8xf32>"-like description of a shape and kind.
std::string formatTensorType(ArrayRef<int64_t> shape, ElemKind kind);

/// One element: a double for floating-point kinds, an int64 otherwise.
struct Scalar {
  ElemKind kind = ElemKind::F32;
  double f = 0.0;
  int64_t i = 0;

  static Scalar ofFloat(ElemKind kind, double value) {
    Scalar s;
    s.kind = kind;
    s.f = value;
    return s;
  }
  static Scalar ofInt(ElemKind kind, int64_t value) {
    Scalar s;
    s.kind = kind;
    s.i = value;
    return s;
  }
  bool isFloat() const { return isFloatKind(kind); }
  /// The value as a double (integers converted).
  double asDouble() const { return isFloat() ? f : static_cast<double>(i); }
  /// Bitwise equality in the kind's representation (NaNs compare equal,
  /// +0 and -0 differ).
  bool bitwiseEqual(const Scalar &other) const;
};

/// A dense row-major tensor.
class Tensor {
public:
  Tensor() = default;
  /// A zero tensor; `shape` must have passed checkTensorSize (a shape the
  /// program or an input file chose) or be derived from tensors that exist.
  Tensor(ElemKind kind, ArrayRef<int64_t> shape);

  ElemKind kind() const { return kind_; }
  ArrayRef<int64_t> shape() const { return shape_; }
  int64_t rank() const { return shape_.size(); }
  int64_t numElements() const { return numElements_; }
  bool isFloat() const { return isFloatKind(kind_); }

  Scalar get(int64_t linear) const;
  void set(int64_t linear, const Scalar &value);
  double getFloat(int64_t linear) const { return floats_[linear]; }
  void setFloat(int64_t linear, double value) { floats_[linear] = value; }
  int64_t getInt(int64_t linear) const { return ints_[linear]; }
  void setInt(int64_t linear, int64_t value) { ints_[linear] = value; }

  /// Row-major strides.
  SmallVector<int64_t> strides() const;
  int64_t linearize(ArrayRef<int64_t> index) const;
  void delinearize(int64_t linear, SmallVectorImpl<int64_t> &index) const;

  /// Same kind and shape, every element bitwise equal.
  bool bitwiseEqual(const Tensor &other) const;
  /// "tensor<4x8xf32>"-like description.
  std::string typeString() const;

private:
  ElemKind kind_ = ElemKind::F32;
  SmallVector<int64_t> shape_;
  int64_t numElements_ = 0;
  std::vector<double> floats_;
  std::vector<int64_t> ints_;
};

} // namespace interp
} // namespace braid
} // namespace mlir

#endif // BRAID_INTERPRETER_TENSOR_H
