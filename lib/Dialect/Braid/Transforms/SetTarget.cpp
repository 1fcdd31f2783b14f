//===- SetTarget.cpp - record the module's #braid.target ------------------===//

#include "braid/Analysis/Target.h"
#include "braid/Dialect/Braid/Transforms/Passes.h"

#include "mlir/IR/BuiltinOps.h"

namespace mlir {
namespace braid {
#define GEN_PASS_DEF_BRAIDSETTARGET
#include "braid/Dialect/Braid/Transforms/Passes.h.inc"
} // namespace braid
} // namespace mlir

using namespace mlir;
using namespace mlir::braid;

namespace {

struct BraidSetTargetPass
    : braid::impl::BraidSetTargetBase<BraidSetTargetPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    FailureOr<TargetAttr> target = makeTarget(
        module.getContext(), profile, [&] { return module.emitError(); });
    if (failed(target))
      return signalPassFailure();
    // Resolving it now reports a bad profile here, not in a later pass.
    if (failed(resolveTarget(*target, [&] { return module.emitError(); })))
      return signalPassFailure();
    module->setAttr(BraidDialect::kTargetAttrName, *target);
  }
};

} // namespace
