//===- FuseProducerCollective.cpp - T3 producer fusion at tensor level ----===//
//
// A GEMM producer and the collective it feeds become one
// braid.fused_collective (T3): the producer stays whole and releases its
// output to the collective in the collective's order, by chunks or by tiles.
// The rewrite is the public fuseProducerCollective (Transforms.h); the pass
// plans with the one timing model (planProducerFusion, through
// playFusedCollective in lib/Analysis), records the plan on the collective
// as `braid.fusion`, then applies it. See the pass description in Passes.td
// and docs/Overlap.md, "Producer fusion".
//
//===----------------------------------------------------------------------===//

#include "braid/Analysis/FusedCollective.h"
#include "braid/Analysis/Target.h"
#include "braid/Dialect/Braid/Transforms/Passes.h"
#include "braid/Dialect/Braid/Transforms/Transforms.h"

#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/IRMapping.h"
#include "llvm/Support/FormatVariadic.h"

namespace mlir {
namespace braid {
#define GEN_PASS_DEF_BRAIDFUSEPRODUCERCOLLECTIVE
#include "braid/Dialect/Braid/Transforms/Passes.h.inc"
} // namespace braid
} // namespace mlir

using namespace mlir;
using namespace mlir::braid;

//===----------------------------------------------------------------------===//
// The rewrite
//===----------------------------------------------------------------------===//

TriggerPlan TriggerPlan::forCollective(Operation *collective,
                                       TriggerAttr trigger) {
  return {trigger, isa<AllGatherOp>(collective) ? FusionOrder::Arrival
                                                : FusionOrder::Ring};
}

FailureOr<FusedCollectiveOp>
mlir::braid::fuseProducerCollective(RewriterBase &rewriter,
                                    Operation *collective,
                                    const TriggerPlan &plan) {
  std::string whyNot;
  FailureOr<ProducerChain> chain = matchProducerChain(collective, whyNot);
  if (failed(chain))
    return rewriter.notifyMatchFailure(collective, whyNot);
  FailureOr<int64_t> size =
      cast<CollectiveOpInterface>(collective).getGroupSize();
  if (failed(size))
    return rewriter.notifyMatchFailure(collective, "unknown group size");
  if (!plan.trigger || failed(checkFusionSchedule(collective, plan.trigger,
                                                  plan.order, *size, whyNot)))
    return rewriter.notifyMatchFailure(collective, whyNot);

  Location loc = collective->getLoc();
  Value collected = collective->getResult(0);
  OpBuilder::InsertionGuard guard(rewriter);
  rewriter.setInsertionPoint(collective);
  auto fused = FusedCollectiveOp::create(rewriter, loc, collected.getType(),
                                         plan.trigger, plan.order);
  rewriter.replaceAllUsesWith(collected, fused.getResult());
  Block *body = rewriter.createBlock(&fused.getBody());
  // Each op of the chain is used only by the next, so moving them down to
  // the collective keeps every use dominated.
  rewriter.moveOpBefore(chain->contraction, body, body->end());
  for (Operation *op : chain->epilogue)
    rewriter.moveOpBefore(op, body, body->end());
  rewriter.moveOpBefore(collective, body, body->end());
  rewriter.modifyOpInPlace(collective, [&] {
    collective->removeAttr(BraidDialect::kFusionAttrName);
  });
  rewriter.setInsertionPointToEnd(body);
  YieldOp::create(rewriter, loc, ValueRange{collected});
  return fused;
}

FailureOr<AllReduceOp>
mlir::braid::sinkReshapeBelowAllReduce(RewriterBase &rewriter,
                                       AllReduceOp allReduce) {
  Operation *reshape = allReduce.getInput().getDefiningOp();
  if (!isa_and_nonnull<tensor::ExpandShapeOp, tensor::CollapseShapeOp>(
          reshape) ||
      !reshape->getResult(0).hasOneUse())
    return rewriter.notifyMatchFailure(allReduce,
                                       "its input is not a reshape it alone "
                                       "reads");
  OpBuilder::InsertionGuard guard(rewriter);
  rewriter.setInsertionPoint(allReduce);
  Value source = reshape->getOperand(0);
  Operation *summed = rewriter.clone(*allReduce);
  rewriter.modifyOpInPlace(summed, [&] {
    summed->setOperand(0, source);
    summed->getResult(0).setType(source.getType());
  });
  IRMapping mapping;
  mapping.map(source, summed->getResult(0));
  Operation *reshaped = rewriter.clone(*reshape, mapping);
  rewriter.replaceOp(allReduce, reshaped->getResults());
  rewriter.eraseOp(reshape);
  return cast<AllReduceOp>(summed);
}

//===----------------------------------------------------------------------===//
// Planning
//===----------------------------------------------------------------------===//

namespace {

constexpr int64_t kComputeStream = 0;

OpTime fixedTime(double seconds) {
  OpTime time;
  time.seconds = seconds;
  return time;
}

/// The cut dimension of `collective` and its extent in the producer's
/// output.
std::pair<int64_t, int64_t> cutOf(Operation *collective) {
  int64_t dim = 0;
  if (auto scatter = dyn_cast<ReduceScatterOp>(collective))
    dim = scatter.getDim();
  else if (auto gather = dyn_cast<AllGatherOp>(collective))
    dim = gather.getDim();
  auto type = cast<ShapedType>(collective->getOperand(0).getType());
  return {dim, type.getDimSize(dim)};
}

/// Whether the buffer level lowers `collective` fused with `chain`
/// (BufferizableOpInterfaceImpl.cpp): the runtime's chunked GEMM runs a
/// linalg.matmul (with an epilogue that runs on blocks of rows) or a bare
/// braid.grouped_matmul and releases contiguous chunks of its output.
bool isLowerableFusion(Operation *collective, const ProducerChain &chain,
                       std::string &whyNot) {
  if (!isa<linalg::MatmulOp, GroupedMatmulOp>(chain.contraction))
    whyNot = "the buffer level lowers a linalg.matmul or braid.grouped_matmul "
             "producer, not " +
             chain.contraction->getName().getStringRef().str();
  else if (!chain.epilogue.empty() &&
           !isa<linalg::MatmulOp>(chain.contraction))
    whyNot = "the buffer level runs an epilogue after a linalg.matmul only, "
             "not after " +
             chain.contraction->getName().getStringRef().str();
  else if (llvm::any_of(chain.epilogue, [&](Operation *op) {
             return failed(checkRowBlockEpilogue(op, whyNot));
           }))
    whyNot = "the buffer level runs the epilogue on blocks of rows, but " +
             whyNot;
  else if (int64_t cutDim = cutOf(collective).first; cutDim != 0)
    whyNot = "the buffer level releases contiguous chunks, a cut along "
             "the first dimension of the matmul's output, not dimension " +
             std::to_string(cutDim);
  return whyNot.empty();
}

/// The producer and the collective as written: the chain's ops, then the
/// collective beside `hideable` seconds of compute that does not depend on
/// it (not counted), as PlanCollectiveMatmul plays it.
double playAsWritten(const CostModel &model, SymbolTableCollection &tables,
                     const ProducerChain &chain, Operation *collective,
                     const LinkProfile *link, double hideable) {
  StreamSimulator sim(model);
  double ready = 0;
  SmallVector<Operation *> ops{chain.contraction};
  ops.append(chain.epilogue.begin(), chain.epilogue.end());
  for (Operation *op : ops)
    ready = sim.compute(kComputeStream, ready,
                        [&](int64_t sms) {
                          std::string why;
                          FailureOr<OpTime> time =
                              model.opTime(op, tables, sms, why);
                          return succeeded(time) ? *time : OpTime();
                        })
                .end;
  std::string why;
  FailureOr<OpTime> time = model.opTime(collective, tables, -1, why);
  StreamSimulator::Interval transfer = sim.communicate(
      1, ready, succeeded(time) ? *time : OpTime(), link);
  if (hideable > 0)
    sim.compute(kComputeStream, ready,
                [&](int64_t) { return fixedTime(hideable); });
  sim.waitUntil(kComputeStream, transfer.end);
  return sim.streamFree(kComputeStream) - hideable;
}

} // namespace

