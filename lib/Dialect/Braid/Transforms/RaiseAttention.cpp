//===- RaiseAttention.cpp - linalg.softmax / braid.attention --------------===//
//
// softmax:   m = reduce max(x) [max(m, -inf)]; e = exp(x - broadcast m);
//            y = e / broadcast(reduce add(e))          -> linalg.softmax
// attention: s = batch_matmul(q, transpose(k)) [* c | / c] [select(causal,
//            s, -inf)] [+ mask]; p = softmax(s) [truncf];
//            o = batch_matmul(p, v)
//                                                       -> braid.attention
//
// See docs/Raising.md.
//
//===----------------------------------------------------------------------===//

#include "RaiseUtils.h"

#include "braid/Dialect/Braid/IR/BraidDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Utils/ReshapeOpsUtils.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"
#include "llvm/ADT/ScopeExit.h"

using namespace mlir;
using namespace mlir::braid;
using namespace mlir::braid::raise;

namespace {

/// The signed predicate an unsigned ordering predicate becomes on
/// non-negative operands; nullopt for every other predicate.
std::optional<arith::CmpIPredicate>
signedCounterpart(arith::CmpIPredicate predicate) {
  switch (predicate) {
  case arith::CmpIPredicate::uge:
    return arith::CmpIPredicate::sge;
  case arith::CmpIPredicate::ugt:
    return arith::CmpIPredicate::sgt;
  case arith::CmpIPredicate::ule:
    return arith::CmpIPredicate::sle;
  case arith::CmpIPredicate::ult:
    return arith::CmpIPredicate::slt;
  default:
    return std::nullopt;
  }
}

bool isLowest(std::optional<double> c, Value like) {
  if (!c)
    return false;
  if (*c == -INFINITY)
    return true;
  auto element = dyn_cast<FloatType>(getElementTypeOrSelf(like.getType()));
  return element &&
         *c == APFloat::getLargest(element.getFloatSemantics(), true)
                   .convertToDouble();
}

//===----------------------------------------------------------------------===//
// Softmax
//===----------------------------------------------------------------------===//

struct SoftmaxMatch {
  Value input;
  int64_t dim;
};

FailureOr<SoftmaxMatch> matchSoftmax(arith::DivFOp div, std::string &why) {
  why.clear();
  Value e = div.getLhs();
  auto exp = def<math::ExpOp>(e);
  auto sumBroadcast = def<linalg::BroadcastOp>(div.getRhs());
  if (!exp || !sumBroadcast)
    return failure();
  SmallVector<Value> chain{div.getRhs()};
  Value sum = peelInto(sumBroadcast.getInput(), chain);
  FailureOr<Reduction> sumReduce = matchReduction(sum, Combiner::Add, why);
  if (failed(sumReduce) || sumReduce->input != e) {
    if (succeeded(sumReduce) || !why.empty())
      why = why.empty() ? "the denominator sums another value" : why;
    return failure();
  }
  auto sub = def<arith::SubFOp>(exp.getOperand());
  auto maxBroadcast = sub ? def<linalg::BroadcastOp>(sub.getRhs()) : nullptr;
  if (!maxBroadcast) {
    why = "the exponent is not x - broadcast(max x)";
    return failure();
  }
  Value x = sub.getLhs();
  chain.append({exp.getOperand(), sub.getRhs()});
  Value max = peelInto(maxBroadcast.getInput(), chain);
  // jnp.max's -inf initial value, as a separate maximum.
  if (Operation *op = max.getDefiningOp();
      isa_and_nonnull<arith::MaximumFOp, arith::MaxNumFOp>(op)) {
    Value inner;
    eitherOrder(op->getOperand(0), op->getOperand(1), [&](Value m, Value c) {
      if (!isLowest(splatValue(c), c))
        return false;
      inner = m;
      return true;
    });
    if (inner)
      max = peelInto(inner, chain);
  }
  FailureOr<Reduction> maxReduce = matchReduction(max, Combiner::Max, why);
  if (failed(maxReduce) || maxReduce->input != x) {
    why = why.empty() ? "the subtracted value is not the maximum of x" : why;
    return failure();
  }
  int64_t rank = rankOf(x);
  if (maxReduce->dim != sumReduce->dim) {
    why = "the maximum and the sum reduce different dims";
    return failure();
  }
  if (maxReduce->dim != rank - 1) {
    why = "softmax over dim " + std::to_string(maxReduce->dim) +
          " not raised: braid ops normalise the last dim";
    return failure();
  }
  for (linalg::BroadcastOp broadcast : {sumBroadcast, maxBroadcast})
    if (broadcast.getDimensions() != ArrayRef<int64_t>{rank - 1} ||
        rankOf(broadcast.getInput()) + 1 != rank) {
      why = "a statistic is not broadcast along the last dim";
      return failure();
    }
  chain.append({sum, max});
  if (!allSingleUse(chain) || !llvm::hasNItems(e.getUses(), 2)) {
    why = "an intermediate has other users";
    return failure();
  }
  if (!cast<RankedTensorType>(x.getType()).hasStaticShape()) {
    why = "dynamic shape";
    return failure();
  }
  return SoftmaxMatch{x, rank - 1};
}

struct RaiseSoftmax : RaisePattern<arith::DivFOp> {
  using RaisePattern::RaisePattern;

