//===- Schedule.cpp - latency-hiding list scheduling under a memory budget ===//
//
// The plan (an issue order and start priorities) is made by a list
// scheduler that plays every choice through the one timing model
// (StreamSimulator), so "has this collective landed yet?" is answered by the
// same clock the estimate uses; applySchedule then moves the ops.
//
//===----------------------------------------------------------------------===//

#include "braid/Analysis/DependenceGraph.h"
#include "braid/Analysis/Target.h"
#include "braid/Analysis/TimingModel.h"
#include "braid/Dialect/Braid/Transforms/Passes.h"
#include "braid/Dialect/Braid/Transforms/Transforms.h"

#include "llvm/Support/FormatVariadic.h"

#include <set>

namespace mlir {
namespace braid {
#define GEN_PASS_DEF_BRAIDSCHEDULE
#include "braid/Dialect/Braid/Transforms/Passes.h.inc"
} // namespace braid
} // namespace mlir

using namespace mlir;
using namespace mlir::braid;

LogicalResult mlir::braid::applySchedule(RewriterBase &rewriter, Block &block,
                                         const SchedulePlan &plan) {
  if (plan.order.size() != block.getOperations().size() - 1)
    return failure();
  Operation *terminator = block.getTerminator();
  for (Operation *op : plan.order) {
    if (op->getBlock() != &block || op == terminator)
      return failure();
    rewriter.moveOpBefore(op, terminator);
  }
  for (auto [start, priority] : plan.priorities)
    rewriter.modifyOpInPlace(start, [&] { start.setPriority(priority); });
  return success();
}

