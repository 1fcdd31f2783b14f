//===- Schedule.cpp - latency-hiding list scheduling under a memory budget ===//

#include "braid/Analysis/CostModel.h"
#include "braid/Analysis/DependenceGraph.h"
#include "braid/Analysis/Liveness.h"
#include "braid/Dialect/Braid/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/Support/FormatVariadic.h"

namespace mlir {
namespace braid {
#define GEN_PASS_DEF_BRAIDSCHEDULE
#include "braid/Dialect/Braid/Transforms/Passes.h.inc"
} // namespace braid
} // namespace mlir

using namespace mlir;
using namespace mlir::braid;

namespace {

/// What the scheduler knows about one op of the block.
struct NodeInfo {
  bool isStart = false;
  bool isAwait = false;
  /// A start whose communication pays for running on its own stream.
  bool overlaps = false;
  /// For a start: the node of its first await (consumer order).
  unsigned consumer = ~0u;
  /// For an await: the node of its start, and of its first user (the
  /// block's size when only the terminator uses it).
  unsigned start = ~0u;
  unsigned firstUse = ~0u;
  /// Predicted time on the default stream (compute) or of the body (start).
  double seconds = 0;
};

class Scheduler {
public:
  Scheduler(Block &block, const CostModel &model,
            SymbolTableCollection &tables)
      : graph(block, DependenceGraph::Options{/*keepCommunicatorOrder=*/false,
                                              /*keepStreamOrder=*/false}),
        block(block) {
    infos.resize(graph.size());
    double switchCost = 2 * model.profile().kernelOverhead;
    for (unsigned node = 0; node < graph.size(); ++node) {
      Operation *op = graph.op(node);
      NodeInfo &info = infos[node];
      std::string why;
      if (auto start = dyn_cast<StartOp>(op)) {
        info.isStart = true;
        for (Operation &nested : start.getBody().front().without_terminator())
          if (FailureOr<OpTime> time =
                  model.opTime(&nested, tables, -1, why);
              succeeded(time))
            info.seconds += time->seconds;
        info.overlaps = graph.kind(node) == OpClass::Communication &&
                        info.seconds > switchCost;
        for (Operation *user : start.getFuture().getUsers())
          if (std::optional<unsigned> at = graph.nodeOf(user))
            info.consumer = std::min(info.consumer, *at);
        continue;
      }
      if (auto await = dyn_cast<AwaitOp>(op)) {
        info.isAwait = true;
        if (std::optional<unsigned> at =
                graph.nodeOf(await.getFuture().getDefiningOp()))
          info.start = *at;
        info.firstUse = graph.size();
        for (Operation *user : await->getUsers())
          if (std::optional<unsigned> at = graph.nodeOf(user))
            info.firstUse = std::min(info.firstUse, *at);
        continue;
      }
      if (FailureOr<OpTime> time = model.opTime(op, tables, -1, why);
          succeeded(time) && !time->communication)
        info.seconds = time->seconds;
    }
    this->switchCost = switchCost;
  }

  /// A topological order that issues overlapping starts as soon as they are
  /// ready (at most `maxInFlight` awaiting at a time), awaits communication
  /// as soon as it is predicted to have landed, runs other work in program
  /// order, and waits for communication in flight only when nothing else
  /// can run.
  SmallVector<unsigned> order(unsigned maxInFlight) const {
    unsigned n = graph.size();
    SmallVector<bool> done(n, false), landed(n, false);
    SmallVector<unsigned> result;
    unsigned inFlight = 0;
    // Predicted clocks: the compute stream's, when the communication
    // stream frees up, and when each issued start's communication lands.
    double now = 0, commFree = 0;
    SmallVector<double> finish(n, 0);
    auto hasLanded = [&](unsigned await) {
      unsigned start = infos[await].start;
      return start != ~0u && done[start] && finish[start] <= now;
    };
    auto ready = [&](unsigned node) {
      if (done[node])
        return false;
      for (unsigned pred : graph.predecessors(node))
        if (!done[pred])
          return false;
      return true;
    };
    while (result.size() < n) {
      std::optional<unsigned> pick;
      // 1. Communication worth overlapping, earliest consumer first.
      if (inFlight < maxInFlight)
        for (unsigned node = 0; node < n; ++node)
          if (infos[node].isStart && infos[node].overlaps && ready(node) &&
              (!pick || infos[node].consumer < infos[*pick].consumer))
            pick = node;
      // 2. Awaits of communication that has landed by now: they cost no
      // stall and may unlock more communication (the next step of a ring,
      // whose send waits for this step's combine).
      if (!pick)
        for (unsigned node = 0; node < n; ++node)
          if (ready(node) && infos[node].isAwait && hasLanded(node) &&
              (!pick || infos[node].firstUse < infos[*pick].firstUse))
            pick = node;
      // 3. Anything else in program order: compute, and communication kept
      // in place together with its await.
      for (unsigned node = 0; !pick && node < n; ++node)
        if (ready(node) && !overlapping(node))
          pick = node;
      // 4. Awaits of overlapped communication still in flight, as late as
      // possible: the one needed soonest.
      if (!pick)
        for (unsigned node = 0; node < n; ++node)
          if (ready(node) && infos[node].isAwait &&
              (!pick || infos[node].firstUse < infos[*pick].firstUse))
            pick = node;
      // 5. A start held back by the in-flight limit, when nothing else can.
      for (unsigned node = 0; !pick && node < n; ++node)
        if (ready(node))
          pick = node;
      done[*pick] = true;
      result.push_back(*pick);
      const NodeInfo &info = infos[*pick];
      if (info.isStart && info.overlaps) {
        finish[*pick] = std::max(now, commFree) + info.seconds;
        commFree = finish[*pick];
      } else if (info.isAwait && info.start != ~0u &&
                 infos[info.start].overlaps) {
        now = std::max(now, finish[info.start]);
      } else {
        now += info.seconds;
      }
      if (info.isStart && info.overlaps)
        ++inFlight;
      // The first await of a start to run ends its time in flight.
      if (info.isAwait && info.start != ~0u && infos[info.start].overlaps &&
          !landed[info.start]) {
        landed[info.start] = true;
        --inFlight;
      }
    }
    return result;
  }

