//===- CostModel.cpp - predicted time of ops on a hardware profile --------===//

#include "braid/Analysis/CostModel.h"
#include "braid/Analysis/CollectiveMatching.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/FormatVariadic.h"

#include <cmath>

using namespace mlir;
using namespace mlir::braid;

StringRef mlir::braid::stringifyCollectiveAlgorithm(CollectiveAlgorithm a) {
  switch (a) {
  case CollectiveAlgorithm::Ring:
    return "ring";
  case CollectiveAlgorithm::Tree:
    return "tree";
  case CollectiveAlgorithm::Star:
    return "star";
  }
  llvm_unreachable("unknown algorithm");
}

CollectiveKind mlir::braid::getCollectiveKind(CollectiveOpInterface op) {
  return TypeSwitch<Operation *, CollectiveKind>(op.getOperation())
      .Case([](AllReduceOp) { return CollectiveKind::AllReduce; })
      .Case([](AllGatherOp) { return CollectiveKind::AllGather; })
      .Case([](ReduceScatterOp) { return CollectiveKind::ReduceScatter; })
      .Case([](AllToAllOp) { return CollectiveKind::AllToAll; })
      .Case([](CollectivePermuteOp) { return CollectiveKind::Permute; })
      .Case([](BroadcastOp) { return CollectiveKind::Broadcast; });
}

static int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

OpTime CostModel::gemmTime(int64_t m, int64_t n, int64_t k, int64_t batch,
                           Type elementType, int64_t bytes,
                           int64_t sms) const {
  sms = std::max<int64_t>(1, std::min(sms, hw.numSMs));
  int64_t tiles = ceilDiv(m, hw.gemmTileM) * ceilDiv(n, hw.gemmTileN) * batch;
  int64_t waves = ceilDiv(tiles, sms);
  // A tile computes tileM x tileN x K whatever part of it is real: padding
  // is the small-M/N tax, partial last waves the quantization.
  double perSM = hw.peakFor(elementType) / hw.numSMs;
  double tileTime = 2.0 * hw.gemmTileM * hw.gemmTileN * k /
                    (perSM * hw.gemmEfficiency);
  double compute = waves * tileTime;
  double memory = bytes / (hw.memoryBandwidth * hw.memoryEfficiency);
  OpTime time;
  time.seconds = std::max(compute, memory) + hw.gemmOverhead;
  time.explanation =
      llvm::formatv("gemm {0}x{1}x{2}{3}: {4} tiles in {5} waves on {6} SMs, "
                    "{7}",
                    m, n, k, batch > 1 ? llvm::formatv(" x{0}", batch).str()
                                       : std::string(),
                    tiles, waves, sms,
                    compute >= memory ? "compute-bound" : "memory-bound")
          .str();
  return time;
}

OpTime CostModel::streamingTime(int64_t bytes, int64_t flops) const {
  OpTime time;
  if (bytes == 0 && flops == 0) {
    time.explanation = "no work";
    return time;
  }
  double memory = bytes / (hw.memoryBandwidth * hw.memoryEfficiency);
  double compute = hw.vectorFlops > 0 ? flops / hw.vectorFlops : 0;
  time.seconds = std::max(memory, compute) + hw.kernelOverhead;
  time.explanation = llvm::formatv("{0} B, {1} flops: {2}", bytes, flops,
                                   memory >= compute ? "memory-bound"
                                                     : "compute-bound")
                         .str();
  return time;
}

double CostModel::collectiveTime(CollectiveKind kind, int64_t payloadBytes,
                                 int64_t groupSize, const LinkProfile &link,
                                 CollectiveAlgorithm algorithm) const {
  if (groupSize <= 1)
    return 0;
  double p = groupSize, n = payloadBytes, alpha = link.stepLatency,
         beta = link.busBandwidth;
  double steps = std::ceil(std::log2(p));
  double time = 0;
  switch (kind) {
  case CollectiveKind::AllReduce:
    switch (algorithm) {
    case CollectiveAlgorithm::Ring:
      time = 2 * (p - 1) * alpha + 2 * (p - 1) / p * n / beta;
      break;
    case CollectiveAlgorithm::Tree:
      time = 2 * steps * alpha + 2 * n / beta;
      break;
    case CollectiveAlgorithm::Star:
      // TPI-LLM: everyone sends to a hub, the hub sends the sum back.
      time = 2 * alpha + 2 * (p - 1) * n / beta;
      break;
    }
    break;
  case CollectiveKind::AllGather:
  case CollectiveKind::ReduceScatter:
  case CollectiveKind::AllToAll:
    time = (p - 1) * alpha + (p - 1) / p * n / beta;
    break;
  case CollectiveKind::Permute:
    time = alpha + n / beta;
    break;
  case CollectiveKind::Broadcast:
    time = (algorithm == CollectiveAlgorithm::Tree ? steps : p - 1) * alpha +
           n / beta;
    break;
  }
  return hw.collectiveLaunch + time;
}

