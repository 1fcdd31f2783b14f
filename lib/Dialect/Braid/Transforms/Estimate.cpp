//===- Estimate.cpp - predicted step time on a hardware profile -----------===//

#include "braid/Analysis/Target.h"
#include "braid/Analysis/TimingModel.h"
#include "braid/Dialect/Braid/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"

namespace mlir {
namespace braid {
#define GEN_PASS_DEF_BRAIDESTIMATE
#include "braid/Dialect/Braid/Transforms/Passes.h.inc"
} // namespace braid
} // namespace mlir

using namespace mlir;
using namespace mlir::braid;

namespace {

struct BraidEstimatePass
    : braid::impl::BraidEstimateBase<BraidEstimatePass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    FailureOr<CostModel> loaded = getTargetCostModel(module);
    if (failed(loaded))
      return signalPassFailure();
    const CostModel &model = *loaded;
    SymbolTableCollection tables;

    Timeline combined;
    module.walk([&](func::FuncOp function) {
      if (function.isExternal())
        return;
      auto onUncosted = [&](Operation *op, StringRef why) {
        op->emitRemark() << "not costed: " << why;
      };
      Timeline sequential = simulate(function, model,
                                     TimelineMode::Sequential, tables,
                                     /*onUncosted=*/{});
      Timeline scheduled = simulate(function, model, TimelineMode::Scheduled,
                                    tables, onUncosted);
      if (perOp)
        for (const TimelineEvent &event : scheduled.events)
          event.op->emitRemark()
              << "predicted " << formatMicros(event.end - event.start) << " on stream "
              << event.stream << ": " << event.time.explanation;
      function.emitRemark()
          << "estimate on " << model.profile().name << ": sequential "
          << formatMicros(sequential.makespan) << ", scheduled "
          << formatMicros(scheduled.makespan) << "; compute "
          << formatMicros(scheduled.computeTime) << ", communication "
          << formatMicros(scheduled.communicationTime) << ", exposed "
          << formatMicros(scheduled.exposedCommunication()) << ", ideal "
          << formatMicros(scheduled.idealBound());
      if (trace.empty())
        return;
      // Functions follow each other in the trace.
      double offset = combined.makespan;
      for (TimelineEvent event : scheduled.events) {
        event.start += offset;
        event.end += offset;
        combined.events.push_back(event);
      }
      combined.makespan += scheduled.makespan;
    });

    // The estimate only reads the IR: the verifier need not run again after
    // this pass (it would cost as much as the estimate itself).
    markAllAnalysesPreserved();
    if (trace.empty())
      return;
    std::string temporary = trace + ".tmp";
    {
      std::error_code error;
      llvm::raw_fd_ostream os(temporary, error);
      if (error) {
        module.emitError() << "cannot write trace '" << trace
                           << "': " << error.message();
        return signalPassFailure();
      }
      writeChromeTrace(combined, getLargestDeviceCount(module), model.profile().name, os);
    }
    if (std::error_code error = llvm::sys::fs::rename(temporary, trace)) {
      module.emitError() << "cannot write trace '" << trace
                         << "': " << error.message();
      return signalPassFailure();
    }
  }
};

} // namespace
