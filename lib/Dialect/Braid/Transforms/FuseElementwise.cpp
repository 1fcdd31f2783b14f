//===- FuseElementwise.cpp - fuse element-wise chains, keep contractions --===//

#include "braid/Dialect/Braid/Transforms/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Interfaces/FunctionInterfaces.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir {
namespace braid {
#define GEN_PASS_DEF_BRAIDFUSEELEMENTWISE
#include "braid/Dialect/Braid/Transforms/Passes.h.inc"
} // namespace braid
} // namespace mlir

using namespace mlir;
using namespace mlir::braid;

namespace {

/// A generic op whose loops are all parallel: an element-wise map.
bool isElementwiseGeneric(Operation *op) {
  auto generic = dyn_cast_or_null<linalg::GenericOp>(op);
  return generic &&
         generic.getNumLoops() == generic.getNumParallelLoops();
}

/// Whether every tensor `generic` reads is a function argument (the
/// caller's buffer) or a constant: data that is live anyway and never in
/// the arena.
bool readsOnlyCallerDataOrConstants(linalg::GenericOp generic) {
  return llvm::all_of(generic->getOpOperands(), [&](OpOperand &operand) {
    if (generic.isDpsInit(&operand) &&
        !generic.payloadUsesValueFromOperand(&operand))
      return true;
    Value value = operand.get();
    if (auto argument = dyn_cast<BlockArgument>(value))
      return isa<FunctionOpInterface>(argument.getOwner()->getParentOp());
    return matchPattern(value, m_Constant());
  });
}

/// Whether fusing the value `fused` reads into its user is worth it. A
/// producer fused into some users but kept for others is computed twice
/// and keeps what it reads live until the last user (a softmax's exp,
/// read by the sum and by the divide, would keep the scores and the
/// broadcast maximum live until the divide): it is fused only when every
/// user is an element-wise map that takes it too (so it disappears), or
/// when what it reads is live anyway (an extf of an argument).
bool isWorthFusing(OpOperand *fused) {
  auto producer =
      dyn_cast_or_null<linalg::GenericOp>(fused->get().getDefiningOp());
  if (!isElementwiseGeneric(producer) ||
      !isElementwiseGeneric(fused->getOwner()))
    return false;
  return llvm::all_of(fused->get().getUsers(), isElementwiseGeneric) ||
         readsOnlyCallerDataOrConstants(producer);
}

struct BraidFuseElementwisePass
    : public braid::impl::BraidFuseElementwiseBase<BraidFuseElementwisePass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    linalg::populateElementwiseOpsFusionPatterns(patterns, isWorthFusing);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace
