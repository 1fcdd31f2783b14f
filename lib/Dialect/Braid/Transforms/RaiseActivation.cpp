//===- RaiseActivation.cpp - braid.activation / braid.swiglu --------------===//
//
//   sigmoid(x) = 1 / (1 + exp(-x))
//   silu(x)    = x * sigmoid(x) | x / (1 + exp(-x)) | call @f(x) with such a body
//   gelu(x)    = 0.5 * x * (1 + erf(x / sqrt 2)) | 0.5 * x * erfc(-x / sqrt 2)
//   gelu_tanh  = 0.5 * x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x^3)))
//   relu(x)    = max(x, 0)
//   swiglu     = silu(g) * u
//
// See docs/Raising.md.
//
//===----------------------------------------------------------------------===//

#include "RaiseUtils.h"

#include "braid/Dialect/Braid/IR/BraidDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Math/IR/Math.h"

using namespace mlir;
using namespace mlir::braid;
using namespace mlir::braid::raise;

namespace {

struct ActivationMatch {
  ActivationKind kind;
  Value input;
};

/// Whether `c` is `exact` as the element type of `like` rounds it.
bool isRounded(std::optional<double> c, double exact, Value like) {
  if (!c)
    return false;
  APFloat rounded(exact);
  bool losesInfo;
  rounded.convert(cast<FloatType>(elementOf(like)).getFloatSemantics(),
                  APFloat::rmNearestTiesToEven, &losesInfo);
  return rounded.convertToDouble() == *c;
}

/// x for `-x` (negf, 0 - x, x * -1).
Value negated(Value v) {
  if (auto neg = def<arith::NegFOp>(v))
    return neg.getOperand();
  if (auto sub = def<arith::SubFOp>(v); sub && isSplat(sub.getLhs(), 0.0))
    return sub.getRhs();
  Value x;
  if (auto mul = def<arith::MulFOp>(v))
    eitherOrder(mul.getLhs(), mul.getRhs(), [&](Value a, Value c) {
      if (!isSplat(c, -1.0))
        return false;
      x = a;
      return true;
    });
  return x;
}

/// x for `1 + exp(-x)`, recording the intermediates.
Value onePlusExpNeg(Value v, SmallVectorImpl<Value> &chain) {
  auto add = def<arith::AddFOp>(v);
  if (!add)
    return {};
  Value x;
  eitherOrder(add.getLhs(), add.getRhs(), [&](Value one, Value e) {
    auto exp = def<math::ExpOp>(e);
    if (!isSplat(one, 1.0) || !exp || !(x = negated(exp.getOperand())))
      return false;
    chain.append({v, e, exp.getOperand()});
    return true;
  });
  return x;
}

/// x for `1 / (1 + exp(-x))` or braid.activation sigmoid x.
Value sigmoidOf(Value v, SmallVectorImpl<Value> &chain) {
  if (auto act = def<ActivationOp>(v);
      act && act.getKind() == ActivationKind::Sigmoid) {
    chain.push_back(v);
    return act.getInput();
  }
  auto div = def<arith::DivFOp>(v);
  if (!div || !isSplat(div.getLhs(), 1.0))
    return {};
  chain.push_back(v);
  return onePlusExpNeg(div.getRhs(), chain);
}

/// The leaves of a tree of arith.mulf rooted at `v` whose inner products
/// have one use; the inner products are recorded.
void productLeaves(Value v, SmallVectorImpl<Value> &leaves,
                   SmallVectorImpl<Value> &chain, bool root = true) {
  // y ** 2 and y ** 3 are products of y.
  if (auto pow = def<math::PowFOp>(v); pow && !root && v.hasOneUse()) {
    std::optional<double> n = splatValue(pow.getRhs());
    if (n && (*n == 2.0 || *n == 3.0)) {
      chain.push_back(v);
      leaves.append(static_cast<size_t>(*n), pow.getLhs());
      return;
    }
  }
  auto mul = def<arith::MulFOp>(v);
  if (!mul || (!root && !v.hasOneUse()) || leaves.size() > 8) {
    leaves.push_back(v);
    return;
  }
  if (!root)
    chain.push_back(v);
  productLeaves(mul.getLhs(), leaves, chain, false);
  productLeaves(mul.getRhs(), leaves, chain, false);
}

/// Splits `leaves` into constants (multiplied together) and the rest.
double splitConstants(ArrayRef<Value> leaves, SmallVectorImpl<Value> &rest) {
  double product = 1.0;
  for (Value leaf : leaves) {
    if (std::optional<double> c = splatValue(leaf))
      product *= *c;
    else
      rest.push_back(leaf);
  }
  return product;
}

/// x for `1 + f(x * 1/sqrt(2))` with f = erf, or `1 + tanh(sqrt(2/pi) *
/// (x + 0.044715 x^3))` with f = tanh.
Value geluCdfInput(Value v, ActivationKind kind,
                   SmallVectorImpl<Value> &chain) {
  // jax.nn.gelu(approximate=False): erfc(-x * 1/sqrt(2)) = 1 + erf(x/sqrt 2).
  if (auto erfc = def<math::ErfcOp>(v); erfc && kind == ActivationKind::Gelu) {
    Value w = erfc.getOperand();
    for (bool outerNegation : {false, true}) {
      Value product = outerNegation ? negated(w) : w;
      if (!product)
        continue;
      SmallVector<Value> leaves, rest, inner;
      productLeaves(product, leaves, inner);
      double c = splitConstants(leaves, rest);
      if (rest.size() != 1)
        continue;
      Value x;
      if (!outerNegation && isRounded(c, M_SQRT1_2, w))
        x = negated(rest[0]), inner.push_back(rest[0]);
      else if (!outerNegation && isRounded(-c, M_SQRT1_2, w))
        x = rest[0];
      else if (outerNegation && isRounded(c, M_SQRT1_2, w))
        x = rest[0], inner.push_back(product);
      if (!x)
        continue;
      chain.append({v, w});
      chain.append(inner);
      return x;
    }
    return {};
  }
  auto add = def<arith::AddFOp>(v);
  if (!add)
    return {};
  Value inner;
  eitherOrder(add.getLhs(), add.getRhs(), [&](Value one, Value f) {
    if (!isSplat(one, 1.0))
      return false;
    Operation *op = f.getDefiningOp();
    if (kind == ActivationKind::Gelu ? !isa_and_nonnull<math::ErfOp>(op)
                                     : !isa_and_nonnull<math::TanhOp>(op))
      return false;
    chain.append({v, f});
    inner = op->getOperand(0);
    return true;
  });
  if (!inner)
    return {};
  if (kind == ActivationKind::Gelu) {
    // x * 1/sqrt(2) or x / sqrt(2)
    if (auto div = def<arith::DivFOp>(inner);
        div && isRounded(splatValue(div.getRhs()), M_SQRT2, inner)) {
      chain.push_back(inner);
      return div.getLhs();
    }
    SmallVector<Value> leaves, rest;
    productLeaves(inner, leaves, chain);
    double c = splitConstants(leaves, rest);
    if (rest.size() != 1 || !isRounded(c, M_SQRT1_2, inner))
      return {};
    chain.push_back(inner);
    return rest[0];
  }
  // sqrt(2/pi) * (x + 0.044715 * x^3)
  SmallVector<Value> leaves, rest;
  productLeaves(inner, leaves, chain);
  double c = splitConstants(leaves, rest);
  if (rest.size() != 1 || !isRounded(c, 0.7978845608028654, inner))
    return {};
  chain.push_back(inner);
  auto sum = def<arith::AddFOp>(rest[0]);
  if (!sum)
    return {};
  chain.push_back(rest[0]);
  Value x;
  eitherOrder(sum.getLhs(), sum.getRhs(), [&](Value a, Value cube) {
    SmallVector<Value> cubeLeaves, cubeRest, cubeChain{cube};
    productLeaves(cube, cubeLeaves, cubeChain);
    double k = splitConstants(cubeLeaves, cubeRest);
    if (cubeRest.size() != 3 || !isRounded(k, 0.044715, cube) ||
        !llvm::all_of(cubeRest, [&](Value leaf) { return leaf == a; }))
      return false;
    chain.append(cubeChain);
    x = a;
    return true;
  });
  return x;
}

/// 0.5 * x * cdf in any association.
std::optional<ActivationMatch> matchGelu(Value v,
                                         SmallVectorImpl<Value> &chain) {
  SmallVector<Value> leaves, rest;
  productLeaves(v, leaves, chain);
  double c = splitConstants(leaves, rest);
  if (rest.size() != 2 || c != 0.5)
    return std::nullopt;
  for (ActivationKind kind : {ActivationKind::Gelu, ActivationKind::GeluTanh})
    for (auto [x, cdf] :
         {std::pair(rest[0], rest[1]), std::pair(rest[1], rest[0])}) {
      SmallVector<Value> cdfChain;
      if (geluCdfInput(cdf, kind, cdfChain) == x) {
        chain.append(cdfChain);
        return ActivationMatch{kind, x};
      }
    }
  return std::nullopt;
}

/// Any of the activation forms computing `v`.
std::optional<ActivationMatch> matchActivation(Value v,
                                               SmallVectorImpl<Value> &chain) {
  if (auto act = def<ActivationOp>(v))
    return ActivationMatch{act.getKind(), act.getInput()};
  // relu: max(x, 0) (jax.nn.relu is `max`; NaN inputs give 0, not NaN).
  if (Operation *op = v.getDefiningOp();
      isa_and_nonnull<arith::MaximumFOp, arith::MaxNumFOp>(op)) {
    Value x;
    eitherOrder(op->getOperand(0), op->getOperand(1), [&](Value a, Value z) {
      if (!isSplat(z, 0.0) || def<arith::ConstantOp>(a))
        return false;
      x = a;
      return true;
    });
    if (x)
      return ActivationMatch{ActivationKind::Relu, x};
    return std::nullopt;
  }
  if (auto mul = def<arith::MulFOp>(v)) {
    Value x;
    eitherOrder(mul.getLhs(), mul.getRhs(), [&](Value a, Value s) {
      SmallVector<Value> sigmoidChain;
      if (sigmoidOf(s, sigmoidChain) != a)
        return false;
      chain.append(sigmoidChain);
      x = a;
      return true;
    });
    if (x)
      return ActivationMatch{ActivationKind::Silu, x};
    return matchGelu(v, chain);
  }
  if (auto div = def<arith::DivFOp>(v)) {
    if (isSplat(div.getLhs(), 1.0)) {
      if (Value x = onePlusExpNeg(div.getRhs(), chain))
        return ActivationMatch{ActivationKind::Sigmoid, x};
      return std::nullopt;
    }
    if (onePlusExpNeg(div.getRhs(), chain) == div.getLhs())
      return ActivationMatch{ActivationKind::Silu, div.getLhs()};
  }
  return std::nullopt;
}

/// Replaces `root` (one result, of the activation's type) by
/// braid.activation `kind` of `input`; `via` names the outlined function
/// the activation came from, for the remark, or is empty.
void replaceByActivation(PatternRewriter &rewriter, RaiseRemarks *remarks,
                         Operation *root, ActivationKind kind, Value input,
                         StringRef via) {
  rewriter.setInsertionPoint(root);
  Value activation = ActivationOp::create(
      rewriter, root->getLoc(), root->getResult(0).getType(), kind, input);
  finishRaise(rewriter, remarks, root, activation, /*alsoMatched=*/nullptr,
              [&](InFlightDiagnostic &remark) {
                remark << "raised to braid.activation "
                       << stringifyActivationKind(kind);
                if (!via.empty())
                  remark << " (body of @" << via << ")";
              });
}

/// Raises the activation computed by an arith.mulf or arith.divf.
template <typename OpTy>
struct RaiseActivation : RaisePattern<OpTy> {
  using RaisePattern<OpTy>::RaisePattern;
  using RaisePattern<OpTy>::remarks;