FusionDecision mlir::braid::planProducerFusion(Operation *collective,
                                               const CostModel &model,
                                               SymbolTableCollection &tables,
                                               const FusionOptions &options,
                                               double hideableCompute) {
  FusionDecision decision;
  std::string why;
  FailureOr<ProducerChain> chain = matchProducerChain(collective, why);
  FailureOr<FusedCollectiveWork> work =
      succeeded(chain) ? getFusedCollectiveWork(collective, model, tables, why)
                       : FailureOr<FusedCollectiveWork>(failure());
  if (failed(work)) {
    decision.whyNot = why;
    return decision;
  }
  FailureOr<const LinkProfile *> link =
      model.linkFor(cast<CollectiveOpInterface>(collective), tables);
  if (failed(link)) {
    decision.whyNot = "the link its group rides is unknown";
    return decision;
  }
  decision.asWritten = playAsWritten(model, tables, *chain, collective, *link,
                                     hideableCompute);

  // The separate ring GEMMs fusion competes with.
  std::string whyNotCut;
  FailureOr<CollectiveMatmulMatch> match = matchCollectiveMatmul(
      collective, tables, options.decomposition.maxSteps, whyNotCut);
  if (succeeded(match)) {
    DecompositionDecision cut = planCollectiveMatmul(
        *match, model, tables, options.decomposition, hideableCompute);
    if (cut.plan)
      decision.separate = cut.cut;
  }

  const HardwareProfile &hw = model.profile();
  int64_t size = work->groupSize;
  bool ring = !isa<AllGatherOp>(collective);
  FusionOrder order = ring ? FusionOrder::Ring : FusionOrder::Arrival;
  MLIRContext *context = collective->getContext();
  auto play = [&](TriggerAttr trigger, std::string &detail) {
    StreamSimulator sim(model);
    return playFusedCollective(sim, FusedStreams{}, 0, *work, trigger, *link,
                               nullptr, &detail);
  };
  auto fits = [&](TriggerAttr trigger, std::string &whyNot) {
    return succeeded(
        checkFusionSchedule(collective, trigger, order, size, whyNot));
  };
  TriggerAttr bestChunk, bestTile;
  auto keepFaster = [&](TriggerAttr trigger, TriggerAttr &best,
                        double &bestTime, std::string &bestDetail) {
    std::string detail;
    double time = play(trigger, detail);
    if (!best || time < bestTime) {
      best = trigger;
      bestTime = time;
      bestDetail = detail;
    }
  };

  // Chunk trigger: 1, 2, 4 or 8 chunks per ring step (finer pieces start
  // the ring sooner and cost GEMM efficiency); 2..max-steps pieces of a
  // shard.
  if (options.choice == FusionChoice::Auto ||
      options.choice == FusionChoice::Chunk) {
    SmallVector<int64_t> counts;
    if (ring)
      for (int64_t perStep = 1; perStep <= 8; perStep *= 2)
        counts.push_back(size * perStep);
    else
      for (int64_t c = 2; c <= options.decomposition.maxSteps; ++c)
        counts.push_back(c);
    for (int64_t count : counts) {
      TriggerAttr trigger = TriggerAttr::get(context, count);
      std::string whyNot;
      if (!fits(trigger, whyNot)) {
        if (decision.whyNotChunk.empty())
          decision.whyNotChunk = whyNot;
        continue;
      }
      keepFaster(trigger, bestChunk, decision.chunk, decision.chunkDetail);
    }
  }

  // Tile trigger: the target's tile (clipped to a chunk), thresholds from
  // a whole chunk's tiles down to one.
  if (options.choice == FusionChoice::Auto ||
      options.choice == FusionChoice::Tile) {
    auto type = cast<ShapedType>(collective->getOperand(0).getType());
    int64_t rank = type.getRank();
    auto [cutDim, extent] = cutOf(collective);
    int64_t chunkExtent = ring ? extent / size : extent;
    int64_t m = options.tileM > 0 ? options.tileM : hw.gemmTileM;
    int64_t n = options.tileN > 0 ? options.tileN : hw.gemmTileN;
    // A tile no larger than a chunk's rows and columns.
    if (rank >= 2) {
      m = std::min(m, cutDim == rank - 2 ? chunkExtent
                                         : type.getDimSize(rank - 2));
      n = std::min(n, cutDim == rank - 1 ? chunkExtent
                                         : type.getDimSize(rank - 1));
    }
    if (rank >= 2) {
      int64_t rows = cutDim == rank - 2 ? chunkExtent : type.getDimSize(rank - 2);
      int64_t cols = cutDim == rank - 1 ? chunkExtent : type.getDimSize(rank - 1);
      int64_t batches = 1;
      for (int64_t d = 0; d < rank - 2; ++d)
        batches *= d == cutDim ? chunkExtent : type.getDimSize(d);
      int64_t tiles = llvm::divideCeil(rows, std::max<int64_t>(1, m)) *
                      llvm::divideCeil(cols, std::max<int64_t>(1, n)) * batches;
      for (int64_t threshold = std::max<int64_t>(1, tiles); threshold >= 1;
           threshold = threshold == 1 ? 0 : llvm::divideCeil(threshold, 2)) {
        TriggerAttr trigger = TriggerAttr::get(context, m, n, threshold);
        std::string whyNot;
        if (m < 1 || n < 1 || !fits(trigger, whyNot)) {
          if (decision.whyNotTile.empty())
            decision.whyNotTile =
                whyNot.empty() ? "the output has no tile" : whyNot;
          break;
        }
        keepFaster(trigger, bestTile, decision.tile, decision.tileDetail);
      }
    } else {
      decision.whyNotTile = "a tile trigger needs an output of at least 2 "
                            "dimensions";
    }
  }

  if (bestChunk && (!bestTile || decision.chunk <= decision.tile))
    decision.plan = {bestChunk, order};
  else if (bestTile)
    decision.plan = {bestTile, order};
  else
    decision.whyNot = !decision.whyNotChunk.empty() ? decision.whyNotChunk
                                                    : decision.whyNotTile;
  return decision;
}

