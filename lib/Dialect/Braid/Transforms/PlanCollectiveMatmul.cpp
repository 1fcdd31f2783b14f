//===- PlanCollectiveMatmul.cpp - choosing how to cut a collective matmul -===//
//
// Every candidate plan is played through the one timing model
// (StreamSimulator): the GEMM pieces on the compute stream, the transfers on
// a communication stream over the group's link, each piece on the SMs
// communication leaves it. The program as written is played the same way,
// its collective beside the compute that can hide it. No closed-form
// formula: the estimate of the rewritten program runs the same simulator.
//
//===----------------------------------------------------------------------===//

#include "braid/Analysis/TimingModel.h"
#include "braid/Dialect/Braid/Transforms/Passes.h"
#include "braid/Dialect/Braid/Transforms/Transforms.h"

#include "llvm/Support/FormatVariadic.h"

using namespace mlir;
using namespace mlir::braid;

namespace {

constexpr int64_t kComputeStream = 0;
constexpr int64_t kCommunicationStream = 1;

int64_t byteSize(Type type) {
  return *getElementByteSize(getElementTypeOrSelf(type));
}
int64_t staticBytes(Type type) { return *getStaticByteSize(type); }

/// Plays plans of one match through the timing model.
class PlanSimulator {
public:
  PlanSimulator(const CollectiveMatmulMatch &match, const CostModel &model,
                const LinkProfile &link)
      : match(match), model(model), link(link) {}

  /// One GEMM of `matmul`'s kind on `rows` rows of its result (all when
  /// negative) and `k` of its contraction (all when negative).
  std::function<OpTime(int64_t)> gemm(linalg::MatmulOp matmul, int64_t rows,
                                      int64_t k) const {
    auto lhs = cast<ShapedType>(matmul.getDpsInputs()[0].getType());
    auto result = cast<ShapedType>(matmul.getResult(0).getType());
    int64_t n = result.getDimSize(1);
    if (rows < 0)
      rows = result.getDimSize(0);
    if (k < 0)
      k = lhs.getDimSize(1);
    int64_t bytes = (rows * k + k * n) * byteSize(lhs) +
                    2 * rows * n * byteSize(result);
    Type element = lhs.getElementType();
    const CostModel &costs = model;
    return [=, &costs](int64_t sms) {
      return costs.gemmTime(rows, n, k, 1, element, bytes, sms);
    };
  }
  OpTime collective(CollectiveKind kind, int64_t bytes) const {
    OpTime time;
    time.seconds =
        model.bestCollective(kind, bytes, match.groupSize, link).second;
    time.communication = true;
    return time;
  }
  static std::function<OpTime(int64_t)> fixed(double seconds) {
    return [=](int64_t) {
      OpTime time;
      time.seconds = seconds;
      return time;
    };
  }
  /// The time one piece takes beside communication (for the remark).
  double shared(const std::function<OpTime(int64_t)> &piece) const {
    const HardwareProfile &hw = model.profile();
    return piece(std::max<int64_t>(1, hw.numSMs - hw.commSMs)).seconds;
  }

  /// The matmuls, then (or, for a gather, after) the collective, beside
  /// `hideable` seconds of compute that does not depend on it; that
  /// compute is not counted.
  double asWritten(ArrayRef<std::function<OpTime(int64_t)>> gemms,
                   const OpTime &collectiveTime, bool collectiveFirst,
                   double hideable) const {
    StreamSimulator sim(model);
    double ready = 0;
    auto runGemms = [&] {
      for (const auto &piece : gemms)
        ready = sim.compute(kComputeStream, ready, piece).end;
    };
    if (!collectiveFirst)
      runGemms();
    StreamSimulator::Interval transfer = sim.communicate(
        kCommunicationStream, ready, collectiveTime, &link);
    if (hideable > 0)
      sim.compute(kComputeStream, ready, fixed(hideable));
    sim.waitUntil(kComputeStream, transfer.end);
    ready = transfer.end;
    if (collectiveFirst)
      runGemms();
    return sim.streamFree(kComputeStream) - hideable;
  }

