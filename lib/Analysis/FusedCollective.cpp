//===- FusedCollective.cpp - playing a producer fused with its collective -===//
//
// See FusedCollective.h. The fused form differs from the separate ring
// GEMMs of braid-decompose-collective-matmul in three ways the model
// charges: the tile trigger keeps the producer one GEMM (no piece pays its
// own wave quantization or launch) but runs it beside its own
// communication (on the SMs communication leaves); every released piece
// waits for a flag to be seen; and the received partial sums are combined
// beside the producer, not between its pieces.
//
//===----------------------------------------------------------------------===//

#include "braid/Analysis/FusedCollective.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "llvm/Support/FormatVariadic.h"

using namespace mlir;
using namespace mlir::braid;

FailureOr<ProducerChain>
mlir::braid::matchProducerChain(Operation *collective, std::string &whyNot) {
  if (!isa<ReduceScatterOp, AllReduceOp, AllGatherOp>(collective)) {
    whyNot = "only reduce_scatter, all_reduce and all_gather are fused with "
             "their producer";
    return failure();
  }
  return matchProducerChainOf(collective->getOperand(0),
                              collective->getBlock(), whyNot);
}

FailureOr<ProducerChain>
mlir::braid::matchProducerChainOf(Value value, Block *block,
                                  std::string &whyNot) {
  ProducerChain chain;
  // Element-wise ops back to the contraction; a long chain is a fused
  // epilogue nobody writes by hand.
  for (int depth = 0; depth < 8; ++depth) {
    Operation *def = value.getDefiningOp();
    if (!def || def->getBlock() != block) {
      whyNot = "its input is not computed in the same block";
      return failure();
    }
    if (!value.hasOneUse()) {
      whyNot = llvm::formatv("'{0}' result has other users than the "
                             "collective's producer chain",
                             def->getName())
                   .str();
      return failure();
    }
    if (!isMemoryEffectFree(def)) {
      whyNot = llvm::formatv("'{0}' in its producer has side effects",
                             def->getName())
                   .str();
      return failure();
    }
    if (isContraction(def)) {
      auto type = cast<ShapedType>(def->getResult(0).getType());
      if (!type.hasStaticShape() || (type.getRank() != 2 && type.getRank() != 3)) {
        whyNot = "its contraction's output is not a static 2-D (matmul) or "
                 "3-D (batch_matmul) tensor";
        return failure();
      }
      chain.contraction = def;
      std::reverse(chain.epilogue.begin(), chain.epilogue.end());
      return chain;
    }
    // The operand the chain continues through: one computed by a
    // contraction or another element-wise op.
    Value next;
    ValueRange candidates = def->getOperands();
    if (auto linalgOp = dyn_cast<linalg::LinalgOp>(def))
      candidates = linalgOp.getDpsInputs();
    for (Value operand : candidates) {
      Operation *producer = operand.getDefiningOp();
      if (producer && producer->getBlock() == block &&
          producer->getNumResults() == 1 && isPositionwiseUse(def, operand)) {
        next = operand;
        break;
      }
    }
    if (!next) {
      whyNot = llvm::formatv("its input is computed by '{0}', which is "
                             "neither a contraction nor element-wise on one",
                             def->getName())
                   .str();
      return failure();
    }
    chain.epilogue.push_back(def);
    value = next;
  }
  whyNot = "no contraction within 8 element-wise ops of its input";
  return failure();
}

LogicalResult mlir::braid::checkRowBlockEpilogue(Operation *op,
                                                std::string &whyNot) {
  auto linalgOp = dyn_cast<linalg::LinalgOp>(op);
  if (!linalgOp) {
    if (op->hasTrait<OpTrait::Elementwise>())
      return success();
    whyNot = llvm::formatv("its epilogue's '{0}' is neither element-wise "
                           "nor a linalg op, so it cannot run on a block of "
                           "rows",
                           op->getName())
                 .str();
    return failure();
  }
  auto fail = [&](const Twine &reason) {
    whyNot = ("its epilogue's '" + op->getName().getStringRef() + "' " +
              reason)
                 .str();
    return failure();
  };
  if (linalgOp.getNumLoops() != linalgOp.getNumParallelLoops() ||
      linalgOp.getNumDpsInits() != 1)
    return fail("is not one output of parallel loops");
  // An index-dependent body would see the block's indices, not the rows'.
  if (linalgOp.hasIndexSemantics())
    return fail("reads its loop indices (linalg.index)");
  AffineMap outputMap =
      linalgOp.getMatchingIndexingMap(linalgOp.getDpsInitOperand(0));
  auto rowLoop = outputMap.getNumResults() == 0
                     ? nullptr
                     : dyn_cast<AffineDimExpr>(outputMap.getResult(0));
  if (!rowLoop)
    return fail("does not store its output's rows by a loop of its own");
  unsigned row = rowLoop.getPosition();
  for (OpOperand &operand : op->getOpOperands()) {
    AffineMap map = linalgOp.getMatchingIndexingMap(&operand);
    for (AffineExpr result : map.getResults())
      if (!isa<AffineDimExpr>(result) && result.isFunctionOfDim(row))
        return fail(llvm::formatv("indexes operand {0} by {1}, so a block "
                                  "of rows reads outside its own rows",
                                  operand.getOperandNumber(), result)
                        .str());
  }
  return success();
}

FailureOr<FusedCollectiveWork>
mlir::braid::getFusedCollectiveWork(Operation *collective,
                                    const CostModel &model,
                                    SymbolTableCollection &tables,
                                    std::string &whyNot) {
  FailureOr<ProducerChain> chain = matchProducerChain(collective, whyNot);
  if (failed(chain))
    return failure();
  FusedCollectiveWork work;
  work.kind = getCollectiveKind(cast<CollectiveOpInterface>(collective));
  FailureOr<int64_t> size =
      cast<CollectiveOpInterface>(collective).getGroupSize(&tables);
  if (failed(size)) {
    whyNot = "its group size is unknown";
    return failure();
  }
  work.groupSize = *size;
  std::optional<GemmShape> gemm = getGemmShape(chain->contraction);
  auto costed = dyn_cast<CostOpInterface>(chain->contraction);
  FailureOr<OpCost> cost = costed ? costed.getCost() : FailureOr<OpCost>();
  if (!gemm || failed(cost)) {
    whyNot = "the cost model cannot size its contraction";
    return failure();
  }
  work.gemm = *gemm;
  work.gemmBytes = cost->bytesRead + cost->bytesWritten;
  int64_t cutDim = 0;
  if (auto scatter = dyn_cast<ReduceScatterOp>(collective))
    cutDim = scatter.getDim();
  else if (auto gather = dyn_cast<AllGatherOp>(collective))
    cutDim = gather.getDim();
  auto outputType = cast<ShapedType>(chain->contraction->getResult(0).getType());
  if (outputType.getRank() == 3)
    work.cutAxis = cutDim == 0   ? FusedCollectiveWork::Axis::Batch
                   : cutDim == 1 ? FusedCollectiveWork::Axis::M
                                 : FusedCollectiveWork::Axis::N;
  else
    work.cutAxis = cutDim == 0 ? FusedCollectiveWork::Axis::M
                               : FusedCollectiveWork::Axis::N;
  const HardwareProfile &hw = model.profile();
  for (Operation *op : chain->epilogue) {
    std::string why;
    FailureOr<OpTime> time = model.opTime(op, tables, -1, why);
    if (failed(time))
      continue;
    work.epilogueSeconds += std::max(0.0, time->seconds - hw.kernelOverhead);
    ++work.epilogueKernels;
  }
  auto inputType = cast<ShapedType>(collective->getOperand(0).getType());
  work.outputBytes = *getStaticByteSize(inputType);
  return work;
}

