//===- Npy.cpp - read and write NumPy .npy files --------------------------===//

#include "braid/Interpreter/Npy.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/CheckedArithmetic.h"
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

llvm::Error fail(const Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
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

/// `text` quoted for a message: non-printable bytes escaped, long text cut.
std::string quote(StringRef text) {
  constexpr size_t kMaxShown = 120;
  std::string result;
  llvm::raw_string_ostream os(result);
  os << "'";
  llvm::printEscapedString(text.take_front(kMaxShown), os);
  if (text.size() > kMaxShown)
    os << "...";
  os << "'";
  return result;
}

} // namespace

/// The dims of a header's shape tuple: "(2, 4)", "(3,)" or "()".
static FailureOr<SmallVector<int64_t>> parseShape(StringRef text) {
  StringRef inner = text;
  if (!inner.consume_front("(") || !inner.consume_back(")"))
    return failure();
  SmallVector<StringRef> parts;
  inner.split(parts, ',');
  // A one-element tuple ends with a comma: "(3,)".
  if (parts.size() > 1 && parts.back().trim().empty())
    parts.pop_back();
  SmallVector<int64_t> shape;
  if (parts.size() == 1 && parts.front().trim().empty())
    return shape;
  for (StringRef part : parts) {
    int64_t dim;
    if (part.trim().getAsInteger(10, dim) || dim < 0)
      return failure();
    shape.push_back(dim);
  }
  return shape;
}

llvm::Expected<Tensor> mlir::braid::interp::readNpy(StringRef path,
                                                    ElemKind kind,
                                                    uint64_t maxTensorBytes) {
  auto buffer = llvm::MemoryBuffer::getFile(path);
  if (!buffer)
    return fail("cannot read: " + buffer.getError().message());
  StringRef data = (*buffer)->getBuffer();
  if (!data.consume_front("\x93NUMPY"))
    return fail("not a .npy file (bad magic)");
  if (data.size() < 4)
    return fail("truncated header");
  uint8_t major = data[0];
  data = data.drop_front(2);
  size_t headerLength;
  if (major == 1) {
    headerLength = uint8_t(data[0]) | (size_t(uint8_t(data[1])) << 8);
    data = data.drop_front(2);
  } else if (major == 2 || major == 3) {
    if (data.size() < 4)
      return fail("truncated header");
    headerLength = 0;
    for (int i = 3; i >= 0; --i)
      headerLength = (headerLength << 8) | uint8_t(data[i]);
    data = data.drop_front(4);
  } else {
    return fail("unsupported .npy version " + Twine(int(major)));
  }
  if (data.size() < headerLength)
    return fail("truncated header: it claims " + Twine(headerLength) +
                " bytes, the file holds " + Twine(data.size()) + " more");
  StringRef header = data.take_front(headerLength).rtrim(" \n");
  data = data.drop_front(headerLength);

  // The header is a Python dict literal: "{'descr': ..., 'shape': (...), }".
  StringRef dict = header;
  if (!dict.consume_front("{") || !dict.consume_back("}"))
    return fail("malformed header " + quote(header) + ": not a {...} dict");
  std::optional<StringRef> descr = headerField(dict, "descr");
  std::optional<StringRef> fortran = headerField(dict, "fortran_order");
  std::optional<StringRef> shapeText = headerField(dict, "shape");
  if (!descr || !fortran || !shapeText)
    return fail("malformed header " + quote(header) +
                ": needs 'descr', 'fortran_order' and 'shape'");
  StringRef dtype = descr->trim("'\"");
  if (*fortran == "True")
    return fail("Fortran-order arrays are not supported");
  if (*fortran != "False")
    return fail("malformed header: fortran_order is " + quote(*fortran));
  if (dtype != descrOf(kind))
    return fail("dtype " + quote(dtype) + " does not match the expected " +
                kindName(kind) + " (stored as '" + descrOf(kind) + "')");
  FailureOr<SmallVector<int64_t>> shape = parseShape(*shapeText);
  if (failed(shape))
    return fail("malformed shape " + quote(*shapeText));

  // Check the claimed size against the file before allocating anything.
  int64_t size = itemSize(dtype);
  FailureOr<int64_t> numElements = getNumElements(*shape);
  std::optional<int64_t> bytes = succeeded(numElements)
                                     ? llvm::checkedMul(*numElements, size)
                                     : std::nullopt;
  if (!bytes)
    return fail("shape " + quote(*shapeText) +
                " has more elements than int64 can count");
  if (static_cast<uint64_t>(data.size()) != static_cast<uint64_t>(*bytes))
    return fail("holds " + Twine(data.size()) + " data bytes but shape " +
                *shapeText + " of '" + dtype + "' needs " + Twine(*bytes));
  if (llvm::Error error = checkTensorSize(*shape, kind, maxTensorBytes))
    return std::move(error);
  Tensor tensor(kind, *shape);
  const char *bytesAt = data.data();
  for (int64_t i = 0; i < tensor.numElements(); ++i, bytesAt += size) {
    if (dtype == "<f8") {
      double v;
      std::memcpy(&v, bytesAt, 8);
      tensor.setFloat(i, v);
    } else if (dtype == "<f4") {
      float v;
      std::memcpy(&v, bytesAt, 4);
      tensor.setFloat(i, roundFloat(v, kind, /*f64Mode=*/false));
    } else if (dtype == "<f2") {
      uint16_t v;
      std::memcpy(&v, bytesAt, 2);
      tensor.setFloat(i, decodeFloat(v, ElemKind::F16));
    } else if (dtype == "<i8") {
      int64_t v;
      std::memcpy(&v, bytesAt, 8);
      tensor.setInt(i, v);
    } else if (dtype == "<i4") {
      int32_t v;
      std::memcpy(&v, bytesAt, 4);
      tensor.setInt(i, v);
    } else if (dtype == "<i2") {
      int16_t v;
      std::memcpy(&v, bytesAt, 2);
      tensor.setInt(i, v);
    } else if (dtype == "|i1") {
      tensor.setInt(i, static_cast<int8_t>(*bytesAt));
    } else {
      tensor.setInt(i, *bytesAt != 0);
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
      uint16_t v = encodeFloat(tensor.getFloat(i), ElemKind::F16);
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
      return fail("cannot write: " + error.message());
    file << bytes;
    file.close();
    if (file.has_error())
      return fail("write failed");
  }
  if (std::error_code error = llvm::sys::fs::rename(temporary, path))
    return fail("cannot rename into place: " + error.message());
  return llvm::Error::success();
}