  LogicalResult matchAndRewrite(arith::DivFOp div,
                                PatternRewriter &rewriter) const override {
    std::string why;
    FailureOr<SoftmaxMatch> match = matchSoftmax(div, why);
    if (failed(match)) {
      declineWith(remarks, div, "softmax", why);
      return failure();
    }
    auto type = cast<RankedTensorType>(div.getType());
    Value init = tensor::EmptyOp::create(rewriter, div.getLoc(),
                                         type.getShape(),
                                         type.getElementType());
    rewriter.setInsertionPoint(div);
    Value softmax = linalg::SoftmaxOp::create(
                        rewriter, div.getLoc(), TypeRange{type}, match->input,
                        init, static_cast<uint64_t>(match->dim))
                        ->getResult(0);
    finishRaise(rewriter, remarks, div, softmax, /*alsoMatched=*/nullptr,
                [&](InFlightDiagnostic &remark) {
                  remark << "raised to linalg.softmax over dim " << match->dim;
                });
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Causal masks: the mask's integer arithmetic evaluated symbolically as
// linear forms of the score indices.
//===----------------------------------------------------------------------===//

/// c + sum coef[d] * index[d] over the dims of the scores.
struct Lin {
  SmallVector<int64_t> coef;
  int64_t c = 0;
  static Lin constant(int64_t rank, int64_t c) {
    Lin l;
    l.coef.assign(rank, 0);
    l.c = c;
    return l;
  }
  Lin operator+(const Lin &o) const {
    Lin r = *this;
    for (auto [a, b] : llvm::zip(r.coef, o.coef))
      a += b;
    r.c += o.c;
    return r;
  }
  Lin scaled(int64_t k) const {
    Lin r = *this;
    for (int64_t &a : r.coef)
      a *= k;
    r.c *= k;
    return r;
  }
  Lin operator-(const Lin &o) const { return *this + o.scaled(-1); }
  bool isConstant() const {
    return llvm::all_of(coef, [](int64_t a) { return a == 0; });
  }
  bool nonNegative() const {
    return c >= 0 && llvm::all_of(coef, [](int64_t a) { return a >= 0; });
  }
  bool operator==(const Lin &o) const { return coef == o.coef && c == o.c; }
};

/// An integer (`lin`) or a predicate `lin >= 0`.
struct Sym {
  bool isPred;
  Lin lin;
};

struct MaskEvaluator {
  int64_t rank;
  int depth = 0;

  std::optional<Sym> scalarConstant(Attribute attr) {
    if (auto i = dyn_cast<IntegerAttr>(attr)) {
      if (i.getType().isInteger(1))
        return Sym{true, Lin::constant(rank, i.getValue().isZero() ? -1 : 0)};
      return Sym{false, Lin::constant(rank, i.getValue().getSExtValue())};
    }
    if (auto dense = dyn_cast<DenseIntElementsAttr>(attr); dense && dense.isSplat())
      return scalarConstant(dense.getSplatValue<IntegerAttr>());
    return std::nullopt;
  }

  /// Element-wise integer ops shared by tensors and generic bodies.
  template <typename Eval>
  std::optional<Sym> elementwise(Operation *op, Eval eval) {
    auto both = [&]() -> std::optional<std::pair<Sym, Sym>> {
      std::optional<Sym> a = eval(op->getOperand(0));
      std::optional<Sym> b = a ? eval(op->getOperand(1)) : std::nullopt;
      if (!b)
        return std::nullopt;
      return std::pair(*a, *b);
    };
    if (isa<arith::IndexCastOp, arith::IndexCastUIOp, arith::ExtSIOp,
            arith::ExtUIOp>(op))
      return eval(op->getOperand(0));
    if (isa<arith::AddIOp, arith::SubIOp, arith::MulIOp>(op)) {
      auto ab = both();
      if (!ab || ab->first.isPred || ab->second.isPred)
        return std::nullopt;
      if (isa<arith::AddIOp>(op))
        return Sym{false, ab->first.lin + ab->second.lin};
      if (isa<arith::SubIOp>(op))
        return Sym{false, ab->first.lin - ab->second.lin};
      if (ab->first.lin.isConstant())
        return Sym{false, ab->second.lin.scaled(ab->first.lin.c)};
      if (ab->second.lin.isConstant())
        return Sym{false, ab->first.lin.scaled(ab->second.lin.c)};
      return std::nullopt;
    }
    if (auto cmp = dyn_cast<arith::CmpIOp>(op)) {
      auto ab = both();
      if (!ab || ab->first.isPred || ab->second.isPred)
        return std::nullopt;
      const Lin &a = ab->first.lin, &b = ab->second.lin;
      bool unsignedOk = a.nonNegative() && b.nonNegative();
      Lin one = Lin::constant(rank, 1);
      arith::CmpIPredicate predicate = cmp.getPredicate();
      // An unsigned comparison of two values known non-negative is the
      // signed one; of anything else it is not affine in the indices.
      if (std::optional<arith::CmpIPredicate> asSigned =
              signedCounterpart(predicate)) {
        if (!unsignedOk)
          return std::nullopt;
        predicate = *asSigned;
      }
      switch (predicate) {
      case arith::CmpIPredicate::sge:
        return Sym{true, a - b};
      case arith::CmpIPredicate::sgt:
        return Sym{true, a - b - one};
      case arith::CmpIPredicate::sle:
        return Sym{true, b - a};
      case arith::CmpIPredicate::slt:
        return Sym{true, b - a - one};
      default:
        return std::nullopt;
      }
    }
    if (isa<arith::AndIOp, arith::OrIOp>(op)) {
      // p and true = p; p or false = p.
      auto ab = both();
      if (!ab || !ab->first.isPred || !ab->second.isPred)
        return std::nullopt;
      bool isAnd = isa<arith::AndIOp>(op);
      for (auto [p, t] : {std::pair(ab->first, ab->second),
                          std::pair(ab->second, ab->first)})
        if (t.lin.isConstant() && (t.lin.c >= 0) == isAnd)
          return p;
      return std::nullopt;
    }
    if (auto select = dyn_cast<arith::SelectOp>(op)) {
      // An additive mask: select(c, 0, -inf) is "visible where c".
      if (isa<FloatType>(getElementTypeOrSelf(select.getType()))) {
        Value t = select.getTrueValue(), f = select.getFalseValue();
        bool visibleWhenTrue = isSplat(t, 0.0) && isLowest(splatValue(f), f);
        bool visibleWhenFalse = isSplat(f, 0.0) && isLowest(splatValue(t), t);
        if (!visibleWhenTrue && !visibleWhenFalse)
          return std::nullopt;
        std::optional<Sym> c = eval(select.getCondition());
        if (!c || !c->isPred)
          return std::nullopt;
        if (visibleWhenTrue)
          return c;
        return Sym{true, c->lin.scaled(-1) - Lin::constant(rank, 1)};
      }
      // select(c, true, false) = c; select(c, false, true) = not c;
      // select(c, p, false) = c and p, = c when p is true.
      std::optional<Sym> c = eval(select.getCondition());
      std::optional<Sym> t = c ? eval(select.getTrueValue()) : std::nullopt;
      std::optional<Sym> f = t ? eval(select.getFalseValue()) : std::nullopt;
      if (!f || !c->isPred || !t->isPred || !f->isPred ||
          !t->lin.isConstant() || !f->lin.isConstant())
        return std::nullopt;
      bool tv = t->lin.c >= 0, fv = f->lin.c >= 0;
      if (tv && !fv)
        return c;
      if (!tv && fv)
        return Sym{true, c->lin.scaled(-1) - Lin::constant(rank, 1)};
      return std::nullopt;
    }
    if (isa<arith::XOrIOp>(op)) {
      // p xor true = not p: !(f >= 0) is (-f - 1 >= 0).
      auto ab = both();
      if (!ab || !ab->first.isPred || !ab->second.isPred)
        return std::nullopt;
      for (auto [p, t] : {std::pair(ab->first, ab->second),
                          std::pair(ab->second, ab->first)})
        if (t.lin.isConstant() && t.lin.c >= 0)
          return Sym{true, p.lin.scaled(-1) - Lin::constant(rank, 1)};
      return std::nullopt;
    }
    return std::nullopt;
  }

  std::optional<Lin> affine(AffineExpr expr, ArrayRef<Lin> dims) {
    if (auto d = dyn_cast<AffineDimExpr>(expr))
      return dims[d.getPosition()];
    if (auto c = dyn_cast<AffineConstantExpr>(expr))
      return Lin::constant(rank, c.getValue());
    if (auto bin = dyn_cast<AffineBinaryOpExpr>(expr)) {
      std::optional<Lin> l = affine(bin.getLHS(), dims),
                         r = affine(bin.getRHS(), dims);
      if (!l || !r)
        return std::nullopt;
      if (expr.getKind() == AffineExprKind::Add)
        return *l + *r;
      if (expr.getKind() == AffineExprKind::Mul) {
        if (r->isConstant())
          return l->scaled(r->c);
        if (l->isConstant())
          return r->scaled(l->c);
      }
    }
    return std::nullopt;
  }

  /// The element of tensor `v` at the index whose dims are `idx`.
  std::optional<Sym> eval(Value v, ArrayRef<Lin> idx) {
    if (++depth > 64)
      return std::nullopt;
    llvm::scope_exit guard([&] { --depth; });
    Operation *op = v.getDefiningOp();
    if (!op)
      return std::nullopt;
    Attribute attr;
    if (matchPattern(v, m_Constant(&attr)))
      return scalarConstant(attr);
    if (auto fill = dyn_cast<linalg::FillOp>(op)) {
      if (!matchPattern(fill.getInputs()[0], m_Constant(&attr)))
        return std::nullopt;
      return scalarConstant(attr);
    }
    if (auto broadcast = dyn_cast<linalg::BroadcastOp>(op)) {
      SmallVector<Lin> inner;
      for (auto [d, l] : llvm::enumerate(idx))
        if (!llvm::is_contained(broadcast.getDimensions(), int64_t(d)))
          inner.push_back(l);
      return eval(broadcast.getInput(), inner);
    }
    if (auto transpose = dyn_cast<linalg::TransposeOp>(op)) {
      SmallVector<Lin> inner(idx.size());
      for (auto [k, p] : llvm::enumerate(transpose.getPermutation()))
        inner[p] = idx[k];
      return eval(transpose.getInput(), inner);
    }
    if (isa<tensor::ExpandShapeOp, tensor::CollapseShapeOp>(op)) {
      auto src = cast<RankedTensorType>(op->getOperand(0).getType());
      auto dst = cast<RankedTensorType>(v.getType());
      if (!sameUpToUnitDims(src, dst))
        return std::nullopt;
      SmallVector<Lin> nonUnit;
      for (auto [d, l] : llvm::enumerate(idx))
        if (dst.getDimSize(d) != 1)
          nonUnit.push_back(l);
      SmallVector<Lin> inner;
      size_t next = 0;
      for (int64_t size : src.getShape())
        inner.push_back(size == 1 ? Lin::constant(rank, 0) : nonUnit[next++]);
      return eval(op->getOperand(0), inner);
    }
    if (auto generic = dyn_cast<linalg::GenericOp>(op))
      return evalGeneric(generic, idx);
    return elementwise(op, [&](Value operand) { return eval(operand, idx); });
  }

  std::optional<Sym> evalGeneric(linalg::GenericOp generic,
                                 ArrayRef<Lin> idx) {
    if (generic.getNumDpsInits() != 1 || generic.getNumResults() != 1 ||
        generic.getNumReductionLoops() != 0)
      return std::nullopt;
    AffineMap outMap = generic.getIndexingMapsArray().back();
    if (!outMap.isPermutation())
      return std::nullopt;
    SmallVector<Lin> loops(outMap.getNumDims(), Lin::constant(rank, 0));
    for (auto [k, expr] : llvm::enumerate(outMap.getResults()))
      loops[cast<AffineDimExpr>(expr).getPosition()] = idx[k];
    Block &body = generic.getRegion().front();
    std::function<std::optional<Sym>(Value)> scalar =
        [&](Value s) -> std::optional<Sym> {
      if (auto arg = dyn_cast<BlockArgument>(s)) {
        if (arg.getOwner() != &body ||
            arg.getArgNumber() >= generic.getNumDpsInputs())
          return std::nullopt;
        OpOperand *input = generic.getDpsInputOperand(arg.getArgNumber());
        AffineMap map = generic.getMatchingIndexingMap(input);
        if (!isa<RankedTensorType>(input->get().getType()))
          return std::nullopt;
        SmallVector<Lin> inner;
        for (AffineExpr expr : map.getResults()) {
          std::optional<Lin> l = affine(expr, loops);
          if (!l)
            return std::nullopt;
          inner.push_back(*l);
        }
        return eval(input->get(), inner);
      }
      Operation *op = s.getDefiningOp();
      if (!op || op->getBlock() != &body)
        return std::nullopt;
      if (auto index = dyn_cast<linalg::IndexOp>(op))
        return Sym{false, loops[index.getDim()]};
      Attribute attr;
      if (matchPattern(s, m_Constant(&attr)))
        return scalarConstant(attr);
      return elementwise(op, scalar);
    };
    return scalar(body.getTerminator()->getOperand(0));
  }
};

/// Whether `mask` (an i1 tensor shaped like the scores) is true exactly
/// where key j <= query i + (Skv - Sq), or exactly where it is false when
/// `negated`.
bool isCausalMask(Value mask, bool negated) {
  auto type = cast<RankedTensorType>(mask.getType());
  int64_t rank = type.getRank();
  if (rank < 2 || !type.hasStaticShape())
    return false;
  MaskEvaluator evaluator{rank};
  SmallVector<Lin> idx;
  for (int64_t d = 0; d < rank; ++d) {
    Lin l = Lin::constant(rank, 0);
    l.coef[d] = 1;
    idx.push_back(l);
  }
  std::optional<Sym> sym = evaluator.eval(mask, idx);
  if (!sym || !sym->isPred)
    return false;
  Lin f = negated ? sym->lin.scaled(-1) - Lin::constant(rank, 1) : sym->lin;
  Lin causal = idx[rank - 2] - idx[rank - 1] +
               Lin::constant(rank, type.getDimSize(rank - 1) -
                                       type.getDimSize(rank - 2));
  return f == causal;
}

//===----------------------------------------------------------------------===//
// Attention
//===----------------------------------------------------------------------===//

/// A 3-D operand [B*H, X, Y] of a batch matmul seen as the 4-D [B, H, X, Y]
/// tensor it collapses; for grouped KV heads, the [B, Hkv, X, Y] tensor
/// broadcast to [B, Hkv, G, X, Y] first; else (`flat`) the 3-D value itself,
/// raised as [B*H, 1, X, Y].
struct Heads {
  Value source;
  int64_t groups = 1;
  bool flat = false;
  /// When set, the 4-D value is `transpose(source, perm)`, to be built (the
  /// producer's transpose of a scaled query, rebuilt without the scale).
  SmallVector<int64_t> perm;
};

Heads traceHeads(Value v) {
  if (auto collapse = def<tensor::CollapseShapeOp>(v)) {
    SmallVector<ReassociationIndices> re = collapse.getReassociationIndices();
    Value src = collapse.getSrc();
    if (rankOf(src) == 4 && re.size() == 3 &&
        re[0] == ReassociationIndices{0, 1})
      return Heads{src, 1, false};
    if (rankOf(src) == 5 && re.size() == 3 &&
        re[0] == ReassociationIndices{0, 1, 2}) {
      auto broadcast = def<linalg::BroadcastOp>(src);
      if (broadcast && broadcast.getDimensions() == ArrayRef<int64_t>{2})
        return Heads{broadcast.getInput(),
                     cast<ShapedType>(src.getType()).getDimSize(2), false};
    }
  }
  return Heads{v, 1, true};
}

/// The 4-D shape `h` stands for, with its last two dims swapped if `swap`.
SmallVector<int64_t> shape4(const Heads &h, bool swap) {
  ArrayRef<int64_t> s = cast<ShapedType>(h.source.getType()).getShape();
  SmallVector<int64_t> shape =
      h.flat ? SmallVector<int64_t>{s[0], 1, s[1], s[2]} : llvm::to_vector(s);
  if (!h.perm.empty())
    for (auto [i, p] : llvm::enumerate(h.perm))
      shape[i] = s[p];
  if (swap)
    std::swap(shape[2], shape[3]);
  return shape;
}

/// `x` transposed by `perm` (dim i of the result is dim `perm[i]` of `x`)
/// into a fresh tensor.empty.
Value transposeBy(PatternRewriter &rewriter, Location loc, Value x,
                  ArrayRef<int64_t> perm) {
  auto source = cast<RankedTensorType>(x.getType());
  SmallVector<int64_t> shape;
  for (int64_t d : perm)
    shape.push_back(source.getDimSize(d));
  Value init = tensor::EmptyOp::create(rewriter, loc, shape,
                                       source.getElementType());
  return linalg::TransposeOp::create(rewriter, loc, x, init, perm)
      .getResult()[0];
}

/// `h` as a 4-D value, its last two dims swapped if `swap` (composed with
/// the transpose that produced it, if any).
Value materialize(PatternRewriter &rewriter, Location loc, const Heads &h,
                  bool swap) {
  Value x = h.source;
  auto type = cast<RankedTensorType>(x.getType());
  if (h.flat) {
    // [B*H, X, Y] (transposed to [B*H, Y, X] when `swap`, composed with
    // the producer's 3-D transpose) -> [B*H, 1, ., .].
    if (swap) {
      SmallVector<int64_t> perm{0, 2, 1};
      if (auto transpose = def<linalg::TransposeOp>(x)) {
        ArrayRef<int64_t> inner = transpose.getPermutation();
        perm = {inner[0], inner[2], inner[1]};
        x = transpose.getInput();
      }
      x = transposeBy(rewriter, loc, x, perm);
    }
    return tensor::ExpandShapeOp::create(
        rewriter, loc,
        RankedTensorType::get(shape4(h, swap), type.getElementType()), x,
        SmallVector<ReassociationIndices>{{0, 1}, {2}, {3}});
  }
  if (!swap && h.perm.empty())
    return x;
  SmallVector<int64_t> perm{0, 1, 2, 3};
  if (swap)
    perm = {0, 1, 3, 2};
  SmallVector<int64_t> inner = h.perm;
  if (inner.empty())
    if (auto transpose = def<linalg::TransposeOp>(x)) {
      inner = llvm::to_vector(transpose.getPermutation());
      x = transpose.getInput();
    }
  if (!inner.empty())
    perm = {inner[perm[0]], inner[perm[1]], inner[perm[2]], inner[perm[3]]};
  return transposeBy(rewriter, loc, x, perm);
}

bool isPermutation(Operation *op, ArrayRef<int64_t> perm) {
  auto transpose = dyn_cast_or_null<linalg::TransposeOp>(op);
  return transpose && transpose.getPermutation() == perm;
}

/// Whether `v` collapses a 4-D value [[0, 1], [2], [3]]; that value.
Value collapsedFrom4d(Value v) {
  auto collapse = def<tensor::CollapseShapeOp>(v);
  if (!collapse || rankOf(collapse.getSrc()) != 4 ||
      collapse.getReassociationIndices() !=
          SmallVector<ReassociationIndices>{{0, 1}, {2}, {3}})
    return {};
  return collapse.getSrc();
}

/// The softmax whose probabilities `p` carries (through truncf and the
/// collapse of 4-D probabilities).
linalg::SoftmaxOp traceSoftmax(Value p, SmallVectorImpl<Value> &chain) {
  for (int step = 0; step < 4 && p; ++step) {
    chain.push_back(p);
    if (auto softmax = def<linalg::SoftmaxOp>(p))
      return softmax;
    if (auto trunc = def<arith::TruncFOp>(p))
      p = trunc.getIn();
    else
      p = collapsedFrom4d(p);
  }
  return {};
}

/// The same for transposed probabilities: transpose [0, 2, 1] of 3-D ones,
/// or the collapse of a transpose [0, 1, 3, 2] of 4-D ones.
linalg::SoftmaxOp traceSoftmaxTransposed(Value pt,
                                         SmallVectorImpl<Value> &chain) {
  chain.push_back(pt);
  if (isPermutation(pt.getDefiningOp(), {0, 2, 1}))
    return traceSoftmax(pt.getDefiningOp()->getOperand(0), chain);
  Value p4 = collapsedFrom4d(pt);
  if (!p4 || !isPermutation(p4.getDefiningOp(), {0, 1, 3, 2}))
    return {};
  chain.push_back(p4);
  return traceSoftmax(p4.getDefiningOp()->getOperand(0), chain);
}

bool isZeroInit(linalg::LinalgOp op) {
  return isSplat(op.getDpsInits()[0], 0.0);
}

bool isPlainBatchMatmul(linalg::BatchMatmulOp op) {
  return op && !op.hasUserDefinedMaps() && op.hasPureTensorSemantics() &&
         isZeroInit(op) &&
         cast<RankedTensorType>(op.getResult(0).getType()).hasStaticShape();
}

/// A call that InlineSelectHelper inlines: of a private helper whose body
/// is pure and returns an arith.select of a tensor.
std::optional<OutlinedHelper> matchSelectHelper(func::CallOp call) {
  if (call.getNumResults() != 1)
    return std::nullopt;
  std::optional<OutlinedHelper> helper = matchOutlinedHelper(call);
  if (!helper || !def<arith::SelectOp>(helper->returned) ||
      !isa<RankedTensorType>(helper->returned.getType()))
    return std::nullopt;
  for (Operation &op : helper->body->without_terminator())
    if (!isMemoryEffectFree(&op) || op.getNumRegions() > 1)
      return std::nullopt;
  return helper;
}

/// Whether `mask` is computed through a call InlineSelectHelper has yet to
/// inline (JAX's `@tril`, `@_where`): whether the mask is causal can only be
/// told once it is, so the attention pattern waits for it.
bool awaitsHelperInlining(Value mask) {
  SmallVector<Value> worklist{mask};
  llvm::SmallPtrSet<Operation *, 16> seen;
  while (!worklist.empty() && seen.size() < 64) {
    Operation *op = worklist.pop_back_val().getDefiningOp();
    if (!op || !seen.insert(op).second)
      continue;
    if (auto call = dyn_cast<func::CallOp>(op); call && matchSelectHelper(call))
      return true;
    llvm::append_range(worklist, op->getOperands());
  }
  return false;
}

/// Whether `v` is computed from a plain batch_matmul through the ops the
/// attention pattern peels off the scores (scales, additions, selects,
/// casts, the expand to 4-D): which term of `scores + mask` is the scores.
bool reachesScoreProduct(Value v, int depth = 0) {
  if (depth > 8)
    return false;
  Operation *op = v.getDefiningOp();
  if (auto product = dyn_cast_or_null<linalg::BatchMatmulOp>(op))
    return isPlainBatchMatmul(product);
  if (auto select = dyn_cast_or_null<arith::SelectOp>(op))
    return reachesScoreProduct(select.getTrueValue(), depth + 1) ||
           reachesScoreProduct(select.getFalseValue(), depth + 1);
  if (!isa_and_nonnull<arith::MulFOp, arith::DivFOp, arith::AddFOp,
                       arith::ExtFOp, tensor::ExpandShapeOp>(op))
    return false;
  return llvm::any_of(op->getOperands(), [&](Value operand) {
    return reachesScoreProduct(operand, depth + 1);
  });
}

/// `x` reshaped (row-major, as expand_shape and collapse_shape do) to
/// `shape`, through the 3-D [B·H, Sq, Skv] form when no single reshape
/// does it; null when the element counts differ.
Value reshapeTo(PatternRewriter &rewriter, Location loc, Value x,
                ArrayRef<int64_t> shape) {
  auto from = cast<RankedTensorType>(x.getType());
  auto to = RankedTensorType::get(shape, from.getElementType());
  if (from == to)
    return x;
  // [B·H, Sq, Skv] -> [B, H, Sq, Skv] as the importers write it.
  SmallVector<ReassociationIndices> headSplit{{0, 1}, {2}, {3}};
  if (from.getRank() == 3 && to.getRank() == 4 &&
      from.getShape().drop_front() == to.getShape().drop_front(2) &&
      from.getDimSize(0) == to.getDimSize(0) * to.getDimSize(1))
    return tensor::ExpandShapeOp::create(rewriter, loc, to, x, headSplit);
  if (from.getRank() != to.getRank())
    if (std::optional<SmallVector<ReassociationIndices>> groups =
            getReassociationIndicesForReshape(from, to)) {
      if (from.getRank() < to.getRank())
        return tensor::ExpandShapeOp::create(rewriter, loc, to, x, *groups);
      return tensor::CollapseShapeOp::create(rewriter, loc, to, x, *groups);
    }
  if (from.getRank() != 4 || to.getRank() != 4 ||
      from.getNumElements() != to.getNumElements())
    return {};
  Value flat = tensor::CollapseShapeOp::create(rewriter, loc, x, headSplit);
  return tensor::ExpandShapeOp::create(rewriter, loc, to, flat, headSplit);
}

/// `mask`, added to the scores in their 3-D [B·H, Sq, Skv] or 4-D layout,
/// as the op's mask operand for scores `target` = [B, H, Sq, Skv] (both
/// layouts order batch and heads alike). A broadcast along whole dims is
/// undone, those dims becoming 1, so the op reads the compact mask (BERT's
/// [B, 1, 1, Skv]).
Value materializeMask(PatternRewriter &rewriter, Location loc, Value mask,
                      ArrayRef<int64_t> target) {
  // A 3-D mask collapsed from one in the op's 4-D layout is that one.
  if (auto collapse = def<tensor::CollapseShapeOp>(mask);
      collapse && collapse.getSrcType().getShape() == target &&
      collapse.getReassociationIndices() ==
          SmallVector<ReassociationIndices>{{0, 1}, {2}, {3}})
    mask = collapse.getSrc();
  auto type = cast<RankedTensorType>(mask.getType());
  // The target dims each mask dim stands for; none when a 4-D mask splits
  // batch and heads otherwise than the op (heads folded into the batch).
  SmallVector<SmallVector<int64_t>> covers;
  if (type.getRank() == 3)
    covers = {{0, 1}, {2}, {3}};
  else if (type.getShape().take_front(2) == target.take_front(2))
    covers = {{0}, {1}, {2}, {3}};
  if (auto broadcast = def<linalg::BroadcastOp>(mask);
      broadcast && !covers.empty()) {
    SmallVector<int64_t> compact(target);
    for (int64_t dim : broadcast.getDimensions())
      for (int64_t covered : covers[dim])
        compact[covered] = 1;
    if (Value source = reshapeTo(
            rewriter, loc, peelUnitReshapes(broadcast.getInput()), compact))
      return source;
  }
  return reshapeTo(rewriter, loc, mask, target);
}

struct RaiseAttention : RaisePattern<linalg::BatchMatmulOp> {
  using RaisePattern::RaisePattern;

  LogicalResult fail(Operation *op, const std::string &why) const {
    declineWith(remarks, op, "attention", why);
    return failure();
  }

  LogicalResult matchAndRewrite(linalg::BatchMatmulOp pv,
                                PatternRewriter &rewriter) const override {
    if (!isPlainBatchMatmul(pv))
      return failure();
    // P V, or (P V)ᵀ = Vᵀ Pᵀ as JAX's einsum emits it.
    SmallVector<Value> chain;
    bool transposed = false;
    linalg::SoftmaxOp softmax = traceSoftmax(pv.getDpsInputs()[0], chain);
    if (!softmax) {
      chain.clear();
      softmax = traceSoftmaxTransposed(pv.getDpsInputs()[1], chain);
      transposed = true;
    }
    if (!softmax)
      return failure();
    if (softmax.getDimension() != rankOf(softmax.getInput()) - 1)
      return fail(pv, "the softmax is not over the keys (the last dim)");

    // Peel scale, mask and head reshapes off the scores.
    Value s = softmax.getInput();
    double scale = 1.0;
    bool causal = false;
    // An additive mask other than a provably causal one: the op's operand.
    Value mask;
    // A select mask other than a provably causal one, made additive.
    struct {
      Value condition;
      bool keepWhenTrue = true;
      double maskedValue = 0;
    } selectMask;
    bool scaledAbove = false;
    for (int step = 0; step < 8; ++step) {
      if (auto mul = def<arith::MulFOp>(s)) {
        Value next;
        eitherOrder(mul.getLhs(), mul.getRhs(), [&](Value a, Value c) {
          std::optional<double> k = splatValue(c);
          if (!k)
            return false;
          scale *= *k, next = a;
          return true;
        });
        if (!next)
          break;
        chain.push_back(s), s = next, scaledAbove = true;
        continue;
      }
      if (auto div = def<arith::DivFOp>(s)) {
        std::optional<double> k = splatValue(div.getRhs());
        if (!k)
          break;
        scale /= *k;
        chain.push_back(s), s = div.getLhs(), scaledAbove = true;
        continue;
      }
      // s + bias: a causal bias select(causal, 0, -inf) (broadcast or not)
      // becomes the causal flag, any other the op's additive mask.
      if (auto add = def<arith::AddFOp>(s)) {
        bool lhsIsScores = reachesScoreProduct(add.getLhs());
        bool rhsIsScores = reachesScoreProduct(add.getRhs());
        if (lhsIsScores && rhsIsScores)
          return fail(pv, "both terms added to the scores are computed from "
                          "a batch_matmul; neither is a mask");
        if (!lhsIsScores && !rhsIsScores)
          break;
        Value rest = lhsIsScores ? add.getLhs() : add.getRhs();
        Value bias = lhsIsScores ? add.getRhs() : add.getLhs();
        chain.push_back(s);
        s = rest;
        if (!causal && isCausalMask(bias, /*negated=*/false)) {
          causal = true;
          continue;
        }
        if (awaitsHelperInlining(bias))
          return failure();
        if (mask || selectMask.condition)
          return fail(pv, "the scores have two masks that are not provably "
                          "causal (braid.attention takes one)");
        if (scaledAbove)
          return fail(pv, "the mask is added before the scores are scaled "
                          "(braid.attention adds it to the scaled scores)");
        mask = bias;
        continue;
      }
      // select(mask, s, -inf): a causal mask becomes the flag; any other
      // the additive mask select(mask, 0, -inf).
      if (auto select = def<arith::SelectOp>(s)) {
        if (!isa<RankedTensorType>(select.getCondition().getType()))
          return fail(pv, "the scores are selected by a scalar condition");
        bool keepWhenTrue = isLowest(splatValue(select.getFalseValue()), s);
        bool keepWhenFalse = isLowest(splatValue(select.getTrueValue()), s);
        if (!keepWhenTrue && !keepWhenFalse)
          return fail(pv, "the scores are masked with a value other than "
                          "-inf or the lowest finite value");
        Value condition = select.getCondition();
        Value masked =
            keepWhenTrue ? select.getFalseValue() : select.getTrueValue();
        chain.push_back(s);
        s = keepWhenTrue ? select.getTrueValue() : select.getFalseValue();
        if (!causal && isCausalMask(condition, /*negated=*/keepWhenFalse)) {
          causal = true;
          continue;
        }
        if (awaitsHelperInlining(condition))
          return failure();
        if (mask || selectMask.condition)
          return fail(pv, "the scores have two masks that are not provably "
                          "causal (braid.attention takes one)");
        selectMask = {condition, keepWhenTrue, *splatValue(masked)};
        continue;
      }
      // Scores computed narrow and upcast for the softmax: the op keeps
      // them in f32 anyway.
      if (auto ext = def<arith::ExtFOp>(s)) {
        chain.push_back(s), s = ext.getIn();
        continue;
      }
      if (auto expand = def<tensor::ExpandShapeOp>(s);
          expand && rankOf(expand.getSrc()) == 3 &&
          expand.getReassociationIndices() ==
              SmallVector<ReassociationIndices>{{0, 1}, {2}, {3}}) {
        chain.push_back(s), s = expand.getSrc();
        continue;
      }
      break;
    }
    auto qk = def<linalg::BatchMatmulOp>(s);
    if (qk && !isPlainBatchMatmul(qk))
      return fail(pv, "the scores' batch_matmul is not plain (zero "
                      "initialised, static shape, no user maps)");
    if (!qk) {
      Operation *producer = s.getDefiningOp();
      std::string what =
          producer ? "'" + producer->getName().getStringRef().str() + "'"
                   : std::string("a block argument");
      return fail(pv, "the scores come from " + what +
                          ", not from a batch_matmul of the query and the "
                          "transposed keys (through scales, additive masks, "
                          "causal selects and casts)");
    }
    chain.push_back(s);
    if (!allSingleUse(chain))
      return fail(pv, "an intermediate (scores, probabilities) has other "
                      "users");
    if (!(scale > 0.0) || std::isinf(scale))
      return fail(pv, "the scale is not positive");

    // Kᵀ: a 3-D transpose of K, or the collapse of [B, H, D, S].
    Value kt = qk.getDpsInputs()[1];
    Heads k;
    bool swapK = false;
    if (isPermutation(kt.getDefiningOp(), {0, 2, 1}) && kt.hasOneUse()) {
      k = traceHeads(kt.getDefiningOp()->getOperand(0));
    } else {
      k = traceHeads(kt);
      swapK = true;
    }
    // V, or Vᵀ when the product is transposed.
    Value vOperand = pv.getDpsInputs()[transposed ? 0 : 1];
    Heads v;
    bool swapV = false;
    if (transposed && isPermutation(vOperand.getDefiningOp(), {0, 2, 1}) &&
        vOperand.hasOneUse()) {
      v = traceHeads(vOperand.getDefiningOp()->getOperand(0));
    } else {
      v = traceHeads(vOperand);
      swapV = transposed;
    }
    // A query scaled before the product (Flax: q / sqrt(d)), on the 3-D
    // operand, on the 4-D tensor it collapses, or under the producer's
    // transpose of that tensor.
    auto peelScale = [&](Value x) -> Value {
      if (!x.hasOneUse())
        return {};
      if (auto mul = def<arith::MulFOp>(x)) {
        Value inner;
        eitherOrder(mul.getLhs(), mul.getRhs(), [&](Value a, Value c) {
          std::optional<double> k = splatValue(c);
          if (!k || !cast<RankedTensorType>(c.getType()).hasStaticShape())
            return false;
          scale *= *k, inner = a;
          return true;
        });
        return inner;
      }
      if (auto div = def<arith::DivFOp>(x))
        if (std::optional<double> k = splatValue(div.getRhs())) {
          scale /= *k;
          return div.getLhs();
        }
      return {};
    };
    Value qOperand = qk.getDpsInputs()[0];
    if (Value unscaled = peelScale(qOperand))
      qOperand = unscaled;
    Heads q = traceHeads(qOperand);
    if (!q.flat) {
      if (Value unscaled = peelScale(q.source)) {
        q.source = unscaled;
      } else if (auto transpose = def<linalg::TransposeOp>(q.source);
                 transpose && q.source.hasOneUse()) {
        if (Value unscaledInput = peelScale(transpose.getInput())) {
          q.perm = llvm::to_vector(transpose.getPermutation());
          q.source = unscaledInput;
        }
      }
    }
    if (!(scale > 0.0) || std::isinf(scale))
      return fail(pv, "the scale is not positive");
    if (q.groups != 1 || q.flat != k.flat || q.flat != v.flat ||
        k.groups != v.groups)
      return fail(pv, "query, key and value heads are not laid out alike");
    for (Value x : {q.source, k.source, v.source})
      if (!cast<RankedTensorType>(x.getType()).hasStaticShape())
        return fail(pv, "dynamic shape");
    SmallVector<int64_t> qs = shape4(q, false), ks = shape4(k, swapK),
                         vs = shape4(v, swapV);
    if (ks[0] != qs[0] || vs[0] != qs[0] || ks[1] * k.groups != qs[1] ||
        vs[1] != ks[1] || ks[3] != qs[3] || vs[2] != ks[2])
      return fail(pv, "query, key and value shapes do not fit (B, H, S, D "
                      "with H a multiple of the key/value heads)");
    Type element = elementOf(q.source);
    if (elementOf(k.source) != element || elementOf(v.source) != element)
      return fail(pv, "query, key and value have different element types");

    // The result: the batch matmul, or a truncf of it to the inputs' type.
    Operation *root = pv;
    if (pv->hasOneUse())
      if (auto trunc = dyn_cast<arith::TruncFOp>(*pv->getUsers().begin());
          trunc && elementOf(trunc.getResult()) == element)
        root = trunc;
    auto rootType = cast<RankedTensorType>(root->getResult(0).getType());
    Type resultElement = rootType.getElementType();
    if (resultElement != element &&
        cast<FloatType>(resultElement).getWidth() <
            cast<FloatType>(element).getWidth())
      return fail(pv, "the result is narrower than the inputs");

    rewriter.setInsertionPoint(root);
    Location loc = root->getLoc();
    auto widen = [&](Value x) -> Value {
      if (resultElement == element)
        return x;
      return arith::ExtFOp::create(
          rewriter, loc,
          cast<RankedTensorType>(x.getType()).clone(resultElement), x);
    };
    Value query = widen(materialize(rewriter, loc, q, false));
    Value key = widen(materialize(rewriter, loc, k, swapK));
    Value value = widen(materialize(rewriter, loc, v, swapV));
    auto outType = RankedTensorType::get({qs[0], qs[1], qs[2], vs[3]},
                                         resultElement);
    SmallVector<int64_t> scoresShape{qs[0], qs[1], qs[2], ks[2]};
    Value maskOperand;
    if (mask)
      maskOperand = materializeMask(rewriter, loc, mask, scoresShape);
    if (selectMask.condition) {
      // select(c, s, low) = s + select(c, 0, low), on the compact condition.
      Value condition =
          materializeMask(rewriter, loc, selectMask.condition, scoresShape);
      auto type = cast<RankedTensorType>(condition.getType())
                      .clone(elementOf(softmax.getInput()));
      Value zero = splatConstant(rewriter, loc, type, 0.0);
      Value low = splatConstant(rewriter, loc, type, selectMask.maskedValue);
      maskOperand = arith::SelectOp::create(
          rewriter, loc, condition, selectMask.keepWhenTrue ? zero : low,
          selectMask.keepWhenTrue ? low : zero);
    }
    Value out = AttentionOp::create(
        rewriter, loc, outType, query, key, value, maskOperand,
        causal ? rewriter.getUnitAttr() : UnitAttr(),
        rewriter.getF32FloatAttr(static_cast<float>(scale)));
    // (P V)ᵀ: the op's result with its last two dims swapped.
    Value result4 = out;
    if (transposed)
      result4 = transposeBy(rewriter, loc, out, {0, 1, 3, 2});
    Value flat = tensor::CollapseShapeOp::create(
        rewriter, loc, rootType, result4,
        SmallVector<ReassociationIndices>{{0, 1}, {2}, {3}});
    // The importer's expand back to 4-D is the 4-D result itself.
    if (root->hasOneUse())
      if (auto expand =
              dyn_cast<tensor::ExpandShapeOp>(*root->getUsers().begin());
          expand && expand.getType() == result4.getType() &&
          expand.getReassociationIndices() ==
              SmallVector<ReassociationIndices>{{0, 1}, {2}, {3}})
        rewriter.replaceOp(expand, result4);
    finishRaise(rewriter, remarks, root, flat, /*alsoMatched=*/pv,
                [&](InFlightDiagnostic &remark) {
                  remark << "raised to braid.attention (";
                  // Heads folded into the batch are not told apart.
                  if (q.flat)
                    remark << "heads folded into a batch of " << qs[0];
                  else
                    remark << qs[1] << " query heads, " << ks[1]
                           << " key/value heads";
                  remark << ", scale " << scale << (causal ? ", causal" : "")
                         << (mask ? ", additive mask" : "")
                         << (selectMask.condition ? ", mask from a select" : "")
                         << (transposed ? ", transposed product" : "") << ")";
                });
    return success();
  }
};

/// call @f(...) to a private helper whose body is pure and ends in an
/// arith.select (JAX's `@_where`, how jnp.where masks scores): inlined, so
/// the attention pattern sees the select and its mask.
struct InlineSelectHelper : OpRewritePattern<func::CallOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(func::CallOp call,
                                PatternRewriter &rewriter) const override {
    std::optional<OutlinedHelper> helper = matchSelectHelper(call);
    if (!helper)
      return failure();
    Block &body = *helper->body;
    IRMapping mapping;
    for (auto [arg, operand] :
         llvm::zip(body.getArguments(), call.getOperands()))
      mapping.map(arg, operand);
    for (Operation &op : body.without_terminator())
      rewriter.clone(op, mapping);
    rewriter.replaceOp(call, mapping.lookup(helper->returned));
    return success();
  }
};

} // namespace

void mlir::braid::populateRaiseSoftmaxPatterns(RewritePatternSet &patterns,
                                               RaiseRemarks *remarks) {
  patterns.add<RaiseSoftmax>(patterns.getContext(), remarks);
}

void mlir::braid::populateRaiseAttentionPatterns(RewritePatternSet &patterns,
                                                 RaiseRemarks *remarks) {
  patterns.add<RaiseAttention>(patterns.getContext(), remarks);
  patterns.add<InlineSelectHelper>(patterns.getContext());
}