  unsigned numOverlapping() const {
    return llvm::count_if(infos, [](const NodeInfo &i) {
      return i.isStart && i.overlaps;
    });
  }

  FailureOr<int64_t> peakOf(ArrayRef<unsigned> order) const {
    SmallVector<Operation *> ops;
    for (unsigned node : order)
      ops.push_back(graph.op(node));
    FailureOr<MemoryProfile> profile = computeMemoryProfile(block, ops);
    if (failed(profile))
      return failure();
    return profile->peakBytes;
  }

  void apply(ArrayRef<unsigned> order) const {
    Operation *terminator = block.getTerminator();
    for (unsigned node : order)
      graph.op(node)->moveBefore(terminator);
  }

  /// Priorities follow consumer order: the first-needed start runs first.
  void assignPriorities(ArrayRef<unsigned> order) const {
    SmallVector<unsigned> starts;
    for (unsigned node : order)
      if (infos[node].isStart && infos[node].overlaps)
        starts.push_back(node);
    llvm::stable_sort(starts, [&](unsigned a, unsigned b) {
      return infos[a].consumer < infos[b].consumer;
    });
    for (auto [rank, node] : llvm::enumerate(starts))
      cast<StartOp>(graph.op(node))
          .setPriority(static_cast<int64_t>(starts.size() - rank));
  }

  void explain(ArrayRef<unsigned> order) const {
    SmallVector<unsigned> position(graph.size());
    for (auto [at, node] : llvm::enumerate(order))
      position[node] = at;
    for (unsigned node = 0; node < graph.size(); ++node) {
      const NodeInfo &info = infos[node];
      if (!info.isStart || graph.kind(node) != OpClass::Communication)
        continue;
      Operation *op = graph.op(node);
      if (!info.overlaps) {
        op->emitRemark() << "kept in place: " << formatMicros(info.seconds)
                         << " of communication does not pay for a stream "
                            "switch ("
                         << formatMicros(switchCost) << ")";
        continue;
      }
      // Compute scheduled between the start and its first await.
      double hidden = 0;
      unsigned awaitAt = info.consumer == ~0u ? order.size()
                                              : position[info.consumer];
      for (unsigned at = position[node] + 1; at < awaitAt; ++at)
        hidden += infos[order[at]].isStart ? 0 : infos[order[at]].seconds;
      hidden = std::min(hidden, info.seconds);
      int moved = static_cast<int>(node) - static_cast<int>(position[node]);
      InFlightDiagnostic diag = op->emitRemark();
      if (moved > 0)
        diag << "moved earlier by " << moved << " ops; ";
      else
        diag << "issued where written; ";
      diag << "hides " << formatMicros(hidden) << " of " << formatMicros(info.seconds)
           << " behind compute";
      if (hidden < info.seconds)
        diag << ", " << formatMicros(info.seconds - hidden) << " exposed";
    }
  }

private:
  /// Overlapped starts and their awaits: the ops the scheduler moves.
  bool overlapping(unsigned node) const {
    const NodeInfo &info = infos[node];
    if (info.isStart)
      return info.overlaps;
    return info.isAwait && info.start != ~0u && infos[info.start].overlaps;
  }

  DependenceGraph graph;
  Block &block;
  SmallVector<NodeInfo> infos;
  double switchCost = 0;
};

struct BraidSchedulePass : braid::impl::BraidScheduleBase<BraidSchedulePass> {
  using Base::Base;

  void runOnOperation() override {
    func::FuncOp function = getOperation();
    if (function.isExternal())
      return;
    FailureOr<CostModel> loaded = loadCostModel(function, profile, profileDir);
    if (failed(loaded))
      return signalPassFailure();
    const CostModel &model = *loaded;
    SymbolTableCollection tables;
    Block &body = function.getBody().front();
    Scheduler scheduler(body, model, tables);

    unsigned limit = scheduler.numOverlapping();
    SmallVector<unsigned> chosen = scheduler.order(limit);
    if (memoryBudget > 0) {
      // Fewer collectives in flight until the peak fits the budget.
      std::optional<std::pair<int64_t, SmallVector<unsigned>>> leanest;
      bool fits = false;
      for (unsigned inFlight = limit + 1; inFlight-- > 0;) {
        SmallVector<unsigned> candidate = scheduler.order(inFlight);
        FailureOr<int64_t> peak = scheduler.peakOf(candidate);
        if (failed(peak)) {
          function.emitRemark("memory budget ignored: live sizes are dynamic");
          break;
        }
        if (!leanest || *peak < leanest->first)
          leanest = {*peak, candidate};
        if (*peak <= memoryBudget) {
          chosen = candidate;
          fits = true;
          if (explain || isExplainRequested())
            function.emitRemark()
                << "memory budget " << (int64_t)memoryBudget
                << " B: at most " << inFlight
                << " collectives issued ahead of need, peak " << *peak << " B";
          break;
        }
      }
      if (!fits && leanest) {
        chosen = leanest->second;
        function.emitWarning()
            << "memory budget " << (int64_t)memoryBudget
            << " B is below the leanest schedule's peak of "
            << leanest->first << " B; kept that schedule";
      }
    }
    scheduler.apply(chosen);
    scheduler.assignPriorities(chosen);
    if (explain || isExplainRequested())
      scheduler.explain(chosen);
  }
};

} // namespace
