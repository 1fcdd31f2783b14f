//===- VerifyRingCoverage.cpp - every chunk once, every send received -----===//

#include "braid/Dialect/Braid/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include <map>

namespace mlir {
namespace braid {
#define GEN_PASS_DEF_BRAIDVERIFYRINGCOVERAGE
#include "braid/Dialect/Braid/Transforms/Passes.h.inc"
} // namespace braid
} // namespace mlir

using namespace mlir;
using namespace mlir::braid;

namespace {

/// Evaluates an index computed from braid.rank and constants with the rank
/// at `position`; the RankOp it reads is returned in `rankOp`.
std::optional<int64_t> evaluateAt(Value value, int64_t position,
                                  RankOp &rankOp) {
  Operation *def = value.getDefiningOp();
  if (!def)
    return std::nullopt;
  if (auto rank = dyn_cast<RankOp>(def)) {
    rankOp = rank;
    return position;
  }
  if (auto constant = dyn_cast<arith::ConstantIndexOp>(def))
    return constant.value();
  if (def->getNumOperands() != 2)
    return std::nullopt;
  std::optional<int64_t> a = evaluateAt(def->getOperand(0), position, rankOp);
  std::optional<int64_t> b = evaluateAt(def->getOperand(1), position, rankOp);
  if (!a || !b)
    return std::nullopt;
  if (isa<arith::AddIOp>(def))
    return *a + *b;
  if (isa<arith::SubIOp>(def))
    return *a - *b;
  if (isa<arith::MulIOp>(def))
    return *a * *b;
  if (isa<arith::RemUIOp, arith::RemSIOp>(def) && *b != 0)
    return *a % *b;
  return std::nullopt;
}

/// The first-row offset a ring GEMM works on: the slice its output rows (or,
/// for reduce_scatter pieces, its left operand rows) come from.
Value rowOffsetOf(linalg::MatmulOp piece) {
  for (Value operand : {piece.getDpsInits()[0], piece.getDpsInputs()[0]})
    if (auto slice = operand.getDefiningOp<tensor::ExtractSliceOp>())
      if (!slice.getOffsets().empty())
        return slice.getOffsets().front();
  return nullptr;
}

struct BraidVerifyRingCoveragePass
    : braid::impl::BraidVerifyRingCoverageBase<BraidVerifyRingCoveragePass> {
  void runOnOperation() override {
    SymbolTableCollection tables;
    bool ok = true;
    getOperation().walk([&](CollectivePermuteOp permute) {
      FailureOr<int64_t> size =
          cast<CollectiveOpInterface>(permute.getOperation()).getGroupSize(&tables);
      if (failed(size) || permute.getNumPairs() == 0)
        return;
      // Ring permutes from the decomposition send every position once.
      bool ring = llvm::any_of(permute->getUsers(), [](Operation *user) {
        return user->hasAttr(BraidDialect::kRingStepAttrName);
      });
      if (!ring)
        return;
      llvm::SmallDenseSet<int64_t> targets;
      for (size_t i = 0; i < permute.getNumPairs(); ++i)
        targets.insert(permute.getTarget(i));
      if (static_cast<int64_t>(permute.getNumPairs()) != *size ||
          static_cast<int64_t>(targets.size()) != *size) {
        permute.emitError() << "ring step does not send and receive on every "
                               "one of the "
                            << *size << " ranks";
        ok = false;
      }
    });

    // Ring GEMMs grouped by the rank value their offsets read, in order.
    std::map<Operation *, SmallVector<linalg::MatmulOp>> rings;
    SmallVector<Operation *> order;
    getOperation().walk([&](linalg::MatmulOp piece) {
      if (!piece->hasAttr(BraidDialect::kRingStepAttrName))
        return;
      Value offset = rowOffsetOf(piece);
      RankOp rank;
      if (!offset || !evaluateAt(offset, 0, rank) || !rank) {
        piece.emitError() << "cannot evaluate the rows this ring step works on "
                             "from braid.rank";
        ok = false;
        return;
      }
      auto [it, inserted] = rings.try_emplace(rank.getOperation());
      if (inserted)
        order.push_back(rank.getOperation());
      it->second.push_back(piece);
    });

    for (Operation *rankOp : order) {
      SmallVector<linalg::MatmulOp> &pieces = rings[rankOp];
      auto steps = pieces.front()->getAttrOfType<DenseI64ArrayAttr>(
          BraidDialect::kRingStepAttrName)[1];
      if (static_cast<int64_t>(pieces.size()) != steps) {
        pieces.front().emitError()
            << "ring of " << steps << " steps has " << pieces.size()
            << " GEMMs";
        ok = false;
        continue;
      }
      int64_t rows = cast<ShapedType>(pieces.front().getResult(0).getType())
                         .getDimSize(0);
      for (int64_t position = 0; position < steps && ok; ++position) {
        std::map<int64_t, linalg::MatmulOp> seen;
        for (linalg::MatmulOp piece : pieces) {
          RankOp rank;
          int64_t offset = *evaluateAt(rowOffsetOf(piece), position, rank);
          int64_t chunk = rows ? offset / rows : -1;
          if (offset % rows != 0 || chunk < 0 || chunk >= steps) {
            piece.emitError() << "rank " << position << " works on rows "
                              << offset << ", not a chunk of " << rows
                              << " rows among " << steps;
            ok = false;
            break;
          }
          auto [it, fresh] = seen.try_emplace(chunk, piece);
          if (!fresh) {
            InFlightDiagnostic diag = piece.emitError()
                                      << "rank " << position
                                      << " works on chunk " << chunk
                                      << " twice";
            diag.attachNote(it->second.getLoc()) << "first here";
            ok = false;
            break;
          }
        }
      }
    }
    if (!ok)
      signalPassFailure();
  }
};

} // namespace
