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


/// Whether `c` (a constant of element type `type`) is 1/n as `type` rounds
/// it.
bool isReciprocal(double c, int64_t n, Type type) {
  APFloat reciprocal(1.0 / static_cast<double>(n));
  bool losesInfo;
  reciprocal.convert(cast<FloatType>(type).getFloatSemantics(),
                     APFloat::rmNearestTiesToEven, &losesInfo);
  return reciprocal.convertToDouble() == c;
}

/// The (value, scale) operand orders to try on `prod`: both for a product,
/// only (numerator, denominator) for a quotient.
template <typename OpTy>
SmallVector<std::pair<Value, Value>, 2> valueScaleOrders(OpTy prod) {
  SmallVector<std::pair<Value, Value>, 2> orders{
      {prod.getLhs(), prod.getRhs()}};
  if (!std::is_same_v<OpTy, arith::DivFOp>)
    orders.push_back({prod.getRhs(), prod.getLhs()});
  return orders;
}

/// Whether `op` is the root that scales by the statistic: rsqrt when the
/// value is multiplied (`OpTy` = arith.mulf), sqrt when divided.
template <typename OpTy>
bool isStatisticRoot(Operation *op) {
  if (std::is_same_v<OpTy, arith::DivFOp>)
    return isa_and_nonnull<math::SqrtOp>(op);
  return isa_and_nonnull<math::RsqrtOp>(op);
}

/// `v` (unit reshapes peeled into `chain`) = `statistic + eps` with `eps`
/// a splat constant, in either order: the statistic, with `eps` in
/// `epsilon`; else null.
Value splitEpsilon(Value v, SmallVectorImpl<Value> &chain,
                   std::optional<double> &epsilon) {
  auto add = def<arith::AddFOp>(peelInto(v, chain));
  Value statistic;
  if (add)
    eitherOrder(add.getLhs(), add.getRhs(), [&](Value m, Value e) {
      if (!(epsilon = splatValue(e)))
        return false;
      statistic = m;
      return true;
    });
  return statistic;
}

/// Whether `epsilon` is one the braid norm ops can carry: non-negative,
/// finite and exact in their f32 attribute.
bool isValidEpsilon(double epsilon) {
  return epsilon >= 0.0 && !std::isinf(epsilon) &&
         static_cast<double>(static_cast<float>(epsilon)) == epsilon;
}

/// `v` = `sum / c`, or `sum * c` in either order, for a splat constant `c`:
/// the sum, with `c` in `divisor` or `factor` respectively; else null.
Value splitConstantDivision(Value v, std::optional<double> &divisor,
                            std::optional<double> &factor) {
  Value sum;
  if (auto div = def<arith::DivFOp>(v)) {
    if ((divisor = splatValue(div.getRhs())))
      sum = div.getLhs();
  } else if (auto mul = def<arith::MulFOp>(v)) {
    eitherOrder(mul.getLhs(), mul.getRhs(), [&](Value s, Value c) {
      if (!(factor = splatValue(c)))
        return false;
      sum = s;
      return true;
    });
  }
  return sum;
}

/// Whether a sum divided by `divisor` (or multiplied by `factor`), as
/// `splitConstantDivision` found it, is the mean over a row of `n`
/// elements of type `element`.
bool dividesByRowLength(std::optional<double> divisor,
                        std::optional<double> factor, int64_t n,
                        Type element) {
  return !((divisor && *divisor != static_cast<double>(n)) ||
           (factor && !isReciprocal(*factor, n, element)));
}

/// The row length a mean with `divisor` or `factor` actually divides by,
/// for the remark.
std::string meanDivisorText(std::optional<double> divisor,
                            std::optional<double> factor) {
  return std::to_string(divisor ? *divisor : 1.0 / *factor);
}

/// The value `square` squares: `b * b` or `math.powf b, 2`; else null.
Value squaredBase(Value square) {
  if (auto mul = def<arith::MulFOp>(square);
      mul && mul.getLhs() == mul.getRhs())
    return mul.getLhs();
  if (auto pow = def<math::PowFOp>(square); pow && isSplat(pow.getRhs(), 2.0))
    return pow.getLhs();
  return {};
}

/// The tail of both norm raisings: `norm` (built at `root`), rounded to
/// `narrowed` when the matched chain ended in a truncf to it, replaces
/// `root`; `prod` is the op that scaled by the statistic.
void finishNormRaise(PatternRewriter &rewriter, RaiseRemarks *remarks,
                     Operation *root, Operation *prod, Value norm,
                     Type narrowed, StringRef opName, double epsilon) {
  Value result = norm;
  if (narrowed)
    result = arith::TruncFOp::create(
        rewriter, root->getLoc(),
        cast<RankedTensorType>(norm.getType()).clone(narrowed), norm);
  finishRaise(rewriter, remarks, root, result, /*alsoMatched=*/prod,
              [&](InFlightDiagnostic &remark) {
                remark << "raised to braid." << opName << " (epsilon "
                       << epsilon << ")";
              });
}

