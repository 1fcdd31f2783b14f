//===- TilingInterfaceImpl.cpp - TilingInterface for braid compute ops ----===//
//
// Braid's layer ops tile only along dimensions where a tile is an independent
// instance of the same op: rows of a normalisation or selection (the last
// dimension is reduced over and stays whole), every dimension of an
// element-wise op, batch and KV-head groups of attention, output columns of a
// grouped matmul. Tiling a reduced dimension would change the result.
//
//===----------------------------------------------------------------------===//

#include "braid/Dialect/Braid/IR/BraidDialect.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Utils/StructuredOpsUtils.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/TilingInterface.h"

using namespace mlir;
using namespace mlir::braid;

namespace {

Value extractTile(OpBuilder &b, Location loc, Value source,
                  ArrayRef<OpFoldResult> offsets, ArrayRef<OpFoldResult> sizes) {
  SmallVector<OpFoldResult> strides(offsets.size(), b.getIndexAttr(1));
  return tensor::ExtractSliceOp::create(b, loc, source, offsets, sizes, strides);
}

/// Offsets and sizes covering a tensor of `fullSizes` whole except for the
/// leading `offsets.size()` dimensions, which take the given tile.
void tileLeadingDims(OpBuilder &b, ArrayRef<OpFoldResult> fullSizes,
                     ArrayRef<OpFoldResult> offsets,
                     ArrayRef<OpFoldResult> sizes,
                     SmallVectorImpl<OpFoldResult> &valueOffsets,
                     SmallVectorImpl<OpFoldResult> &valueSizes) {
  valueOffsets.assign(offsets.begin(), offsets.end());
  valueSizes.assign(sizes.begin(), sizes.end());
  for (size_t dim = offsets.size(); dim < fullSizes.size(); ++dim) {
    valueOffsets.push_back(b.getIndexAttr(0));
    valueSizes.push_back(fullSizes[dim]);
  }
}

/// The same for an operand, whose sizes can be read where the op stands.
void tileLeadingDims(OpBuilder &b, Value operand,
                     ArrayRef<OpFoldResult> offsets,
                     ArrayRef<OpFoldResult> sizes,
                     SmallVectorImpl<OpFoldResult> &valueOffsets,
                     SmallVectorImpl<OpFoldResult> &valueSizes) {
  tileLeadingDims(b, tensor::getMixedSizes(b, operand.getLoc(), operand),
                  offsets, sizes, valueOffsets, valueSizes);
}

/// Sizes of result `resultNumber` computed from the op's operands: the
/// result itself is replaced by the tiled loop and must not be read.
FailureOr<SmallVector<OpFoldResult>>
resultSizesOf(OpBuilder &b, Operation *op, unsigned resultNumber) {
  ReifiedRankedShapedTypeDims reified;
  if (failed(reifyResultShapes(b, op, reified)))
    return failure();
  return reified[resultNumber];
}

SmallVector<Range> domainOfLeadingDims(OpBuilder &b, Value value,
                                       int64_t numDims) {
  SmallVector<Range> domain;
  for (int64_t dim = 0; dim < numDims; ++dim)
    domain.push_back(Range{b.getIndexAttr(0),
                           tensor::getMixedSize(b, value.getLoc(), value, dim),
                           b.getIndexAttr(1)});
  return domain;
}

/// Ops whose iteration domain is the leading dimensions of their first
/// operand (all but the trailing `kUntiledTrailingDims`). Operands of the
/// first operand's rank are tiled along those dimensions; lower-rank operands
/// (weights over the last dimension) are used whole.
template <typename OpTy, int64_t kUntiledTrailingDims>
struct RowwiseTilingModel
    : TilingInterface::ExternalModel<
          RowwiseTilingModel<OpTy, kUntiledTrailingDims>, OpTy> {
  static int64_t numTiledDims(Operation *op) {
    return cast<ShapedType>(op->getOperand(0).getType()).getRank() -
           kUntiledTrailingDims;
  }

  SmallVector<utils::IteratorType> getLoopIteratorTypes(Operation *op) const {
    return SmallVector<utils::IteratorType>(numTiledDims(op),
                                            utils::IteratorType::parallel);
  }

  SmallVector<Range> getIterationDomain(Operation *op, OpBuilder &b) const {
    return domainOfLeadingDims(b, op->getOperand(0), numTiledDims(op));
  }

  FailureOr<TilingResult>
  getTiledImplementation(Operation *op, OpBuilder &b,
                         ArrayRef<OpFoldResult> offsets,
                         ArrayRef<OpFoldResult> sizes) const {
    Location loc = op->getLoc();
    int64_t rank = cast<ShapedType>(op->getOperand(0).getType()).getRank();
    SmallVector<Value> operands;
    SmallVector<Operation *> slices;
    for (Value operand : op->getOperands()) {
      if (cast<ShapedType>(operand.getType()).getRank() != rank) {
        operands.push_back(operand);
        continue;
      }
      SmallVector<OpFoldResult> tileOffsets, tileSizes;
      tileLeadingDims(b, operand, offsets, sizes, tileOffsets, tileSizes);
      Value tile = extractTile(b, loc, operand, tileOffsets, tileSizes);
      operands.push_back(tile);
      slices.push_back(tile.getDefiningOp());
    }
    SmallVector<Type> resultTypes;
    for (Value result : op->getResults()) {
      auto type = cast<RankedTensorType>(result.getType());
      SmallVector<int64_t> shape(type.getShape());
      for (auto [dim, size] : llvm::enumerate(sizes)) {
        std::optional<int64_t> constant = getConstantIntValue(size);
        shape[dim] = constant ? *constant : ShapedType::kDynamic;
      }
      resultTypes.push_back(type.clone(shape));
    }
    Operation *tiled = mlir::clone(b, op, resultTypes, operands);
    return TilingResult{{tiled}, SmallVector<Value>(tiled->getResults()),
                        slices};
  }

  LogicalResult
  getResultTilePosition(Operation *op, OpBuilder &b, unsigned resultNumber,
                        ArrayRef<OpFoldResult> offsets,
                        ArrayRef<OpFoldResult> sizes,
                        SmallVector<OpFoldResult> &resultOffsets,
                        SmallVector<OpFoldResult> &resultSizes) const {
    FailureOr<SmallVector<OpFoldResult>> full =
        resultSizesOf(b, op, resultNumber);
    if (failed(full))
      return failure();
    tileLeadingDims(b, *full, offsets, sizes, resultOffsets, resultSizes);
    return success();
  }

  /// For fusion: the tile of result `resultNumber` at `offsets`/`sizes`,
  /// which may cut only the tiled dimensions (the rest must be whole).
  FailureOr<TilingResult>
  generateResultTileValue(Operation *op, OpBuilder &b, unsigned resultNumber,
                          ArrayRef<OpFoldResult> offsets,
                          ArrayRef<OpFoldResult> sizes) const {
    int64_t tiled = numTiledDims(op);
    auto resultType = cast<RankedTensorType>(op->getResult(resultNumber).getType());
    for (int64_t dim = tiled; dim < resultType.getRank(); ++dim) {
      std::optional<int64_t> offset = getConstantIntValue(offsets[dim]);
      std::optional<int64_t> size = getConstantIntValue(sizes[dim]);
      if (!offset || *offset != 0 || !size ||
          *size != resultType.getDimSize(dim))
        return failure();
    }
    FailureOr<TilingResult> result = getTiledImplementation(
        op, b, offsets.take_front(tiled), sizes.take_front(tiled));
    if (failed(result))
      return failure();
    result->tiledValues = {result->tiledValues[resultNumber]};
    return result;
  }
};

OpFoldResult scaleIndex(OpBuilder &b, Location loc, OpFoldResult value,
                        int64_t factor) {
  AffineExpr d0 = b.getAffineDimExpr(0);
  return affine::makeComposedFoldedAffineApply(b, loc, d0 * factor, {value});
}

/// Attention tiles over batch and KV heads; a tile of `t` KV heads carries
/// the `t * (H / Hkv)` query heads that read them, and the mask rows of
/// those batches and query heads.
struct AttentionTilingModel
    : TilingInterface::ExternalModel<AttentionTilingModel, AttentionOp> {
  SmallVector<utils::IteratorType> getLoopIteratorTypes(Operation *) const {
    return {utils::IteratorType::parallel, utils::IteratorType::parallel};
  }

  SmallVector<Range> getIterationDomain(Operation *op, OpBuilder &b) const {
    auto attention = cast<AttentionOp>(op);
    SmallVector<Range> domain =
        domainOfLeadingDims(b, attention.getQuery(), 1);
    domain.push_back(Range{b.getIndexAttr(0),
                           tensor::getMixedSize(b, op->getLoc(),
                                                attention.getKey(), 1),
                           b.getIndexAttr(1)});
    return domain;
  }

  static int64_t queryHeadsPerKVHead(AttentionOp op) {
    return op.getQuery().getType().getShape()[1] /
           op.getKey().getType().getShape()[1];
  }

  /// Offsets/sizes over [B, H] of the query and result for a [B, Hkv] tile.
  static void queryTile(OpBuilder &b, AttentionOp op,
                        ArrayRef<OpFoldResult> offsets,
                        ArrayRef<OpFoldResult> sizes,
                        SmallVectorImpl<OpFoldResult> &qOffsets,
                        SmallVectorImpl<OpFoldResult> &qSizes) {
    int64_t group = queryHeadsPerKVHead(op);
    qOffsets.assign({offsets[0], scaleIndex(b, op.getLoc(), offsets[1], group)});
    qSizes.assign({sizes[0], scaleIndex(b, op.getLoc(), sizes[1], group)});
  }

  FailureOr<TilingResult>
  getTiledImplementation(Operation *op, OpBuilder &b,
                         ArrayRef<OpFoldResult> offsets,
                         ArrayRef<OpFoldResult> sizes) const {
    auto attention = cast<AttentionOp>(op);
    if (!attention.getQuery().getType().hasStaticShape() ||
        !attention.getKey().getType().hasStaticShape())
      return op->emitOpError("tiling attention needs static head counts");
    Location loc = op->getLoc();
    SmallVector<OpFoldResult> qHeadOffsets, qHeadSizes;
    queryTile(b, attention, offsets, sizes, qHeadOffsets, qHeadSizes);
    SmallVector<OpFoldResult> tileOffsets, tileSizes;
    tileLeadingDims(b, attention.getQuery(), qHeadOffsets, qHeadSizes,
                    tileOffsets, tileSizes);
    Value query = extractTile(b, loc, attention.getQuery(), tileOffsets, tileSizes);
    tileLeadingDims(b, attention.getKey(), offsets, sizes, tileOffsets, tileSizes);
    Value key = extractTile(b, loc, attention.getKey(), tileOffsets, tileSizes);
    tileLeadingDims(b, attention.getValue(), offsets, sizes, tileOffsets,
                    tileSizes);
    Value value = extractTile(b, loc, attention.getValue(), tileOffsets, tileSizes);
    SmallVector<Value> operands{query, key, value};
    SmallVector<Operation *> slices{query.getDefiningOp(), key.getDefiningOp(),
                                    value.getDefiningOp()};
    if (Value mask = attention.getMask()) {
      // The mask's batch and head dims follow the query's tile, except
      // where it broadcasts (size 1): every tile reads that one slice.
      SmallVector<OpFoldResult> maskOffsets(qHeadOffsets),
          maskSizes(qHeadSizes);
      auto maskType = cast<RankedTensorType>(mask.getType());
      for (int64_t dim : {0, 1})
        if (maskType.getDimSize(dim) == 1) {
          maskOffsets[dim] = b.getIndexAttr(0);
          maskSizes[dim] = b.getIndexAttr(1);
        }
      tileLeadingDims(b, mask, maskOffsets, maskSizes, tileOffsets, tileSizes);
      operands.push_back(extractTile(b, loc, mask, tileOffsets, tileSizes));
      slices.push_back(operands.back().getDefiningOp());
    }

    auto resultType = attention.getType();
    SmallVector<int64_t> shape(resultType.getShape());
    auto queryShape = cast<RankedTensorType>(query.getType()).getShape();
    shape[0] = queryShape[0];
    shape[1] = queryShape[1];
    Operation *tiled = mlir::clone(b, op, {resultType.clone(shape)}, operands);
    return TilingResult{
        {tiled}, SmallVector<Value>(tiled->getResults()), slices};
  }

  LogicalResult
  getResultTilePosition(Operation *op, OpBuilder &b, unsigned,
                        ArrayRef<OpFoldResult> offsets,
                        ArrayRef<OpFoldResult> sizes,
                        SmallVector<OpFoldResult> &resultOffsets,
                        SmallVector<OpFoldResult> &resultSizes) const {
    auto attention = cast<AttentionOp>(op);
    SmallVector<OpFoldResult> qHeadOffsets, qHeadSizes;
    queryTile(b, attention, offsets, sizes, qHeadOffsets, qHeadSizes);
    FailureOr<SmallVector<OpFoldResult>> full =
        resultSizesOf(b, op, 0);
    if (failed(full))
      return failure();
    tileLeadingDims(b, *full, qHeadOffsets, qHeadSizes, resultOffsets,
                    resultSizes);
    return success();
  }
};

/// A grouped matmul tiles over its output columns: every tile needs all rows
/// and the group sizes, and the matching columns of every expert's weight.
struct GroupedMatmulTilingModel
    : TilingInterface::ExternalModel<GroupedMatmulTilingModel,
                                     GroupedMatmulOp> {
  SmallVector<utils::IteratorType> getLoopIteratorTypes(Operation *) const {
    return {utils::IteratorType::parallel};
  }

  SmallVector<Range> getIterationDomain(Operation *op, OpBuilder &b) const {
    Value rhs = cast<GroupedMatmulOp>(op).getRhs();
    return {Range{b.getIndexAttr(0), tensor::getMixedSize(b, op->getLoc(), rhs, 2),
                  b.getIndexAttr(1)}};
  }

  FailureOr<TilingResult>
  getTiledImplementation(Operation *op, OpBuilder &b,
                         ArrayRef<OpFoldResult> offsets,
                         ArrayRef<OpFoldResult> sizes) const {
    auto matmul = cast<GroupedMatmulOp>(op);
    Location loc = op->getLoc();
    Value rhs = matmul.getRhs();
    Value rhsTile = extractTile(
        b, loc, rhs, {b.getIndexAttr(0), b.getIndexAttr(0), offsets[0]},
        {tensor::getMixedSize(b, loc, rhs, 0),
         tensor::getMixedSize(b, loc, rhs, 1), sizes[0]});
    SmallVector<int64_t> shape(matmul.getType().getShape());
    std::optional<int64_t> columns = getConstantIntValue(sizes[0]);
    shape[1] = columns ? *columns : ShapedType::kDynamic;
    Operation *tiled =
        mlir::clone(b, op, {matmul.getType().clone(shape)},
                    {matmul.getLhs(), rhsTile, matmul.getGroupSizes()});
    return TilingResult{{tiled},
                        SmallVector<Value>(tiled->getResults()),
                        {rhsTile.getDefiningOp()}};
  }

  LogicalResult
  getResultTilePosition(Operation *op, OpBuilder &b, unsigned,
                        ArrayRef<OpFoldResult> offsets,
                        ArrayRef<OpFoldResult> sizes,
                        SmallVector<OpFoldResult> &resultOffsets,
                        SmallVector<OpFoldResult> &resultSizes) const {
    Value lhs = cast<GroupedMatmulOp>(op).getLhs();
    resultOffsets = {b.getIndexAttr(0), offsets[0]};
    resultSizes = {tensor::getMixedSize(b, op->getLoc(), lhs, 0), sizes[0]};
    return success();
  }
};

/// Result sizes of braid's compute ops from their operands, so tiling drivers
/// can build destinations for dynamic shapes. Dimension `d` of a result comes
/// from `sourceOf(op, result, d)` = (operand, dim) unless it is static.
template <typename OpTy>
struct ReifyFromOperandsModel
    : ReifyRankedShapedTypeOpInterface::ExternalModel<
          ReifyFromOperandsModel<OpTy>, OpTy> {
  LogicalResult
  reifyResultShapes(Operation *op, OpBuilder &b,
                    ReifiedRankedShapedTypeDims &reified) const {
    // The sizes read the op's operands, which are available right before it.
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPoint(op);
    for (OpResult result : op->getResults()) {
      auto type = cast<RankedTensorType>(result.getType());
      SmallVector<OpFoldResult> sizes;
      for (int64_t dim = 0; dim < type.getRank(); ++dim) {
        if (!type.isDynamicDim(dim)) {
          sizes.push_back(b.getIndexAttr(type.getDimSize(dim)));
          continue;
        }
        auto [operand, operandDim] =
            sourceOf(cast<OpTy>(op), result.getResultNumber(), dim);
        sizes.push_back(
            tensor::getMixedSize(b, op->getLoc(), operand, operandDim));
      }
      reified.push_back(sizes);
    }
    return success();
  }

  static std::pair<Value, int64_t> sourceOf(OpTy op, unsigned, int64_t dim) {
    if constexpr (std::is_same_v<OpTy, AttentionOp>)
      return dim == 3 ? std::pair<Value, int64_t>{op.getValue(), 3}
                      : std::pair<Value, int64_t>{op.getQuery(), dim};
    else if constexpr (std::is_same_v<OpTy, GroupedMatmulOp>)
      return dim == 1 ? std::pair<Value, int64_t>{op.getRhs(), 2}
                      : std::pair<Value, int64_t>{op.getLhs(), 0};
    else
      // Row-wise and element-wise ops keep the first operand's shape (a
      // dynamic last dimension of topk is k, which is static).
      return {op->getOperand(0), dim};
  }
};

} // namespace

void mlir::braid::registerTilingInterfaceExternalModels(
    DialectRegistry &registry) {
  registry.addExtension(+[](MLIRContext *ctx, BraidDialect *) {
    ctx->loadDialect<affine::AffineDialect>();
    RMSNormOp::attachInterface<RowwiseTilingModel<RMSNormOp, 1>>(*ctx);
    LayerNormOp::attachInterface<RowwiseTilingModel<LayerNormOp, 1>>(*ctx);
    TopKOp::attachInterface<RowwiseTilingModel<TopKOp, 1>>(*ctx);
    SortOp::attachInterface<RowwiseTilingModel<SortOp, 1>>(*ctx);
    ActivationOp::attachInterface<RowwiseTilingModel<ActivationOp, 0>>(*ctx);
    SwiGLUOp::attachInterface<RowwiseTilingModel<SwiGLUOp, 0>>(*ctx);
    AttentionOp::attachInterface<AttentionTilingModel>(*ctx);
    GroupedMatmulOp::attachInterface<GroupedMatmulTilingModel>(*ctx);
    RMSNormOp::attachInterface<ReifyFromOperandsModel<RMSNormOp>>(*ctx);
    LayerNormOp::attachInterface<ReifyFromOperandsModel<LayerNormOp>>(*ctx);
    TopKOp::attachInterface<ReifyFromOperandsModel<TopKOp>>(*ctx);
    SortOp::attachInterface<ReifyFromOperandsModel<SortOp>>(*ctx);
    ActivationOp::attachInterface<ReifyFromOperandsModel<ActivationOp>>(*ctx);
    SwiGLUOp::attachInterface<ReifyFromOperandsModel<SwiGLUOp>>(*ctx);
    AttentionOp::attachInterface<ReifyFromOperandsModel<AttentionOp>>(*ctx);
    GroupedMatmulOp::attachInterface<
        ReifyFromOperandsModel<GroupedMatmulOp>>(*ctx);
  });
}
