//===- TimingModel.h - the one event-driven model of a rank's time -*- C++ -*-===//
//
// Every decision (cut or not, overlap or not, which order) and every
// estimate in Braid comes from this one simulator, so a decision and the
// estimate can never disagree. Work is issued in host order onto in-order
// streams; an op starts when its inputs exist and its stream is free;
// communication also waits for its link (one transfer at a time per link:
// collectives of two communicators on the same link share its bandwidth,
// which serialising them models); compute launched while communication
// holds SMs on another stream runs on the SMs left. Op durations come from
// the CostModel. SPMD ranks run the same program, so one rank's timeline is
// every rank's; the trace repeats it per rank for Perfetto.
//
// Simplifications: the host issues asynchronously and never lags; a GEMM
// loses SMs to communication already running when it starts (not to
// communication that starts while it runs).
//
//===----------------------------------------------------------------------===//

#ifndef BRAID_ANALYSIS_TIMINGMODEL_H
#define BRAID_ANALYSIS_TIMINGMODEL_H

#include "braid/Analysis/CostModel.h"

#include "mlir/Interfaces/FunctionInterfaces.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/Support/raw_ostream.h"

#include <memory>
#include <vector>

namespace mlir {
namespace braid {

struct TimelineEvent {
  /// The op simulated, or null for work a plan describes that has no op
  /// yet (a GEMM piece of a cut that is being considered).
  Operation *op;
  int64_t stream;
  double start;
  double end;
  OpTime time;
};

struct Timeline {
  std::vector<TimelineEvent> events;
  /// End of the last event.
  double makespan = 0;
  /// Sum of compute and of communication durations.
  double computeTime = 0;
  double communicationTime = 0;
  /// Time the program is longer than its compute alone: communication
  /// (and waits for it) that nothing hides.
  double exposedCommunication() const {
    return std::max(0.0, makespan - computeTime);
  }
  /// max(compute, communication): the best any overlap could do.
  double idealBound() const { return std::max(computeTime, communicationTime); }
};

/// The simulator. Callers issue work in host order; each call returns when
/// the work starts and ends.
class StreamSimulator {
public:
  struct Interval {
    double start = 0;
    double end = 0;
  };

  explicit StreamSimulator(const CostModel &model) : model(model) {}
  const CostModel &costModel() const { return model; }

  /// Compute on `stream`, ready at `ready`; `cost` gives its time on the
  /// SMs it gets.
  Interval compute(int64_t stream, double ready,
                   function_ref<OpTime(int64_t sms)> cost,
                   Operation *op = nullptr);
  /// Communication of `cost` on `stream` over `link` (null: a transfer
  /// that competes with nothing).
  Interval communicate(int64_t stream, double ready, const OpTime &cost,
                       const LinkProfile *link, Operation *op = nullptr);
  /// `stream` waits until `time` (an event wait).
  void waitUntil(int64_t stream, double time);
  /// When `stream` runs out of work issued so far.
  double streamFree(int64_t stream) const { return free.lookup(stream); }

  const Timeline &timeline() const { return result; }
  Timeline takeTimeline() { return std::move(result); }

private:
  /// Whether communication on a stream other than `stream` holds SMs at
  /// time `t`.
  bool communicationActive(double t, int64_t stream) const;
  Interval record(Operation *op, int64_t stream, double start,
                  const OpTime &cost);

  const CostModel &model;
  Timeline result;
  llvm::DenseMap<int64_t, double> free;
  llvm::DenseMap<const LinkProfile *, double> linkFree;
  /// Per stream, its communication intervals in issue (= start) order.
  llvm::DenseMap<int64_t, std::vector<Interval>> communication;
};

/// The compute that can hide an op behind it, as the scheduler finds it:
/// the compute ops between the definition of the op's last operand and its
/// first user, in program order. None of them depends on the op (anything
/// that does comes after a user) or feeds it (anything that does comes
/// before its operands), so they can run while it does. Prefix sums per
/// block make each query O(users + operands).
class ComputeWindows {
public:
  ComputeWindows(const CostModel &model, SymbolTableCollection &tables,
                 int64_t sms)
      : model(model), tables(tables), sms(sms) {}
  /// Seconds of compute that can run beside `op` (in its block).
  double around(Operation *op);

private:
  struct BlockSums {
    llvm::DenseMap<Operation *, unsigned> position;
    /// prefix[i]: compute time of the first i ops.
    std::vector<double> prefix;
  };
  BlockSums &sumsOf(Block *block);

  const CostModel &model;
  SymbolTableCollection &tables;
  int64_t sms;
  llvm::DenseMap<Block *, std::unique_ptr<BlockSums>> blocks;
};

enum class TimelineMode { Sequential, Scheduled };

/// Simulates `function` op by op: as written (every op on one stream, in
/// order) or as scheduled (braid.start bodies on their streams, awaits as
/// stream waits). Ops the model cannot cost are reported through
/// `onUncosted` and take no time.
Timeline simulate(FunctionOpInterface function, const CostModel &model,
                  TimelineMode mode, SymbolTableCollection &tables,
                  function_ref<void(Operation *, StringRef)> onUncosted);

/// Writes `timeline` as Chrome trace JSON (one track per stream per rank,
/// microseconds) for `numRanks` ranks.
void writeChromeTrace(const Timeline &timeline, int64_t numRanks,
                      StringRef label, llvm::raw_ostream &os);

} // namespace braid
} // namespace mlir

#endif // BRAID_ANALYSIS_TIMINGMODEL_H
