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
#include "mlir/Interfaces/TilingInterface.h"

using namespace mlir;
using namespace mlir::braid;

namespace {

Value extractTile(OpBuilder &b, Location loc, Value source,
                  ArrayRef<OpFoldResult> offsets, ArrayRef<OpFoldResult> sizes) {
  SmallVector<OpFoldResult> strides(offsets.size(), b.getIndexAttr(1));
  return tensor::ExtractSliceOp::create(b, loc, source, offsets, sizes, strides);
}

/// Offsets and sizes covering `value` whole except for the leading
/// `leading.size()` dimensions, which take the given tile.
void tileLeadingDims(OpBuilder &b, Value value, ArrayRef<OpFoldResult> offsets,
                     ArrayRef<OpFoldResult> sizes,
                     SmallVectorImpl<OpFoldResult> &valueOffsets,
                     SmallVectorImpl<OpFoldResult> &valueSizes) {
  auto type = cast<RankedTensorType>(value.getType());
  valueOffsets.assign(offsets.begin(), offsets.end());
  valueSizes.assign(sizes.begin(), sizes.end());
  for (int64_t dim = offsets.size(); dim < type.getRank(); ++dim) {
    valueOffsets.push_back(b.getIndexAttr(0));
    valueSizes.push_back(
        tensor::getMixedSize(b, value.getLoc(), value, dim));
  }
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
    tileLeadingDims(b, op->getResult(resultNumber), offsets, sizes,
                    resultOffsets, resultSizes);
    return success();
  }

  FailureOr<TilingResult>
  generateResultTileValue(Operation *op, OpBuilder &b, unsigned resultNumber,
                          ArrayRef<OpFoldResult> offsets,
                          ArrayRef<OpFoldResult> sizes) const {
    return getTiledImplementation(op, b, offsets.take_front(numTiledDims(op)),
                                  sizes.take_front(numTiledDims(op)));
  }
};

OpFoldResult scaleIndex(OpBuilder &b, Location loc, OpFoldResult value,
                        int64_t factor) {
  AffineExpr d0 = b.getAffineDimExpr(0);
  return affine::makeComposedFoldedAffineApply(b, loc, d0 * factor, {value});
}

/// Attention tiles over batch and KV heads; a tile of `t` KV heads carries
/// the `t * (H / Hkv)` query heads that read them.
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

    auto resultType = attention.getType();
    SmallVector<int64_t> shape(resultType.getShape());
    auto queryShape = cast<RankedTensorType>(query.getType()).getShape();
    shape[0] = queryShape[0];
    shape[1] = queryShape[1];
    Operation *tiled = mlir::clone(b, op, {resultType.clone(shape)},
                                   {query, key, value});
    return TilingResult{
        {tiled},
        SmallVector<Value>(tiled->getResults()),
        {query.getDefiningOp(), key.getDefiningOp(), value.getDefiningOp()}};
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
    tileLeadingDims(b, attention.getResult(), qHeadOffsets, qHeadSizes,
                    resultOffsets, resultSizes);
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
    Value result = op->getResult(0);
    resultOffsets = {b.getIndexAttr(0), offsets[0]};
    resultSizes = {tensor::getMixedSize(b, op->getLoc(), result, 0), sizes[0]};
    return success();
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
  });
}