/// The 1-D `w` of `linalg.broadcast(w)` along every leading dim.
Value rowParameter(Value v) {
  auto broadcast = def<linalg::BroadcastOp>(v);
  if (!broadcast || rankOf(broadcast.getInput()) != 1)
    return {};
  for (auto [i, d] : llvm::enumerate(broadcast.getDimensions()))
    if (d != static_cast<int64_t>(i))
      return {};
  return broadcast.getInput();
}

/// `prod = x * broadcast(rsqrt(mean(x * x) + eps))`. Fails silently when
/// `prod` is not a product with a broadcast rsqrt; fails with `why` on a
/// near miss.
/// `prod` is `x * broadcast(rsqrt(...))` (arith.mulf) or `x /
/// broadcast(sqrt(...))` (arith.divf).
template <typename OpTy>
FailureOr<NormalizedMatch> matchNormalized(OpTy prod, std::string &why) {
  why.clear();
  for (auto [x, scale] : valueScaleOrders(prod)) {
    auto broadcast = def<linalg::BroadcastOp>(scale);
    if (!broadcast)
      continue;
    SmallVector<Value> chain{scale};
    Operation *rsqrt =
        peelInto(broadcast.getInput(), chain).getDefiningOp();
    if (!isStatisticRoot<OpTy>(rsqrt))
      continue;
    auto type = dyn_cast<RankedTensorType>(x.getType());
    if (!type || !type.hasStaticShape() || type.getRank() == 0) {
      why = "the normalised value has no static shape";
      return failure();
    }
    Type element = type.getElementType();
    int64_t rank = type.getRank(), n = type.getShape().back();

    // mean + eps
    std::optional<double> epsilon;
    Value mean = splitEpsilon(rsqrt->getOperand(0), chain, epsilon);
    if (!mean) {
      why = "no constant epsilon is added before the rsqrt";
      return failure();
    }
    if (!isValidEpsilon(*epsilon)) {
      why = "epsilon " + std::to_string(*epsilon) +
            " is negative or not an f32 value";
      return failure();
    }

    // sum / N or sum * (1/N)
    std::optional<double> divisor, factor;
    Value sum = splitConstantDivision(peelInto(mean, chain), divisor, factor);
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
    if (!dividesByRowLength(divisor, factor, n, element)) {
      why = "the mean divides by " + meanDivisorText(divisor, factor) +
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
    if (squaredBase(square) != x) {
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
  Value weight = rowParameter(ext ? ext.getIn() : v);
  if (!weight || (ext && !ext->hasOneUse()))
    return {};
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

template <typename OpTy>
struct RaiseRMSNorm : RaisePattern<OpTy> {
  RaiseRMSNorm(MLIRContext *context, RaiseRemarks *remarks)
      : RaisePattern<OpTy>(context, remarks, /*benefit=*/2) {}
  using RaisePattern<OpTy>::remarks;

  LogicalResult matchAndRewrite(OpTy prod,
                                PatternRewriter &rewriter) const override {
    std::string why;
    FailureOr<NormalizedMatch> match = matchNormalized(prod, why);
    if (failed(match)) {
      declineWith(remarks, prod, "rmsnorm", why);
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
    Value norm = RMSNormOp::create(
        rewriter, loc, type, match->input, weight,
        rewriter.getF32FloatAttr(static_cast<float>(match->epsilon)));
    finishNormRaise(rewriter, remarks, root, prod, norm, narrowed, "rmsnorm",
                    match->epsilon);
    return success();
  }
};

/// The per-row parameters of a norm op, after its input, and how to
/// rebuild it with others: what lets `NarrowNorm` serve both norms.
SmallVector<Value, 2> rowParametersOf(RMSNormOp norm) {
  return {norm.getWeight()};
}
SmallVector<Value, 2> rowParametersOf(LayerNormOp norm) {
  return {norm.getGamma(), norm.getBeta()};
}
void replaceByNorm(PatternRewriter &rewriter, Operation *root, RMSNormOp like,
                   Value input, ArrayRef<Value> parameters) {
  rewriter.replaceOpWithNewOp<RMSNormOp>(root, root->getResult(0).getType(),
                                         input, parameters[0],
                                         like.getEpsilonAttr());
}
void replaceByNorm(PatternRewriter &rewriter, Operation *root,
                   LayerNormOp like, Value input, ArrayRef<Value> parameters) {
  rewriter.replaceOpWithNewOp<LayerNormOp>(root, root->getResult(0).getType(),
                                           input, parameters[0], parameters[1],
                                           like.getEpsilonAttr());
}

/// truncf(norm(extf x, extf params...)) -> norm(x, params...) for
/// braid.rmsnorm and braid.layernorm: the ops keep their statistics in f32
/// whatever the element type, so only the final rounding moves (f32 then
/// bf16 becomes one rounding to bf16). Declines unless every parameter
/// narrows exactly (an extf of the narrow type, or a representable splat).
template <typename NormOp>
struct NarrowNorm : OpRewritePattern<arith::TruncFOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(arith::TruncFOp trunc,
                                PatternRewriter &rewriter) const override {
    auto norm = def<NormOp>(trunc.getIn());
    if (!norm || !norm->hasOneUse())
      return failure();
    Type element = elementOf(trunc.getResult());
    auto ext = def<arith::ExtFOp>(norm.getInput());
    if (!ext || elementOf(ext.getIn()) != element)
      return failure();
    SmallVector<Value, 2> narrowed;
    for (Value parameter : rowParametersOf(norm)) {
      Value narrow = narrowTo(rewriter, norm.getLoc(), parameter, element);
      if (!narrow)
        return failure();
      narrowed.push_back(narrow);
    }
    replaceByNorm(rewriter, trunc, norm, ext.getIn(), narrowed);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// LayerNorm
//===----------------------------------------------------------------------===//

/// `v` (unit reshapes peeled) = the mean of some value over the last dim
/// of a rank-`rank` tensor whose last dim has `n` elements: a
/// `linalg.reduce` add (init 0) divided by n or multiplied by 1/n. Returns
/// the reduced value; records the intermediates; sets `why` on a near miss.
Value matchRowMean(Value v, int64_t rank, int64_t n, Type element,
                   SmallVectorImpl<Value> &chain, std::string &why) {
  std::optional<double> divisor, factor;
  Value sum = splitConstantDivision(peelInto(v, chain), divisor, factor);
  if (!sum) {
    why = "a statistic is not a sum divided by a constant";
    return {};
  }
  chain.push_back(sum);
  FailureOr<Reduction> reduction = matchReduction(sum, Combiner::Add, why);
  if (failed(reduction)) {
    if (why.empty())
      why = "a statistic is not a linalg.reduce sum";
    return {};
  }
  chain.push_back(reduction->op.getResult(0));
  if (reduction->dim != rank - 1) {
    why = "layernorm over dim " + std::to_string(reduction->dim) +
          " not raised: braid ops normalise the last dim";
    return {};
  }
  if (!dividesByRowLength(divisor, factor, n, element)) {
    why = "a mean divides by " + meanDivisorText(divisor, factor) +
          ", not by the row length " + std::to_string(n);
    return {};
  }
  if (elementOf(reduction->op.getResult(0)) != element) {
    why = "a statistic has another element type than the input";
    return {};
  }
  return reduction->input;
}

/// `c` = x - broadcast(mean) along the last dim, with `mean` (peeled) the
/// value given, or any such mean when `mean` is null.
bool isCentered(Value c, Value x, Value &mean, SmallVectorImpl<Value> &chain) {
  auto sub = def<arith::SubFOp>(c);
  if (!sub || sub.getLhs() != x)
    return false;
  Value source = lastDimBroadcastSource(sub.getRhs());
  if (!source || (mean && source != mean))
    return false;
  chain.append({sub.getRhs()});
  for (Value cur = def<linalg::BroadcastOp>(sub.getRhs()).getInput();
       cur != source; cur = cur.getDefiningOp()->getOperand(0))
    chain.push_back(cur);
  mean = source;
  return true;
}

struct LayerNormMatch {
  Value input;
  double epsilon;
  /// Flax multiplies gamma into the inverse before scaling (x - mean).
  Value gamma;
};

/// `prod = (x - mean) * broadcast(rsqrt(mean((x - mean)^2) + eps))`.
/// With `OpTy` = arith.divf: `(x - mean) / broadcast(sqrt(var + eps))`
/// (the decomposition of ONNX exports before LayerNormalization).
template <typename OpTy>
FailureOr<LayerNormMatch> matchLayerNorm(OpTy prod, std::string &why,
                                         SmallVectorImpl<Value> &chain) {
  why.clear();
  constexpr bool divides = std::is_same_v<OpTy, arith::DivFOp>;
  for (auto [centered, scale] : valueScaleOrders(prod)) {
    chain.clear();
    // Flax: (x - mean) * (broadcast(rsqrt(var + eps)) * broadcast(gamma)).
    Value gammaInside;
    if (auto inner = def<arith::MulFOp>(scale); inner && !divides) {
      Value statistic;
      eitherOrder(inner.getLhs(), inner.getRhs(), [&](Value st, Value g) {
        Value w = rowParameter(g);
        if (!def<linalg::BroadcastOp>(st) || !w || elementOf(w) != elementOf(st))
          return false;
        gammaInside = w, statistic = st;
        return true;
      });
      if (gammaInside) {
        chain.append({scale, inner.getLhs() == statistic ? inner.getRhs()
                                                         : inner.getLhs()});
        scale = statistic;
      }
    }
    auto broadcast = def<linalg::BroadcastOp>(scale);
    auto sub = def<arith::SubFOp>(centered);
    if (!broadcast || !sub)
      continue;
    chain.push_back(scale);
    Operation *rsqrt = peelInto(broadcast.getInput(), chain).getDefiningOp();
    if (!isStatisticRoot<OpTy>(rsqrt))
      continue;
    Value x = sub.getLhs();
    auto type = dyn_cast<RankedTensorType>(x.getType());
    if (!type || !type.hasStaticShape() || type.getRank() == 0)
      continue;
    Type element = type.getElementType();
    int64_t rank = type.getRank(), n = type.getShape().back();
    Value mean;
    if (!isCentered(centered, x, mean, chain))
      continue;
    chain.push_back(centered);
    // mean(x) itself.
    SmallVector<Value> meanChain;
    if (matchRowMean(mean, rank, n, element, meanChain, why) != x) {
      why = why.empty() ? "the subtracted value is not the mean of x" : why;
      return failure();
    }
    chain.append(meanChain);

    // var + eps
    std::optional<double> epsilon;
    Value var = splitEpsilon(rsqrt->getOperand(0), chain, epsilon);
    if (!var) {
      why = "no constant epsilon is added before the rsqrt";
      return failure();
    }
    if (!isValidEpsilon(*epsilon)) {
      why = "epsilon is negative or not an f32 value";
      return failure();
    }
    // One-pass (Flax's fast variance): [max(0, ] mean(x * x) - mean * mean [)].
    Value onePass = peelUnitReshapes(var);
    if (Operation *op = onePass.getDefiningOp()) {
      Value inner;
      if (isa<arith::MaximumFOp, arith::MaxNumFOp>(op))
        eitherOrder(op->getOperand(0), op->getOperand(1), [&](Value d, Value z) {
          if (!isSplat(z, 0.0))
            return false;
          inner = d;
          return true;
        });
      else if (auto relu = dyn_cast<ActivationOp>(op);
               relu && relu.getKind() == ActivationKind::Relu)
        inner = relu.getInput();
      if (inner) {
        chain.append({var, onePass});
        onePass = peelInto(inner, chain);
      }
    }
    if (auto diff = def<arith::SubFOp>(onePass)) {
      auto meanSquared = def<arith::MulFOp>(diff.getRhs());
      if (meanSquared && meanSquared.getLhs() == meanSquared.getRhs() &&
          peelUnitReshapes(meanSquared.getLhs()) == mean) {
        chain.append({onePass, diff.getRhs()});
        for (Value cur = meanSquared.getLhs(); cur != mean;
             cur = cur.getDefiningOp()->getOperand(0))
          chain.push_back(cur);
        Value square = matchRowMean(diff.getLhs(), rank, n, element, chain, why);
        if (!square)
          return failure();
        chain.push_back(square);
        if (squaredBase(square) != x) {
          why = "the variance is not mean(x * x) - mean * mean";
          return failure();
        }
        onePass = Value();
      }
    }
    if (onePass) {
      // Two-pass: mean((x - mean)^2).
      Value square = matchRowMean(var, rank, n, element, chain, why);
      if (!square)
        return failure();
      chain.push_back(square);
      Value base = squaredBase(square);
      Value sameMean = mean;
      if (!base || (base != centered &&
                    !(isCentered(base, x, sameMean, chain) &&
                      (chain.push_back(base), true)))) {
        why = "the variance is not the mean square of x - mean";
        return failure();
      }
    }
    if (broadcast.getDimensions() != ArrayRef<int64_t>{rank - 1} ||
        rankOf(broadcast.getInput()) + 1 != rank) {
      why = "the statistic is not broadcast along the last dim";
      return failure();
    }
    // Every intermediate is read only by the matched ops.
    llvm::SmallPtrSet<Operation *, 32> matched{prod};
    for (Value v : chain)
      if (Operation *op = v.getDefiningOp())
        matched.insert(op);
    for (Value v : chain)
      for (Operation *user : v.getUsers())
        if (!matched.contains(user)) {
          why = "an intermediate of the statistics has other users";
          return failure();
        }
    return LayerNormMatch{x, *epsilon, gammaInside};
  }
  return failure();
}

template <typename OpTy>
struct RaiseLayerNorm : RaisePattern<OpTy> {
  // Before RaiseRMSNorm, which would take (x - mean) for its input.
  RaiseLayerNorm(MLIRContext *context, RaiseRemarks *remarks)
      : RaisePattern<OpTy>(context, remarks, /*benefit=*/3) {}
  using RaisePattern<OpTy>::remarks;

  LogicalResult matchAndRewrite(OpTy prod,
                                PatternRewriter &rewriter) const override {
    std::string why;
    SmallVector<Value> chain;
    FailureOr<LayerNormMatch> match = matchLayerNorm(prod, why, chain);
    if (failed(match)) {
      declineWith(remarks, prod, "layernorm", why);
      return failure();
    }
    auto type = cast<RankedTensorType>(match->input.getType());
    Type element = type.getElementType();
    int64_t rank = type.getRank(), n = type.getShape().back();

    // [truncf] [* broadcast(gamma)] [+ broadcast(beta)], in the narrow type
    // after a truncf.
    Operation *root = prod;
    Value current = prod.getResult();
    Type narrowed;
    Value gamma, beta;
    auto onlyUser = [](Value v) -> Operation * {
      return v.hasOneUse() ? *v.getUsers().begin() : nullptr;
    };
    Operation *user = onlyUser(current);
    if (auto trunc = dyn_cast_or_null<arith::TruncFOp>(user)) {
      narrowed = elementOf(trunc.getResult());
      current = trunc.getResult();
      user = onlyUser(current);
    }
    Type paramType = narrowed ? narrowed : element;
    auto operandOther = [&](Operation *op) -> Value {
      return op->getOperand(0) == current ? op->getOperand(1)
                                          : op->getOperand(0);
    };
    auto isParam = [&](Value v) -> Value {
      Value param = rowParameter(v);
      return param && elementOf(param) == paramType ? param : Value();
    };
    if (match->gamma) {
      // Flax: gamma already applied; only a bias can follow, before any
      // truncf.
      gamma = match->gamma;
      if (narrowed) {
        narrowed = Type();
        current = prod.getResult();
        user = onlyUser(current);
      }
      paramType = element;
    } else if (auto mul = dyn_cast_or_null<arith::MulFOp>(user))
      if ((gamma = isParam(operandOther(mul)))) {
        root = mul;
        current = mul.getResult();
        user = onlyUser(current);
      }
    if (auto addOp = dyn_cast_or_null<arith::AddFOp>(user))
      if ((beta = isParam(operandOther(addOp)))) {
        root = addOp;
        current = addOp.getResult();
      }
    if ((root == prod && !match->gamma) || (narrowed && !gamma && !beta))
      narrowed = Type();
    (void)rank;

    rewriter.setInsertionPoint(root);
    Location loc = root->getLoc();
    auto param = [&](Value v, double fill) -> Value {
      auto vecType = RankedTensorType::get({n}, element);
      if (!v)
        return splatConstant(rewriter, loc, vecType, fill);
      if (elementOf(v) == element)
        return v;
      return arith::ExtFOp::create(rewriter, loc, vecType, v);
    };
    Value g = param(gamma, 1.0), b = param(beta, 0.0);
    Value norm = LayerNormOp::create(
        rewriter, loc, type, match->input, g, b,
        rewriter.getF32FloatAttr(static_cast<float>(match->epsilon)));
    finishNormRaise(rewriter, remarks, root, prod, norm, narrowed, "layernorm",
                    match->epsilon);
    return success();
  }
};

} // namespace

void mlir::braid::populateRaiseNormalizationPatterns(
    RewritePatternSet &patterns, RaiseRemarks *remarks) {
  patterns.add<RaiseRMSNorm<arith::MulFOp>, RaiseRMSNorm<arith::DivFOp>>(
      patterns.getContext(), remarks);
  patterns.add<NarrowNorm<RMSNormOp>>(patterns.getContext());
  patterns.add<RaiseLayerNorm<arith::MulFOp>, RaiseLayerNorm<arith::DivFOp>>(
      patterns.getContext(), remarks);
  patterns.add<NarrowNorm<LayerNormOp>>(patterns.getContext());
}
