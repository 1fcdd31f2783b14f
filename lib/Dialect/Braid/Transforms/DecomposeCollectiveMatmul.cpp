//===- DecomposeCollectiveMatmul.cpp - ring steps for collective matmuls --===//

#include "braid/Dialect/Braid/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"

namespace mlir {
namespace braid {
#define GEN_PASS_DEF_BRAIDDECOMPOSECOLLECTIVEMATMUL
#include "braid/Dialect/Braid/Transforms/Passes.h.inc"
} // namespace braid
} // namespace mlir

using namespace mlir;
using namespace mlir::braid;

namespace {

/// Ring neighbours: position i sends to i + 1.
DenseI64ArrayAttr ringPairs(OpBuilder &b, int64_t size) {
  SmallVector<int64_t> pairs;
  for (int64_t i = 0; i < size; ++i) {
    pairs.push_back(i);
    pairs.push_back((i + 1) % size);
  }
  return b.getDenseI64ArrayAttr(pairs);
}

/// Row offset `((rank - shift) mod size) * rows` as an index value.
Value chunkOffset(OpBuilder &b, Location loc, Value rank, int64_t shift,
                  int64_t size, int64_t rows) {
  // (rank + size - shift mod size) mod size keeps the operands positive.
  int64_t add = ((size - shift) % size + size) % size;
  Value sum = arith::AddIOp::create(
      b, loc, rank, arith::ConstantIndexOp::create(b, loc, add));
  Value chunk = arith::RemUIOp::create(
      b, loc, sum, arith::ConstantIndexOp::create(b, loc, size));
  return arith::MulIOp::create(b, loc, chunk,
                               arith::ConstantIndexOp::create(b, loc, rows));
}

Value rowsAt(OpBuilder &b, Location loc, Value source, Value offset,
             int64_t rows) {
  auto type = cast<RankedTensorType>(source.getType());
  SmallVector<OpFoldResult> offsets{offset}, sizes{b.getIndexAttr(rows)},
      strides(type.getRank(), b.getIndexAttr(1));
  for (int64_t d = 1; d < type.getRank(); ++d) {
    offsets.push_back(b.getIndexAttr(0));
    sizes.push_back(b.getIndexAttr(type.getDimSize(d)));
  }
  return tensor::ExtractSliceOp::create(b, loc, source, offsets, sizes,
                                        strides);
}

Value insertRows(OpBuilder &b, Location loc, Value piece, Value dest,
                 Value offset) {
  auto type = cast<RankedTensorType>(piece.getType());
  SmallVector<OpFoldResult> offsets{offset}, sizes, strides(type.getRank(),
                                                           b.getIndexAttr(1));
  for (int64_t d = 0; d < type.getRank(); ++d) {
    sizes.push_back(b.getIndexAttr(type.getDimSize(d)));
    if (d)
      offsets.push_back(b.getIndexAttr(0));
  }
  return tensor::InsertSliceOp::create(b, loc, piece, dest, offsets, sizes,
                                       strides);
}

/// This rank's position in the group of `op`.
Value groupRank(OpBuilder &b, Location loc, CollectiveOpInterface op) {
  return RankOp::create(b, loc, b.getIndexType(), op.getGridSymbol(),
                        b.getDenseI16ArrayAttr(op.getGroupAxes()));
}

/// A plain 2-D matmul: the only shape the ring rewrites take for now.
bool isPlainMatmul(Operation *op) {
  auto matmul = dyn_cast_or_null<linalg::MatmulOp>(op);
  return matmul && !matmul.hasUserDefinedMaps() &&
         matmul.hasPureTensorSemantics() &&
         cast<ShapedType>(matmul.getResult(0).getType()).hasStaticShape();
}

struct Decomposer {
  int64_t maxSteps;
  bool explain;
  SymbolTableCollection &tables;

  FailureOr<int64_t> groupSize(CollectiveOpInterface op) {
    FailureOr<int64_t> size = op.getGroupSize(&tables);
    if (failed(size) || *size < 2 || *size > maxSteps) {
      if (explain)
        op->emitRemark() << "not decomposed: the group has "
                         << (failed(size) ? std::string("an unknown number of")
                                          : std::to_string(*size))
                         << " ranks (2 to max-steps = " << maxSteps
                         << " are cut)";
      return failure();
    }
    return size;
  }