namespace {

constexpr int64_t kComputeStream = 0;

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
        block(block), model(model), tables(tables),
        switchCost(model.profile().getStreamSwitchCost()) {
    unsigned n = graph.size();
    infos.resize(n);
    successors.resize(n);
    for (unsigned node = 0; node < n; ++node)
      for (unsigned pred : graph.predecessors(node))
        successors[pred].push_back(node);
    for (unsigned node = 0; node < n; ++node) {
      Operation *op = graph.op(node);
      NodeInfo &info = infos[node];
      std::string why;
      if (auto start = dyn_cast<StartOp>(op)) {
        info.isStart = true;
        for (Operation &nested : start.getBody().front().without_terminator())
          if (FailureOr<OpTime> time = model.opTime(&nested, tables, -1, why);
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
        info.firstUse = n;
        for (Operation *user : await->getUsers())
          if (std::optional<unsigned> at = graph.nodeOf(user))
            info.firstUse = std::min(info.firstUse, *at);
        continue;
      }
      if (FailureOr<OpTime> time = model.opTime(op, tables, -1, why);
          succeeded(time) && !time->communication)
        info.seconds = time->seconds;
    }
  }

  /// A topological order that issues overlapping starts as soon as they are
  /// ready (at most `maxInFlight` awaiting at a time), awaits communication
  /// as soon as the timing model says it has landed, runs other work in
  /// program order, and waits for communication in flight only when
  /// nothing else can run.
  SmallVector<unsigned> order(unsigned maxInFlight) const {
    unsigned n = graph.size();
    SmallVector<unsigned> waitingFor(n);
    SmallVector<double> end(n, 0);
    SmallVector<bool> landed(n, false);
    StreamSimulator sim(model);
    // Ready nodes by the key each rule picks by.
    std::set<std::pair<unsigned, unsigned>> startsByConsumer, awaitsByUse;
    std::set<unsigned> startsInOrder, others;
    auto makeReady = [&](unsigned node) {
      const NodeInfo &info = infos[node];
      if (info.isStart && info.overlaps) {
        startsByConsumer.insert({info.consumer, node});
        startsInOrder.insert(node);
      } else if (overlapping(node)) {
        awaitsByUse.insert({info.firstUse, node});
      } else {
        others.insert(node);
      }
    };
    for (unsigned node = 0; node < n; ++node) {
      waitingFor[node] = graph.predecessors(node).size();
      if (waitingFor[node] == 0)
        makeReady(node);
    }

    SmallVector<unsigned> result;
    unsigned inFlight = 0;
    while (result.size() < n) {
      double now = sim.streamFree(kComputeStream);
      std::optional<unsigned> pick;
      // 1. Communication worth overlapping, earliest consumer first.
      if (inFlight < maxInFlight && !startsByConsumer.empty())
        pick = startsByConsumer.begin()->second;
      // 2. Awaits of communication that has landed by now: they cost no
      // stall and may unlock more communication (the next step of a ring,
      // whose send waits for this step's combine).
      if (!pick)
        for (auto [use, node] : awaitsByUse)
          if (end[infos[node].start] <= now) {
            pick = node;
            break;
          }
      // 3. Anything else in program order: compute, and communication kept
      // in place together with its await.
      if (!pick && !others.empty())
        pick = *others.begin();
      // 4. Awaits of overlapped communication still in flight, as late as
      // possible: the one needed soonest.
      if (!pick && !awaitsByUse.empty())
        pick = awaitsByUse.begin()->second;
      // 5. A start held back by the in-flight limit, when nothing else can.
      if (!pick)
        pick = *startsInOrder.begin();

      unsigned node = *pick;
      const NodeInfo &info = infos[node];
      startsByConsumer.erase({info.consumer, node});
      startsInOrder.erase(node);
      awaitsByUse.erase({info.firstUse, node});
      others.erase(node);
      result.push_back(node);
      end[node] = simulate(sim, node, end);
      if (info.isStart && info.overlaps)
        ++inFlight;
      // The first await of a start to run ends its time in flight.
      if (info.isAwait && info.start != ~0u && infos[info.start].overlaps &&
          !landed[info.start]) {
        landed[info.start] = true;
        --inFlight;
      }
      for (unsigned successor : successors[node])
        if (--waitingFor[successor] == 0)
          makeReady(successor);
    }
    sinkFreeOps(result);
    return result;
  }

  /// Moves ops that take no time and touch no memory (slices, reshapes,
  /// index arithmetic) to just before the first op that depends on them.
  /// Picked early to fill the wait for an await they hide nothing, and
  /// what they define would live from there: a slice that bufferizes to a
  /// copy (the zero init of each ring step) would hold its bytes for the
  /// whole ring.
  void sinkFreeOps(SmallVector<unsigned> &order) const {
    for (size_t i = order.size(); i-- > 0;) {
      unsigned node = order[i];
      if (!isFree(node) || successors[node].empty())
        continue;
      size_t firstUser = order.size();
      for (size_t j = i + 1; j < order.size(); ++j)
        if (llvm::is_contained(successors[node], order[j])) {
          firstUser = j;
          break;
        }
      if (firstUser == order.size() || firstUser == i + 1)
        continue;
      // order[i] goes to firstUser - 1; what was between moves up by one.
      std::rotate(order.begin() + i, order.begin() + i + 1,
                  order.begin() + firstUser);
    }
  }

  unsigned numOverlapping() const {
    return llvm::count_if(infos, [](const NodeInfo &i) {
      return i.isStart && i.overlaps;
    });
  }

  /// The arena the buffer pipeline plans for the block issued in `order`.
  FailureOr<int64_t> arenaOf(ArrayRef<unsigned> order,
                             std::string &whyNot) const {
    FailureOr<ArenaSummary> arena = estimateArena(
        cast<FunctionOpInterface>(block.getParentOp()), ops(order), whyNot);
    if (failed(arena))
      return failure();
    return arena->arenaBytes;
  }

  SchedulePlan plan(ArrayRef<unsigned> order) const {
    SchedulePlan result;
    result.order = ops(order);
    // Priorities follow consumer order: the first-needed start runs first.
    SmallVector<unsigned> starts;
    for (unsigned node : order)
      if (infos[node].isStart && infos[node].overlaps)
        starts.push_back(node);
    llvm::stable_sort(starts, [&](unsigned a, unsigned b) {
      return infos[a].consumer < infos[b].consumer;
    });
    for (auto [rank, node] : llvm::enumerate(starts))
      result.priorities.push_back({cast<StartOp>(graph.op(node)),
                                   static_cast<int64_t>(starts.size() - rank)});
    return result;
  }

  void explain(ArrayRef<unsigned> order) const {
    SmallVector<unsigned> position(graph.size());
    for (auto [at, node] : llvm::enumerate(order))
      position[node] = at;
    // Compute issued before each position: what runs between a start and
    // its await.
    SmallVector<double> computeBefore(order.size() + 1, 0);
    for (auto [at, node] : llvm::enumerate(order))
      computeBefore[at + 1] =
          computeBefore[at] + (infos[node].isStart ? 0 : infos[node].seconds);
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
      unsigned awaitAt = info.consumer == ~0u ? order.size()
                                              : position[info.consumer];
      double hidden = awaitAt > position[node]
                          ? computeBefore[awaitAt] -
                                computeBefore[position[node] + 1]
                          : 0;
      hidden = std::min(hidden, info.seconds);
      // Ops that take time, as written before it minus as issued before it:
      // free ops sunk to their users do not count as moved over.
      int moved = 0;
      for (unsigned other = 0; other < graph.size(); ++other)
        if (other != node && !isFree(other))
          moved += static_cast<int>(other < node) -
                   static_cast<int>(position[other] < position[node]);
      InFlightDiagnostic diag = op->emitRemark();
      if (moved > 0)
        diag << "moved earlier by " << moved << " ops; ";
      else
        diag << "issued where written; ";
      diag << "hides " << formatMicros(hidden) << " of "
           << formatMicros(info.seconds) << " behind compute";
      if (hidden < info.seconds)
        diag << ", " << formatMicros(info.seconds - hidden) << " exposed";
    }
  }

private:
  /// An op that takes no time and touches no memory.
  bool isFree(unsigned node) const {
    const NodeInfo &info = infos[node];
    Operation *op = graph.op(node);
    return !info.isStart && !info.isAwait && info.seconds == 0 &&
           op->getNumRegions() == 0 && isMemoryEffectFree(op);
  }