namespace {

std::string formatMicros(double seconds) {
  return llvm::formatv("{0:f3} us", seconds * 1e6).str();
}

/// A piece of the producer's output a trigger releases: its chunk (ring
/// step or gather piece), its share of the chunk, and when it is done.
struct Piece {
  int64_t chunk;
  double fraction;
  double done;
};

/// The GEMM of `work` on `fraction` of its cut axis.
GemmShape scaled(const FusedCollectiveWork &work, int64_t parts) {
  GemmShape shape = work.gemm;
  auto divide = [&](int64_t extent) { return std::max<int64_t>(1, extent / parts); };
  switch (work.cutAxis) {
  case FusedCollectiveWork::Axis::M:
    shape.m = divide(shape.m);
    break;
  case FusedCollectiveWork::Axis::N:
    shape.n = divide(shape.n);
    break;
  case FusedCollectiveWork::Axis::Batch:
    shape.batch = divide(shape.batch);
    break;
  }
  return shape;
}

/// Chunk trigger: one GEMM (and epilogue) per chunk, in order.
SmallVector<Piece> computeChunks(StreamSimulator &sim, int64_t stream,
                                 double ready, const FusedCollectiveWork &work,
                                 int64_t chunks, Operation *op,
                                 double &pieceSeconds) {
  const CostModel &model = sim.costModel();
  const HardwareProfile &hw = model.profile();
  GemmShape piece = scaled(work, chunks);
  int64_t bytes = work.gemmBytes / chunks;
  double epilogue = work.epilogueSeconds / chunks +
                    work.epilogueKernels * hw.kernelOverhead;
  SmallVector<Piece> pieces;
  for (int64_t c = 0; c < chunks; ++c) {
    StreamSimulator::Interval interval = sim.compute(
        stream, ready,
        [&](int64_t sms) {
          OpTime time = model.gemmTime(piece.m, piece.n, piece.k, piece.batch,
                                       piece.element, bytes, sms);
          time.seconds += epilogue;
          time.explanation += " (a fused chunk)";
          if (c == 0)
            pieceSeconds = time.seconds;
          return time;
        },
        op);
    pieces.push_back({c, 1.0, interval.end});
  }
  return pieces;
}

/// Tile trigger: one GEMM whose tiles finish wave by wave, chunk after
/// chunk; every `threshold` tiles of a chunk are a piece.
SmallVector<Piece> computeTiles(StreamSimulator &sim, int64_t stream,
                                double ready, const FusedCollectiveWork &work,
                                int64_t chunks, TriggerAttr trigger,
                                Operation *op, double &gemmSeconds) {
  const CostModel &model = sim.costModel();
  const HardwareProfile &hw = model.profile();
  GemmShape chunk = scaled(work, chunks);
  int64_t tilesPerChunk = llvm::divideCeil(chunk.m, trigger.getM()) *
                          llvm::divideCeil(chunk.n, trigger.getN()) *
                          chunk.batch;
  int64_t tiles = tilesPerChunk * chunks;
  double perSM = hw.peakFor(work.gemm.element) / hw.numSMs;
  double tileTime = 2.0 * trigger.getM() * trigger.getN() * work.gemm.k /
                    (perSM * hw.gemmEfficiency);
  // The communication beside it holds SMs for the whole GEMM.
  int64_t sms = std::max<int64_t>(1, hw.numSMs - hw.commSMs);
  int64_t waves = llvm::divideCeil(tiles, sms);
  double memory =
      work.gemmBytes / (hw.memoryBandwidth * hw.memoryEfficiency);
  double body = std::max(waves * tileTime, memory) + work.epilogueSeconds;
  StreamSimulator::Interval interval = sim.compute(
      stream, ready,
      [&](int64_t) {
        OpTime time;
        time.seconds = body + hw.gemmOverhead;
        time.explanation = llvm::formatv(
            "fused gemm {0}x{1}x{2}: {3} tiles of {4}x{5} in {6} waves on {7} "
            "SMs, released every {8} tiles",
            work.gemm.m, work.gemm.n, work.gemm.k, tiles, trigger.getM(),
            trigger.getN(), waves, sms, trigger.getThreshold());
        return time;
      },
      op);
  gemmSeconds = interval.end - interval.start;
  double start = interval.start + hw.gemmOverhead;
  auto tileDone = [&](int64_t index) {
    return start + body * double(index / sms + 1) / waves;
  };
  SmallVector<Piece> pieces;
  int64_t threshold = trigger.getThreshold();
  for (int64_t c = 0; c < chunks; ++c)
    for (int64_t first = 0; first < tilesPerChunk; first += threshold) {
      int64_t count = std::min(threshold, tilesPerChunk - first);
      pieces.push_back({c, double(count) / tilesPerChunk,
                        tileDone(c * tilesPerChunk + first + count - 1)});
    }
  return pieces;
}

OpTime collectiveCost(const CostModel &model, CollectiveKind kind,
                      int64_t bytes, int64_t groupSize,
                      const LinkProfile *link) {
  OpTime time;
  time.communication = true;
  if (link)
    time.seconds = model.bestCollective(kind, bytes, groupSize, *link).second;
  return time;
}

} // namespace

