//===- BraidOps.cpp - braid operations ------------------------------------===//

#include "braid/Dialect/Braid/IR/BraidDialect.h"
#include "VerifyUtils.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/IR/PatternMatch.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallSet.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace mlir::braid;
using namespace mlir::braid::detail;

//===----------------------------------------------------------------------===//
// Helpers shared by the verifiers
//===----------------------------------------------------------------------===//

namespace {

std::string formatShape(ArrayRef<int64_t> shape) {
  if (shape.empty())
    return "a scalar";
  std::string text;
  llvm::raw_string_ostream os(text);
  llvm::interleave(
      shape, os,
      [&](int64_t dim) {
        if (ShapedType::isDynamic(dim))
          os << "?";
        else
          os << dim;
      },
      "x");
  return text;
}

/// Checks `actual` against `expected` where both are static; `what` names
/// the value in the message.
LogicalResult verifyShape(Operation *op, StringRef what, Type actual,
                          ArrayRef<int64_t> expected) {
  auto shaped = cast<ShapedType>(actual);
  bool matches = shaped.getRank() == static_cast<int64_t>(expected.size());
  for (auto [a, e] : llvm::zip(shaped.getShape(), expected))
    if (!ShapedType::isDynamic(a) && !ShapedType::isDynamic(e) && a != e)
      matches = false;
  if (matches)
    return success();
  return op->emitOpError() << "expected " << what << " of shape "
                           << formatShape(expected) << ", got "
                           << formatShape(shaped.getShape());
}

LogicalResult verifyElementType(Operation *op, StringRef what, Type actual,
                                Type expected) {
  Type element = getElementTypeOrSelf(actual);
  if (element == expected)
    return success();
  return op->emitOpError() << "expected " << what << " with element type "
                           << expected << ", got " << element;
}

LogicalResult verifyRank(Operation *op, StringRef what, Type actual,
                         int64_t rank) {
  if (cast<ShapedType>(actual).getRank() == rank)
    return success();
  return op->emitOpError() << "expected " << what << " of rank " << rank
                           << ", got rank " << cast<ShapedType>(actual).getRank();
}

LogicalResult verifyDimInRange(Operation *op, StringRef what, int64_t dim,
                               Type tensor) {
  int64_t rank = cast<ShapedType>(tensor).getRank();
  if (dim < rank)
    return success();
  return op->emitOpError() << what << " " << dim
                           << " is out of range for a tensor of rank " << rank;
}

/// Product of two sizes (dynamic when either is); nullopt on overflow.
std::optional<int64_t> mulDims(int64_t a, int64_t b) {
  if (ShapedType::isDynamic(a) || ShapedType::isDynamic(b))
    return ShapedType::kDynamic;
  FailureOr<int64_t> product = checkedMul(a, b);
  if (failed(product) || ShapedType::isDynamic(*product))
    return std::nullopt;
  return *product;
}

FailureOr<int64_t> mulDimsOrError(Operation *op, int64_t a, int64_t b) {
  std::optional<int64_t> product = mulDims(a, b);
  if (!product)
    return op->emitOpError() << "size " << a << " x " << b
                             << " overflows int64";
  return *product;
}

} // namespace

namespace mlir::braid::detail {
LogicalResult verifyReductionType(Operation *op, ReductionKind kind,
                                  Type tensor) {
  Type element = getElementTypeOrSelf(tensor);
  bool bitwise = kind == ReductionKind::And || kind == ReductionKind::Or ||
                 kind == ReductionKind::Xor;
  if (bitwise && !element.isSignlessInteger())
    return op->emitOpError() << "reduction '" << stringifyReductionKind(kind)
                             << "' needs an integer element type, got "
                             << element;
  if (element.isInteger(1) && !bitwise)
    return op->emitOpError() << "reduction '" << stringifyReductionKind(kind)
                             << "' is not defined on i1; use and/or/xor";
  return success();
}

/// Verifies that `axes` of `grid` form a group and returns its size
/// (kDynamic when an axis has dynamic size).
FailureOr<int64_t> verifyGroup(Operation *op, FlatSymbolRefAttr grid,
                               ArrayRef<int16_t> axes,
                               SymbolTableCollection &symbolTables) {
  Operation *symbol = symbolTables.lookupNearestSymbolFrom(op, grid);
  if (!symbol)
    return op->emitOpError() << "grid " << grid << " is not defined";
  auto gridOp = dyn_cast<shard::GridOp>(symbol);
  if (!gridOp)
    return op->emitOpError() << grid << " names a '" << symbol->getName()
                             << "', not a shard.grid";
  llvm::SmallSet<int16_t, 4> seen;
  int64_t size = 1;
  for (int16_t axis : axes) {
    if (axis < 0 || axis >= gridOp.getRank())
      return op->emitOpError()
             << "axis " << axis << " is out of range for grid " << grid
             << " of rank " << gridOp.getRank();
    if (!seen.insert(axis).second)
      return op->emitOpError() << "axis " << axis << " appears twice";
    int64_t axisSize = gridOp.getShape()[axis];
    if (axisSize == 0)
      return op->emitOpError() << "axis " << axis << " of grid " << grid
                               << " has size 0; a group needs a rank";
    FailureOr<int64_t> product = mulDimsOrError(op, size, axisSize);
    if (failed(product))
      return failure();
    size = *product;
  }
  if (failed(verifyGridDeviceCount(gridOp, op)))
    return failure();
  return size;
}

} // namespace mlir::braid::detail

namespace {
FailureOr<int64_t> payloadOf(Value value) {
  return getStaticByteSize(value.getType());
}

/// Folds a collective over a single rank to its input.
OpFoldResult foldSingleRank(Operation *op, Value input, FlatSymbolRefAttr grid,
                            ArrayRef<int16_t> axes) {
  if (input.getType() != op->getResult(0).getType())
    return {};
  FailureOr<int64_t> size = getGroupSize(op, grid, axes);
  if (failed(size) || *size != 1)
    return {};
  return input;
}

} // namespace

//===----------------------------------------------------------------------===//
// Custom directive: pair lists `[[0, 1], [1, 0]]` stored flat.
//===----------------------------------------------------------------------===//

static ParseResult parsePairList(OpAsmParser &parser,
                                 DenseI64ArrayAttr &pairs) {
  SmallVector<int64_t> flat;
  auto parsePair = [&]() -> ParseResult {
    int64_t source, target;
    if (parser.parseLSquare() || parser.parseInteger(source) ||
        parser.parseComma() || parser.parseInteger(target) ||
        parser.parseRSquare())
      return failure();
    flat.push_back(source);
    flat.push_back(target);
    return success();
  };
  if (parser.parseCommaSeparatedList(OpAsmParser::Delimiter::Square,
                                     parsePair))
    return failure();
  pairs = parser.getBuilder().getDenseI64ArrayAttr(flat);
  return success();
}

static void printPairList(OpAsmPrinter &printer, Operation *,
                          DenseI64ArrayAttr pairs) {
  ArrayRef<int64_t> flat = pairs.asArrayRef();
  printer << "[";
  for (size_t i = 0; i + 1 < flat.size(); i += 2) {
    if (i)
      printer << ", ";
    printer << "[" << flat[i] << ", " << flat[i + 1] << "]";
  }
  printer << "]";
}

#define GET_OP_CLASSES
#include "braid/Dialect/Braid/IR/BraidOps.cpp.inc"

#include "braid/Dialect/Braid/IR/BraidOpInterfaces.cpp.inc"

//===----------------------------------------------------------------------===//
// Collectives
//===----------------------------------------------------------------------===//

// all_reduce

LogicalResult AllReduceOp::verifySymbolUses(SymbolTableCollection &tables) {
  if (failed(verifyGroup(*this, getGridAttr(), getAxes(), tables)))
    return failure();
  return verifyReductionType(*this, getReductionAttr().getValue(),
                             getInput().getType());
}

OpFoldResult AllReduceOp::fold(FoldAdaptor) {
  return foldSingleRank(*this, getInput(), getGridAttr(), getAxes());
}

FailureOr<int64_t> AllReduceOp::getPayloadBytes() {
  return payloadOf(getInput());
}

std::optional<ReductionKind> AllReduceOp::getReductionKind() {
  return getReduction();
}

double AllReduceOp::getBusFactor(int64_t groupSize) {
  return 2.0 * (groupSize - 1) / groupSize;
}

// all_gather

LogicalResult AllGatherOp::verifySymbolUses(SymbolTableCollection &tables) {
  if (failed(verifyDimInRange(*this, "dim", getDim(), getInput().getType())))
    return failure();
  FailureOr<int64_t> size = verifyGroup(*this, getGridAttr(), getAxes(), tables);
  if (failed(size))
    return failure();
  SmallVector<int64_t> expected(getInput().getType().getShape());
  FailureOr<int64_t> gathered =
      mulDimsOrError(*this, expected[getDim()], *size);
  if (failed(gathered))
    return failure();
  int64_t in = expected[getDim()], out = getType().getShape()[getDim()];
  // Over a group of unknown size the result is still a multiple of the input.
  if (ShapedType::isDynamic(*size) && !ShapedType::isDynamic(in) &&
      !ShapedType::isDynamic(out) && in > 0 && (out < in || out % in != 0))
    return emitOpError() << "gathered dimension " << getDim() << " of size "
                         << out << " is not a multiple of the input's " << in;
  expected[getDim()] = *gathered;
  return verifyShape(*this, "result", getType(), expected);
}

OpFoldResult AllGatherOp::fold(FoldAdaptor) {
  return foldSingleRank(*this, getInput(), getGridAttr(), getAxes());
}

FailureOr<int64_t> AllGatherOp::getPayloadBytes() {
  return payloadOf(getResult());
}

double AllGatherOp::getBusFactor(int64_t groupSize) {
  return static_cast<double>(groupSize - 1) / groupSize;
}

// reduce_scatter

LogicalResult
ReduceScatterOp::verifySymbolUses(SymbolTableCollection &tables) {
  RankedTensorType inputType = getInput().getType();
  if (failed(verifyDimInRange(*this, "dim", getDim(), inputType)) ||
      failed(verifyReductionType(*this, getReductionAttr().getValue(),
                                 inputType)))
    return failure();
  FailureOr<int64_t> size = verifyGroup(*this, getGridAttr(), getAxes(), tables);
  if (failed(size))
    return failure();
  SmallVector<int64_t> expected(inputType.getShape());
  int64_t &scattered = expected[getDim()];
  if (!ShapedType::isDynamic(scattered) && !ShapedType::isDynamic(*size)) {
    if (scattered % *size != 0)
      return emitOpError() << "dimension " << getDim() << " of size "
                           << scattered
                           << " does not divide by the group size " << *size
                           << "; pad the input to a multiple first";
    scattered /= *size;
  } else {
    scattered = ShapedType::kDynamic;
  }
  return verifyShape(*this, "result", getType(), expected);
}

OpFoldResult ReduceScatterOp::fold(FoldAdaptor) {
  return foldSingleRank(*this, getInput(), getGridAttr(), getAxes());
}

FailureOr<int64_t> ReduceScatterOp::getPayloadBytes() {
  return payloadOf(getInput());
}

std::optional<ReductionKind> ReduceScatterOp::getReductionKind() {
  return getReduction();
}

double ReduceScatterOp::getBusFactor(int64_t groupSize) {
  return static_cast<double>(groupSize - 1) / groupSize;
}

// all_to_all

LogicalResult AllToAllOp::verifySymbolUses(SymbolTableCollection &tables) {
  RankedTensorType inputType = getInput().getType();
  if (failed(verifyDimInRange(*this, "split_dim", getSplitDim(), inputType)) ||
      failed(verifyDimInRange(*this, "concat_dim", getConcatDim(), inputType)))
    return failure();
  FailureOr<int64_t> size = verifyGroup(*this, getGridAttr(), getAxes(), tables);
  if (failed(size))
    return failure();
  SmallVector<int64_t> expected(inputType.getShape());
  int64_t &split = expected[getSplitDim()];
  if (!ShapedType::isDynamic(split) && !ShapedType::isDynamic(*size)) {
    if (split % *size != 0)
      return emitOpError() << "split dimension " << getSplitDim()
                           << " of size " << split
                           << " does not divide by the group size " << *size;
    split /= *size;
  } else {
    split = ShapedType::kDynamic;
  }
  FailureOr<int64_t> concatenated =
      mulDimsOrError(*this, expected[getConcatDim()], *size);
  if (failed(concatenated))
    return failure();
  expected[getConcatDim()] = *concatenated;
  return verifyShape(*this, "result", getType(), expected);
}

OpFoldResult AllToAllOp::fold(FoldAdaptor) {
  return foldSingleRank(*this, getInput(), getGridAttr(), getAxes());
}

FailureOr<int64_t> AllToAllOp::getPayloadBytes() {
  return payloadOf(getInput());
}

double AllToAllOp::getBusFactor(int64_t groupSize) {
  return static_cast<double>(groupSize - 1) / groupSize;
}

// collective_permute

LogicalResult
CollectivePermuteOp::verifySymbolUses(SymbolTableCollection &tables) {
  if (getPairs().size() % 2 != 0)
    return emitOpError() << "pairs must be [source, target] pairs";
  FailureOr<int64_t> size = verifyGroup(*this, getGridAttr(), getAxes(), tables);
  if (failed(size))
    return failure();
  llvm::SmallSet<int64_t, 8> sources, targets;
  for (size_t i = 0, e = getNumPairs(); i < e; ++i) {
    int64_t source = getSource(i), target = getTarget(i);
    for (int64_t position : {source, target})
      if (position < 0 ||
          (!ShapedType::isDynamic(*size) && position >= *size))
        return emitOpError() << "pair [" << source << ", " << target
                             << "] names position " << position
                             << " outside the group of size " << *size;
    if (!sources.insert(source).second)
      return emitOpError() << "position " << source
                           << " is the source of more than one pair";
    if (!targets.insert(target).second)
      return emitOpError() << "position " << target
                           << " is the target of more than one pair";
  }
  return success();
}

OpFoldResult CollectivePermuteOp::fold(FoldAdaptor) {
  // A single rank that sends to itself keeps its value.
  if (getNumPairs() == 1 && getSource(0) == 0 && getTarget(0) == 0)
    return foldSingleRank(*this, getInput(), getGridAttr(), getAxes());
  return {};
}

FailureOr<int64_t> CollectivePermuteOp::getPayloadBytes() {
  return payloadOf(getInput());
}

double CollectivePermuteOp::getBusFactor(int64_t) { return 1.0; }

// broadcast

LogicalResult BroadcastOp::verifySymbolUses(SymbolTableCollection &tables) {
  FailureOr<int64_t> size = verifyGroup(*this, getGridAttr(), getAxes(), tables);
  if (failed(size))
    return failure();
  if (!ShapedType::isDynamic(*size) && getRoot() >= *size)
    return emitOpError() << "root " << getRoot()
                         << " is outside the group of size " << *size;
  return success();
}

OpFoldResult BroadcastOp::fold(FoldAdaptor) {
  return foldSingleRank(*this, getInput(), getGridAttr(), getAxes());
}

FailureOr<int64_t> BroadcastOp::getPayloadBytes() {
  return payloadOf(getInput());
}

double BroadcastOp::getBusFactor(int64_t) { return 1.0; }

// rank

LogicalResult RankOp::verifySymbolUses(SymbolTableCollection &tables) {
  return verifyGroup(*this, getGridAttr(), getAxes(), tables);
}

