//===- FuseElementwise.cpp - fuse element-wise chains, keep contractions --===//

#include "braid/Dialect/Braid/Transforms/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
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

struct BraidFuseElementwisePass
    : public braid::impl::BraidFuseElementwiseBase<BraidFuseElementwisePass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    linalg::populateElementwiseOpsFusionPatterns(
        patterns, [](OpOperand *fused) {
          return isElementwiseGeneric(fused->get().getDefiningOp()) &&
                 isElementwiseGeneric(fused->getOwner());
        });
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace
