//===- DecomposeCollectiveMatmul.cpp - ring steps for collective matmuls --===//
//
// all_gather -> matmuls, matmul chain -> reduce_scatter and matmul chain ->
// all_reduce, cut into ring steps (or row chunks). The rewrites are public
// functions driven by a #braid.decomposition plan (Transforms.h); the pass
// plans with the timing model (PlanCollectiveMatmul.cpp), records the plan
// on the collective, then applies it. See the pass description in
// Passes.td and docs/Overlap.md.
//
//===----------------------------------------------------------------------===//

#include "braid/Analysis/Target.h"
#include "braid/Analysis/TimingModel.h"
#include "braid/Dialect/Braid/Transforms/Passes.h"
#include "braid/Dialect/Braid/Transforms/Transforms.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/Support/FormatVariadic.h"

namespace mlir {
namespace braid {
#define GEN_PASS_DEF_BRAIDDECOMPOSECOLLECTIVEMATMUL
#include "braid/Dialect/Braid/Transforms/Passes.h.inc"
} // namespace braid
} // namespace mlir

using namespace mlir;
using namespace mlir::braid;

namespace {

//===----------------------------------------------------------------------===//
// IR building blocks
//===----------------------------------------------------------------------===//

/// Every position sends to the next one (`shift` = 1) or the previous one
/// (`shift` = -1) in the group.
DenseI64ArrayAttr ringPairs(OpBuilder &b, int64_t size, int64_t shift) {
  SmallVector<int64_t> pairs;
  for (int64_t i = 0; i < size; ++i) {
    pairs.push_back(i);
    pairs.push_back(((i + shift) % size + size) % size);
  }
  return b.getDenseI64ArrayAttr(pairs);
}

/// Offset `((rank - shift) mod size) * extent` as an index value.
Value chunkOffset(OpBuilder &b, Location loc, Value rank, int64_t shift,
                  int64_t size, int64_t extent) {
  // (rank + (-shift mod size)) mod size keeps the operands non-negative.
  int64_t add = ((-shift) % size + size) % size;
  Value sum = arith::AddIOp::create(
      b, loc, rank, arith::ConstantIndexOp::create(b, loc, add));
  Value chunk = arith::RemUIOp::create(
      b, loc, sum, arith::ConstantIndexOp::create(b, loc, size));
  return arith::MulIOp::create(b, loc, chunk,
                               arith::ConstantIndexOp::create(b, loc, extent));
}

/// `extent` entries of `source` from `offset` along `dim`, all of the others.
Value sliceAlong(OpBuilder &b, Location loc, Value source, int64_t dim,
                 OpFoldResult offset, int64_t extent) {
  auto type = cast<RankedTensorType>(source.getType());
  SmallVector<OpFoldResult> offsets, sizes,
      strides(type.getRank(), b.getIndexAttr(1));
  for (int64_t d = 0; d < type.getRank(); ++d) {
    offsets.push_back(d == dim ? offset : b.getIndexAttr(0));
    sizes.push_back(b.getIndexAttr(d == dim ? extent : type.getDimSize(d)));
  }
  return tensor::ExtractSliceOp::create(b, loc, source, offsets, sizes,
                                        strides);
}

Value insertRows(OpBuilder &b, Location loc, Value piece, Value dest,
                 OpFoldResult offset) {
  auto type = cast<RankedTensorType>(piece.getType());
  SmallVector<OpFoldResult> offsets{offset}, sizes,
      strides(type.getRank(), b.getIndexAttr(1));
  for (int64_t d = 0; d < type.getRank(); ++d) {
    sizes.push_back(b.getIndexAttr(type.getDimSize(d)));
    if (d)
      offsets.push_back(b.getIndexAttr(0));
  }
  return tensor::InsertSliceOp::create(b, loc, piece, dest, offsets, sizes,
                                       strides);
}

/// `value` with `rows` more rows of `padding` at the end.
Value padRows(OpBuilder &b, Location loc, Value value, int64_t rows,
              TypedAttr padding) {
  auto type = cast<RankedTensorType>(value.getType());
  SmallVector<int64_t> shape(type.getShape());
  shape[0] += rows;
  SmallVector<OpFoldResult> low(type.getRank(), b.getIndexAttr(0)),
      high(type.getRank(), b.getIndexAttr(0));
  high[0] = b.getIndexAttr(rows);
  Value pad = arith::ConstantOp::create(b, loc, padding);
  return tensor::PadOp::create(b, loc, type.clone(shape), value, low, high,
                               pad);
}

/// This rank's position in the group of `op`.
Value groupRank(OpBuilder &b, Location loc, CollectiveOpInterface op) {
  return RankOp::create(b, loc, b.getIndexType(), op.getGridSymbol(),
                        b.getDenseI16ArrayAttr(op.getGroupAxes()));
}

Value ringPermute(OpBuilder &b, Location loc, Value value,
                  CollectiveOpInterface group, int64_t size, int64_t shift) {
  auto gridAttr = group.getGridSymbol();
  return CollectivePermuteOp::create(
      b, loc, value.getType(), value, gridAttr,
      b.getDenseI16ArrayAttr(group.getGroupAxes()),
      ringPairs(b, size, shift));
}

/// A plain 2-D matmul on static tensors: the shape the rewrites take.
linalg::MatmulOp asPlainMatmul(Operation *op) {
  auto matmul = dyn_cast_or_null<linalg::MatmulOp>(op);
  if (!matmul || matmul.hasUserDefinedMaps() ||
      !matmul.hasPureTensorSemantics())
    return nullptr;
  for (Value operand : matmul->getOperands())
    if (!cast<ShapedType>(operand.getType()).hasStaticShape())
      return nullptr;
  return matmul;
}

/// Matmuls accumulating into one another, innermost (whose init is not such
/// a matmul) first: `dX = dU·Wuᵀ + (dG·Wgᵀ + 0)` in backward dgrad.
SmallVector<linalg::MatmulOp> accumulationChain(linalg::MatmulOp last) {
  SmallVector<linalg::MatmulOp> chain{last};
  while (true) {
    Value init = chain.back().getDpsInits()[0];
    linalg::MatmulOp inner = asPlainMatmul(init.getDefiningOp());
    if (!inner || !init.hasOneUse())
      break;
    chain.push_back(inner);
  }
  std::reverse(chain.begin(), chain.end());
  return chain;
}

/// The rows [offset, offset + rows) of the chain's result: the base init's
/// rows, then each matmul's rows of its left operand times its right.
Value chainRows(OpBuilder &b, Location loc, ArrayRef<linalg::MatmulOp> chain,
                ArrayRef<Value> lhsOf, Value baseInit, OpFoldResult offset,
                int64_t rows, ArrayRef<int64_t> rings, int64_t step,
                int64_t steps) {
  Value acc = sliceAlong(b, loc, baseInit, 0, offset, rows);
  for (auto [i, constMatmul] : llvm::enumerate(chain)) {
    linalg::MatmulOp matmul = constMatmul;
    Value lhs = sliceAlong(b, loc, lhsOf[i], 0, offset, rows);
    Operation *piece =
        mlir::clone(b, matmul, {acc.getType()},
                    {lhs, matmul.getDpsInputs()[1], acc});
    piece->setAttr(BraidDialect::kRingStepAttrName,
                   b.getDenseI64ArrayAttr({rings[i], step, steps}));
    acc = piece->getResult(0);
  }
  return acc;
}

/// Whether `value` is available before `point`, or can be by moving its
/// side-effect-free producers there (appended to `hoist`, producers first).
bool collectHoistable(Value value, Operation *point,
                      SmallVectorImpl<Operation *> &hoist, int depth = 0) {
  Operation *def = value.getDefiningOp();
  if (!def || def->getBlock() != point->getBlock() ||
      def->isBeforeInBlock(point) || llvm::is_contained(hoist, def))
    return true;
  if (depth > 4 || (def->getNumRegions() > 0 && !isa<linalg::FillOp>(def)) ||
      !isMemoryEffectFree(def))
    return false;
  for (Value operand : def->getOperands())
    if (!collectHoistable(operand, point, hoist, depth + 1))
      return false;
  hoist.push_back(def);
  return true;
}

/// The op that combines two partial results of `kind`.
Value combine(OpBuilder &b, Location loc, ReductionKind kind, Value lhs,
              Value rhs) {
  switch (kind) {
  case ReductionKind::Max:
    return arith::MaximumFOp::create(b, loc, lhs, rhs);
  case ReductionKind::Min:
    return arith::MinimumFOp::create(b, loc, lhs, rhs);
  default:
    return arith::AddFOp::create(b, loc, lhs, rhs);
  }
}

/// The reduction's identity, used to pad rows that do not divide.
TypedAttr identityOf(OpBuilder &b, ReductionKind kind, FloatType type) {
  const llvm::fltSemantics &semantics = type.getFloatSemantics();
  switch (kind) {
  case ReductionKind::Max:
    return b.getFloatAttr(type, APFloat::getInf(semantics, /*Negative=*/true));
  case ReductionKind::Min:
    return b.getFloatAttr(type, APFloat::getInf(semantics));
  default:
    return b.getFloatAttr(type, APFloat::getZero(semantics));
  }
}

/// Whether `value` is a fill with zero (padded as a larger fill, not a pad).
bool isZeroFill(Value value) {
  auto fill = value.getDefiningOp<linalg::FillOp>();
  if (!fill)
    return false;
  Attribute constant;
  return matchPattern(fill.getInputs()[0], m_Constant(&constant)) &&
         ((isa<FloatAttr>(constant) && cast<FloatAttr>(constant).getValue().isPosZero()) ||
          (isa<IntegerAttr>(constant) && cast<IntegerAttr>(constant).getValue().isZero()));
}

bool isCombinable(ReductionKind kind) {
  return kind == ReductionKind::Sum || kind == ReductionKind::Max ||
         kind == ReductionKind::Min;
}

/// The plain matmul producing `value` (floating point, used only by the
/// collective), or null.
linalg::MatmulOp soleMatmulProducer(Value value) {
  linalg::MatmulOp producer = asPlainMatmul(value.getDefiningOp());
  if (!producer || !producer->hasOneUse() ||
      !isa<FloatType>(getElementTypeOrSelf(value.getType())))
    return nullptr;
  return producer;
}

/// The epilogue between `value` and the matmul producing it, and that
/// matmul's result (or `value` itself when there is none).
std::pair<RowEpilogue, Value> peelRowEpilogue(Value value) {
  RowEpilogue epilogue;
  if (auto expand = value.getDefiningOp<tensor::ExpandShapeOp>()) {
    ArrayRef<ReassociationIndices> groups = expand.getReassociationIndices();
    bool rowsOnly = expand.getSrcType().getRank() == 2 &&
                    groups.size() == 2 && groups[1].size() == 1 &&
                    expand.getSrc().hasOneUse();
    if (rowsOnly) {
      epilogue.expand = expand;
      value = expand.getSrc();
    }
  }
  if (auto trunc = value.getDefiningOp<arith::TruncFOp>())
    if (trunc.getIn().hasOneUse() && trunc->hasOneUse()) {
      epilogue.trunc = trunc;
      value = trunc.getIn();
    }
  return {epilogue, value};
}

FloatType wireTypeOf(DecompositionPlanAttr plan, Type accumulator) {
  return plan.getWire() ? cast<FloatType>(plan.getWire())
                        : cast<FloatType>(accumulator);
}

/// The first of `match`'s all_gather users in the block.
Operation *firstGatherUser(const CollectiveMatmulMatch &match) {
  Operation *first = nullptr;
  for (ArrayRef<linalg::MatmulOp> users :
       {ArrayRef(match.rowUsers), ArrayRef(match.contractionUsers)})
    for (linalg::MatmulOp matmul : users)
      if (!first || matmul->isBeforeInBlock(first))
        first = matmul;
  return first;
}

/// The side-effect-free producers of the gather users' other operands that
/// must move up to where the ring starts, or failure.
FailureOr<SmallVector<Operation *>>
gatherOperandsToHoist(const CollectiveMatmulMatch &match) {
  Operation *first = firstGatherUser(match);
  SmallVector<Operation *> toHoist;
  Value gathered = match.collective->getResult(0);
  for (Operation *user : gathered.getUsers())
    for (Value operand : user->getOperands())
      if (operand != gathered && !collectHoistable(operand, first, toHoist))
        return failure();
  return toHoist;
}


} // namespace

//===----------------------------------------------------------------------===//
// Matching
//===----------------------------------------------------------------------===//

static LogicalResult declined(std::string &whyNot, const Twine &reason) {
  whyNot = ("not decomposed: " + reason).str();
  return failure();
}

/// The group size when the rewrite takes it.
static FailureOr<int64_t> groupSizeOf(Operation *op,
                                      SymbolTableCollection &tables,
                                      int64_t maxSteps, std::string &whyNot) {
  FailureOr<int64_t> size =
      cast<CollectiveOpInterface>(op).getGroupSize(&tables);
  if (failed(size) || *size < 2 || *size > maxSteps) {
    (void)declined(whyNot,
                   llvm::formatv("the group has {0} ranks (2 to max-steps "
                                 "= {1} are cut)",
                                 failed(size) ? std::string("an unknown number of")
                                              : std::to_string(*size),
                                 maxSteps));
    return failure();
  }
  return *size;
}

static FailureOr<CollectiveMatmulMatch>
matchAllGather(AllGatherOp gather, SymbolTableCollection &tables,
               int64_t maxSteps, std::string &whyNot) {
  CollectiveMatmulMatch match;
  match.collective = gather;
  if (gather.getDim() != 0) {
    (void)declined(whyNot, "only gathers along dim 0 (the rows of the "
                           "matmul, or the K of a wgrad matmul) are cut");
    return failure();
  }
  // Each user multiplies the gathered rows (M cut, exact) or contracts
  // over them (K cut, as in wgrad).
  for (Operation *user : gather->getUsers()) {
    linalg::MatmulOp matmul = asPlainMatmul(user);
    Value lhs = matmul ? matmul.getDpsInputs()[0] : Value();
    Value rhs = matmul ? matmul.getDpsInputs()[1] : Value();
    bool notInit = matmul && matmul.getDpsInits()[0] != gather.getResult();
    if (notInit && lhs == gather.getResult() && rhs != gather.getResult()) {
      match.rowUsers.push_back(matmul);
    } else if (notInit && rhs == gather.getResult() &&
               lhs != gather.getResult()) {
      match.contractionUsers.push_back(matmul);
    } else {
      (void)declined(whyNot, "the gathered value is used by something other "
                             "than plain matmuls (as their left or right "
                             "operand)");
      return failure();
    }
  }
  // An unused gather has nothing to overlap with: no remark.
  if (match.rowUsers.empty() && match.contractionUsers.empty())
    return failure();
  if (!gather.getInput().getType().hasStaticShape()) {
    (void)declined(whyNot, "the gathered shard has a dynamic shape");
    return failure();
  }
  FailureOr<int64_t> size = groupSizeOf(gather, tables, maxSteps, whyNot);
  if (failed(size))
    return failure();
  match.groupSize = *size;
  if (failed(gatherOperandsToHoist(match))) {
    (void)declined(whyNot, "an operand of a later matmul is computed, with "
                           "side effects or from values not yet available, "
                           "after the first one");
    return failure();
  }
  return match;
}

static FailureOr<CollectiveMatmulMatch>
matchReduceScatter(ReduceScatterOp scatter, SymbolTableCollection &tables,
                   int64_t maxSteps, std::string &whyNot) {
  CollectiveMatmulMatch match;
  match.collective = scatter;
  if (scatter.getDim() != 0 || !isCombinable(scatter.getReduction())) {
    (void)declined(whyNot, "only sum, max or min reductions scattered along "
                           "dim 0 (the rows of the matmul) are cut");
    return failure();
  }
  linalg::MatmulOp producer = soleMatmulProducer(scatter.getInput());
  if (!producer) {
    (void)declined(whyNot, "the scattered value is not the floating-point "
                           "result of a plain matmul used only here");
    return failure();
  }
  FailureOr<int64_t> size = groupSizeOf(scatter, tables, maxSteps, whyNot);
  if (failed(size))
    return failure();
  match.groupSize = *size;
  match.chain = accumulationChain(producer);
  match.reducedType = scatter.getInput().getType();
  return match;
}

static FailureOr<CollectiveMatmulMatch>
matchAllReduce(AllReduceOp reduce, SymbolTableCollection &tables,
               int64_t maxSteps, std::string &whyNot) {
  CollectiveMatmulMatch match;
  match.collective = reduce;
  auto [epilogue, matmulResult] = peelRowEpilogue(reduce.getInput());
  // Rows of the reduced tensor in its 2-D (matmul) form, in the reduced
  // element type.
  auto type = dyn_cast<RankedTensorType>(
      epilogue.expand ? epilogue.expand.getSrcType()
                      : reduce.getInput().getType());
  linalg::MatmulOp producer = soleMatmulProducer(matmulResult);
  if (!type || type.getRank() != 2 || !producer ||
      !isCombinable(reduce.getReduction())) {
    (void)declined(whyNot, "the all-reduced value is not the floating-point "
                           "result of a plain matmul used only here "
                           "(possibly truncated and its rows reshaped), "
                           "reduced by sum, max or min");
    return failure();
  }
  FailureOr<int64_t> size = groupSizeOf(reduce, tables, maxSteps, whyNot);
  if (failed(size))
    return failure();
  match.groupSize = *size;
  match.chain = accumulationChain(producer);
  match.epilogue = epilogue;
  match.reducedType = type;
  return match;
}

FailureOr<CollectiveMatmulMatch>
mlir::braid::matchCollectiveMatmul(Operation *collective,
                                   SymbolTableCollection &tables,
                                   int64_t maxSteps, std::string &whyNot) {
  whyNot.clear();
  if (auto gather = dyn_cast<AllGatherOp>(collective))
    return matchAllGather(gather, tables, maxSteps, whyNot);
  if (auto scatter = dyn_cast<ReduceScatterOp>(collective))
    return matchReduceScatter(scatter, tables, maxSteps, whyNot);
  if (auto reduce = dyn_cast<AllReduceOp>(collective))
    return matchAllReduce(reduce, tables, maxSteps, whyNot);
  return failure();
}

RingNumbering::RingNumbering(Operation *scope) {
  scope->walk([&](linalg::MatmulOp matmul) {
    if (auto tag = matmul->getAttrOfType<DenseI64ArrayAttr>(
            BraidDialect::kRingStepAttrName))
      nextRing = std::max(nextRing, tag[0] + 1);
  });
}

LogicalResult mlir::braid::checkPlanFits(const CollectiveMatmulMatch &match,
                                         DecompositionPlanAttr plan,
                                         std::string &whyNot) {
  Operation *op = match.collective;
  DecompositionForm form = plan.getForm();
  if (form == DecompositionForm::Chunks) {
    if (!isa<AllReduceOp>(op)) {
      whyNot = "a chunked decomposition applies to braid.all_reduce only";
      return failure();
    }
    int64_t rows = match.reducedType.getDimSize(0);
    if (plan.getCount() > rows) {
      whyNot = llvm::formatv("{0} chunks of {1} rows asked for",
                             plan.getCount(), rows);
      return failure();
    }
    return success();
  }
  if (plan.getCount() != match.groupSize) {
    whyNot = llvm::formatv("a ring takes one step per rank of the group: "
                           "count = {0}, not {1}",
                           match.groupSize, plan.getCount());
    return failure();
  }
  if (form == DecompositionForm::BidirectionalRing && !isa<AllGatherOp>(op)) {
    whyNot = "a bidirectional ring applies to braid.all_gather only";
    return failure();
  }
  if (isa<AllReduceOp>(op) && match.epilogue) {
    whyNot = "the ring reduces the matmul's own partial sums, but this "
             "all_reduce sums them after a truncation (the chunked form "
             "keeps it)";
    return failure();
  }
  return success();
}

//===----------------------------------------------------------------------===//
// all_gather -> matmuls
//===----------------------------------------------------------------------===//

static CollectiveMatmulDecomposition
decomposeAllGather(RewriterBase &rewriter, const CollectiveMatmulMatch &match,
                   bool bidirectional, RingNumbering &ringIds) {
  auto gather = cast<AllGatherOp>(match.collective);
  int64_t size = match.groupSize;
  int64_t rows = gather.getInput().getType().getDimSize(0);
  Operation *first = firstGatherUser(match);
  // Every operand of every user must exist where the ring starts: side
  // effect free producers defined later (accumulator fills) move up.
  for (Operation *op : *gatherOperandsToHoist(match))
    rewriter.moveOpBefore(op, first);

  CollectiveMatmulDecomposition made;
  OpBuilder::InsertionGuard guard(rewriter);
  rewriter.setInsertionPoint(first);
  OpBuilder &b = rewriter;
  Location loc = gather.getLoc();
  auto group = cast<CollectiveOpInterface>(gather.getOperation());
  Value rank = groupRank(b, loc, group);
  SmallVector<int64_t> rowRings, contractionRings;
  for (size_t i = 0; i < match.rowUsers.size(); ++i)
    rowRings.push_back(ringIds.next());
  for (size_t i = 0; i < match.contractionUsers.size(); ++i)
    contractionRings.push_back(ringIds.next());
  SmallVector<Value> rowResults, sums;
  for (linalg::MatmulOp matmul : match.rowUsers)
    rowResults.push_back(matmul.getDpsInits()[0]);
  for (linalg::MatmulOp matmul : match.contractionUsers)
    sums.push_back(matmul.getDpsInits()[0]);

  // The shards in hand, with the chunk (rank - shift) each holds.
  int64_t step = 0;
  auto multiply = [&](Value shard, int64_t shift) {
    for (auto [i, constMatmul] : llvm::enumerate(match.rowUsers)) {
      linalg::MatmulOp matmul = constMatmul;
      Value offset = chunkOffset(b, loc, rank, shift, size, rows);
      // Rows not yet written still hold the init's: slicing the running
      // result keeps one buffer, written in place, once bufferized.
      Value part = sliceAlong(b, loc, rowResults[i], 0, offset, rows);
      Operation *piece =
          mlir::clone(b, matmul, {part.getType()},
                      {shard, matmul.getDpsInputs()[1], part});
      piece->setAttr(BraidDialect::kRingStepAttrName,
                     b.getDenseI64ArrayAttr({rowRings[i], step, size}));
      made.pieces.push_back(piece);
      rowResults[i] =
          insertRows(b, loc, piece->getResult(0), rowResults[i], offset);
    }
    for (auto [i, constMatmul] : llvm::enumerate(match.contractionUsers)) {
      linalg::MatmulOp matmul = constMatmul;
      Value offset = chunkOffset(b, loc, rank, shift, size, rows);
      Value lhs = sliceAlong(b, loc, matmul.getDpsInputs()[0], 1, offset, rows);
      Operation *piece = mlir::clone(b, matmul, {sums[i].getType()},
                                     {lhs, shard, sums[i]});
      piece->setAttr(BraidDialect::kRingStepAttrName,
                     b.getDenseI64ArrayAttr({contractionRings[i], step, size}));
      made.pieces.push_back(piece);
      sums[i] = piece->getResult(0);
    }
    ++step;
  };
  auto pass = [&](Value shard, int64_t shift) {
    Value moved = ringPermute(b, loc, shard, group, size, shift);
    made.transfers.push_back(moved.getDefiningOp());
    return moved;
  };

  Value forward = gather.getInput(), backward = gather.getInput();
  multiply(forward, 0);
  if (!bidirectional) {
    for (int64_t s = 1; s < size; ++s) {
      forward = pass(forward, 1);
      multiply(forward, s);
    }
  } else {
    // Step s brings chunk r - s from behind and r + s from ahead; for even
    // P the last chunk, r + P/2, comes from one side only.
    for (int64_t s = 1; 2 * s <= size; ++s) {
      forward = pass(forward, 1);
      if (2 * s == size) {
        multiply(forward, s);
        break;
      }
      backward = pass(backward, -1);
      multiply(forward, s);
      multiply(backward, -s);
    }
  }

  for (auto [matmul, result] : llvm::zip(match.rowUsers, rowResults))
    rewriter.replaceOp(matmul, result);
  for (auto [matmul, sum] : llvm::zip(match.contractionUsers, sums))
    rewriter.replaceOp(matmul, sum);
  rewriter.eraseOp(gather);
  return made;
}