OpFoldResult RankOp::fold(FoldAdaptor) {
  FailureOr<int64_t> size = getGroupSize(*this, getGridAttr(), getAxes());
  if (failed(size) || *size != 1)
    return {};
  return IntegerAttr::get(IndexType::get(getContext()), 0);
}

void RankOp::getAsmResultNames(OpAsmSetValueNameFn setNameFn) {
  setNameFn(getResult(), "rank");
}

//===----------------------------------------------------------------------===//
// Async
//===----------------------------------------------------------------------===//

YieldOp StartOp::getYield() {
  return cast<YieldOp>(getBody().front().getTerminator());
}

LogicalResult StartOp::verifyRegions() {
  Block &body = getBody().front();
  if (body.getNumArguments() != 0)
    return emitOpError() << "body takes no arguments; it reads the values "
                            "it needs from above";
  if (!isa<YieldOp>(body.getTerminator()))
    return emitOpError() << "body must end with braid.yield";
  ArrayRef<Type> futureTypes = getFuture().getType().getValueTypes();
  TypeRange yielded = getYield().getValues().getTypes();
  if (yielded.size() != futureTypes.size())
    return emitOpError() << "body yields " << yielded.size()
                         << " values but the future holds "
                         << futureTypes.size();
  for (auto [index, pair] : llvm::enumerate(llvm::zip(yielded, futureTypes)))
    if (std::get<0>(pair) != std::get<1>(pair))
      return emitOpError() << "yielded value #" << index << " has type "
                           << std::get<0>(pair) << " but the future holds "
                           << std::get<1>(pair);
  for (Operation *user : getFuture().getUsers())
    if (!isa<AwaitOp>(user))
      return emitOpError() << "future may only be used by braid.await, but '"
                           << user->getName() << "' uses it";
  return success();
}

namespace {
/// A start whose body only forwards values computed elsewhere does nothing
/// asynchronous: its awaits read those values directly.
struct ForwardTrivialStart : OpRewritePattern<StartOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(StartOp start,
                                PatternRewriter &rewriter) const override {
    Block &body = start.getBody().front();
    if (&body.front() != body.getTerminator())
      return failure();
    ValueRange forwarded = start.getYield().getValues();
    for (Operation *user : llvm::make_early_inc_range(start->getUsers()))
      rewriter.replaceOp(user, forwarded);
    rewriter.eraseOp(start);
    return success();
  }
};
} // namespace

void StartOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                          MLIRContext *context) {
  results.add<ForwardTrivialStart>(context);
}

LogicalResult AwaitOp::inferReturnTypes(
    MLIRContext *, std::optional<Location> location, ValueRange operands,
    DictionaryAttr, OpaqueProperties, RegionRange,
    SmallVectorImpl<Type> &inferredReturnTypes) {
  auto future = dyn_cast<FutureType>(operands.front().getType());
  if (!future)
    return emitOptionalError(location, "operand must be a !braid.future");
  llvm::append_range(inferredReturnTypes, future.getValueTypes());
  return success();
}

//===----------------------------------------------------------------------===//
// Layer-level compute: verifiers
//===----------------------------------------------------------------------===//

namespace {
int64_t lastDim(Type type) { return cast<ShapedType>(type).getShape().back(); }

LogicalResult verifyNormalized(Operation *op, Type input, Type result,
                               APFloat epsilon) {
  if (cast<ShapedType>(input).getRank() == 0)
    return op->emitOpError() << "input must have at least one dimension";
  if (input != result)
    return op->emitOpError() << "result type " << result
                             << " must equal the input type " << input;
  if (!epsilon.isFinite() || epsilon.isNegative())
    return op->emitOpError() << "epsilon must be finite and non-negative";
  return success();
}
} // namespace

LogicalResult RMSNormOp::verify() {
  if (failed(verifyNormalized(*this, getInput().getType(), getType(),
                              getEpsilon())))
    return failure();
  if (failed(verifyShape(*this, "weight", getWeight().getType(),
                         {lastDim(getInput().getType())})))
    return failure();
  return verifyElementType(*this, "weight", getWeight().getType(),
                           getInput().getType().getElementType());
}

LogicalResult LayerNormOp::verify() {
  if (failed(verifyNormalized(*this, getInput().getType(), getType(),
                              getEpsilon())))
    return failure();
  int64_t hidden = lastDim(getInput().getType());
  Type element = getInput().getType().getElementType();
  if (failed(verifyShape(*this, "gamma", getGamma().getType(), {hidden})) ||
      failed(verifyShape(*this, "beta", getBeta().getType(), {hidden})) ||
      failed(verifyElementType(*this, "gamma", getGamma().getType(), element)))
    return failure();
  return verifyElementType(*this, "beta", getBeta().getType(), element);
}

LogicalResult ActivationOp::verify() { return success(); }
LogicalResult SwiGLUOp::verify() { return success(); }

