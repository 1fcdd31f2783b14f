//===- Npy.h - read and write NumPy .npy files ------------------*- C++ -*-===//
//
// Version 1.0/2.0 files, little-endian, C order, dtypes f8 f4 f2 i8 i4 i2 i1
// b1. NumPy has no bfloat16: bf16 tensors are written as f4 (exactly) and
// read from f4 (rounded to nearest even).
//
//===----------------------------------------------------------------------===//

#ifndef BRAID_INTERPRETER_NPY_H
#define BRAID_INTERPRETER_NPY_H

#include "braid/Interpreter/Tensor.h"

#include "llvm/Support/Error.h"

namespace mlir {
namespace braid {
namespace interp {

/// Reads `path` as a tensor of `kind`; the file's dtype must be the one
/// `kind` is written with, and its storage in the interpreter must fit in
/// `maxTensorBytes` (see checkTensorSize). The header's claims are checked
/// against the file's length before anything is allocated. Errors say what
/// is wrong; the caller names the file.
llvm::Expected<Tensor> readNpy(StringRef path, ElemKind kind,
                               uint64_t maxTensorBytes);

/// Writes `tensor` to `path` (atomically: a temporary file renamed). Errors
/// say what is wrong; the caller names the file.
llvm::Error writeNpy(StringRef path, const Tensor &tensor);

} // namespace interp
} // namespace braid
} // namespace mlir

#endif // BRAID_INTERPRETER_NPY_H