  LogicalResult matchAndRewrite(OpTy op,
                                PatternRewriter &rewriter) const override {
    // Tensors only: the same forms on scalars (a linalg.generic body) stay.
    if (!isa<RankedTensorType>(op.getType()))
      return failure();
    SmallVector<Value> chain;
    std::optional<ActivationMatch> match =
        matchActivation(op.getResult(), chain);
    if (!match || match->input.getType() != op.getType())
      return failure();
    if (!allSingleUse(chain)) {
      if (remarks)
        remarks->decline(op, "activation " + stringifyActivationKind(match->kind) +
                                 " not raised: an intermediate has other users");
      return failure();
    }
    replaceByActivation(rewriter, remarks, op, match->kind, match->input,
                        /*via=*/"");
    return success();
  }
};

/// call @f(x) where @f is a private function whose body is one activation
/// of its argument (JAX's `@silu`).
struct RaiseActivationCall : RaisePattern<func::CallOp> {
  using RaisePattern::RaisePattern;

  LogicalResult matchAndRewrite(func::CallOp call,
                                PatternRewriter &rewriter) const override {
    if (call.getNumOperands() != 1 || call.getNumResults() != 1 ||
        call.getOperand(0).getType() != call.getResult(0).getType() ||
        !isa<RankedTensorType>(call.getResult(0).getType()))
      return failure();
    std::optional<OutlinedHelper> helper = matchOutlinedHelper(call);
    if (!helper)
      return failure();
    func::FuncOp callee = helper->callee;
    SmallVector<Value> chain;
    std::optional<ActivationMatch> match =
        matchActivation(helper->returned, chain);
    if (!match || match->input != helper->body->getArgument(0))
      return failure();
    // Nothing else may happen in the body.
    for (Operation &op : helper->body->without_terminator())
      if (!isMemoryEffectFree(&op) || op.getNumRegions() != 0) {
        if (remarks)
          remarks->decline(call, "call not raised: @" + callee.getSymName() +
                                     " does more than the activation");
        return failure();
      }
    replaceByActivation(rewriter, remarks, call, match->kind,
                        call.getOperand(0), /*via=*/callee.getSymName());
    return success();
  }
};

/// silu(g) * u -> braid.swiglu g, u.
struct RaiseSwiGLU : RaisePattern<arith::MulFOp> {
  using RaisePattern::RaisePattern;

