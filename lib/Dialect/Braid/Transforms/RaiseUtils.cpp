//===- RaiseUtils.cpp - matching helpers shared by the raising patterns ---===//

#include "RaiseUtils.h"

#include "mlir/IR/Matchers.h"
#include "mlir/Transforms/RegionUtils.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

using namespace mlir;
using namespace mlir::braid;
using namespace mlir::braid::raise;

void RaiseRemarks::decline(Operation *op, const Twine &why) {
  if (!explain || !reported.insert(op).second)
    return;
  op->emitRemark(why);
}

std::optional<double> raise::splatValue(Value v) {
  for (int guard = 0; v && guard < 16; ++guard) {
    Operation *op = v.getDefiningOp();
    if (auto ext = dyn_cast_or_null<arith::ExtFOp>(op)) {
      v = ext.getIn();
      continue;
    }
    if (auto broadcast = dyn_cast_or_null<linalg::BroadcastOp>(op)) {
      v = broadcast.getInput();
      continue;
    }
    if (isa_and_nonnull<tensor::ExpandShapeOp, tensor::CollapseShapeOp>(op)) {
      v = op->getOperand(0);
      continue;
    }
    if (auto fill = dyn_cast_or_null<linalg::FillOp>(op)) {
      v = fill.getInputs()[0];
      continue;
    }
    // An element of a splat is the splat.
    if (auto extract = dyn_cast_or_null<tensor::ExtractOp>(op)) {
      v = extract.getTensor();
      continue;
    }
    break;
  }
  Attribute attr;
  if (!v || !matchPattern(v, m_Constant(&attr)))
    return std::nullopt;
  if (auto scalar = dyn_cast<FloatAttr>(attr))
    return scalar.getValueAsDouble();
  if (auto dense = dyn_cast<DenseFPElementsAttr>(attr); dense && dense.isSplat())
    return dense.getSplatValue<APFloat>().convertToDouble();
  return std::nullopt;
}

static SmallVector<int64_t> nonUnitDims(ShapedType type) {
  SmallVector<int64_t> dims;
  for (int64_t d : type.getShape())
    if (d != 1)
      dims.push_back(d);
  return dims;
}

bool raise::sameUpToUnitDims(Type a, Type b) {
  auto sa = dyn_cast<RankedTensorType>(a), sb = dyn_cast<RankedTensorType>(b);
  return sa && sb && sa.getElementType() == sb.getElementType() &&
         sa.hasStaticShape() && sb.hasStaticShape() &&
         nonUnitDims(sa) == nonUnitDims(sb);
}

Value raise::peelUnitReshapes(Value v) {
  while (v) {
    Operation *op = v.getDefiningOp();
    if (!isa_and_nonnull<tensor::ExpandShapeOp, tensor::CollapseShapeOp>(op) ||
        !sameUpToUnitDims(op->getOperand(0).getType(), v.getType()))
      break;
    v = op->getOperand(0);
  }
  return v;
}

Value raise::peelInto(Value v, SmallVectorImpl<Value> &chain) {
  chain.push_back(v);
  Value peeled = peelUnitReshapes(v);
  for (Value cur = v; cur != peeled; cur = cur.getDefiningOp()->getOperand(0))
    if (cur != v)
      chain.push_back(cur);
  if (peeled != v)
    chain.push_back(peeled);
  return peeled;
}

std::optional<ArrayRef<int64_t>> raise::broadcastDims(Value v) {
  if (auto broadcast = def<linalg::BroadcastOp>(v))
    return broadcast.getDimensions();
  return std::nullopt;
}

Value raise::lastDimBroadcastSource(Value v) {
  auto broadcast = def<linalg::BroadcastOp>(v);
  if (!broadcast)
    return {};
  ArrayRef<int64_t> dims = broadcast.getDimensions();
  if (dims.size() != 1 || dims[0] != rankOf(v) - 1)
    return {};
  return peelUnitReshapes(broadcast.getInput());
}