  /// The all_gather ring: each step multiplies the shard in hand while the
  /// next one arrives; bidirectional steps bring two shards at once.
  double gatherRing(ArrayRef<std::function<OpTime(int64_t)>> stepGemms,
                    int64_t shardBytes, bool bidirectional) const {
    StreamSimulator sim(model);
    int64_t size = match.groupSize;
    auto multiply = [&](double shardReady) {
      for (const auto &piece : stepGemms)
        sim.compute(kComputeStream, shardReady, piece);
    };
    if (!bidirectional) {
      double inHand = 0;
      for (int64_t s = 0; s < size; ++s) {
        double next = 0;
        if (s + 1 < size)
          next = sim.communicate(kCommunicationStream, inHand,
                                 collective(CollectiveKind::Permute,
                                            shardBytes),
                                 &link)
                     .end;
        multiply(inHand);
        inHand = next;
      }
      return sim.streamFree(kComputeStream);
    }
    // Both shards of a step travel in one launch through this rank's
    // egress; at the last step of an even ring only one arrives.
    OpTime pair = collective(CollectiveKind::Permute, 2 * shardBytes);
    double inHand = 0;
    multiply(inHand);
    for (int64_t s = 1; 2 * s <= size; ++s) {
      double next =
          sim.communicate(kCommunicationStream, inHand, pair, &link).end;
      multiply(next);
      if (2 * s != size)
        multiply(next);
      inHand = next;
    }
    return sim.streamFree(kComputeStream);
  }

  /// The T3 ring over `rows`-row chunks: step s computes its chunk's
  /// pieces while the partial of step s - 1 travels, then adds the
  /// received partial; optionally an all_gather of the reduced chunks.
  double reduceRing(int64_t rows, int64_t rowBytes, int64_t wireBytes,
                    double gatherSeconds, std::string &detail) const {
    StreamSimulator sim(model);
    SmallVector<std::function<OpTime(int64_t)>> pieces;
    for (linalg::MatmulOp matmul : match.chain)
      pieces.push_back(gemm(matmul, rows, -1));
    int64_t chunkBytes = rows * rowBytes;
    OpTime add = model.streamingTime(3 * chunkBytes, chunkBytes);
    OpTime permute = collective(CollectiveKind::Permute, wireBytes);
    double partial = 0;
    for (int64_t step = 0; step < match.groupSize; ++step) {
      double received = -1;
      if (step > 0)
        received =
            sim.communicate(kCommunicationStream, partial, permute, &link).end;
      double own = 0;
      for (const auto &piece : pieces)
        own = sim.compute(kComputeStream, 0, piece).end;
      if (received >= 0)
        own = sim.compute(kComputeStream, received, fixed(add.seconds)).end;
      partial = own;
    }
    if (gatherSeconds > 0) {
      OpTime gather;
      gather.seconds = gatherSeconds;
      double gathered =
          sim.communicate(kCommunicationStream, partial, gather, &link).end;
      sim.waitUntil(kComputeStream, gathered);
    }
    double piece = 0;
    for (const auto &p : pieces)
      piece += shared(p);
    detail = llvm::formatv("GEMM step {0}, combine {1}, partial-sum "
                           "transfer {2}",
                           formatMicros(piece), formatMicros(add.seconds),
                           formatMicros(permute.seconds))
                 .str();
    return sim.streamFree(kComputeStream);
  }