std::pair<CollectiveAlgorithm, double>
CostModel::bestCollective(CollectiveKind kind, int64_t payloadBytes,
                          int64_t groupSize, const LinkProfile &link) const {
  if (groupSize <= 1)
    return {CollectiveAlgorithm::Ring, 0};
  // Measured end to end, so the host's issue cost is in the latency.
  if (const CollectiveFit *fit = link.measuredFit(kind, groupSize))
    return {CollectiveAlgorithm::Ring,
            fit->latency + payloadBytes / fit->bandwidth};
  std::pair<CollectiveAlgorithm, double> best{
      CollectiveAlgorithm::Ring,
      collectiveTime(kind, payloadBytes, groupSize, link,
                     CollectiveAlgorithm::Ring)};
  // Tree and star variants exist for all-reduce (and tree for broadcast),
  // where the link's runtime offers them.
  for (CollectiveAlgorithm algorithm : link.algorithms) {
    if (algorithm == CollectiveAlgorithm::Ring ||
        (kind != CollectiveKind::AllReduce &&
         !(kind == CollectiveKind::Broadcast &&
           algorithm == CollectiveAlgorithm::Tree)))
      continue;
    double time =
        collectiveTime(kind, payloadBytes, groupSize, link, algorithm);
    if (time < best.second)
      best = {algorithm, time};
  }
  return best;
}

FailureOr<const LinkProfile *>
CostModel::linkFor(CollectiveOpInterface op,
                   SymbolTableCollection &tables) const {
  shard::GridOp grid = lookupGrid(op, op.getGridSymbol(), &tables);
  if (!grid)
    return failure();
  // Group members are devices (resolveGroup applies the device order).
  auto nodeOf = [&](int64_t device) {
    return device / std::max<int64_t>(1, hw.devicesPerNode);
  };
  int64_t numRanks = getStaticDeviceCount(grid);
  // Every group instance: the collective is as slow as its slowest group.
  for (int64_t rank = 0; rank < numRanks; ++rank) {
    FailureOr<GroupInstance> group = resolveGroup(grid, op.getGroupAxes(), rank);
    if (failed(group))
      return failure();
    if (group->position != 0)
      continue;
    int64_t node = nodeOf(group->members.front());
    for (int64_t member : group->members)
      if (nodeOf(member) != node)
        return &hw.interNode;
  }
  return &hw.intraNode;
}

/// M, N, K and batch of a contraction from its static loop ranges.
static std::optional<std::array<int64_t, 4>>
contractionShape(linalg::LinalgOp op) {
  if (!linalg::isaContractionOpInterface(op) || op.hasDynamicShape())
    return std::nullopt;
  FailureOr<linalg::ContractionDimensions> dims =
      linalg::inferContractionDims(op);
  if (failed(dims))
    return std::nullopt;
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  auto product = [&](ArrayRef<unsigned> loops) {
    int64_t result = 1;
    for (unsigned loop : loops)
      result *= ranges[loop];
    return result;
  };
  return std::array<int64_t, 4>{product(dims->m), product(dims->n),
                                product(dims->k), product(dims->batch)};
}

std::optional<GemmShape> mlir::braid::getGemmShape(Operation *op) {
  if (auto linalgOp = dyn_cast<linalg::LinalgOp>(op))
    if (std::optional<std::array<int64_t, 4>> shape =
            contractionShape(linalgOp)) {
      auto [m, n, k, batch] = *shape;
      return GemmShape{
          m, n, k, batch,
          getElementTypeOrSelf(linalgOp.getDpsInputs()[0].getType())};
    }
  if (auto grouped = dyn_cast<GroupedMatmulOp>(op)) {
    if (!grouped.getLhs().getType().hasStaticShape() ||
        !grouped.getRhs().getType().hasStaticShape())
      return std::nullopt;
    ArrayRef<int64_t> lhs = grouped.getLhs().getType().getShape();
    return GemmShape{lhs[0], grouped.getRhs().getType().getShape()[2], lhs[1],
                     1, grouped.getLhs().getType().getElementType()};
  }
  return std::nullopt;
}

