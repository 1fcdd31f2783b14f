//===- Tensor.cpp - values of the reference interpreter -------------------===//

#include "braid/Interpreter/Tensor.h"

#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/APFloat.h"
#include "llvm/Support/CheckedArithmetic.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cmath>
#include <cstring>

using namespace mlir;
using namespace mlir::braid::interp;

bool mlir::braid::interp::isFloatKind(ElemKind kind) {
  return kind == ElemKind::F64 || kind == ElemKind::F32 ||
         kind == ElemKind::F16 || kind == ElemKind::BF16;
}

unsigned mlir::braid::interp::bitWidth(ElemKind kind) {
  switch (kind) {
  case ElemKind::F64:
  case ElemKind::I64:
  case ElemKind::Index:
    return 64;
  case ElemKind::F32:
  case ElemKind::I32:
    return 32;
  case ElemKind::F16:
  case ElemKind::BF16:
  case ElemKind::I16:
    return 16;
  case ElemKind::I8:
    return 8;
  case ElemKind::I1:
    return 1;
  }
  llvm_unreachable("unknown kind");
}

StringRef mlir::braid::interp::kindName(ElemKind kind) {
  switch (kind) {
  case ElemKind::F64:
    return "f64";
  case ElemKind::F32:
    return "f32";
  case ElemKind::F16:
    return "f16";
  case ElemKind::BF16:
    return "bf16";
  case ElemKind::I1:
    return "i1";
  case ElemKind::I8:
    return "i8";
  case ElemKind::I16:
    return "i16";
  case ElemKind::I32:
    return "i32";
  case ElemKind::I64:
    return "i64";
  case ElemKind::Index:
    return "index";
  }
  llvm_unreachable("unknown kind");
}

FailureOr<ElemKind> mlir::braid::interp::kindOf(Type type) {
  if (type.isF64())
    return ElemKind::F64;
  if (type.isF32())
    return ElemKind::F32;
  if (type.isF16())
    return ElemKind::F16;
  if (type.isBF16())
    return ElemKind::BF16;
  if (type.isIndex())
    return ElemKind::Index;
  if (type.isSignlessInteger(1))
    return ElemKind::I1;
  if (type.isSignlessInteger(8))
    return ElemKind::I8;
  if (type.isSignlessInteger(16))
    return ElemKind::I16;
  if (type.isSignlessInteger(32))
    return ElemKind::I32;
  if (type.isSignlessInteger(64))
    return ElemKind::I64;
  return failure();
}

static double roundThroughAPFloat(double value,
                                  const llvm::fltSemantics &semantics) {
  llvm::APFloat converted(value);
  bool losesInfo = false;
  converted.convert(semantics, llvm::APFloat::rmNearestTiesToEven, &losesInfo);
  converted.convert(llvm::APFloat::IEEEdouble(),
                    llvm::APFloat::rmNearestTiesToEven, &losesInfo);
  return converted.convertToDouble();
}

double mlir::braid::interp::roundFloat(double value, ElemKind kind,
                                       bool f64Mode) {
  if (f64Mode)
    return value;
  switch (kind) {
  case ElemKind::F64:
    return value;
  case ElemKind::F32:
    return static_cast<double>(static_cast<float>(value));
  case ElemKind::F16:
    return roundThroughAPFloat(value, llvm::APFloat::IEEEhalf());
  case ElemKind::BF16:
    return roundThroughAPFloat(value, llvm::APFloat::BFloat());
  default:
    llvm_unreachable("not a floating-point kind");
  }
}

double mlir::braid::interp::roundIntToFloat(int64_t value, ElemKind fromKind,
                                            bool isUnsigned, ElemKind kind,
                                            bool f64Mode) {
  unsigned bits = bitWidth(fromKind);
  llvm::APInt integer(64, static_cast<uint64_t>(value), /*isSigned=*/true);
  if (bits < 64)
    integer = integer.trunc(bits);
  const llvm::fltSemantics *semantics = &llvm::APFloat::IEEEdouble();
  if (!f64Mode) {
    switch (kind) {
    case ElemKind::F32:
      semantics = &llvm::APFloat::IEEEsingle();
      break;
    case ElemKind::F16:
      semantics = &llvm::APFloat::IEEEhalf();
      break;
    case ElemKind::BF16:
      semantics = &llvm::APFloat::BFloat();
      break;
    default:
      break;
    }
  }
  llvm::APFloat result(*semantics);
  result.convertFromAPInt(integer, /*IsSigned=*/!isUnsigned,
                          llvm::APFloat::rmNearestTiesToEven);
  bool losesInfo;
  result.convert(llvm::APFloat::IEEEdouble(),
                 llvm::APFloat::rmNearestTiesToEven, &losesInfo);
  return result.convertToDouble();
}

int64_t mlir::braid::interp::wrapInt(int64_t value, ElemKind kind) {
  unsigned bits = bitWidth(kind);
  if (bits == 64)
    return value;
  if (bits == 1)
    return value & 1;
  uint64_t mask = (uint64_t(1) << bits) - 1;
  uint64_t low = static_cast<uint64_t>(value) & mask;
  uint64_t sign = uint64_t(1) << (bits - 1);
  return static_cast<int64_t>((low ^ sign) - sign);
}

unsigned mlir::braid::interp::storageBytes(ElemKind kind) {
  return std::max(1u, bitWidth(kind) / 8);
}

