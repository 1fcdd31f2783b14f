//===- Target.h - the module's #braid.target, resolved ----------*- C++ -*-===//
//
// Every pass that decides, the estimate, and later the lowering read the
// machine from one place: the module attribute `braid.target`. These
// helpers find it and turn it into a HardwareProfile (the named profile's
// file, with the attribute's inline parameters laid over it).
//
//===----------------------------------------------------------------------===//

#ifndef BRAID_ANALYSIS_TARGET_H
#define BRAID_ANALYSIS_TARGET_H

#include "braid/Analysis/CostModel.h"

namespace mlir {
namespace braid {

/// The profile a module without `braid.target` is compiled for.
inline constexpr llvm::StringLiteral kDefaultTargetProfile = "h100-sxm-x8";

/// The `braid.target` of the closest enclosing module (or `op` itself), or
/// null.
TargetAttr getTarget(Operation *op);

/// The hardware profile `target` describes; `emitError` reports why not.
FailureOr<HardwareProfile>
resolveTarget(TargetAttr target, function_ref<InFlightDiagnostic()> emitError);

/// The cost model of the target `anchor` is compiled for (the default
/// profile when its module names none); errors are emitted on `anchor`.
FailureOr<CostModel> getTargetCostModel(Operation *anchor);

/// The target for a profile file or name: a name stays a name; a path
/// becomes the file's parameters inline, so the IR alone says the machine.
FailureOr<TargetAttr> makeTarget(MLIRContext *context, StringRef nameOrPath,
                                 function_ref<InFlightDiagnostic()> emitError);

} // namespace braid
} // namespace mlir

#endif // BRAID_ANALYSIS_TARGET_H