LogicalResult AttentionOp::verify() {
  for (auto [what, type] :
       {std::pair<StringRef, Type>{"query", getQuery().getType()},
        {"key", getKey().getType()},
        {"value", getValue().getType()},
        {"result", getType()}})
    if (failed(verifyRank(*this, what, type, 4)))
      return failure();
  ArrayRef<int64_t> q = getQuery().getType().getShape();
  ArrayRef<int64_t> k = getKey().getType().getShape();
  ArrayRef<int64_t> v = getValue().getType().getShape();
  if (failed(verifyShape(*this, "key", getKey().getType(),
                         {q[0], k[1], k[2], q[3]})) ||
      failed(verifyShape(*this, "value", getValue().getType(),
                         {q[0], k[1], k[2], v[3]})) ||
      failed(verifyShape(*this, "result", getType(), {q[0], q[1], q[2], v[3]})))
    return failure();
  if (k[1] == 0)
    return emitOpError() << "key/value heads must be at least one";
  if (!ShapedType::isDynamic(q[1]) && !ShapedType::isDynamic(k[1]) &&
      q[1] % k[1] != 0)
    return emitOpError() << "query heads (" << q[1]
                         << ") must be a multiple of key/value heads ("
                         << k[1] << ")";
  if (getScale() && !(getScale()->convertToFloat() > 0.0f))
    return emitOpError() << "scale must be positive";
  if (Value mask = getMask()) {
    if (failed(verifyRank(*this, "mask", mask.getType(), 4)))
      return failure();
    ArrayRef<int64_t> m = cast<RankedTensorType>(mask.getType()).getShape();
    SmallVector<int64_t> scores{q[0], q[1], q[2], k[2]};
    for (auto [dim, size, full] : llvm::enumerate(m, scores))
      if (size != 1 && !ShapedType::isDynamic(size) &&
          !ShapedType::isDynamic(full) && size != full)
        return emitOpError()
               << "mask dimension " << dim << " is " << size
               << "; it must be 1 (broadcast) or the scores' " << full
               << " (scores are [B, H, Sq, Skv] = " << formatShape(scores)
               << ")";
  }
  if (failed(verifyElementType(*this, "key", getKey().getType(),
                               getQuery().getType().getElementType())) ||
      failed(verifyElementType(*this, "value", getValue().getType(),
                               getQuery().getType().getElementType())) ||
      failed(verifyElementType(*this, "result", getType(),
                               getQuery().getType().getElementType())))
    return failure();
  return success();
}

double AttentionOp::getEffectiveScale() {
  if (std::optional<APFloat> scale = getScale())
    return scale->convertToDouble();
  return 1.0 / std::sqrt(static_cast<double>(getQuery().getType().getShape()[3]));
}

FailureOr<int64_t> AttentionOp::getNumAttendedPairs() {
  int64_t sq = getQuery().getType().getShape()[2];
  int64_t skv = getKey().getType().getShape()[2];
  if (ShapedType::isDynamic(sq) || ShapedType::isDynamic(skv))
    return failure();
  if (!getCausal())
    return checkedMul(sq, skv);
  // Query i sees min(max(i + skv - sq + 1, 0), skv) keys: the keys seen by
  // the rows with any visible key are lo, lo + 1, ..., skv.
  __int128 lo = std::max<__int128>(__int128(skv) - sq + 1, 1);
  if (lo > skv)
    return 0;
  __int128 pairs = (__int128(skv) * (skv + 1) - (lo - 1) * lo) / 2;
  if (pairs > std::numeric_limits<int64_t>::max())
    return failure();
  return static_cast<int64_t>(pairs);
}

LogicalResult GroupedMatmulOp::verify() {
  if (failed(verifyRank(*this, "lhs", getLhs().getType(), 2)) ||
      failed(verifyRank(*this, "rhs", getRhs().getType(), 3)) ||
      failed(verifyRank(*this, "group_sizes", getGroupSizes().getType(), 1)))
    return failure();
  ArrayRef<int64_t> lhs = getLhs().getType().getShape();
  ArrayRef<int64_t> rhs = getRhs().getType().getShape();
  if (failed(verifyShape(*this, "rhs", getRhs().getType(),
                         {rhs[0], lhs[1], rhs[2]})) ||
      failed(verifyShape(*this, "group_sizes", getGroupSizes().getType(),
                         {rhs[0]})) ||
      failed(verifyShape(*this, "result", getType(), {lhs[0], rhs[2]})))
    return failure();
  return verifyElementType(*this, "rhs", getRhs().getType(),
                           getLhs().getType().getElementType());
}

LogicalResult MoEGateOp::verify() {
  if (failed(verifyRank(*this, "logits", getLogits().getType(), 2)))
    return failure();
  ArrayRef<int64_t> logits = getLogits().getType().getShape();
  int64_t k = getK();
  if (!ShapedType::isDynamic(logits[1]) && k > logits[1])
    return emitOpError() << "k = " << k << " exceeds the number of experts ("
                         << logits[1] << ")";
  if (failed(verifyShape(*this, "weights", getWeights().getType(),
                         {logits[0], k})) ||
      failed(verifyShape(*this, "experts", getExperts().getType(),
                         {logits[0], k})))
    return failure();
  return verifyElementType(*this, "weights", getWeights().getType(),
                           getLogits().getType().getElementType());
}