//===----------------------------------------------------------------------===//
// The pass: plan, record, apply
//===----------------------------------------------------------------------===//

namespace {

struct BraidFuseProducerCollectivePass
    : braid::impl::BraidFuseProducerCollectiveBase<
          BraidFuseProducerCollectivePass> {
  using Base::Base;

  void runOnOperation() override {
    FunctionOpInterface function = getOperation();
    if (tileM < 0 || tileN < 0) {
      function.emitError() << "tile-m and tile-n must be 0 (the target's "
                              "GEMM tile) or positive";
      return signalPassFailure();
    }
    FailureOr<CostModel> model = getTargetCostModel(function);
    if (failed(model))
      return signalPassFailure();
    bool report = explain || isExplainRequested();
    auto remark = [&](Operation *op, const Twine &message) {
      if (report)
        op->emitRemark(message);
    };
    FusionOptions options;
    options.choice = trigger;
    options.tileM = tileM;
    options.tileN = tileN;
    const HardwareProfile &hw = model->profile();
    double minGain = hw.minGain;

    SmallVector<Operation *> collectives;
    function->walk([&](Operation *op) {
      if (!isa<ReduceScatterOp, AllReduceOp, AllGatherOp>(op) ||
          op->getParentOfType<FusedCollectiveOp>())
        return;
      if (op->getParentOfType<StartOp>()) {
        remark(op, "not fused: it is asynchronous already (inside "
                   "braid.start); fusion runs before braid-convert-to-async");
        return;
      }
      collectives.push_back(op);
    });

    // A reshape between a producer and its all_reduce moves below the
    // collective, so the producer feeds it.
    IRRewriter sinker(function.getContext());
    for (Operation *&op : collectives) {
      auto allReduce = dyn_cast<AllReduceOp>(op);
      if (!allReduce || (trigger == FusionChoice::Never &&
                         !op->hasAttr(BraidDialect::kFusionAttrName)))
        continue;
      Operation *reshape = allReduce.getInput().getDefiningOp();
      std::string whyNot;
      if (!isa_and_nonnull<tensor::ExpandShapeOp, tensor::CollapseShapeOp>(
              reshape) ||
          failed(matchProducerChainOf(reshape->getOperand(0), op->getBlock(),
                                      whyNot)))
        continue;
      StringRef reshapeName = reshape->getName().getStringRef();
      FailureOr<AllReduceOp> sunk =
          sinkReshapeBelowAllReduce(sinker, allReduce);
      if (failed(sunk))
        continue;
      op = *sunk;
      remark(op, llvm::formatv("moved its input's {0} below it, so its "
                               "producer feeds it",
                               reshapeName));
    }

    SymbolTableCollection tables;
    ComputeWindows windows(*model, tables,
                           std::max<int64_t>(1, hw.numSMs - hw.commSMs));
    SmallVector<std::pair<Operation *, TriggerPlan>> planned;
    bool failedPlan = false;
    for (Operation *op : collectives) {
      auto given = op->getAttrOfType<TriggerAttr>(BraidDialect::kFusionAttrName);
      if (given) {
        TriggerPlan plan = TriggerPlan::forCollective(op, given);
        std::string whyNot;
        FailureOr<ProducerChain> chain = matchProducerChain(op, whyNot);
        FailureOr<int64_t> size =
            cast<CollectiveOpInterface>(op).getGroupSize(&tables);
        if (succeeded(chain) && succeeded(size))
          (void)checkFusionSchedule(op, given, plan.order, *size, whyNot);
        if (failed(chain) || failed(size) || !whyNot.empty()) {
          op->emitError() << "cannot apply braid.fusion = " << given << ": "
                          << (whyNot.empty() ? "unknown group size" : whyNot);
          failedPlan = true;
          continue;
        }
        remark(op, llvm::formatv("fused as its plan says: {0}", given));
        planned.push_back({op, plan});
        continue;
      }
      if (trigger == FusionChoice::Never)
        continue;
      if (op->hasAttr(BraidDialect::kDecompositionAttrName)) {
        remark(op, "not fused: it carries a braid.decomposition plan");
        continue;
      }
      if (lowerableOnly) {
        std::string whyNot;
        FailureOr<ProducerChain> chain = matchProducerChain(op, whyNot);
        if (succeeded(chain) && !isLowerableFusion(op, *chain, whyNot)) {
          remark(op, "not fused: " + whyNot +
                         " (lowerable-only=0 fuses it for the estimate and "
                         "the interpreter)");
          continue;
        }
      }
      FusionDecision decision = planProducerFusion(
          op, *model, tables, options, windows.around(op));
      if (!decision.plan.trigger) {
        remark(op, "not fused: " + decision.whyNot);
        continue;
      }
      double fused = decision.plan.trigger.isChunk() ? decision.chunk
                                                     : decision.tile;
      std::string options = llvm::formatv(
          "as written {0}, separate ring GEMMs {1}, chunk trigger {2}, tile "
          "trigger {3}",
          formatMicros(decision.asWritten),
          decision.separate >= 0 ? formatMicros(decision.separate)
                                 : std::string("not applicable"),
          decision.chunk >= 0 ? formatMicros(decision.chunk)
          : decision.whyNotChunk.empty()
              ? std::string("not considered")
              : "not possible (" + decision.whyNotChunk + ")",
          decision.tile >= 0 ? formatMicros(decision.tile)
          : decision.whyNotTile.empty()
              ? std::string("not considered")
              : "not possible (" + decision.whyNotTile + ")");
      std::string how = decision.plan.trigger.isChunk() ? decision.chunkDetail
                                                        : decision.tileDetail;
      // What fusion must beat: the program as written, or the separate
      // ring GEMMs when they pay (braid-decompose-collective-matmul takes
      // those).
      double baseline = decision.asWritten;
      bool separateBest =
          decision.separate >= 0 &&
          decision.separate < decision.asWritten * (1 - minGain);
      if (separateBest)
        baseline = decision.separate;
      bool forced = trigger != FusionChoice::Auto;
      if (!forced && !(fused < baseline * (1 - minGain))) {
        if (separateBest && decision.separate <= fused)
          remark(op, llvm::formatv("not fused: the separate ring GEMMs are "
                                   "faster on {0} ({1}); left to "
                                   "braid-decompose-collective-matmul",
                                   hw.name, options));
        else
          remark(op, llvm::formatv("not fused: fusing does not pay on {0}, "
                                   "less than {1}% saved ({2})",
                                   hw.name, minGain * 100, options));
        continue;
      }
      remark(op, llvm::formatv("fused with {0} in {1} order{2}: {3} on {4} "
                               "({5}; {6})",
                               decision.plan.trigger,
                               stringifyFusionOrder(decision.plan.order),
                               forced ? " as the trigger option says" : "",
                               formatMicros(fused), hw.name, options, how));
      op->setAttr(BraidDialect::kFusionAttrName, decision.plan.trigger);
      planned.push_back({op, decision.plan});
    }
    if (failedPlan)
      return signalPassFailure();
    if (planOnly)
      return;

    IRRewriter rewriter(function.getContext());
    for (auto [op, plan] : planned)
      if (failed(fuseProducerCollective(rewriter, op, plan))) {
        op->emitError() << "cannot apply braid.fusion = " << plan.trigger;
        return signalPassFailure();
      }
  }
};

} // namespace