//===----------------------------------------------------------------------===//
// matmul chain -> reduce_scatter / all_reduce
//===----------------------------------------------------------------------===//

/// The T3 ring over the (padded) rows of `chain`: this rank's reduced
/// chunk, in the accumulator type.
static Value reduceScatterRing(OpBuilder &b, Location loc,
                               CollectiveOpInterface group,
                               ArrayRef<linalg::MatmulOp> chain,
                               ArrayRef<Value> lhsOf, Value baseInit,
                               ReductionKind kind, int64_t size, int64_t rows,
                               FloatType wire, RingNumbering &ringIds,
                               CollectiveMatmulDecomposition &made) {
  Value rank = groupRank(b, loc, group);
  SmallVector<int64_t> rings;
  for (size_t i = 0; i < chain.size(); ++i)
    rings.push_back(ringIds.next());
  auto collectPieces = [&](Value acc) {
    // chainRows builds slice, then one piece per matmul of the chain.
    for (Operation *op = acc.getDefiningOp();
         op && op->hasAttr(BraidDialect::kRingStepAttrName);
         op = op->getOperand(2).getDefiningOp())
      made.pieces.push_back(op);
  };
  Value acc;
  for (int64_t step = 0; step < size; ++step) {
    // Chunk (r - step - 1) mod P: after P - 1 steps, chunk r.
    Value offset = chunkOffset(b, loc, rank, step + 1, size, rows);
    if (!acc) {
      acc = chainRows(b, loc, chain, lhsOf, baseInit, offset, rows, rings,
                      step, size);
      collectPieces(acc);
      continue;
    }
    Value sent = acc;
    auto partType = cast<RankedTensorType>(acc.getType());
    if (wire != partType.getElementType())
      sent = arith::TruncFOp::create(b, loc, partType.clone(wire), acc);
    Value received = ringPermute(b, loc, sent, group, size, 1);
    made.transfers.push_back(received.getDefiningOp());
    if (wire != partType.getElementType())
      received = arith::ExtFOp::create(b, loc, partType, received);
    Value part = chainRows(b, loc, chain, lhsOf, baseInit, offset, rows,
                           rings, step, size);
    collectPieces(part);
    acc = combine(b, loc, kind, received, part);
  }
  return acc;
}

static CollectiveMatmulDecomposition
decomposeReduceScatter(RewriterBase &rewriter,
                       const CollectiveMatmulMatch &match,
                       DecompositionPlanAttr plan, RingNumbering &ringIds) {
  auto scatter = cast<ReduceScatterOp>(match.collective);
  CollectiveMatmulDecomposition made;
  OpBuilder::InsertionGuard guard(rewriter);
  rewriter.setInsertionPoint(scatter);
  SmallVector<Value> lhsOf;
  for (linalg::MatmulOp matmul : match.chain)
    lhsOf.push_back(matmul.getDpsInputs()[0]);
  int64_t rows = match.reducedType.getDimSize(0) / match.groupSize;
  Value reduced = reduceScatterRing(
      rewriter, scatter.getLoc(),
      cast<CollectiveOpInterface>(scatter.getOperation()), match.chain, lhsOf,
      linalg::MatmulOp(match.chain.front()).getDpsInits()[0],
      scatter.getReduction(),
      match.groupSize, rows,
      wireTypeOf(plan, match.reducedType.getElementType()), ringIds, made);
  rewriter.replaceOp(scatter, reduced);
  for (linalg::MatmulOp matmul : llvm::reverse(match.chain))
    rewriter.eraseOp(matmul);
  return made;
}

