//===- Npy.cpp - read and write NumPy .npy files --------------------------===//

#include "braid/Interpreter/Npy.h"

#include "llvm/ADT/APFloat.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

#include <cstring>

using namespace mlir;
using namespace mlir::braid::interp;

namespace {

/// The dtype a kind is stored as.
StringRef descrOf(ElemKind kind) {
  switch (kind) {
  case ElemKind::F64:
    return "<f8";
  case ElemKind::F32:
  case ElemKind::BF16:
    return "<f4";
  case ElemKind::F16:
    return "<f2";
  case ElemKind::I64:
  case ElemKind::Index:
    return "<i8";
  case ElemKind::I32:
    return "<i4";
  case ElemKind::I16:
    return "<i2";
  case ElemKind::I8:
    return "|i1";
  case ElemKind::I1:
    return "|b1";
  }
  llvm_unreachable("unknown kind");
}

int64_t itemSize(StringRef descr) {
  return llvm::StringSwitch<int64_t>(descr.drop_front())
      .Case("f8", 8)
      .Case("f4", 4)
      .Case("f2", 2)
      .Case("i8", 8)
      .Case("i4", 4)
      .Case("i2", 2)
      .Case("i1", 1)
      .Case("b1", 1)
      .Default(0);
}

llvm::Error fail(StringRef path, const Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                 path + ": " + message);
}

/// Value of `key` in the header dict: the text after "'key':" up to the
/// next top-level comma or the closing brace.
std::optional<StringRef> headerField(StringRef header, StringRef key) {
  std::string quoted = ("'" + key + "'").str();
  size_t at = header.find(quoted);
  if (at == StringRef::npos)
    return std::nullopt;
  StringRef rest = header.drop_front(at + quoted.size()).ltrim();
  if (!rest.consume_front(":"))
    return std::nullopt;
  rest = rest.ltrim();
  int depth = 0;
  size_t end = 0;
  for (; end < rest.size(); ++end) {
    char c = rest[end];
    if (c == '(')
      ++depth;
    else if (c == ')')
      --depth;
    else if ((c == ',' || c == '}') && depth == 0)
      break;
  }
  return rest.take_front(end).trim();
}

double halfToDouble(uint16_t bits) {
  llvm::APFloat value(llvm::APFloat::IEEEhalf(), llvm::APInt(16, bits));
  return value.convertToDouble();
}

uint16_t doubleToHalf(double value) {
  llvm::APFloat converted(value);
  bool losesInfo;
  converted.convert(llvm::APFloat::IEEEhalf(),
                    llvm::APFloat::rmNearestTiesToEven, &losesInfo);
  return converted.bitcastToAPInt().getZExtValue();
}

} // namespace