static const llvm::fltSemantics &semanticsOf(ElemKind kind) {
  switch (kind) {
  case ElemKind::F64:
    return llvm::APFloat::IEEEdouble();
  case ElemKind::F32:
    return llvm::APFloat::IEEEsingle();
  case ElemKind::F16:
    return llvm::APFloat::IEEEhalf();
  case ElemKind::BF16:
    return llvm::APFloat::BFloat();
  default:
    llvm_unreachable("not a floating-point kind");
  }
}

uint64_t mlir::braid::interp::encodeFloat(double value, ElemKind kind) {
  llvm::APFloat converted(value);
  bool losesInfo = false;
  converted.convert(semanticsOf(kind), llvm::APFloat::rmNearestTiesToEven,
                    &losesInfo);
  return converted.bitcastToAPInt().getZExtValue();
}

double mlir::braid::interp::decodeFloat(uint64_t bits, ElemKind kind) {
  const llvm::fltSemantics &semantics = semanticsOf(kind);
  llvm::APFloat value(semantics,
                      llvm::APInt(llvm::APFloat::getSizeInBits(semantics),
                                  bits));
  bool losesInfo = false;
  value.convert(llvm::APFloat::IEEEdouble(),
                llvm::APFloat::rmNearestTiesToEven, &losesInfo);
  return value.convertToDouble();
}

bool Scalar::bitwiseEqual(const Scalar &other) const {
  if (kind != other.kind)
    return false;
  if (!isFloat())
    return i == other.i;
  if (std::isnan(f) && std::isnan(other.f))
    return true;
  uint64_t a, b;
  std::memcpy(&a, &f, sizeof a);
  std::memcpy(&b, &other.f, sizeof b);
  return a == b;
}

FailureOr<int64_t>
mlir::braid::interp::getNumElements(ArrayRef<int64_t> shape) {
  int64_t count = 1;
  for (int64_t dim : shape) {
    std::optional<int64_t> product =
        dim < 0 ? std::nullopt : llvm::checkedMul(count, dim);
    if (!product)
      return failure();
    count = *product;
  }
  return count;
}

std::string mlir::braid::interp::formatTensorType(ArrayRef<int64_t> shape,
                                                  ElemKind kind) {
  std::string text;
  llvm::raw_string_ostream os(text);
  os << "tensor<";
  for (int64_t dim : shape) {
    if (ShapedType::isDynamic(dim))
      os << "?x";
    else
      os << dim << "x";
  }
  os << kindName(kind) << ">";
  return text;
}

llvm::Error mlir::braid::interp::checkTensorSize(ArrayRef<int64_t> shape,
                                                 ElemKind kind,
                                                 uint64_t maxBytes) {
  auto fail = [&](const Twine &why) {
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   formatTensorType(shape, kind) + " " + why);
  };
  if (llvm::any_of(shape, [](int64_t dim) { return dim < 0; }))
    return fail("has a negative size");
  FailureOr<int64_t> count = getNumElements(shape);
  std::optional<uint64_t> bytes =
      succeeded(count)
          ? llvm::checkedMulUnsigned<uint64_t>(*count, kStorageBytesPerElement)
          : std::nullopt;
  if (!bytes)
    return fail("has more elements than int64 can count");
  if (*bytes > maxBytes)
    return fail("needs " + Twine(*bytes) + " bytes in the interpreter (" +
                Twine(kStorageBytesPerElement) +
                " per element), over its per-tensor limit of " +
                Twine(maxBytes) + " (braid-interp --max-tensor-bytes)");
  return llvm::Error::success();
}

Tensor::Tensor(ElemKind kind, ArrayRef<int64_t> shape)
    : kind_(kind), shape_(shape.begin(), shape.end()) {
  FailureOr<int64_t> count = getNumElements(shape);
  assert(succeeded(count) && "shape not checked with checkTensorSize");
  numElements_ = succeeded(count) ? *count : 0;
  if (isFloatKind(kind))
    floats_.assign(numElements_, 0.0);
  else
    ints_.assign(numElements_, 0);
}

Scalar Tensor::get(int64_t linear) const {
  return isFloat() ? Scalar::ofFloat(kind_, floats_[linear])
                   : Scalar::ofInt(kind_, ints_[linear]);
}

void Tensor::set(int64_t linear, const Scalar &value) {
  if (isFloat())
    floats_[linear] = value.isFloat() ? value.f : static_cast<double>(value.i);
  else
    ints_[linear] = value.isFloat() ? static_cast<int64_t>(value.f) : value.i;
}

SmallVector<int64_t> Tensor::strides() const {
  SmallVector<int64_t> result(shape_.size(), 1);
  for (int64_t d = static_cast<int64_t>(shape_.size()) - 2; d >= 0; --d)
    result[d] = result[d + 1] * shape_[d + 1];
  return result;
}

int64_t Tensor::linearize(ArrayRef<int64_t> index) const {
  int64_t linear = 0;
  for (size_t d = 0; d < shape_.size(); ++d)
    linear = linear * shape_[d] + index[d];
  return linear;
}

void Tensor::delinearize(int64_t linear,
                         SmallVectorImpl<int64_t> &index) const {
  index.resize(shape_.size());
  for (int64_t d = static_cast<int64_t>(shape_.size()) - 1; d >= 0; --d) {
    index[d] = shape_[d] ? linear % shape_[d] : 0;
    linear = shape_[d] ? linear / shape_[d] : 0;
  }
}

bool Tensor::bitwiseEqual(const Tensor &other) const {
  if (kind_ != other.kind_ || shape_ != other.shape_)
    return false;
  for (int64_t i = 0; i < numElements_; ++i)
    if (!get(i).bitwiseEqual(other.get(i)))
      return false;
  return true;
}

std::string Tensor::typeString() const {
  return formatTensorType(shape_, kind_);
}
