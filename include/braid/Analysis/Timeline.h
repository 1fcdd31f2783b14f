//===- Timeline.h - predicted execution of one rank on streams --*- C++ -*-===//
//
// Simulates a function on the cost model: as written (every op on one
// stream, in order) or as scheduled (braid.start bodies on their streams,
// awaits as stream waits, compute slowed while communication kernels hold
// SMs). SPMD ranks run the same program, so one rank's timeline is every
// rank's; the trace repeats it per rank for Perfetto.
//
// Simplifications: the host issues asynchronously and never lags, so a start
// begins when its inputs exist and its stream is free, wherever the host
// issued it; a GEMM loses SMs to communication already simulated when it
// starts (not to communication that starts while it runs).
//
//===----------------------------------------------------------------------===//

#ifndef BRAID_ANALYSIS_TIMELINE_H
#define BRAID_ANALYSIS_TIMELINE_H

#include "braid/Analysis/CostModel.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/Support/raw_ostream.h"

#include <vector>

namespace mlir {
namespace braid {

struct TimelineEvent {
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

enum class TimelineMode { Sequential, Scheduled };

/// Simulates `function`. Ops the model cannot cost are reported through
/// `onUncosted` and take no time.
Timeline simulate(func::FuncOp function, const CostModel &model,
                  TimelineMode mode, SymbolTableCollection &tables,
                  function_ref<void(Operation *, StringRef)> onUncosted);

/// Writes `timeline` as Chrome trace JSON (one track per stream per rank,
/// microseconds) for `numRanks` ranks.
void writeChromeTrace(const Timeline &timeline, int64_t numRanks,
                      StringRef label, llvm::raw_ostream &os);

} // namespace braid
} // namespace mlir

#endif // BRAID_ANALYSIS_TIMELINE_H
