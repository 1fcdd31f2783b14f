//===- TimingModel.cpp - the one event-driven model of a rank's time -----===//

#include "braid/Analysis/TimingModel.h"
#include "braid/Analysis/DependenceGraph.h"
#include "braid/Analysis/FusedCollective.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"

#include <set>

using namespace mlir;
using namespace mlir::braid;

//===----------------------------------------------------------------------===//
// StreamSimulator
//===----------------------------------------------------------------------===//

bool StreamSimulator::communicationActive(double t, int64_t stream) const {
  for (const auto &[other, intervals] : communication) {
    if (other == stream || intervals.empty())
      continue;
    // The last transfer started at or before t: on an in-order stream no
    // earlier one can still run.
    auto after = llvm::upper_bound(
        intervals, t, [](double time, const Interval &interval) {
          return time < interval.start;
        });
    if (after != intervals.begin() && t < std::prev(after)->end)
      return true;
  }
  return false;
}

StreamSimulator::Interval StreamSimulator::record(Operation *op,
                                                  int64_t stream,
                                                  double start,
                                                  const OpTime &cost) {
  Interval interval{start, start + cost.seconds};
  free[stream] = interval.end;
  if (cost.seconds > 0) {
    result.events.push_back(
        TimelineEvent{op, stream, interval.start, interval.end, cost});
    (cost.communication ? result.communicationTime : result.computeTime) +=
        cost.seconds;
    result.makespan = std::max(result.makespan, interval.end);
  }
  return interval;
}

StreamSimulator::Interval
StreamSimulator::compute(int64_t stream, double ready,
                         function_ref<OpTime(int64_t sms)> cost,
                         Operation *op) {
  double start = std::max(ready, free.lookup(stream));
  const HardwareProfile &hw = model.profile();
  int64_t sms = hw.numSMs;
  if (communicationActive(start, stream))
    sms -= hw.commSMs;
  return record(op, stream, start, cost(sms));
}

StreamSimulator::Interval
StreamSimulator::communicate(int64_t stream, double ready, const OpTime &cost,
                             const LinkProfile *link, Operation *op) {
  double start = std::max(ready, free.lookup(stream));
  if (link)
    start = std::max(start, linkFree.lookup(link));
  OpTime time = cost;
  time.communication = true;
  Interval interval = record(op, stream, start, time);
  if (link)
    linkFree[link] = interval.end;
  if (time.seconds > 0)
    communication[stream].push_back(interval);
  return interval;
}

void StreamSimulator::waitUntil(int64_t stream, double time) {
  double &at = free[stream];
  at = std::max(at, time);
}

//===----------------------------------------------------------------------===//
// ComputeWindows
//===----------------------------------------------------------------------===//

ComputeWindows::BlockSums &ComputeWindows::sumsOf(Block *block) {
  std::unique_ptr<BlockSums> &sums = blocks[block];
  if (sums)
    return *sums;
  sums = std::make_unique<BlockSums>();
  sums->prefix.push_back(0);
  for (Operation &op : *block) {
    sums->position[&op] = sums->prefix.size() - 1;
    double seconds = 0;
    if (classifyOp(&op) == OpClass::Compute) {
      std::string why;
      if (FailureOr<OpTime> time = model.opTime(&op, tables, sms, why);
          succeeded(time) && !time->communication)
        seconds = time->seconds;
    }
    sums->prefix.push_back(sums->prefix.back() + seconds);
  }
  return *sums;
}

double ComputeWindows::around(Operation *op) {
  Block *block = op->getBlock();
  BlockSums &sums = sumsOf(block);
  auto positionOf = [&](Operation *inBlock) -> std::optional<unsigned> {
    auto it = sums.position.find(inBlock);
    if (it == sums.position.end())
      return std::nullopt;
    return it->second;
  };
  unsigned self = sums.position.lookup(op);
  // After the last operand's definition (or the block's start).
  unsigned begin = 0;
  for (Value operand : op->getOperands())
    if (Operation *def = operand.getDefiningOp())
      if (Operation *inBlock = block->findAncestorOpInBlock(*def))
        if (std::optional<unsigned> at = positionOf(inBlock))
          begin = std::max(begin, *at + 1);
  // Before the first user (or the block's end).
  unsigned end = sums.prefix.size() - 1;
  for (Operation *user : op->getUsers())
    if (Operation *inBlock = block->findAncestorOpInBlock(*user))
      if (std::optional<unsigned> at = positionOf(inBlock))
        end = std::min(end, *at);
  if (end <= begin)
    return 0;
  double window = sums.prefix[end] - sums.prefix[begin];
  if (self >= begin && self < end)
    window -= sums.prefix[self + 1] - sums.prefix[self];
  return std::max(0.0, window);
}

//===----------------------------------------------------------------------===//
// Simulating a function
//===----------------------------------------------------------------------===//

namespace {

/// The streams a braid.fused_collective's communication and combines run on
/// in the estimate (its own, beside every start's).
constexpr int64_t kFusedCommunicationStream = 1000;
constexpr int64_t kFusedCombineStream = 1001;

class FunctionSimulator {
public:
  FunctionSimulator(const CostModel &model, TimelineMode mode,
                    SymbolTableCollection &tables,
                    function_ref<void(Operation *, StringRef)> onUncosted)
      : model(model), simulator(model), mode(mode), tables(tables),
        onUncosted(onUncosted) {}

  void runBlock(Block &block, int64_t stream) {
    for (Operation &op : block.without_terminator())
      run(&op, stream);
  }

  Timeline takeTimeline() { return simulator.takeTimeline(); }

private:
  double readyTime(Operation *op) {
    double ready = 0;
    auto visit = [&](Operation *nested) {
      for (Value operand : nested->getOperands()) {
        auto it = valueReady.find(operand);
        if (it != valueReady.end())
          ready = std::max(ready, it->second);
      }
    };
    if (op->getNumRegions() == 0)
      visit(op);
    else
      op->walk(visit);
    return ready;
  }

  void run(Operation *op, int64_t stream) {
    if (auto start = dyn_cast<StartOp>(op)) {
      // As written, the body runs in place; scheduled, on its stream.
      int64_t bodyStream =
          mode == TimelineMode::Scheduled ? start.getStream() : stream;
      runBlock(start.getBody().front(), bodyStream);
      double done = simulator.streamFree(bodyStream);
      for (Value value : start.getYield().getValues())
        done = std::max(done, valueReady.lookup(value));
      valueReady[start.getFuture()] = done;
      return;
    }
    if (auto await = dyn_cast<AwaitOp>(op)) {
      double done = valueReady.lookup(await.getFuture());
      simulator.waitUntil(stream, done);
      for (Value result : await.getResults())
        valueReady[result] = done;
      return;
    }

    double ready = readyTime(op);
    if (auto fused = dyn_cast<FusedCollectiveOp>(op)) {
      // Its producer on this stream, its communication beside it on
      // streams of its own (FusedCollective.h).
      Operation *collective = fused.getCollective();
      std::string why;
      FailureOr<FusedCollectiveWork> work =
          getFusedCollectiveWork(collective, model, tables, why);
      if (failed(work)) {
        reportUncosted(op, why);
        valueReady[fused.getResult()] = ready;
        return;
      }
      FailureOr<const LinkProfile *> link =
          model.linkFor(cast<CollectiveOpInterface>(collective), tables);
      FusedStreams streams{stream, kFusedCommunicationStream,
                           kFusedCombineStream};
      valueReady[fused.getResult()] = playFusedCollective(
          simulator, streams, ready, *work, fused.getTrigger(),
          succeeded(link) ? *link : nullptr, op);
      return;
    }
    StreamSimulator::Interval interval;
    if (auto collective = dyn_cast<CollectiveOpInterface>(op)) {
      std::string why;
      FailureOr<OpTime> time = model.opTime(op, tables, -1, why);
      if (failed(time))
        reportUncosted(op, why);
      FailureOr<const LinkProfile *> link = model.linkFor(collective, tables);
      interval = simulator.communicate(
          stream, ready, succeeded(time) ? *time : OpTime(),
          succeeded(link) ? *link : nullptr, op);
    } else {
      interval = simulator.compute(
          stream, ready,
          [&](int64_t sms) {
            std::string why;
            FailureOr<OpTime> time = model.opTime(op, tables, sms, why);
            if (succeeded(time))
              return *time;
            reportUncosted(op, why);
            return OpTime();
          },
          op);
    }
    for (Value result : op->getResults())
      valueReady[result] = interval.end;
  }

