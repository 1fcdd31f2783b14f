//===- ScalarOps.h - element semantics of arith and math ops ----*- C++ -*-===//
//
// One function per upstream element-wise op, applied to scalars, to every
// element of tensors, and inside linalg payloads. Every floating-point
// result is rounded to its type (not in f64 mode).
//
//===----------------------------------------------------------------------===//

#ifndef BRAID_INTERPRETER_SCALAROPS_H
#define BRAID_INTERPRETER_SCALAROPS_H

#include "braid/Interpreter/Tensor.h"

#include "mlir/IR/Operation.h"
#include "llvm/ADT/DenseMap.h"

#include <functional>

namespace mlir {
namespace braid {
namespace interp {

/// Computes the element result of `op` (one result) from element operands.
/// `resultKind` is the element kind of the op's result.
using ScalarFn = std::function<FailureOr<Scalar>(
    Operation *op, ArrayRef<Scalar> operands, ElemKind resultKind,
    bool f64Mode)>;

class ScalarOpRegistry {
public:
  ScalarOpRegistry();
  /// The element function of `op`, or nullptr when it is not element-wise.
  const ScalarFn *lookup(Operation *op) const;

  template <typename OpTy>
  void add(ScalarFn fn) {
    functions[TypeID::get<OpTy>()] = std::move(fn);
  }

private:
  llvm::DenseMap<TypeID, ScalarFn> functions;
};

} // namespace interp
} // namespace braid
} // namespace mlir

#endif // BRAID_INTERPRETER_SCALAROPS_H