llvm::Expected<Tensor> mlir::braid::interp::readNpy(StringRef path,
                                                    ElemKind kind) {
  auto buffer = llvm::MemoryBuffer::getFile(path);
  if (!buffer)
    return fail(path, "cannot read: " + buffer.getError().message());
  StringRef data = (*buffer)->getBuffer();
  if (!data.consume_front("\x93NUMPY"))
    return fail(path, "not a .npy file (bad magic)");
  if (data.size() < 4)
    return fail(path, "truncated header");
  uint8_t major = data[0];
  data = data.drop_front(2);
  size_t headerLength;
  if (major == 1) {
    headerLength = uint8_t(data[0]) | (size_t(uint8_t(data[1])) << 8);
    data = data.drop_front(2);
  } else if (major == 2 || major == 3) {
    if (data.size() < 4)
      return fail(path, "truncated header");
    headerLength = 0;
    for (int i = 3; i >= 0; --i)
      headerLength = (headerLength << 8) | uint8_t(data[i]);
    data = data.drop_front(4);
  } else {
    return fail(path, "unsupported .npy version " + Twine(int(major)));
  }
  if (data.size() < headerLength)
    return fail(path, "truncated header");
  StringRef header = data.take_front(headerLength);
  data = data.drop_front(headerLength);

  std::optional<StringRef> descr = headerField(header, "descr");
  std::optional<StringRef> fortran = headerField(header, "fortran_order");
  std::optional<StringRef> shapeText = headerField(header, "shape");
  if (!descr || !fortran || !shapeText)
    return fail(path, "malformed header '" + header.trim() + "'");
  StringRef dtype = descr->trim("'\"");
  if (*fortran != "False")
    return fail(path, "Fortran-order arrays are not supported");
  if (dtype != descrOf(kind))
    return fail(path, "dtype '" + dtype + "' does not match the expected " +
                          kindName(kind) + " (stored as '" + descrOf(kind) +
                          "')");
  SmallVector<int64_t> shape;
  StringRef dims = shapeText->trim("() ");
  SmallVector<StringRef> parts;
  dims.split(parts, ',', -1, /*KeepEmpty=*/false);
  for (StringRef part : parts) {
    int64_t dim;
    if (part.trim().getAsInteger(10, dim) || dim < 0)
      return fail(path, "malformed shape '" + *shapeText + "'");
    shape.push_back(dim);
  }
  Tensor tensor(kind, shape);
  int64_t size = itemSize(dtype);
  if (static_cast<int64_t>(data.size()) != tensor.numElements() * size)
    return fail(path, "holds " + Twine(data.size()) + " data bytes but shape " +
                          *shapeText + " of '" + dtype + "' needs " +
                          Twine(tensor.numElements() * size));
  const char *bytes = data.data();
  for (int64_t i = 0; i < tensor.numElements(); ++i, bytes += size) {
    if (dtype == "<f8") {
      double v;
      std::memcpy(&v, bytes, 8);
      tensor.setFloat(i, v);
    } else if (dtype == "<f4") {
      float v;
      std::memcpy(&v, bytes, 4);
      tensor.setFloat(i, roundFloat(v, kind, /*f64Mode=*/false));
    } else if (dtype == "<f2") {
      uint16_t v;
      std::memcpy(&v, bytes, 2);
      tensor.setFloat(i, halfToDouble(v));
    } else if (dtype == "<i8") {
      int64_t v;
      std::memcpy(&v, bytes, 8);
      tensor.setInt(i, v);
    } else if (dtype == "<i4") {
      int32_t v;
      std::memcpy(&v, bytes, 4);
      tensor.setInt(i, v);
    } else if (dtype == "<i2") {
      int16_t v;
      std::memcpy(&v, bytes, 2);
      tensor.setInt(i, v);
    } else if (dtype == "|i1") {
      tensor.setInt(i, static_cast<int8_t>(*bytes));
    } else {
      tensor.setInt(i, *bytes != 0);
    }
  }
  return tensor;
}

llvm::Error mlir::braid::interp::writeNpy(StringRef path,
                                         const Tensor &tensor) {
  StringRef dtype = descrOf(tensor.kind());
  std::string header;
  llvm::raw_string_ostream os(header);
  os << "{'descr': '" << dtype << "', 'fortran_order': False, 'shape': (";
  llvm::interleave(tensor.shape(), os, ", ");
  if (tensor.rank() == 1)
    os << ",";
  os << "), }";
  // Pad with spaces so the data starts at a multiple of 64 bytes.
  size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header.push_back('\n');

  std::string bytes = "\x93NUMPY";
  bytes.push_back(1);
  bytes.push_back(0);
  bytes.push_back(static_cast<char>(header.size() & 0xff));
  bytes.push_back(static_cast<char>(header.size() >> 8));
  bytes += header;
  for (int64_t i = 0; i < tensor.numElements(); ++i) {
    char buffer[8];
    size_t size = itemSize(dtype);
    switch (tensor.kind()) {
    case ElemKind::F64: {
      double v = tensor.getFloat(i);
      std::memcpy(buffer, &v, 8);
      break;
    }
    case ElemKind::F32:
    case ElemKind::BF16: {
      float v = static_cast<float>(tensor.getFloat(i));
      std::memcpy(buffer, &v, 4);
      break;
    }
    case ElemKind::F16: {
      uint16_t v = doubleToHalf(tensor.getFloat(i));
      std::memcpy(buffer, &v, 2);
      break;
    }
    default: {
      int64_t v = tensor.getInt(i);
      std::memcpy(buffer, &v, size); // little-endian truncation
      break;
    }
    }
    bytes.append(buffer, size);
  }

  std::string temporary = (path + ".tmp").str();
  {
    std::error_code error;
    llvm::raw_fd_ostream file(temporary, error);
    if (error)
      return fail(path, "cannot write: " + error.message());
    file << bytes;
    file.close();
    if (file.has_error())
      return fail(path, "write failed");
  }
  if (std::error_code error = llvm::sys::fs::rename(temporary, path))
    return fail(path, "cannot rename into place: " + error.message());
  return llvm::Error::success();
}