LogicalResult MoEPermuteOp::verify() {
  if (failed(verifyRank(*this, "input", getInput().getType(), 2)) ||
      failed(verifyRank(*this, "experts", getExperts().getType(), 2)))
    return failure();
  ArrayRef<int64_t> input = getInput().getType().getShape();
  ArrayRef<int64_t> experts = getExperts().getType().getShape();
  FailureOr<int64_t> product = mulDimsOrError(*this, input[0], experts[1]);
  if (failed(product))
    return failure();
  int64_t copies = *product;
  if (failed(verifyShape(*this, "experts", getExperts().getType(),
                         {input[0], experts[1]})) ||
      failed(verifyShape(*this, "permuted", getPermuted().getType(),
                         {copies, input[1]})) ||
      failed(verifyShape(*this, "group_sizes", getGroupSizes().getType(),
                         {getNumExperts()})) ||
      failed(verifyShape(*this, "row_map", getRowMap().getType(), {copies})))
    return failure();
  return verifyElementType(*this, "permuted", getPermuted().getType(),
                           getInput().getType().getElementType());
}

LogicalResult MoEUnpermuteOp::verify() {
  if (failed(verifyRank(*this, "input", getInput().getType(), 2)) ||
      failed(verifyRank(*this, "weights", getWeights().getType(), 2)))
    return failure();
  ArrayRef<int64_t> input = getInput().getType().getShape();
  ArrayRef<int64_t> weights = getWeights().getType().getShape();
  FailureOr<int64_t> product = mulDimsOrError(*this, weights[0], weights[1]);
  if (failed(product))
    return failure();
  int64_t copies = *product;
  if (failed(verifyShape(*this, "input", getInput().getType(),
                         {copies, input[1]})) ||
      failed(verifyShape(*this, "row_map", getRowMap().getType(), {copies})) ||
      failed(verifyShape(*this, "result", getType(), {weights[0], input[1]})))
    return failure();
  return verifyElementType(*this, "result", getType(),
                           getInput().getType().getElementType());
}

namespace {
LogicalResult verifyLastDimSelection(Operation *op, Type input, Type values,
                                     Type indices, int64_t selected) {
  auto inputType = cast<ShapedType>(input);
  if (inputType.getRank() == 0)
    return op->emitOpError() << "input must have at least one dimension";
  SmallVector<int64_t> expected(inputType.getShape());
  expected.back() = selected;
  if (failed(verifyShape(op, "values", values, expected)) ||
      failed(verifyShape(op, "indices", indices, expected)))
    return failure();
  return verifyElementType(op, "values", values, inputType.getElementType());
}
} // namespace

LogicalResult TopKOp::verify() {
  if (getInput().getType().getRank() == 0)
    return emitOpError() << "input must have at least one dimension";
  int64_t size = lastDim(getInput().getType());
  if (!ShapedType::isDynamic(size) && getK() > size)
    return emitOpError() << "k = " << getK()
                         << " exceeds the size of the last dimension ("
                         << size << ")";
  return verifyLastDimSelection(*this, getInput().getType(),
                                getValues().getType(), getIndices().getType(),
                                getK());
}

LogicalResult SortOp::verify() {
  auto inputType = getInput().getType();
  return verifyLastDimSelection(
      *this, inputType, getValues().getType(), getIndices().getType(),
      inputType.getRank() ? inputType.getShape().back() : 0);
}

LogicalResult GatherOp::verify() {
  RankedTensorType source = getSource().getType();
  if (failed(verifyDimInRange(*this, "axis", getAxis(), source)))
    return failure();
  SmallVector<int64_t> expected(source.getShape().take_front(getAxis()));
  llvm::append_range(expected, getIndices().getType().getShape());
  llvm::append_range(expected, source.getShape().drop_front(getAxis() + 1));
  if (failed(verifyShape(*this, "result", getType(), expected)))
    return failure();
  return verifyElementType(*this, "result", getType(),
                           source.getElementType());
}

LogicalResult ScatterOp::verify() {
  RankedTensorType dest = getDest().getType();
  if (failed(verifyDimInRange(*this, "axis", getAxis(), dest)) ||
      failed(verifyRank(*this, "indices", getIndices().getType(), 1)))
    return failure();
  SmallVector<int64_t> expected(dest.getShape());
  expected[getAxis()] = getIndices().getType().getShape()[0];
  if (failed(verifyShape(*this, "updates", getUpdates().getType(), expected)) ||
      failed(verifyElementType(*this, "updates", getUpdates().getType(),
                               dest.getElementType())))
    return failure();
  if (getType() != dest)
    return emitOpError() << "result type " << getType()
                         << " must equal the destination type " << dest;
  if (getKind() == ScatterKind::Add && dest.getElementType().isInteger(1))
    return emitOpError() << "kind 'add' is not defined on i1";
  return success();
}

//===----------------------------------------------------------------------===//
// Producer fusion
//===----------------------------------------------------------------------===//

bool mlir::braid::isContraction(Operation *op) {
  if (isa<GroupedMatmulOp>(op))
    return true;
  auto linalgOp = dyn_cast<linalg::LinalgOp>(op);
  return linalgOp && linalg::isaContractionOpInterface(linalgOp);
}

