//===- RaiseNormalization.cpp - braid.rmsnorm from its fine-grained form --===//
//
//   sq   = x * x                       (arith.mulf, or math.powf x, 2)
//   sum  = linalg.reduce add(sq) over the last dim, init 0
//   mean = sum / N                     (arith.divf, or arith.mulf by 1/N)
//   inv  = rsqrt(mean + eps)
//   y    = x * broadcast(inv)          [* broadcast(weight)]
//
// becomes braid.rmsnorm(x, weight or ones) with `epsilon = eps`. See
// docs/Raising.md.
//
//===----------------------------------------------------------------------===//

#include "RaiseUtils.h"

#include "braid/Dialect/Braid/IR/BraidDialect.h"

#include "mlir/Dialect/Math/IR/Math.h"

using namespace mlir;
using namespace mlir::braid;
using namespace mlir::braid::raise;

namespace {

struct NormalizedMatch {
  Value input;
  double epsilon;
};

/// Pushes `v` and every unit reshape it is defined by; returns the value
/// under them.
Value peelInto(Value v, SmallVectorImpl<Value> &chain) {
  chain.push_back(v);
  Value peeled = peelUnitReshapes(v);
  for (Value cur = v; cur != peeled; cur = cur.getDefiningOp()->getOperand(0))
    if (cur != v)
      chain.push_back(cur);
  return peeled;
}

/// Whether `c` (a constant of element type `type`) is 1/n as `type` rounds
/// it.
bool isReciprocal(double c, int64_t n, Type type) {
  APFloat reciprocal(1.0 / static_cast<double>(n));
  bool losesInfo;
  reciprocal.convert(cast<FloatType>(type).getFloatSemantics(),
                     APFloat::rmNearestTiesToEven, &losesInfo);
  return reciprocal.convertToDouble() == c;
}

/// `prod = x * broadcast(rsqrt(mean(x * x) + eps))`. Fails silently when
/// `prod` is not a product with a broadcast rsqrt; fails with `why` on a
/// near miss.
FailureOr<NormalizedMatch> matchNormalized(arith::MulFOp prod,
                                           std::string &why) {
  why.clear();
  for (auto [x, scale] : {std::pair(prod.getLhs(), prod.getRhs()),
                          std::pair(prod.getRhs(), prod.getLhs())}) {
    auto broadcast = def<linalg::BroadcastOp>(scale);
    if (!broadcast)
      continue;
    SmallVector<Value> chain{scale};
    auto rsqrt = def<math::RsqrtOp>(peelInto(broadcast.getInput(), chain));
    if (!rsqrt)
      continue;
    auto type = dyn_cast<RankedTensorType>(x.getType());
    if (!type || !type.hasStaticShape() || type.getRank() == 0) {
      why = "the normalised value has no static shape";
      return failure();
    }
    Type element = type.getElementType();
    int64_t rank = type.getRank(), n = type.getShape().back();

    // mean + eps
    Value sumPlusEps = peelInto(rsqrt.getOperand(), chain);
    auto add = def<arith::AddFOp>(sumPlusEps);
    Value mean;
    std::optional<double> epsilon;
    if (add)
      eitherOrder(add.getLhs(), add.getRhs(), [&](Value m, Value e) {
        if (!(epsilon = splatValue(e)))
          return false;
        mean = m;
        return true;
      });
    if (!mean) {
      why = "no constant epsilon is added before the rsqrt";
      return failure();
    }
    if (!(*epsilon >= 0.0) || std::isinf(*epsilon) ||
        static_cast<double>(static_cast<float>(*epsilon)) != *epsilon) {
      why = "epsilon " + std::to_string(*epsilon) +
            " is negative or not an f32 value";
      return failure();
    }

    // sum / N or sum * (1/N)
    Value sum;
    std::optional<double> divisor, factor;
    mean = peelInto(mean, chain);
    if (auto div = def<arith::DivFOp>(mean)) {
      if ((divisor = splatValue(div.getRhs())))
        sum = div.getLhs();
    } else if (auto mul = def<arith::MulFOp>(mean)) {
      eitherOrder(mul.getLhs(), mul.getRhs(), [&](Value s, Value c) {
        if (!(factor = splatValue(c)))
          return false;
        sum = s;
        return true;
      });
    }
    if (!sum) {
      why = "the sum of squares is not divided by a constant";
      return failure();
    }
    chain.push_back(sum);
    FailureOr<Reduction> reduction = matchReduction(sum, Combiner::Add, why);
    if (failed(reduction)) {
      if (why.empty())
        why = "the statistic is not a linalg.reduce sum";
      return failure();
    }
    if (reduction->dim != rank - 1) {
      why = "rmsnorm over dim " + std::to_string(reduction->dim) +
            " not raised: braid ops normalise the last dim";
      return failure();
    }
    if ((divisor && *divisor != static_cast<double>(n)) ||
        (factor && !isReciprocal(*factor, n, element))) {
      why = "the mean divides by " +
            std::to_string(divisor ? *divisor : 1.0 / *factor) +
            ", not by the row length " + std::to_string(n);
      return failure();
    }
    if (rankOf(broadcast.getInput()) + 1 != rank ||
        broadcast.getDimensions() != ArrayRef<int64_t>{rank - 1}) {
      why = "the statistic is not broadcast along the last dim";
      return failure();
    }

    // x * x or x ** 2
    Value square = reduction->input;
    chain.push_back(square);
    bool isSquare = false;
    if (auto mul = def<arith::MulFOp>(square))
      isSquare = mul.getLhs() == x && mul.getRhs() == x;
    else if (auto pow = def<math::PowFOp>(square))
      isSquare = pow.getLhs() == x && isSplat(pow.getRhs(), 2.0);
    if (!isSquare) {
      why = "the reduced value is not the square of the value it scales";
      return failure();
    }
    if (elementOf(reduction->op.getResult(0)) != element) {
      why = "the sum of squares has another element type than the input";
      return failure();
    }
    if (!allSingleUse(chain)) {
      why = "an intermediate of the statistic has other users";
      return failure();
    }
    return NormalizedMatch{x, *epsilon};
  }
  return failure();
}

/// When `v` is `linalg.broadcast(w)` of a 1-D `w` along all but the last
/// dimension (possibly under an arith.extf), `w` extended to `element`.
Value weightOf(PatternRewriter &rewriter, Value v, int64_t rank,
               Type element) {
  auto ext = def<arith::ExtFOp>(v);
  auto broadcast = def<linalg::BroadcastOp>(ext ? ext.getIn() : v);
  if (!broadcast || rankOf(broadcast.getInput()) != 1 ||
      (ext && !ext->hasOneUse()))
    return {};
  for (auto [i, d] : llvm::enumerate(broadcast.getDimensions()))
    if (d != static_cast<int64_t>(i))
      return {};
  Value weight = broadcast.getInput();
  if (elementOf(weight) == element)
    return weight;
  if (!isa<FloatType>(elementOf(weight)) ||
      cast<FloatType>(elementOf(weight)).getWidth() >=
          cast<FloatType>(element).getWidth())
    return {};
  return arith::ExtFOp::create(
      rewriter, v.getLoc(),
      cast<RankedTensorType>(weight.getType()).clone(element), weight);
}

struct RaiseRMSNorm : OpRewritePattern<arith::MulFOp> {
  RaiseRMSNorm(MLIRContext *context, RaiseRemarks *remarks)
      : OpRewritePattern(context, /*benefit=*/2), remarks(remarks) {}