  /// Overlapped starts and their awaits: the ops the scheduler moves.
  bool overlapping(unsigned node) const {
    const NodeInfo &info = infos[node];
    if (info.isStart)
      return info.overlaps;
    return info.isAwait && info.start != ~0u && infos[info.start].overlaps;
  }

  SmallVector<Operation *> ops(ArrayRef<unsigned> order) const {
    SmallVector<Operation *> result;
    for (unsigned node : order)
      result.push_back(graph.op(node));
    return result;
  }

  /// Issues `op` into the simulator, ready at `ready`, on `stream`.
  double issue(StreamSimulator &sim, Operation *op, int64_t stream,
               double ready) const {
    std::string why;
    if (auto collective = dyn_cast<CollectiveOpInterface>(op)) {
      FailureOr<OpTime> time = model.opTime(op, tables, -1, why);
      FailureOr<const LinkProfile *> link = model.linkFor(collective, tables);
      return sim
          .communicate(stream, ready, succeeded(time) ? *time : OpTime(),
                       succeeded(link) ? *link : nullptr, op)
          .end;
    }
    return sim
        .compute(
            stream, ready,
            [&](int64_t sms) {
              FailureOr<OpTime> time = model.opTime(op, tables, sms, why);
              return succeeded(time) ? *time : OpTime();
            },
            op)
        .end;
  }

  /// Plays `node` through the timing model; returns when its results (a
  /// start's: its future's values) are ready.
  double simulate(StreamSimulator &sim, unsigned node,
                  ArrayRef<double> end) const {
    const NodeInfo &info = infos[node];
    double ready = 0;
    for (unsigned pred : graph.predecessors(node))
      ready = std::max(ready, end[pred]);
    Operation *op = graph.op(node);
    if (auto start = dyn_cast<StartOp>(op)) {
      // Kept in place, the body runs on the compute stream.
      int64_t stream = info.overlaps ? start.getStream() : kComputeStream;
      double done = ready;
      for (Operation &nested : start.getBody().front().without_terminator())
        done = std::max(done, issue(sim, &nested, stream, ready));
      return done;
    }
    if (info.isAwait) {
      sim.waitUntil(kComputeStream, ready);
      return ready;
    }
    return issue(sim, op, kComputeStream, ready);
  }