static CollectiveMatmulDecomposition
decomposeAllReduce(RewriterBase &rewriter, const CollectiveMatmulMatch &match,
                   DecompositionPlanAttr plan, RingNumbering &ringIds) {
  auto reduce = cast<AllReduceOp>(match.collective);
  RankedTensorType type = match.reducedType;
  RowEpilogue epilogue = match.epilogue;
  ArrayRef<linalg::MatmulOp> chain = match.chain;
  int64_t size = match.groupSize;
  int64_t total = type.getDimSize(0);
  CollectiveMatmulDecomposition made;
  OpBuilder::InsertionGuard guard(rewriter);
  rewriter.setInsertionPoint(reduce);
  OpBuilder &b = rewriter;
  Location loc = reduce.getLoc();
  auto group = cast<CollectiveOpInterface>(reduce.getOperation());
  Value baseInit = linalg::MatmulOp(chain.front()).getDpsInits()[0];
  SmallVector<Value> lhsOf;
  for (linalg::MatmulOp matmul : chain)
    lhsOf.push_back(matmul.getDpsInputs()[0]);
  Value result;
  if (plan.getForm() == DecompositionForm::Ring) {
    int64_t rows = (total + size - 1) / size;
    int64_t padded = rows * size;
    if (padded != total) {
      // Padded rows of the operands give rows nobody reads: sliced off
      // after the gather.
      if (isZeroFill(baseInit)) {
        // A larger zero fill keeps the epilogue accumulation.
        auto fill = baseInit.getDefiningOp<linalg::FillOp>();
        SmallVector<int64_t> shape(type.getShape());
        shape[0] = padded;
        Value empty =
            tensor::EmptyOp::create(b, loc, shape, type.getElementType());
        baseInit = linalg::FillOp::create(b, loc, fill.getInputs()[0], empty)
                       .getResult(0);
      } else {
        baseInit = padRows(
            b, loc, baseInit, padded - total,
            identityOf(b, reduce.getReduction(),
                       cast<FloatType>(type.getElementType())));
      }
      for (Value &lhs : lhsOf) {
        Type element = getElementTypeOrSelf(lhs.getType());
        lhs = padRows(b, loc, lhs, padded - total, b.getZeroAttr(element));
      }
    }
    Value mine = reduceScatterRing(
        b, loc, group, chain, lhsOf, baseInit, reduce.getReduction(), size,
        rows, wireTypeOf(plan, type.getElementType()), ringIds, made);
    auto gathered = AllGatherOp::create(
        b, loc, cast<RankedTensorType>(baseInit.getType()), mine,
        group.getGridSymbol(),
        b.getDenseI16ArrayAttr(group.getGroupAxes()), b.getI64IntegerAttr(0));
    made.transfers.push_back(gathered);
    result = padded == total ? gathered.getResult()
                             : sliceAlong(b, loc, gathered, 0,
                                          b.getIndexAttr(0), total);
  } else {
    int64_t chunks = plan.getCount();
    SmallVector<int64_t> rings;
    for (size_t i = 0; i < chain.size(); ++i)
      rings.push_back(ringIds.next());
    int64_t chunkRows = (total + chunks - 1) / chunks;
    result = tensor::EmptyOp::create(b, loc, type.getShape(),
                                     type.getElementType());
    int64_t step = 0;
    for (int64_t offset = 0; offset < total; offset += chunkRows, ++step) {
      int64_t extent = std::min(chunkRows, total - offset);
      Value part = chainRows(b, loc, chain, lhsOf, baseInit,
                             b.getIndexAttr(offset), extent, rings, step,
                             chunks);
      for (Operation *op = part.getDefiningOp();
           op && op->hasAttr(BraidDialect::kRingStepAttrName);
           op = op->getOperand(2).getDefiningOp())
        made.pieces.push_back(op);
      if (epilogue.trunc)
        part = arith::TruncFOp::create(
            b, loc,
            cast<RankedTensorType>(part.getType())
                .clone(type.getElementType()),
            part);
      auto partReduced = AllReduceOp::create(
          b, loc, part.getType(), part, reduce.getGridAttr(),
          reduce.getAxesAttr(), reduce.getReductionAttr());
      made.transfers.push_back(partReduced);
      result = insertRows(b, loc, partReduced, result, b.getIndexAttr(offset));
    }
    if (epilogue.expand)
      result = mlir::clone(b, epilogue.expand, {epilogue.expand.getType()},
                           {result})
                   ->getResult(0);
  }
  rewriter.replaceOp(reduce, result);
  if (epilogue.expand)
    rewriter.eraseOp(epilogue.expand);
  if (epilogue.trunc)
    rewriter.eraseOp(epilogue.trunc);
  for (linalg::MatmulOp matmul : llvm::reverse(chain))
    rewriter.eraseOp(matmul);
  return made;
}

FailureOr<CollectiveMatmulDecomposition>
mlir::braid::decomposeCollectiveMatmul(RewriterBase &rewriter,
                                       const CollectiveMatmulMatch &match,
                                       DecompositionPlanAttr plan,
                                       RingNumbering &rings) {
  std::string whyNot;
  if (failed(checkPlanFits(match, plan, whyNot)))
    return rewriter.notifyMatchFailure(match.collective, whyNot);
  if (isa<AllGatherOp>(match.collective))
    return decomposeAllGather(
        rewriter, match,
        plan.getForm() == DecompositionForm::BidirectionalRing, rings);
  if (isa<ReduceScatterOp>(match.collective))
    return decomposeReduceScatter(rewriter, match, plan, rings);
  return decomposeAllReduce(rewriter, match, plan, rings);
}

//===----------------------------------------------------------------------===//
// The pass: plan, record, apply
//===----------------------------------------------------------------------===//