  /// all_gather(x, 0) -> matmul(gathered, w): P exact ring steps.
  void gatherThenMatmul(AllGatherOp gather) {
    if (gather.getDim() != 0) {
      if (explain)
        gather->emitRemark("not decomposed: only gathers along dim 0 (the "
                           "rows of the matmul) are cut");
      return;
    }
    Operation *user =
        gather->hasOneUse() ? *gather->getUsers().begin() : nullptr;
    if (!isPlainMatmul(user) || user->getOperand(0) != gather.getResult()) {
      if (explain)
        gather->emitRemark("not decomposed: the gathered value is not only "
                           "the left operand of a plain matmul");
      return;
    }
    FailureOr<int64_t> size = groupSize(gather);
    if (failed(size) || !gather.getInput().getType().hasStaticShape())
      return;
    auto matmul = cast<linalg::MatmulOp>(user);
    int64_t rows = gather.getInput().getType().getDimSize(0);
    OpBuilder b(matmul);
    Location loc = matmul.getLoc();
    Value rank = groupRank(b, loc, gather);
    Value init = matmul.getDpsInits()[0];
    Value weight = matmul.getDpsInputs()[1];
    Value shard = gather.getInput();
    Value result = init;
    for (int64_t step = 0; step < *size; ++step) {
      Value offset = chunkOffset(b, loc, rank, step, *size, rows);
      Value part = rowsAt(b, loc, init, offset, rows);
      Operation *piece = mlir::clone(b, matmul, {part.getType()},
                                     {shard, weight, part});
      piece->setAttr(BraidDialect::kRingStepAttrName,
                     b.getDenseI64ArrayAttr({step, *size}));
      result = insertRows(b, loc, piece->getResult(0), result, offset);
      if (step + 1 < *size)
        shard = CollectivePermuteOp::create(
            b, loc, shard.getType(), shard, gather.getGridAttr(),
            gather.getAxesAttr(), ringPairs(b, *size));
    }
    if (explain)
      matmul->emitRemark() << "cut into " << *size
                           << " ring steps with the all_gather (bitwise "
                              "equal: every row block is one full-K GEMM)";
    matmul->getResult(0).replaceAllUsesWith(result);
    matmul->erase();
    gather->erase();
  }

  /// matmul(a, w) -> reduce_scatter(0): T3 ring order.
  void matmulThenScatter(ReduceScatterOp scatter) {
    Operation *producer = scatter.getInput().getDefiningOp();
    if (scatter.getDim() != 0 || scatter.getReduction() != ReductionKind::Sum) {
      if (explain)
        scatter->emitRemark("not decomposed: only sum reductions scattered "
                            "along dim 0 (the rows of the matmul) are cut");
      return;
    }
    if (!isPlainMatmul(producer) || !producer->hasOneUse()) {
      if (explain)
        scatter->emitRemark("not decomposed: the scattered value is not the "
                            "result of a plain matmul used only here");
      return;
    }
    FailureOr<int64_t> size = groupSize(scatter);
    if (failed(size))
      return;
    auto matmul = cast<linalg::MatmulOp>(producer);
    int64_t total = scatter.getInput().getType().getDimSize(0);
    if (total % *size != 0)
      return;
    int64_t rows = total / *size;
    OpBuilder b(scatter);
    Location loc = scatter.getLoc();
    Value rank = groupRank(b, loc, scatter);
    Value lhs = matmul.getDpsInputs()[0];
    Value weight = matmul.getDpsInputs()[1];
    Value init = matmul.getDpsInits()[0];
    Value acc;
    for (int64_t step = 0; step < *size; ++step) {
      // Chunk (r - step - 1) mod P: after P - 1 steps, chunk r.
      Value offset = chunkOffset(b, loc, rank, step + 1, *size, rows);
      Value lhsRows = rowsAt(b, loc, lhs, offset, rows);
      Value initRows = rowsAt(b, loc, init, offset, rows);
      Operation *piece = mlir::clone(b, matmul, {initRows.getType()},
                                     {lhsRows, weight, initRows});
      piece->setAttr(BraidDialect::kRingStepAttrName,
                     b.getDenseI64ArrayAttr({step, *size}));
      Value part = piece->getResult(0);
      if (!acc) {
        acc = part;
        continue;
      }
      Value received = CollectivePermuteOp::create(
          b, loc, acc.getType(), acc, scatter.getGridAttr(),
          scatter.getAxesAttr(), ringPairs(b, *size));
      acc = arith::AddFOp::create(b, loc, received, part);
    }
    if (explain)
      scatter->emitRemark() << "cut into " << *size
                            << " T3 ring steps with its matmul (partial sums "
                               "reassociated across ranks)";
    scatter.getResult().replaceAllUsesWith(acc);
    scatter->erase();
    matmul->erase();
  }
};

struct BraidDecomposeCollectiveMatmulPass
    : braid::impl::BraidDecomposeCollectiveMatmulBase<
          BraidDecomposeCollectiveMatmulPass> {
  using Base::Base;

  void runOnOperation() override {
    SymbolTableCollection tables;
    Decomposer decomposer{maxSteps, isExplainRequested(), tables};
    SmallVector<AllGatherOp> gathers;
    SmallVector<ReduceScatterOp> scatters;
    getOperation().walk([&](Operation *op) {
      if (op->getParentOfType<StartOp>())
        return;
      if (auto gather = dyn_cast<AllGatherOp>(op))
        gathers.push_back(gather);
      if (auto scatter = dyn_cast<ReduceScatterOp>(op))
        scatters.push_back(scatter);
    });
    for (AllGatherOp gather : gathers)
      decomposer.gatherThenMatmul(gather);
    for (ReduceScatterOp scatter : scatters)
      decomposer.matmulThenScatter(scatter);
  }
};

} // namespace