  LogicalResult matchAndRewrite(arith::MulFOp mul,
                                PatternRewriter &rewriter) const override {
    if (!isa<RankedTensorType>(mul.getType()))
      return failure();
    Value gate, up;
    eitherOrder(mul.getLhs(), mul.getRhs(), [&](Value s, Value u) {
      auto act = def<ActivationOp>(s);
      if (!act || act.getKind() != ActivationKind::Silu ||
          act.getInput().getType() != mul.getType() || u == s)
        return false;
      if (!s.hasOneUse()) {
        if (remarks)
          remarks->decline(mul, "swiglu not raised: the silu has other users");
        return false;
      }
      gate = act.getInput();
      up = u;
      return true;
    });
    if (!gate)
      return failure();
    rewriter.setInsertionPoint(mul);
    Value swiglu =
        SwiGLUOp::create(rewriter, mul.getLoc(), mul.getType(), gate, up);
    finishRaise(rewriter, remarks, mul, swiglu, /*alsoMatched=*/nullptr,
                [](InFlightDiagnostic &remark) {
                  remark << "raised to braid.swiglu";
                });
    return success();
  }
};

/// truncf(activation(extf x)) -> activation(x) and truncf(swiglu(extf g,
/// extf u)) -> swiglu(g, u): the ops compute in f32 whatever the type and
/// round once.
struct NarrowActivation : OpRewritePattern<arith::TruncFOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(arith::TruncFOp trunc,
                                PatternRewriter &rewriter) const override {
    Operation *producer = trunc.getIn().getDefiningOp();
    if (!isa_and_nonnull<ActivationOp, SwiGLUOp>(producer) ||
        !producer->hasOneUse())
      return failure();
    Type element = elementOf(trunc.getResult());
    SmallVector<Value> narrow;
    for (Value operand : producer->getOperands()) {
      auto ext = def<arith::ExtFOp>(operand);
      if (!ext || ext.getIn().getType() != trunc.getType())
        return failure();
      narrow.push_back(ext.getIn());
    }
    (void)element;
    if (auto act = dyn_cast<ActivationOp>(producer))
      rewriter.replaceOpWithNewOp<ActivationOp>(trunc, trunc.getType(),
                                                act.getKind(), narrow[0]);
    else
      rewriter.replaceOpWithNewOp<SwiGLUOp>(trunc, trunc.getType(), narrow[0],
                                            narrow[1]);
    return success();
  }
};

} // namespace

void mlir::braid::populateRaiseActivationPatterns(RewritePatternSet &patterns,
                                                  RaiseRemarks *remarks) {
  MLIRContext *context = patterns.getContext();
  patterns.add<RaiseActivation<arith::MulFOp>, RaiseActivation<arith::DivFOp>,
               RaiseActivation<arith::MaximumFOp>,
               RaiseActivation<arith::MaxNumFOp>, RaiseActivationCall,
               RaiseSwiGLU>(context, remarks);
  patterns.add<NarrowActivation>(context);
}
