//===- InlineAsync.cpp - run braid.start bodies synchronously -------------===//

#include "braid/Dialect/Braid/Transforms/Passes.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir {
namespace braid {
#define GEN_PASS_DEF_BRAIDINLINEASYNC
#include "braid/Dialect/Braid/Transforms/Passes.h.inc"
} // namespace braid
} // namespace mlir

using namespace mlir;
using namespace mlir::braid;

namespace {

/// The body reads only values defined above the start, so it can run where
/// the start stands; every await then sees the same values, earlier.
struct InlineStart : OpRewritePattern<StartOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(StartOp start,
                                PatternRewriter &rewriter) const override {
    YieldOp yield = start.getYield();
    SmallVector<Value> yielded(yield.getValues());
    rewriter.eraseOp(yield);
    rewriter.inlineBlockBefore(&start.getBody().front(), start);
    for (Operation *await : llvm::make_early_inc_range(start->getUsers()))
      rewriter.replaceOp(await, yielded);
    rewriter.eraseOp(start);
    return success();
  }
};

struct BraidInlineAsyncPass
    : braid::impl::BraidInlineAsyncBase<BraidInlineAsyncPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateInlineAsyncPatterns(patterns);
    GreedyRewriteConfig config;
    config.setRegionSimplificationLevel(GreedySimplifyRegionLevel::Disabled);
    config.enableFolding(false);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns),
                                     config)))
      signalPassFailure();
  }
};

} // namespace

void mlir::braid::populateInlineAsyncPatterns(RewritePatternSet &patterns) {
  patterns.add<InlineStart>(patterns.getContext());
}