  void reportUncosted(Operation *op, StringRef why) {
    // Views, constants and other work-free ops have a cost of zero already.
    if (why == "it has no cost interface" && op->getNumRegions() == 0 &&
        (isPure(op) || op->hasTrait<OpTrait::ConstantLike>()))
      return;
    if (onUncosted)
      onUncosted(op, why);
  }

  const CostModel &model;
  StreamSimulator simulator;
  TimelineMode mode;
  SymbolTableCollection &tables;
  function_ref<void(Operation *, StringRef)> onUncosted;
  llvm::DenseMap<Value, double> valueReady;
};

} // namespace

Timeline mlir::braid::simulate(
    FunctionOpInterface function, const CostModel &model, TimelineMode mode,
    SymbolTableCollection &tables,
    function_ref<void(Operation *, StringRef)> onUncosted) {
  FunctionSimulator simulator(model, mode, tables, onUncosted);
  if (!function.isExternal())
    simulator.runBlock(function.getFunctionBody().front(), /*stream=*/0);
  return simulator.takeTimeline();
}

void mlir::braid::writeChromeTrace(const Timeline &timeline, int64_t numRanks,
                                   StringRef label, llvm::raw_ostream &os) {
  llvm::json::Array events;
  std::set<int64_t> streams;
  for (const TimelineEvent &event : timeline.events)
    streams.insert(event.stream);
  for (int64_t rank = 0; rank < numRanks; ++rank) {
    events.push_back(llvm::json::Object{
        {"name", "process_name"},
        {"ph", "M"},
        {"pid", rank},
        {"args", llvm::json::Object{{"name", ("rank " + Twine(rank)).str()}}}});
    for (int64_t stream : streams)
      events.push_back(llvm::json::Object{
          {"name", "thread_name"},
          {"ph", "M"},
          {"pid", rank},
          {"tid", stream},
          {"args",
           llvm::json::Object{
               {"name", stream == 0 ? std::string("stream 0 (compute)")
                                    : ("stream " + Twine(stream)).str()}}}});
    for (const TimelineEvent &event : timeline.events) {
      std::string location;
      llvm::raw_string_ostream locationStream(location);
      if (event.op)
        locationStream << event.op->getLoc();
      events.push_back(llvm::json::Object{
          {"name", event.op ? event.op->getName().getStringRef()
                            : StringRef("planned work")},
          {"cat", event.time.communication ? "communication" : "compute"},
          {"ph", "X"},
          {"pid", rank},
          {"tid", event.stream},
          {"ts", event.start * 1e6},
          {"dur", (event.end - event.start) * 1e6},
          {"args", llvm::json::Object{{"model", event.time.explanation},
                                      {"loc", location}}}});
    }
  }
  llvm::json::Object trace{{"traceEvents", std::move(events)},
                           {"displayTimeUnit", "ns"},
                           {"otherData",
                            llvm::json::Object{{"program", label.str()}}}};
  os << llvm::formatv("{0:2}", llvm::json::Value(std::move(trace))) << "\n";
}