namespace {

struct BraidDecomposeCollectiveMatmulPass
    : braid::impl::BraidDecomposeCollectiveMatmulBase<
          BraidDecomposeCollectiveMatmulPass> {
  using Base::Base;

  void runOnOperation() override {
    FunctionOpInterface function = getOperation();
    if (maxSteps < 2) {
      function.emitError() << "max-steps must be at least 2";
      return signalPassFailure();
    }
    if (chunks == 1 || chunks < 0) {
      function.emitError() << "chunks must be 0 (from the cost model) or at "
                              "least 2, not "
                           << chunks;
      return signalPassFailure();
    }
    FailureOr<CostModel> model = getTargetCostModel(function);
    if (failed(model))
      return signalPassFailure();
    // A forced run that cuts nothing must still say why, collective by
    // collective.
    bool report = explain || isExplainRequested() || force;
    auto remark = [&](Operation *op, const Twine &message) {
      if (report)
        op->emitRemark(message);
    };
    DecompositionOptions options;
    options.maxSteps = maxSteps;
    options.bidirectional = bidirectional;
    options.allReduce = allReduce;
    options.chunks = chunks;
    options.wireType = wireType;
    const std::string &profile = model->profile().name;
    double minGain = model->profile().minGain;

    SmallVector<Operation *> collectives;
    function->walk([&](CollectiveOpInterface collective) {
      Operation *op = collective;
      if (op->getParentOfType<FusedCollectiveOp>())
        remark(op, "not decomposed: it is fused with its producer "
                   "(braid.fused_collective)");
      else if (op->getParentOfType<StartOp>())
        remark(op, "not decomposed: it is asynchronous already (inside "
                   "braid.start); decomposition runs before "
                   "braid-convert-to-async");
      else if (isa<AllGatherOp, ReduceScatterOp, AllReduceOp>(op))
        collectives.push_back(op);
      else
        remark(op, llvm::formatv("not decomposed: {0} has no "
                                 "collective-matmul form (all_gather, "
                                 "reduce_scatter and all_reduce do)",
                                 op->getName()));
    });

    // Plan every collective on the program as written, then apply: a plan
    // is an attribute, so a hand-written one is applied as it is.
    SymbolTableCollection tables;
    const HardwareProfile &hw = model->profile();
    ComputeWindows windows(*model, tables,
                           std::max<int64_t>(1, hw.numSMs - hw.commSMs));
    SmallVector<std::pair<Operation *, DecompositionPlanAttr>> planned;
    bool failedPlan = false;
    for (Operation *op : collectives) {
      std::string whyNot;
      FailureOr<CollectiveMatmulMatch> match =
          matchCollectiveMatmul(op, tables, maxSteps, whyNot);
      auto given = op->getAttrOfType<DecompositionPlanAttr>(
          BraidDialect::kDecompositionAttrName);
      if (failed(match)) {
        if (given) {
          op->emitError() << "cannot apply " << given << ": " << whyNot;
          failedPlan = true;
        } else if (!whyNot.empty()) {
          remark(op, whyNot);
        } else if (force) {
          remark(op, "not decomposed: nothing uses the gathered value");
        }
        continue;
      }
      if (given) {
        if (failed(checkPlanFits(*match, given, whyNot))) {
          op->emitError() << "cannot apply " << given << ": " << whyNot;
          failedPlan = true;
          continue;
        }
        remark(op, llvm::formatv("cut as its plan says: {0}", given));
        planned.push_back({op, given});
        continue;
      }
      DecompositionDecision decision = planCollectiveMatmul(
          *match, *model, tables, options, windows.around(op));
      if (!decision.plan) {
        remark(op, "not decomposed: " + decision.whyNot);
        continue;
      }
      if (decision.pays(minGain)) {
        remark(op, llvm::formatv("cut into {0}: {1} instead of {2} on {3} "
                                 "({4})",
                                 decision.what, formatMicros(decision.cut),
                                 formatMicros(decision.original), profile,
                                 decision.detail));
      } else if (force) {
        remark(op, llvm::formatv("cut into {0} because of force: the cost "
                                 "model predicts {1}, not less than {2} as "
                                 "written on {3} ({4})",
                                 decision.what, formatMicros(decision.cut),
                                 formatMicros(decision.original), profile,
                                 decision.detail));
      } else {
        remark(op, llvm::formatv("not decomposed: cutting does not pay on "
                                 "{0}: {1} as {2}, {3} as written, less "
                                 "than {5}% saved ({4})",
                                 profile, formatMicros(decision.cut),
                                 decision.what,
                                 formatMicros(decision.original),
                                 decision.detail, minGain * 100));
        continue;
      }
      op->setAttr(BraidDialect::kDecompositionAttrName, decision.plan);
      planned.push_back({op, decision.plan});
    }
    if (failedPlan)
      return signalPassFailure();
    if (planOnly)
      return;

    // Each collective is matched again: an earlier cut may have replaced
    // the matmul it reads (all_gather -> matmul -> reduce_scatter).
    RingNumbering rings(function);
    IRRewriter rewriter(function.getContext());
    for (auto [op, plan] : planned) {
      std::string whyNot;
      FailureOr<CollectiveMatmulMatch> match =
          matchCollectiveMatmul(op, tables, maxSteps, whyNot);
      if (failed(match)) {
        remark(op, whyNot + " (after an earlier cut)");
        op->removeAttr(BraidDialect::kDecompositionAttrName);
        continue;
      }
      if (failed(decomposeCollectiveMatmul(rewriter, *match, plan, rings))) {
        op->emitError() << "cannot apply " << plan;
        return signalPassFailure();
      }
    }
  }
};

} // namespace