  LogicalResult matchAndRewrite(arith::MulFOp prod,
                                PatternRewriter &rewriter) const override {
    std::string why;
    FailureOr<NormalizedMatch> match = matchNormalized(prod, why);
    if (failed(match)) {
      if (!why.empty() && remarks)
        remarks->decline(prod, StringRef(why).starts_with("rmsnorm")
                                   ? Twine(why)
                                   : "rmsnorm not raised: " + why);
      return failure();
    }
    auto type = cast<RankedTensorType>(match->input.getType());
    Type element = type.getElementType();
    int64_t rank = type.getRank();
    rewriter.setInsertionPoint(prod);

    // The weight: y * broadcast(w), possibly after a truncf of y.
    Operation *root = prod;
    Value weight;
    Type narrowed;
    if (prod->hasOneUse()) {
      Operation *user = *prod->getUsers().begin();
      Value scaled = prod.getResult();
      if (auto trunc = dyn_cast<arith::TruncFOp>(user);
          trunc && trunc->hasOneUse()) {
        narrowed = elementOf(trunc.getResult());
        scaled = trunc.getResult();
        user = *trunc->getUsers().begin();
      }
      if (auto mul = dyn_cast<arith::MulFOp>(user)) {
        Value other = mul.getLhs() == scaled ? mul.getRhs() : mul.getLhs();
        if (other != scaled) {
          OpBuilder::InsertionGuard guard(rewriter);
          rewriter.setInsertionPoint(mul);
          // The weight multiplies in the narrow type when y was truncated.
          if (narrowed) {
            auto ext = def<arith::ExtFOp>(other);
            if (!ext && weightOf(rewriter, other, rank, narrowed))
              weight = weightOf(rewriter, other, rank, element);
          } else {
            weight = weightOf(rewriter, other, rank, element);
          }
          if (weight)
            root = mul;
        }
      }
    }
    if (!weight)
      narrowed = Type();
    rewriter.setInsertionPoint(root);
    Location loc = root->getLoc();
    if (!weight)
      weight = splatConstant(
          rewriter, loc,
          RankedTensorType::get({type.getShape().back()}, element), 1.0);
    Value result = RMSNormOp::create(
        rewriter, loc, type, match->input, weight,
        rewriter.getF32FloatAttr(static_cast<float>(match->epsilon)));
    if (narrowed)
      result = arith::TruncFOp::create(
          rewriter, loc, type.clone(narrowed), result);
    if (remarks && remarks->explain)
      root->emitRemark() << "raised to braid.rmsnorm (epsilon "
                         << match->epsilon << ")";
    SmallVector<Value> operands(root->getOperands());
    if (root != prod)
      llvm::append_range(operands, prod->getOperands());
    rewriter.replaceOp(root, result);
    eraseDeadProducers(rewriter, operands);
    return success();
  }