FailureOr<Reduction> raise::matchReduction(Value v, Combiner kind,
                                           std::string &why) {
  why.clear();
  v = peelUnitReshapes(v);
  auto reduce = def<linalg::ReduceOp>(v);
  if (!reduce || reduce.getInputs().size() != 1)
    return failure();
  Block &body = reduce.getCombiner().front();
  if (body.getOperations().size() != 2)
    return failure();
  Operation &combine = body.front();
  bool kindMatches = kind == Combiner::Add
                         ? isa<arith::AddFOp>(combine)
                         : isa<arith::MaximumFOp, arith::MaxNumFOp>(combine);
  if (!kindMatches || combine.getNumOperands() != 2)
    return failure();
  Value a = body.getArgument(0), b = body.getArgument(1);
  if (!((combine.getOperand(0) == a && combine.getOperand(1) == b) ||
        (combine.getOperand(0) == b && combine.getOperand(1) == a)) ||
      body.getTerminator()->getOperand(0) != combine.getResult(0))
    return failure();
  ArrayRef<int64_t> dims = reduce.getDimensions();
  if (dims.size() != 1) {
    why = "reduces over " + std::to_string(dims.size()) +
          " dimensions, not one";
    return failure();
  }
  std::optional<double> init = splatValue(reduce.getInits()[0]);
  if (kind == Combiner::Add) {
    if (!init || *init != 0.0) {
      why = "the sum does not start from zero";
      return failure();
    }
  } else {
    auto element = cast<FloatType>(elementOf(reduce.getInputs()[0]));
    double lowest =
        APFloat::getLargest(element.getFloatSemantics(), /*Negative=*/true)
            .convertToDouble();
    if (!init || !(*init == -INFINITY || *init == lowest)) {
      why = "the maximum does not start from -inf";
      return failure();
    }
  }
  return Reduction{reduce, reduce.getInputs()[0], dims[0]};
}

bool raise::allSingleUse(ArrayRef<Value> values) {
  return llvm::all_of(values, [](Value v) { return v && v.hasOneUse(); });
}

Value raise::splatConstant(OpBuilder &b, Location loc, RankedTensorType type,
                           double x) {
  auto attr = DenseElementsAttr::get(
      type, FloatAttr::get(type.getElementType(), x));
  return arith::ConstantOp::create(b, loc, attr);
}

Value raise::narrowTo(OpBuilder &b, Location loc, Value v, Type element) {
  if (elementOf(v) == element)
    return v;
  if (auto ext = def<arith::ExtFOp>(v); ext && elementOf(ext.getIn()) == element)
    return ext.getIn();
  DenseFPElementsAttr dense;
  if (!matchPattern(v, m_Constant(&dense)) || !dense.isSplat())
    return {};
  APFloat value = dense.getSplatValue<APFloat>();
  bool losesInfo = false;
  value.convert(cast<FloatType>(element).getFloatSemantics(),
                APFloat::rmNearestTiesToEven, &losesInfo);
  if (losesInfo)
    return {};
  auto type = cast<RankedTensorType>(v.getType()).clone(element);
  return arith::ConstantOp::create(
      b, loc, DenseElementsAttr::get(type, FloatAttr::get(element, value)));
}

void raise::eraseDeadProducers(RewriterBase &rewriter, ArrayRef<Value> values) {
  SmallVector<Operation *> work;
  llvm::DenseSet<Operation *> erased;
  for (Value v : values)
    if (Operation *op = v.getDefiningOp())
      work.push_back(op);
  while (!work.empty()) {
    Operation *op = work.pop_back_val();
    if (erased.contains(op) || !isOpTriviallyDead(op))
      continue;
    for (Value operand : op->getOperands())
      if (Operation *def = operand.getDefiningOp())
        work.push_back(def);
    erased.insert(op);
    rewriter.eraseOp(op);
  }
}

void raise::finishRaise(RewriterBase &rewriter, RaiseRemarks *remarks,
                        Operation *root, Value replacement,
                        Operation *alsoMatched,
                        function_ref<void(InFlightDiagnostic &)> describe) {
  if (describe && remarks && remarks->explain) {
    InFlightDiagnostic remark = root->emitRemark();
    describe(remark);
  }
  SmallVector<Value> operands(root->getOperands());
  if (alsoMatched && alsoMatched != root)
    llvm::append_range(operands, alsoMatched->getOperands());
  rewriter.replaceOp(root, replacement);
  eraseDeadProducers(rewriter, operands);
}

void raise::declineWith(RaiseRemarks *remarks, Operation *op, StringRef what,
                        const std::string &why) {
  if (!remarks || why.empty())
    return;
  if (StringRef(why).starts_with(what))
    remarks->decline(op, why);
  else
    remarks->decline(op, what + " not raised: " + why);
}

std::optional<OutlinedHelper> raise::matchOutlinedHelper(func::CallOp call) {
  auto callee = SymbolTable::lookupNearestSymbolFrom<func::FuncOp>(
      call, call.getCalleeAttr());
  if (!callee || callee.isExternal() || !callee.isPrivate() ||
      !llvm::hasSingleElement(callee.getBody()))
    return std::nullopt;
  Block &body = callee.getBody().front();
  auto ret = dyn_cast<func::ReturnOp>(body.getTerminator());
  if (!ret || ret.getNumOperands() != 1)
    return std::nullopt;
  return OutlinedHelper{callee, &body, ret.getOperand(0)};
}
