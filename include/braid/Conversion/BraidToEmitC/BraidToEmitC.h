//===- BraidToEmitC.h - buffer-level braid to EmitC -------------*- C++ -*-===//

#ifndef BRAID_CONVERSION_BRAIDTOEMITC_BRAIDTOEMITC_H
#define BRAID_CONVERSION_BRAIDTOEMITC_BRAIDTOEMITC_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Support/LLVM.h"

#include <string>

namespace mlir {
namespace braid {

/// Prints the C++ of a module that convert-braid-to-emitc produced (the
/// artifact's one source file).
LogicalResult translateBraidToCpp(ModuleOp module, raw_ostream &os);

} // namespace braid
} // namespace mlir

#endif // BRAID_CONVERSION_BRAIDTOEMITC_BRAIDTOEMITC_H
