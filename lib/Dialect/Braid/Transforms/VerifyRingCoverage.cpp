//===- VerifyRingCoverage.cpp - every chunk once, every send received -----===//

#include "braid/Dialect/Braid/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"

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

std::optional<int64_t> evaluateAt(Value value, int64_t position,
                                  RankOp &rankOp);

/// A static offset, or the value of a dynamic one at `position`.
std::optional<int64_t> evaluateAt(OpFoldResult offset, int64_t position,
                                  RankOp &rankOp) {
  if (auto value = dyn_cast<Value>(offset))
    return evaluateAt(value, position, rankOp);
  return getConstantIntValue(offset);
}

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

/// The slice of a cut operand a ring GEMM works on: the first operand (its
/// accumulator, then its inputs) taken by an extract_slice that cuts exactly
/// one dimension.
struct CutSlice {
  OpFoldResult offset;
  int64_t size = 0;
  int64_t extent = 0;
};

std::optional<CutSlice> cutSliceOf(linalg::MatmulOp piece) {
  SmallVector<Value> operands{piece.getDpsInits()[0]};
  llvm::append_range(operands, piece.getDpsInputs());
  for (Value operand : operands) {
    auto slice = operand.getDefiningOp<tensor::ExtractSliceOp>();
    if (!slice || !slice.getSourceType().hasStaticShape() ||
        !slice.hasUnitStride())
      continue;
    std::optional<CutSlice> cut;
    bool single = true;
    for (int64_t d = 0; d < slice.getSourceType().getRank(); ++d) {
      std::optional<int64_t> size = getConstantIntValue(slice.getMixedSizes()[d]);
      int64_t extent = slice.getSourceType().getDimSize(d);
      if (!size || *size == extent)
        continue;
      if (cut)
        single = false;
      cut = CutSlice{slice.getMixedOffsets()[d], *size, extent};
    }
    if (cut && single)
      return cut;
  }
  return std::nullopt;
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

    // The GEMMs of each ring, in program order.
    std::map<int64_t, SmallVector<linalg::MatmulOp>> rings;
    getOperation().walk([&](linalg::MatmulOp piece) {
      if (auto tag = piece->getAttrOfType<DenseI64ArrayAttr>(
              BraidDialect::kRingStepAttrName))
        rings[tag[0]].push_back(piece);
    });

    for (auto &[ring, pieces] : rings) {
      int64_t steps = pieces.front()->getAttrOfType<DenseI64ArrayAttr>(
          BraidDialect::kRingStepAttrName)[2];
      if (static_cast<int64_t>(pieces.size()) != steps) {
        pieces.front().emitError()
            << "ring " << ring << " of " << steps << " steps has "
            << pieces.size() << " GEMMs";
        ok = false;
        continue;
      }
      // Evaluate every piece's slice on every rank position of its group
      // (once when no offset reads braid.rank).
      SmallVector<CutSlice> cuts;
      RankOp rank;
      for (linalg::MatmulOp piece : pieces) {
        std::optional<CutSlice> cut = cutSliceOf(piece);
        if (!cut || !evaluateAt(cut->offset, 0, rank)) {
          piece.emitError() << "cannot evaluate the slice this ring step "
                               "works on from braid.rank and constants";
          ok = false;
          break;
        }
        cuts.push_back(*cut);
      }
      if (cuts.size() != pieces.size())
        continue;
      int64_t positions = 1;
      if (rank) {
        FailureOr<int64_t> size = getGroupSize(
            rank, rank.getGridAttr(), rank.getAxes(), &tables);
        if (failed(size)) {
          rank.emitError() << "the group of this rank is not static";
          ok = false;
          continue;
        }
        positions = *size;
      }
      for (int64_t position = 0; position < positions && ok; ++position) {
        // Start of each interval -> the piece; they must tile [0, extent).
        std::map<int64_t, std::pair<int64_t, linalg::MatmulOp>> covered;
        for (auto [piece, cut] : llvm::zip(pieces, cuts)) {
          RankOp unused;
          int64_t begin = *evaluateAt(cut.offset, position, unused);
          if (begin < 0 || begin + cut.size > cut.extent) {
            piece.emitError() << "rank " << position << " works on ["
                              << begin << ", " << begin + cut.size
                              << ") outside the " << cut.extent
                              << " it cuts";
            ok = false;
            break;
          }
          auto [it, fresh] =
              covered.try_emplace(begin, begin + cut.size, piece);
          if (!fresh) {
            InFlightDiagnostic diag = piece.emitError()
                                      << "rank " << position
                                      << " works on the chunk at " << begin
                                      << " twice";
            diag.attachNote(it->second.second.getLoc()) << "first here";
            ok = false;
            break;
          }
        }
        int64_t next = 0;
        for (auto &[begin, end] : covered) {
          if (!ok)
            break;
          if (begin != next) {
            end.second.emitError()
                << "rank " << position << " "
                << (begin < next ? "works on overlapping chunks"
                                 : "never computes the chunk")
                << " at " << std::min(begin, next);
            ok = false;
          }
          next = end.first;
        }
        if (ok && next != cuts.front().extent) {
          pieces.back().emitError()
              << "rank " << position << " never computes the chunk at "
              << next;
          ok = false;
        }
      }
    }
    if (!ok)
      signalPassFailure();
  }
};

} // namespace
