//===- FoldTransposeIntoMatmul.cpp - transposed GEMM operands in place ----===//
//
// JAX's dot_general with a contracting dimension first (wgrad `xᵀ · dY`,
// dgrad through a transposed weight) imports as a linalg.transpose feeding a
// matmul. Reading the operand through the matmul's indexing map lets the
// runtime GEMM take it transposed, with no copy.
//
//===----------------------------------------------------------------------===//

#include "braid/Dialect/Braid/Transforms/Passes.h"
#include "braid/Dialect/Braid/Transforms/Transforms.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir {
namespace braid {
#define GEN_PASS_DEF_BRAIDFOLDTRANSPOSEINTOMATMUL
#include "braid/Dialect/Braid/Transforms/Passes.h.inc"
} // namespace braid
} // namespace mlir

using namespace mlir;

namespace {

/// Whether `transpose` swaps the two innermost dimensions and keeps the
/// others in place ([1, 0], or [0, 2, 1] for a batch).
bool swapsInnermostPair(linalg::TransposeOp transpose) {
  ArrayRef<int64_t> permutation = transpose.getPermutation();
  int64_t rank = static_cast<int64_t>(permutation.size());
  if (rank < 2)
    return false;
  for (int64_t i = 0; i < rank - 2; ++i)
    if (permutation[i] != i)
      return false;
  return permutation[rank - 2] == rank - 1 && permutation[rank - 1] == rank - 2;
}

/// `map` with its two innermost results swapped: reading T = Xᵀ at
/// (.., i, j) is reading X at (.., j, i).
AffineMap swapInnermostResults(AffineMap map) {
  SmallVector<AffineExpr> results(map.getResults());
  std::swap(results[results.size() - 2], results.back());
  return AffineMap::get(map.getNumDims(), map.getNumSymbols(), results,
                        map.getContext());
}

template <typename MatmulOp>
struct FoldTransposedOperand : public OpRewritePattern<MatmulOp> {
  using OpRewritePattern<MatmulOp>::OpRewritePattern;

  LogicalResult matchAndRewrite(MatmulOp matmul,
                                PatternRewriter &rewriter) const override {
    if (!matmul.hasPureTensorSemantics())
      return rewriter.notifyMatchFailure(matmul, "not on tensors");
    SmallVector<AffineMap> maps = matmul.getIndexingMapsArray();
    SmallVector<Value> inputs(matmul.getDpsInputs());
    bool folded = false;
    for (auto [index, input] : llvm::enumerate(inputs)) {
      auto transpose = input.template getDefiningOp<linalg::TransposeOp>();
      if (!transpose || !transpose.hasPureTensorSemantics() ||
          !swapsInnermostPair(transpose) ||
          maps[index].getNumResults() !=
              static_cast<unsigned>(transpose.getPermutation().size()))
        continue;
      input = transpose.getInput();
      maps[index] = swapInnermostResults(maps[index]);
      folded = true;
    }
    if (!folded)
      return rewriter.notifyMatchFailure(matmul,
                                         "no operand is an innermost transpose");
    SmallVector<Attribute> mapAttrs;
    for (AffineMap map : maps)
      mapAttrs.push_back(AffineMapAttr::get(map));
    rewriter.modifyOpInPlace(matmul, [&] {
      for (auto [index, input] : llvm::enumerate(inputs))
        matmul->setOperand(index, input);
      matmul.setIndexingMapsAttr(rewriter.getArrayAttr(mapAttrs));
    });
    return success();
  }
};

/// transpose(matmul(A, B)) of a zero- (or any constant-) initialised matmul
/// is matmul(B, A) with both operands read transposed: Cᵀ = Bᵀ · Aᵀ, the
/// same products summed in the same order over k. A wgrad whose result
/// JAX transposes into the weight's layout is then one GEMM.
template <typename MatmulOp>
struct FoldTransposedResult : public OpRewritePattern<linalg::TransposeOp> {
  using OpRewritePattern<linalg::TransposeOp>::OpRewritePattern;

  LogicalResult matchAndRewrite(linalg::TransposeOp transpose,
                                PatternRewriter &rewriter) const override {
    auto matmul = transpose.getInput().template getDefiningOp<MatmulOp>();
    if (!matmul || !matmul.hasPureTensorSemantics() ||
        !transpose.hasPureTensorSemantics() || !swapsInnermostPair(transpose))
      return rewriter.notifyMatchFailure(transpose,
                                         "not an innermost transpose of a "
                                         "matmul on tensors");
    if (!matmul->hasOneUse())
      return rewriter.notifyMatchFailure(transpose,
                                         "other ops read the matmul's result");
    auto fill =
        matmul.getDpsInits()[0].template getDefiningOp<linalg::FillOp>();
    if (!fill)
      return rewriter.notifyMatchFailure(
          transpose, "the matmul accumulates into a value, not a fill");
    SmallVector<AffineMap> maps = matmul.getIndexingMapsArray();
    unsigned numDims = maps[0].getNumDims();
    // New loop (.., i, j, k) is old (.., j, i, k).
    auto swap = llvm::to_vector(llvm::seq<unsigned>(0, numDims));
    std::swap(swap[numDims - 3], swap[numDims - 2]);
    AffineMap rename = AffineMap::getPermutationMap(swap, getContext());
    if (maps[2] != AffineMap::getMultiDimIdentityMap(numDims, getContext())
                       .dropResult(numDims - 1))
      return rewriter.notifyMatchFailure(transpose,
                                         "the matmul's result map is not the "
                                         "identity on its parallel loops");
    SmallVector<Attribute> newMaps = {AffineMapAttr::get(maps[1].compose(rename)),
                                      AffineMapAttr::get(maps[0].compose(rename)),
                                      AffineMapAttr::get(maps[2])};
    Location loc = matmul.getLoc();
    Value init = transpose.getInit();
    Value filled = linalg::FillOp::create(rewriter, fill.getLoc(),
                                          fill.getInputs()[0], init)
                       .getResult(0);
    auto fused = MatmulOp::create(
        rewriter, loc, TypeRange{init.getType()},
        ValueRange{matmul.getDpsInputs()[1], matmul.getDpsInputs()[0]},
        ValueRange{filled});
    fused.setIndexingMapsAttr(rewriter.getArrayAttr(newMaps));
    rewriter.replaceOp(transpose, fused->getResults());
    return success();
  }
};

struct BraidFoldTransposeIntoMatmulPass
    : public braid::impl::BraidFoldTransposeIntoMatmulBase<
          BraidFoldTransposeIntoMatmulPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    braid::populateFoldTransposeIntoMatmulPatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace

void mlir::braid::populateFoldTransposeIntoMatmulPatterns(
    RewritePatternSet &patterns) {
  patterns.add<FoldTransposedOperand<linalg::MatmulOp>,
               FoldTransposedOperand<linalg::BatchMatmulOp>,
               FoldTransposedResult<linalg::MatmulOp>,
               FoldTransposedResult<linalg::BatchMatmulOp>>(
      patterns.getContext());
}