  /// `count` row chunks, each all-reduced as soon as it is computed.
  double chunked(int64_t count, int64_t total, int64_t rowBytes,
                 std::string &detail) const {
    StreamSimulator sim(model);
    int64_t chunkRows = (total + count - 1) / count;
    double last = 0;
    double firstPiece = 0, firstTransfer = 0;
    for (int64_t offset = 0; offset < total; offset += chunkRows) {
      int64_t extent = std::min(chunkRows, total - offset);
      double done = 0;
      for (linalg::MatmulOp matmul : match.chain) {
        auto piece = gemm(matmul, extent, -1);
        done = sim.compute(kComputeStream, 0, piece).end;
        if (offset == 0)
          firstPiece += shared(piece);
      }
      OpTime transfer =
          collective(CollectiveKind::AllReduce, extent * rowBytes);
      if (offset == 0)
        firstTransfer = transfer.seconds;
      last = sim.communicate(kCommunicationStream, done, transfer, &link).end;
    }
    sim.waitUntil(kComputeStream, last);
    detail = llvm::formatv("GEMM chunk {0}, all_reduce chunk {1}",
                           formatMicros(firstPiece),
                           formatMicros(firstTransfer))
                 .str();
    return sim.streamFree(kComputeStream);
  }

private:
  const CollectiveMatmulMatch &match;
  const CostModel &model;
  const LinkProfile &link;
};

std::string hiddenNote(double hidden) {
  if (hidden <= 0)
    return "";
  return llvm::formatv("; uncut, {0} of the collective hides behind "
                       "independent compute",
                       formatMicros(hidden))
      .str();
}

FloatType wireTypeFor(WireType wire, Type accumulator) {
  MLIRContext *context = accumulator.getContext();
  switch (wire) {
  case WireType::Accumulator:
    return cast<FloatType>(accumulator);
  case WireType::F32:
    return Float32Type::get(context);
  case WireType::BF16:
    return BFloat16Type::get(context);
  case WireType::F16:
    return Float16Type::get(context);
  }
  llvm_unreachable("unknown wire type");
}

/// The plan attribute's wire: absent when partial sums travel in the
/// accumulator type.
Type planWire(FloatType wire, Type accumulator) {
  return wire == accumulator ? Type() : Type(wire);
}

void planGather(const CollectiveMatmulMatch &match, PlanSimulator &sim,
                const DecompositionOptions &options, double hideable,
                DecompositionDecision &decision) {
  auto gather = cast<AllGatherOp>(match.collective);
  int64_t size = match.groupSize;
  int64_t rows = gather.getInput().getType().getDimSize(0);
  int64_t shardBytes = staticBytes(gather.getInput().getType());
  SmallVector<std::function<OpTime(int64_t)>> full, step;
  for (linalg::MatmulOp matmul : match.rowUsers) {
    full.push_back(sim.gemm(matmul, -1, -1));
    step.push_back(sim.gemm(matmul, rows, -1));
  }
  for (linalg::MatmulOp matmul : match.contractionUsers) {
    full.push_back(sim.gemm(matmul, -1, -1));
    step.push_back(sim.gemm(matmul, -1, rows));
  }
  OpTime whole = sim.collective(CollectiveKind::AllGather, shardBytes * size);
  decision.original = sim.asWritten(full, whole, /*collectiveFirst=*/true,
                                    hideable);
  double hidden = std::min(hideable, whole.seconds);
  double piece = 0;
  for (const auto &p : step)
    piece += sim.shared(p);
  double one = sim.gatherRing(step, shardBytes, false);
  double both = sim.gatherRing(step, shardBytes, true);

  bool bidirectional = false;
  if (size > 2 && options.bidirectional == Choice::Always)
    bidirectional = true;
  else if (size > 2 && options.bidirectional == Choice::Auto)
    bidirectional = both < one;
  decision.cut = bidirectional ? both : one;
  decision.detail =
      bidirectional
          ? llvm::formatv("GEMM step {0}, transfer of both shards {1}{2}",
                          formatMicros(2 * piece),
                          formatMicros(sim.collective(CollectiveKind::Permute,
                                                      2 * shardBytes)
                                           .seconds),
                          hiddenNote(hidden))
                .str()
          : llvm::formatv("GEMM step {0}, shard transfer {1}{2}",
                          formatMicros(piece),
                          formatMicros(sim.collective(CollectiveKind::Permute,
                                                      shardBytes)
                                           .seconds),
                          hiddenNote(hidden))
                .str();
  if (size == 2 && options.bidirectional == Choice::Always)
    decision.detail += "; one direction only: at P = 2 both directions "
                       "reach the same peer";
  decision.what =
      llvm::formatv("{0} {1} ring steps with the all_gather ({2})", size,
                    bidirectional ? "bidirectional" : "unidirectional",
                    match.contractionUsers.empty()
                        ? "bitwise equal: every row block is one full-K GEMM"
                        : "K-cut matmuls reassociate their sums")
          .str();
  decision.plan = DecompositionPlanAttr::get(
      gather.getContext(),
      bidirectional ? DecompositionForm::BidirectionalRing
                    : DecompositionForm::Ring,
      size, Type());
}

void planReduceScatter(const CollectiveMatmulMatch &match, PlanSimulator &sim,
                       const DecompositionOptions &options, double hideable,
                       DecompositionDecision &decision) {
  RankedTensorType type = match.reducedType;
  int64_t size = match.groupSize;
  int64_t total = type.getDimSize(0);
  int64_t rows = total / size;
  int64_t rowBytes = staticBytes(type) / total;
  FloatType wire = wireTypeFor(options.wireType, type.getElementType());
  SmallVector<std::function<OpTime(int64_t)>> full;
  for (linalg::MatmulOp matmul : match.chain)
    full.push_back(sim.gemm(matmul, -1, -1));
  OpTime whole =
      sim.collective(CollectiveKind::ReduceScatter, staticBytes(type));
  decision.original = sim.asWritten(full, whole, false, hideable);
  int64_t wireBytes = rows * rowBytes / byteSize(type) * wire.getWidth() / 8;
  decision.cut = sim.reduceRing(rows, rowBytes, wireBytes, 0, decision.detail);
  decision.detail += llvm::formatv(" in {0}", wire).str() +
                     hiddenNote(std::min(hideable, whole.seconds));
  decision.what = llvm::formatv("{0} T3 ring steps with {1} matmul{2} "
                                "(partial sums reassociated across ranks)",
                                size, match.chain.size(),
                                match.chain.size() > 1 ? "s" : "")
                      .str();
  decision.plan = DecompositionPlanAttr::get(
      type.getContext(), DecompositionForm::Ring, size,
      planWire(wire, type.getElementType()));
}

void planAllReduce(const CollectiveMatmulMatch &match, PlanSimulator &sim,
                   const DecompositionOptions &options, double hideable,
                   DecompositionDecision &decision) {
  RankedTensorType type = match.reducedType;
  int64_t size = match.groupSize;
  int64_t total = type.getDimSize(0);
  int64_t rowBytes = staticBytes(type) / std::max<int64_t>(1, total);
  SmallVector<std::function<OpTime(int64_t)>> full;
  for (linalg::MatmulOp matmul : match.chain)
    full.push_back(sim.gemm(matmul, -1, -1));
  OpTime whole = sim.collective(CollectiveKind::AllReduce, staticBytes(type));
  decision.original = sim.asWritten(full, whole, false, hideable);
  std::string hidden = hiddenNote(std::min(hideable, whole.seconds));

  if (options.chunks > total) {
    decision.whyNot = llvm::formatv("{0} chunks of {1} rows asked for",
                                    options.chunks, total);
    return;
  }
  if (match.epilogue && options.allReduce == AllReduceStrategy::Ring) {
    decision.whyNot = "the ring reduces the matmul's own partial sums, but "
                      "this all_reduce sums them after a truncation (the "
                      "chunked form keeps it)";
    return;
  }

  // Ring: reduce-scatter ring over rows padded to a multiple of P, then one
  // all_gather of the reduced chunks.
  int64_t rows = (total + size - 1) / size;
  int64_t padded = rows * size;
  FloatType wire = wireTypeFor(options.wireType, type.getElementType());
  int64_t wireBytes = rows * rowBytes / byteSize(type) * wire.getWidth() / 8;
  double gatherSeconds =
      sim.collective(CollectiveKind::AllGather, padded * rowBytes).seconds;
  std::string ringDetail;
  double ring =
      sim.reduceRing(rows, rowBytes, wireBytes, gatherSeconds, ringDetail);
  ringDetail += llvm::formatv(" in {0}, all_gather {1}{2}", wire,
                              formatMicros(gatherSeconds),
                              padded != total
                                  ? llvm::formatv(", {0} padding rows",
                                                  padded - total)
                                        .str()
                                  : std::string())
                    .str() +
                hidden;

  // Chunked: the given count, or the fastest from 2 to max-steps.
  int64_t chunks = options.chunks;
  std::string chunkedDetail;
  double chunked = 0;
  if (chunks > 0) {
    chunked = sim.chunked(chunks, total, rowBytes, chunkedDetail);
  } else {
    for (int64_t c = 2; c <= std::min(options.maxSteps, total); ++c) {
      std::string detail;
      double candidate = sim.chunked(c, total, rowBytes, detail);
      if (chunks == 0 || candidate < chunked) {
        chunks = c;
        chunked = candidate;
        chunkedDetail = detail;
      }
    }
  }
  chunkedDetail += hidden;

  bool useRing = !match.epilogue &&
                 (options.allReduce == AllReduceStrategy::Ring ||
                  (options.allReduce == AllReduceStrategy::Auto &&
                   (chunks < 2 || ring < chunked)));
  if (!useRing && chunks < 2) {
    decision.whyNot = llvm::formatv("{0} rows cannot be cut into chunks",
                                    total);
    return;
  }
  MLIRContext *context = type.getContext();
  if (useRing) {
    decision.cut = ring;
    decision.detail = ringDetail;
    decision.what = llvm::formatv("{0} T3 ring steps and an all_gather "
                                  "(partial sums reassociated across ranks)",
                                  size)
                        .str();
    decision.plan = DecompositionPlanAttr::get(
        context, DecompositionForm::Ring, size,
        planWire(wire, type.getElementType()));
  } else {
    decision.cut = chunked;
    decision.detail = chunkedDetail;
    decision.what = llvm::formatv("{0} row chunks, each all-reduced as soon "
                                  "as it is computed (bitwise equal)",
                                  chunks)
                        .str();
    decision.plan = DecompositionPlanAttr::get(
        context, DecompositionForm::Chunks, chunks, Type());
  }
}

} // namespace

DecompositionDecision mlir::braid::planCollectiveMatmul(
    const CollectiveMatmulMatch &match, const CostModel &model,
    SymbolTableCollection &tables, const DecompositionOptions &options,
    double hideableCompute) {
  DecompositionDecision decision;
  FailureOr<const LinkProfile *> link = model.linkFor(
      cast<CollectiveOpInterface>(match.collective), tables);
  if (failed(link)) {
    decision.whyNot = "the link its group rides is unknown";
    return decision;
  }
  PlanSimulator sim(match, model, **link);
  if (isa<AllGatherOp>(match.collective))
    planGather(match, sim, options, hideableCompute, decision);
  else if (isa<ReduceScatterOp>(match.collective))
    planReduceScatter(match, sim, options, hideableCompute, decision);
  else
    planAllReduce(match, sim, options, hideableCompute, decision);
  return decision;
}
