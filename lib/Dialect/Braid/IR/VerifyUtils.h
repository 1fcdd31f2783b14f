//===- VerifyUtils.h - checks shared by braid's op families -----*- C++ -*-===//

#ifndef BRAID_LIB_DIALECT_BRAID_IR_VERIFYUTILS_H
#define BRAID_LIB_DIALECT_BRAID_IR_VERIFYUTILS_H

#include "braid/Dialect/Braid/IR/BraidDialect.h"

namespace mlir::braid::detail {

/// Checks that reduction `kind` is defined on the element type of `shaped`.
LogicalResult verifyReductionType(Operation *op, ReductionKind kind,
                                  Type shaped);

/// Verifies that `axes` of `grid` form a group and returns its size
/// (kDynamic when an axis has dynamic size).
FailureOr<int64_t> verifyGroup(Operation *op, FlatSymbolRefAttr grid,
                               ArrayRef<int16_t> axes,
                               SymbolTableCollection &symbolTables);

} // namespace mlir::braid::detail

#endif // BRAID_LIB_DIALECT_BRAID_IR_VERIFYUTILS_H
