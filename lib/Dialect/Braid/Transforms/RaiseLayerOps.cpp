//===- RaiseLayerOps.cpp - the braid-raise-layer-ops pass -----------------===//

#include "braid/Dialect/Braid/Transforms/Passes.h"
#include "braid/Dialect/Braid/Transforms/Raise.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir {
namespace braid {
#define GEN_PASS_DEF_BRAIDRAISELAYEROPS
#include "braid/Dialect/Braid/Transforms/Passes.h.inc"
} // namespace braid
} // namespace mlir

using namespace mlir;
using namespace mlir::braid;

namespace {

struct BraidRaiseLayerOpsPass
    : braid::impl::BraidRaiseLayerOpsBase<BraidRaiseLayerOpsPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    RaiseRemarks remarks;
    remarks.explain = isExplainRequested();

    // Private helpers (JAX's @silu) called now: erased below if raising
    // removes their last call.
    SmallVector<func::FuncOp> called;
    for (auto fn : module.getOps<func::FuncOp>())
      if (fn.isPrivate() && !SymbolTable::symbolKnownUseEmpty(fn, module))
        called.push_back(fn);

    // Importers leave dead values behind (reshapes nobody reads); they would
    // count as other users of the intermediates. The rewrite driver erases
    // them anyway; do it first so matching never sees them.
    for (bool changed = true; changed;) {
      SmallVector<Operation *> dead;
      module.walk([&](Operation *op) {
        if (op != module && isOpTriviallyDead(op))
          dead.push_back(op);
      });
      for (Operation *op : llvm::reverse(dead))
        if (op->use_empty())
          op->erase();
      changed = !dead.empty();
    }

    RewritePatternSet patterns(&getContext());
    if (normalization)
      populateRaiseNormalizationPatterns(patterns, &remarks);
    if (activation)
      populateRaiseActivationPatterns(patterns, &remarks);
    if (softmax)
      populateRaiseSoftmaxPatterns(patterns, &remarks);
    if (attention)
      populateRaiseAttentionPatterns(patterns, &remarks);
    if (moe)
      populateRaiseMoEPatterns(patterns, &remarks);
    // Leave everything the patterns do not raise as it was: no folding, no
    // constant deduplication, no region simplification.
    GreedyRewriteConfig config;
    config.enableFolding(false);
    config.enableConstantCSE(false);
    config.setRegionSimplificationLevel(GreedySimplifyRegionLevel::Disabled);
    if (failed(applyPatternsGreedily(module, std::move(patterns), config))) {
      module.emitError("braid-raise-layer-ops did not converge");
      return signalPassFailure();
    }

    for (func::FuncOp fn : called)
      if (SymbolTable::symbolKnownUseEmpty(fn, module))
        fn.erase();
  }
};

} // namespace
