//===- Timeline.cpp - predicted execution of one rank on streams ----------===//

#include "braid/Analysis/Timeline.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"

#include <set>

using namespace mlir;
using namespace mlir::braid;

namespace {

class Simulator {
public:
  Simulator(const CostModel &model, TimelineMode mode,
            SymbolTableCollection &tables,
            function_ref<void(Operation *, StringRef)> onUncosted)
      : model(model), mode(mode), tables(tables), onUncosted(onUncosted) {}

  void runBlock(Block &block, int64_t stream) {
    for (Operation &op : block.without_terminator())
      run(&op, stream);
  }

  Timeline timeline;

private:
  double readyTime(Operation *op) {
    double ready = 0;
    // Values used anywhere inside `op`, including its regions.
    op->walk([&](Operation *nested) {
      for (Value operand : nested->getOperands()) {
        auto it = valueReady.find(operand);
        if (it != valueReady.end())
          ready = std::max(ready, it->second);
      }
    });
    return ready;
  }

  /// Whether communication runs on another stream at time `t`.
  bool communicationActive(double t, int64_t stream) {
    for (const TimelineEvent &event : timeline.events)
      if (event.time.communication && event.stream != stream &&
          event.start <= t && t < event.end)
        return true;
    return false;
  }

  void run(Operation *op, int64_t stream) {
    if (auto start = dyn_cast<StartOp>(op)) {
      // As written, the body runs in place; scheduled, on its stream.
      int64_t bodyStream =
          mode == TimelineMode::Scheduled ? start.getStream() : stream;
      runBlock(start.getBody().front(), bodyStream);
      double done = 0;
      for (Value value : start.getYield().getValues()) {
        auto it = valueReady.find(value);
        if (it != valueReady.end())
          done = std::max(done, it->second);
      }
      done = std::max(done, streamFree[bodyStream]);
      valueReady[start.getFuture()] = done;
      return;
    }
    if (auto await = dyn_cast<AwaitOp>(op)) {
      double done = valueReady.lookup(await.getFuture());
      streamFree[stream] = std::max(streamFree[stream], done);
      for (Value result : await.getResults())
        valueReady[result] = done;
      return;
    }

    double start = std::max(readyTime(op), streamFree[stream]);
    int64_t sms = model.profile().numSMs;
    if (!isa<CollectiveOpInterface>(op) && communicationActive(start, stream))
      sms -= model.profile().commSMs;
    std::string why;
    FailureOr<OpTime> time = model.opTime(op, tables, sms, why);
    OpTime cost;
    if (succeeded(time))
      cost = *time;
    else
      reportUncosted(op, why);
    double end = start + cost.seconds;
    streamFree[stream] = end;
    for (Value result : op->getResults())
      valueReady[result] = end;
    if (cost.seconds > 0) {
      timeline.events.push_back(TimelineEvent{op, stream, start, end, cost});
      (cost.communication ? timeline.communicationTime
                          : timeline.computeTime) += cost.seconds;
      timeline.makespan = std::max(timeline.makespan, end);
    }
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
  TimelineMode mode;
  SymbolTableCollection &tables;
  function_ref<void(Operation *, StringRef)> onUncosted;
  llvm::DenseMap<Value, double> valueReady;
  llvm::DenseMap<int64_t, double> streamFree;
};

} // namespace

Timeline mlir::braid::simulate(
    func::FuncOp function, const CostModel &model, TimelineMode mode,
    SymbolTableCollection &tables,
    function_ref<void(Operation *, StringRef)> onUncosted) {
  Simulator simulator(model, mode, tables, onUncosted);
  if (!function.isExternal())
    simulator.runBlock(function.getBody().front(), /*stream=*/0);
  return std::move(simulator.timeline);
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
      locationStream << event.op->getLoc();
      events.push_back(llvm::json::Object{
          {"name", event.op->getName().getStringRef()},
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