/// Whether `op` computes each element of its result from the element at the
/// same position of `operand` (and of nothing else along the cut): the
/// producer's output can then be cut into chunks anywhere.
bool mlir::braid::isPositionwiseUse(Operation *op, Value operand) {
  if (op->hasTrait<OpTrait::Elementwise>())
    return llvm::all_of(op->getResultTypes(), [&](Type type) {
      auto shaped = dyn_cast<ShapedType>(type);
      return shaped && shaped.getShape() ==
                           cast<ShapedType>(operand.getType()).getShape();
    });
  auto linalgOp = dyn_cast<linalg::LinalgOp>(op);
  if (!linalgOp || linalgOp.getNumLoops() != linalgOp.getNumParallelLoops() ||
      linalgOp->getNumResults() != 1)
    return false;
  for (OpOperand &use : op->getOpOperands())
    if (use.get() == operand && !linalgOp.getMatchingIndexingMap(&use)
                                     .isIdentity())
      return false;
  return linalgOp.getIndexingMapMatchingResult(linalgOp->getResult(0))
      .isIdentity();
}

YieldOp FusedCollectiveOp::getYield() {
  return cast<YieldOp>(getBody().front().getTerminator());
}

Operation *FusedCollectiveOp::getCollective() {
  auto yield = dyn_cast<YieldOp>(getBody().front().getTerminator());
  if (!yield || yield.getValues().size() != 1)
    return nullptr;
  Operation *def = yield.getValues()[0].getDefiningOp();
  if (!def || def->getBlock() != &getBody().front() ||
      !isa<AllGatherOp, ReduceScatterOp, AllReduceOp>(def))
    return nullptr;
  return def;
}

Operation *FusedCollectiveOp::getContraction() {
  for (Operation &op : getBody().front())
    if (isContraction(&op))
      return &op;
  return nullptr;
}

int64_t FusedCollectiveOp::getCutDim() {
  Operation *collective = getCollective();
  if (auto scatter = dyn_cast_or_null<ReduceScatterOp>(collective))
    return scatter.getDim();
  if (auto gather = dyn_cast_or_null<AllGatherOp>(collective))
    return gather.getDim();
  return 0;
}

LogicalResult FusedCollectiveOp::verifyRegions() {
  Block &body = getBody().front();
  if (body.getNumArguments() != 0)
    return emitOpError() << "body takes no arguments; it reads the values "
                            "it needs from above";
  auto yield = dyn_cast<YieldOp>(body.getTerminator());
  if (!yield || yield.getValues().size() != 1)
    return emitOpError() << "body must end with braid.yield of its "
                            "collective's result";
  if (yield.getValues()[0].getType() != getResult().getType())
    return emitOpError() << "body yields " << yield.getValues()[0].getType()
                         << " but the op's result is " << getResult().getType();
  Operation *collective = getCollective();
  if (!collective)
    return emitOpError() << "body must yield the result of the "
                            "braid.reduce_scatter, braid.all_reduce or "
                            "braid.all_gather it fuses";
  for (Operation &op : body.without_terminator())
    if (&op != collective && isa<CollectiveOpInterface>(op))
      return emitOpError() << "body fuses one collective; '" << op.getName()
                           << "' is a second";

  Value input = collective->getOperand(0);
  Operation *producer = input.getDefiningOp();
  if (!producer || producer->getBlock() != &body)
    return emitOpError() << "the collective's input must be computed in the "
                            "body by the producer";
  if (!input.hasOneUse())
    return emitOpError() << "the producer's result must feed only the "
                            "collective, but it has "
                         << llvm::range_size(input.getUses()) << " uses";
  auto inputType = cast<RankedTensorType>(input.getType());
  if (!inputType.hasStaticShape())
    return emitOpError() << "the producer's result must have a static shape, "
                            "not "
                         << inputType;

  int64_t contractions = 0;
  for (Operation &op : body.without_terminator()) {
    if (&op == collective)
      continue;
    if (!isMemoryEffectFree(&op))
      return emitOpError() << "the producer must be free of side effects; '"
                           << op.getName() << "' is not";
    if (op.getNumRegions() && !isa<linalg::LinalgOp>(op))
      return emitOpError() << "the producer must be one contraction and "
                              "element-wise ops; '"
                           << op.getName() << "' has regions";
    if (isContraction(&op))
      ++contractions;
  }
  if (contractions != 1)
    return emitOpError() << "the producer must hold exactly one contraction "
                            "(linalg.matmul, batch_matmul, contract, a "
                            "matmul-like generic or braid.grouped_matmul), "
                            "found "
                         << contractions;

  // From the contraction to the collective only position-wise ops, so the
  // output can be computed and released chunk by chunk.
  Operation *contraction = getContraction();
  llvm::SmallPtrSet<Value, 8> chain;
  chain.insert(contraction->getResult(0));
  for (Operation *op = contraction->getNextNode(); op && op != collective;
       op = op->getNextNode()) {
    for (Value operand : op->getOperands()) {
      if (!chain.contains(operand))
        continue;
      if (!isPositionwiseUse(op, operand))
        return emitOpError()
               << "'" << op->getName()
               << "' reads the contraction's result but is not element-wise "
                  "on it: the output could not be released chunk by chunk";
      for (Value result : op->getResults())
        chain.insert(result);
    }
  }
  if (!chain.contains(input))
    return emitOpError() << "the collective's input is not computed from the "
                            "contraction (through element-wise ops)";
  if (cast<ShapedType>(contraction->getResult(0).getType()).getShape() !=
      inputType.getShape())
    return emitOpError() << "the collective's input must have the "
                            "contraction's output shape";

  bool reduces = isa<ReduceScatterOp, AllReduceOp>(collective);
  if (reduces && getOrder() != FusionOrder::Ring)
    return emitOpError() << "'" << collective->getName()
                         << "' is fused in ring order (each chunk's partial "
                            "sum travels the ring), not '"
                         << stringifyFusionOrder(getOrder()) << "'";
  if (!reduces && getOrder() != FusionOrder::Arrival)
    return emitOpError() << "an all_gather is fused in arrival order (the "
                            "shard is computed as receivers consume it), not '"
                         << stringifyFusionOrder(getOrder()) << "'";
  if (getTrigger().isTile() && inputType.getRank() < 2)
    return emitOpError() << "a tile trigger needs an output of at least 2 "
                            "dimensions, not "
                         << inputType;
  return success();
}