  DependenceGraph graph;
  Block &block;
  const CostModel &model;
  SymbolTableCollection &tables;
  double switchCost;
  SmallVector<NodeInfo> infos;
  SmallVector<SmallVector<unsigned, 4>> successors;
};

struct BraidSchedulePass : braid::impl::BraidScheduleBase<BraidSchedulePass> {
  using Base::Base;

  void runOnOperation() override {
    FunctionOpInterface function = getOperation();
    if (function.isExternal())
      return;
    FailureOr<CostModel> loaded = getTargetCostModel(function);
    if (failed(loaded))
      return signalPassFailure();
    const CostModel &model = *loaded;
    SymbolTableCollection tables;
    Block &body = function.getFunctionBody().front();
    Scheduler scheduler(body, model, tables);

    unsigned limit = scheduler.numOverlapping();
    SmallVector<unsigned> chosen = scheduler.order(limit);
    if (memoryBudget > 0 && failed(fitBudget(function, scheduler, limit,
                                             chosen)))
      return;
    IRRewriter rewriter(function.getContext());
    if (failed(applySchedule(rewriter, body, scheduler.plan(chosen)))) {
      function.emitError() << "internal error: the schedule is not a "
                              "permutation of the function's ops";
      return signalPassFailure();
    }
    if (explain || isExplainRequested())
      scheduler.explain(chosen);
  }

  /// Fewer collectives in flight until the arena fits the budget: the most
  /// that fit, found by bisection (more in flight never shrinks the arena).
  LogicalResult fitBudget(FunctionOpInterface function,
                          const Scheduler &scheduler, unsigned limit,
                          SmallVector<unsigned> &chosen) {
    std::string whyNot;
    FailureOr<int64_t> arena = scheduler.arenaOf(chosen, whyNot);
    if (failed(arena)) {
      function.emitWarning() << "memory budget ignored: the arena cannot be "
                                "estimated: "
                             << whyNot;
      return success();
    }
    unsigned inFlight = limit;
    if (*arena > memoryBudget) {
      SmallVector<unsigned> leanest = scheduler.order(0);
      FailureOr<int64_t> leanestArena = scheduler.arenaOf(leanest, whyNot);
      if (failed(leanestArena) || *leanestArena > memoryBudget) {
        chosen = leanest;
        function.emitWarning()
            << "memory budget " << (int64_t)memoryBudget
            << " B is below the arena of the leanest schedule, "
            << (succeeded(leanestArena) ? *leanestArena : *arena)
            << " B; kept that schedule";
        return success();
      }
      // arena(lo) fits, arena(hi) does not.
      unsigned lo = 0, hi = limit;
      SmallVector<unsigned> best = leanest;
      int64_t bestArena = *leanestArena;
      while (hi - lo > 1) {
        unsigned mid = lo + (hi - lo) / 2;
        SmallVector<unsigned> candidate = scheduler.order(mid);
        FailureOr<int64_t> candidateArena =
            scheduler.arenaOf(candidate, whyNot);
        if (succeeded(candidateArena) && *candidateArena <= memoryBudget) {
          lo = mid;
          best = std::move(candidate);
          bestArena = *candidateArena;
        } else {
          hi = mid;
        }
      }
      chosen = std::move(best);
      inFlight = lo;
      *arena = bestArena;
    }
    if (explain || isExplainRequested())
      function.emitRemark() << "memory budget " << (int64_t)memoryBudget
                            << " B: at most " << inFlight
                            << " collectives issued ahead of need, arena "
                            << *arena << " B";
    return success();
  }

  void getDependentDialects(DialectRegistry &registry) const override {
    Base::getDependentDialects(registry);
    getBufferizationPipelineDialects(registry);
  }
};

} // namespace