FailureOr<OpTime> CostModel::opTime(Operation *op,
                                    SymbolTableCollection &tables,
                                    int64_t availableSMs,
                                    std::string &why) const {
  if (availableSMs < 0)
    availableSMs = hw.numSMs;
  if (auto measured = op->getAttrOfType<FloatAttr>(
          BraidDialect::kMeasuredTimeAttrName)) {
    OpTime time;
    time.seconds = measured.getValueAsDouble() * 1e-6;
    time.explanation = "measured";
    time.communication = isa<CollectiveOpInterface>(op);
    return time;
  }

  if (auto collective = dyn_cast<CollectiveOpInterface>(op)) {
    FailureOr<int64_t> size = collective.getGroupSize(&tables);
    FailureOr<int64_t> payload = collective.getPayloadBytes();
    FailureOr<const LinkProfile *> link = linkFor(collective, tables);
    if (failed(size) || failed(payload) || failed(link)) {
      why = "its group size or payload is not static";
      return failure();
    }
    CollectiveKind kind = getCollectiveKind(collective);
    auto [algorithm, seconds] = bestCollective(kind, *payload, *size, **link);
    OpTime time;
    time.seconds = seconds;
    time.communication = true;
    time.explanation =
        llvm::formatv("{0} B over {1} ranks, {2} on the {3} link", *payload,
                      *size,
                      (*link)->measuredFit(kind, *size)
                          ? StringRef("measured fit")
                          : stringifyCollectiveAlgorithm(algorithm),
                      *link == &hw.intraNode ? "intra-node" : "inter-node")
            .str();
    return time;
  }

  // Index and scalar arithmetic (ring chunk offsets, loop bounds) runs on
  // the host while kernels are queued: no kernel, no time on a stream.
  auto isShaped = [](Type type) { return isa<ShapedType>(type); };
  if (op->getNumRegions() == 0 &&
      llvm::none_of(op->getOperandTypes(), isShaped) &&
      llvm::none_of(op->getResultTypes(), isShaped)) {
    OpTime time;
    time.explanation = "scalar work on the host";
    return time;
  }

  auto costed = dyn_cast<CostOpInterface>(op);
  if (!costed) {
    why = "it has no cost interface";
    return failure();
  }
  FailureOr<OpCost> cost = costed.getCost();
  if (failed(cost)) {
    why = "its work depends on a dynamic shape";
    return failure();
  }
  int64_t bytes = cost->bytesRead + cost->bytesWritten;

  // A kernel measured on this machine: its fit, not the generic model.
  auto operandTypes = op->getOperandTypes();
  auto shaped = llvm::find_if(operandTypes, isShaped);
  if (shaped != operandTypes.end())
    if (const KernelFit *fit = hw.kernelFit(op->getName().getStringRef(),
                                            getElementTypeOrSelf(*shaped))) {
      OpTime time;
      time.seconds = fit->seconds(bytes, cost->flops);
      time.explanation =
          llvm::formatv("{0} B, {1} flops: measured fit", bytes, cost->flops)
              .str();
      return time;
    }

  if (std::optional<GemmShape> gemm = getGemmShape(op))
    return gemmTime(gemm->m, gemm->n, gemm->k, gemm->batch, gemm->element,
                    bytes, availableSMs);
  if (auto attention = dyn_cast<AttentionOp>(op)) {
    // Flash attention runs at GEMM efficiency on tensor cores.
    double peak = hw.peakFor(attention.getQuery().getType().getElementType());
    double compute = cost->flops / (peak * hw.gemmEfficiency) *
                     hw.numSMs / std::max<int64_t>(1, availableSMs);
    double memory = bytes / (hw.memoryBandwidth * hw.memoryEfficiency);
    OpTime time;
    time.seconds = std::max(compute, memory) + hw.gemmOverhead;
    time.explanation = llvm::formatv("attention {0} flops: {1}", cost->flops,
                                     compute >= memory ? "compute-bound"
                                                       : "memory-bound")
                           .str();
    return time;
  }
  return streamingTime(bytes, cost->flops);
}