LogicalResult mlir::braid::checkFusionSchedule(Operation *collective,
                                               TriggerAttr trigger,
                                               FusionOrder order,
                                               int64_t groupSize,
                                               std::string &whyNot) {
  llvm::raw_string_ostream os(whyNot);
  bool reduces = isa<ReduceScatterOp, AllReduceOp>(collective);
  if (reduces && order != FusionOrder::Ring) {
    os << "'" << collective->getName()
       << "' is fused in ring order (each chunk's partial sum travels the "
          "ring), not '"
       << stringifyFusionOrder(order) << "'";
    return failure();
  }
  if (!reduces && order != FusionOrder::Arrival) {
    os << "an all_gather is fused in arrival order (the shard is computed as "
          "receivers consume it), not '"
       << stringifyFusionOrder(order) << "'";
    return failure();
  }
  auto inputType = cast<RankedTensorType>(collective->getOperand(0).getType());
  if (!inputType.hasStaticShape()) {
    os << "the producer's result must have a static shape, not " << inputType;
    return failure();
  }
  int64_t cutDim = 0;
  if (auto scatter = dyn_cast<ReduceScatterOp>(collective))
    cutDim = scatter.getDim();
  else if (auto gather = dyn_cast<AllGatherOp>(collective))
    cutDim = gather.getDim();
  int64_t extent = inputType.getDimSize(cutDim);

  // The chunk a trigger releases, along the cut dimension.
  int64_t chunkExtent = extent;
  if (reduces) {
    if (trigger.isChunk() && trigger.getCount() % groupSize != 0) {
      os << "a ring fuses whole ring steps: count must be a multiple of the "
            "group size "
         << groupSize << ", not " << trigger.getCount();
      return failure();
    }
    int64_t pieces = trigger.isChunk() ? trigger.getCount() : groupSize;
    if (extent % pieces != 0) {
      os << "the " << extent << " entries of dim " << cutDim
         << " do not divide into " << pieces
         << " ring chunks; pad them or leave the collective unfused";
      return failure();
    }
    chunkExtent = extent / groupSize;
  } else if (trigger.isChunk()) {
    if (extent % trigger.getCount() != 0) {
      os << "the shard's " << extent << " entries of dim " << cutDim
         << " do not divide into " << trigger.getCount() << " chunks";
      return failure();
    }
    chunkExtent = extent / trigger.getCount();
  }
  if (trigger.isTile()) {
    int64_t rank = inputType.getRank();
    if (rank < 2) {
      os << "a tile trigger needs an output of at least 2 dimensions, not "
         << inputType;
      return failure();
    }
    int64_t rows = inputType.getDimSize(rank - 2);
    int64_t cols = inputType.getDimSize(rank - 1);
    int64_t tileAlongCut = cutDim == rank - 2   ? trigger.getM()
                           : cutDim == rank - 1 ? trigger.getN()
                                                : 1;
    if (chunkExtent % tileAlongCut != 0) {
      os << "a tile of " << tileAlongCut << " along dim " << cutDim
         << " would straddle two chunks of " << chunkExtent;
      return failure();
    }
    // Tiles of one chunk: its share of the last two dimensions.
    int64_t chunkRows = cutDim == rank - 2 ? chunkExtent : rows;
    int64_t chunkCols = cutDim == rank - 1 ? chunkExtent : cols;
    int64_t batches = 1;
    for (int64_t d = 0; d < rank - 2; ++d)
      batches *= d == cutDim ? chunkExtent : inputType.getDimSize(d);
    int64_t tiles = llvm::divideCeil(chunkRows, trigger.getM()) *
                    llvm::divideCeil(chunkCols, trigger.getN()) * batches;
    if (trigger.getThreshold() > tiles) {
      os << "a threshold of " << trigger.getThreshold()
         << " tiles exceeds the " << tiles << " tiles of a chunk";
      return failure();
    }
  }
  return success();
}

LogicalResult
FusedCollectiveOp::verifySymbolUses(SymbolTableCollection &symbolTable) {
  Operation *collective = getCollective();
  if (!collective)
    return success();
  // A missing grid is the collective's own error.
  FailureOr<int64_t> size =
      cast<CollectiveOpInterface>(collective).getGroupSize(&symbolTable);
  if (failed(size))
    return success();
  std::string whyNot;
  if (failed(checkFusionSchedule(collective, getTrigger(), getOrder(), *size,
                                 whyNot)))
    return emitOpError() << whyNot;
  return success();
}