  RaiseRemarks *remarks;
};

/// truncf(rmsnorm(extf x, extf w)) -> rmsnorm(x, w): the op keeps its
/// statistics in f32 whatever the element type, so only the final rounding
/// moves (f32 then bf16 becomes one rounding to bf16).
struct NarrowRMSNorm : OpRewritePattern<arith::TruncFOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(arith::TruncFOp trunc,
                                PatternRewriter &rewriter) const override {
    auto norm = def<RMSNormOp>(trunc.getIn());
    if (!norm || !norm->hasOneUse())
      return failure();
    Type element = elementOf(trunc.getResult());
    auto ext = def<arith::ExtFOp>(norm.getInput());
    if (!ext || elementOf(ext.getIn()) != element)
      return failure();
    Value weight = narrowTo(rewriter, norm.getLoc(), norm.getWeight(), element);
    if (!weight)
      return failure();
    rewriter.replaceOpWithNewOp<RMSNormOp>(trunc, trunc.getType(), ext.getIn(),
                                           weight, norm.getEpsilonAttr());
    return success();
  }
};

} // namespace

void mlir::braid::populateRaiseNormalizationPatterns(
    RewritePatternSet &patterns, RaiseRemarks *remarks) {
  patterns.add<RaiseRMSNorm>(patterns.getContext(), remarks);
  patterns.add<NarrowRMSNorm>(patterns.getContext());
}
