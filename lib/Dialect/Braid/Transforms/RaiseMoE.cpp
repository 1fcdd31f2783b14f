//===- RaiseMoE.cpp - MoE routers to braid.moe_gate ----------------------===//
//
// The two routers importers spell out with braid.topk and (raised)
// linalg.softmax:
//   Mixtral: top-k of the logits, softmax over the k values
//            == softmax over the experts, top-k, renormalised
//            -> braid.moe_gate {k, normalize}
//   Switch/GShard: softmax over the experts, then top-k
//            -> braid.moe_gate {k}
// Equal in exact arithmetic; moe_gate computes its softmax in f32 over all
// experts, so the raised router is checked under the numerics contract.
//
//===----------------------------------------------------------------------===//

#include "braid/Dialect/Braid/Transforms/Raise.h"

#include "braid/Dialect/Braid/IR/BraidDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/PatternMatch.h"

using namespace mlir;
using namespace mlir::braid;

namespace {

/// A softmax over the last dimension of a 2-D [tokens, n] tensor.
bool isRowSoftmax(linalg::SoftmaxOp softmax) {
  auto type = cast<ShapedType>(softmax.getInput().getType());
  return type.getRank() == 2 &&
         static_cast<int64_t>(softmax.getDimension()) == type.getRank() - 1;
}

/// Replaces `weightsOf` by the gate's weights and `indices` by its experts.
void replaceByGate(PatternRewriter &rewriter, Operation *anchor, Value logits,
                   int64_t k, bool normalize, Value weightsOf,
                   Value indices) {
  auto gate = MoEGateOp::create(rewriter, anchor->getLoc(),
                                weightsOf.getType(), indices.getType(), logits,
                                rewriter.getI64IntegerAttr(k),
                                normalize ? rewriter.getUnitAttr() : UnitAttr());
  rewriter.replaceAllUsesWith(weightsOf, gate.getWeights());
  rewriter.replaceAllUsesWith(indices, gate.getExperts());
}

/// softmax(topk(logits).values) -> moe_gate {normalize}.
struct RaiseTopKThenSoftmax : OpRewritePattern<linalg::SoftmaxOp> {
  RaiseTopKThenSoftmax(MLIRContext *context, RaiseRemarks *remarks)
      : OpRewritePattern(context), remarks(remarks) {}

  LogicalResult matchAndRewrite(linalg::SoftmaxOp softmax,
                                PatternRewriter &rewriter) const override {
    auto topk = softmax.getInput().getDefiningOp<TopKOp>();
    if (!topk || !softmax.hasPureTensorSemantics())
      return failure();
    if (!isRowSoftmax(softmax) || topk.getInput().getType().getRank() != 2 ||
        !isa<FloatType>(topk.getInput().getType().getElementType())) {
      if (remarks)
        remarks->decline(softmax, "router not raised to braid.moe_gate: "
                                  "the softmax is not over the k values of "
                                  "2-D [tokens, experts] float logits");
      return failure();
    }
    if (!topk.getValues().hasOneUse()) {
      if (remarks)
        remarks->decline(softmax, "router not raised to braid.moe_gate: the "
                                  "top-k values are used besides the softmax");
      return failure();
    }
    if (remarks && remarks->explain)
      softmax->emitRemark() << "raised to braid.moe_gate (top-" << topk.getK()
                            << " then softmax: normalized)";
    replaceByGate(rewriter, softmax, topk.getInput(),
                  static_cast<int64_t>(topk.getK()), /*normalize=*/true,
                  softmax->getResult(0), topk.getIndices());
    rewriter.eraseOp(softmax);
    rewriter.eraseOp(topk);
    return success();
  }

  RaiseRemarks *remarks;
};

/// topk(softmax(logits)) -> moe_gate.
struct RaiseSoftmaxThenTopK : OpRewritePattern<TopKOp> {
  RaiseSoftmaxThenTopK(MLIRContext *context, RaiseRemarks *remarks)
      : OpRewritePattern(context), remarks(remarks) {}

  LogicalResult matchAndRewrite(TopKOp topk,
                                PatternRewriter &rewriter) const override {
    auto softmax = topk.getInput().getDefiningOp<linalg::SoftmaxOp>();
    if (!softmax || !softmax.hasPureTensorSemantics())
      return failure();
    if (!isRowSoftmax(softmax) || !softmax->getResult(0).hasOneUse()) {
      if (remarks)
        remarks->decline(topk, "router not raised to braid.moe_gate: the "
                               "top-k does not take a row softmax used only "
                               "by it");
      return failure();
    }
    if (remarks && remarks->explain)
      topk->emitRemark() << "raised to braid.moe_gate (softmax then top-"
                         << topk.getK() << ")";
    replaceByGate(rewriter, topk, softmax.getInput(),
                  static_cast<int64_t>(topk.getK()), /*normalize=*/false,
                  topk.getValues(), topk.getIndices());
    rewriter.eraseOp(topk);
    rewriter.eraseOp(softmax);
    return success();
  }

  RaiseRemarks *remarks;
};

} // namespace

void mlir::braid::populateRaiseMoEPatterns(RewritePatternSet &patterns,
                                           RaiseRemarks *remarks) {
  patterns.add<RaiseTopKThenSoftmax, RaiseSoftmaxThenTopK>(
      patterns.getContext(), remarks);
}