double mlir::braid::playFusedCollective(StreamSimulator &sim,
                                        const FusedStreams &streams,
                                        double ready,
                                        const FusedCollectiveWork &work,
                                        TriggerAttr trigger,
                                        const LinkProfile *link, Operation *op,
                                        std::string *detail) {
  const CostModel &model = sim.costModel();
  const HardwareProfile &hw = model.profile();
  int64_t size = work.groupSize;
  bool ring = work.kind != CollectiveKind::AllGather;
  // Chunks: a ring's k per ring step (the chunk trigger's count is k times
  // the group size; a tile trigger's one), an all_gather's pieces of its
  // shard.
  int64_t chunks = trigger.isChunk() ? trigger.getCount() : (ring ? size : 1);
  int64_t chunkBytes = work.outputBytes / chunks;
  double latency = hw.getTriggerLatency();

  double producerSeconds = 0;
  SmallVector<Piece> pieces =
      trigger.isChunk()
          ? computeChunks(sim, streams.compute, ready, work, chunks, op,
                          producerSeconds)
          : computeTiles(sim, streams.compute, ready, work, chunks, trigger,
                         op, producerSeconds);
  // Pieces per ring step, in the order the producer computes them.
  size_t perChunk = pieces.size() / (ring ? size : chunks);

  double end = 0, firstTransfer = 0, firstCombine = 0;
  if (!ring) {
    // Arrival order: every piece all-gathered as soon as it is released.
    for (const Piece &piece : pieces) {
      int64_t bytes = int64_t(chunkBytes * piece.fraction) * size;
      OpTime gather =
          collectiveCost(model, CollectiveKind::AllGather, bytes, size, link);
      if (firstTransfer == 0)
        firstTransfer = gather.seconds;
      end = std::max(end, sim.communicate(streams.communication,
                                          piece.done + latency, gather, link,
                                          op)
                              .end);
    }
  } else {
    // Ring order: piece j of step s leaves once released and, past step
    // 0, once the partial received for it is combined.
    SmallVector<double> combined(perChunk, 0);
    for (int64_t step = 0; step + 1 < size; ++step) {
      for (size_t j = 0; j < perChunk; ++j) {
        const Piece &own = pieces[step * perChunk + j];
        const Piece &next = pieces[(step + 1) * perChunk + j];
        int64_t bytes = int64_t(chunkBytes * own.fraction);
        double leave = step == 0 ? own.done + latency : combined[j];
        OpTime transfer =
            collectiveCost(model, CollectiveKind::Permute, bytes, size, link);
        double arrived =
            sim.communicate(streams.communication, leave, transfer, link, op)
                .end;
        // The communication kernel combines what it receives (as Flux's
        // GEMM+reduce-scatter does), on the SMs communication holds: it
        // counts as communication, and GEMMs beside it lose those SMs.
        OpTime add = model.streamingTime(3 * bytes, bytes / 4);
        add.explanation = "combine a received partial sum: " + add.explanation;
        add.communication = true;
        if (firstTransfer == 0) {
          firstTransfer = transfer.seconds;
          firstCombine = add.seconds;
        }
        combined[j] = sim.communicate(streams.combine,
                                      std::max(arrived, next.done + latency),
                                      add, /*link=*/nullptr, op)
                          .end;
      }
    }
    for (double time : combined)
      end = std::max(end, time);
    if (work.kind == CollectiveKind::AllReduce) {
      OpTime gather = collectiveCost(model, CollectiveKind::AllGather,
                                     work.outputBytes, size, link);
      end = sim.communicate(streams.communication, end, gather, link, op).end;
    }
  }
  end = std::max(end, sim.streamFree(streams.compute));
  sim.waitUntil(streams.compute, end);
  if (detail)
    *detail = llvm::formatv("{0} {1}, {2} released piece{3} after {4} each, "
                            "transfer {5}{6}",
                            trigger.isChunk() ? "GEMM chunk" : "whole GEMM",
                            formatMicros(producerSeconds), pieces.size(),
                            pieces.size() == 1 ? "" : "s",
                            formatMicros(latency), formatMicros(firstTransfer),
                            ring ? llvm::formatv(", combine {0}",
                                                 formatMicros(firstCombine))
                                       .str()
                                 : std::string())
                  .str();
  return end;
}
