//===- WorkSummary.cpp - report per-rank work as remarks ------------------===//

#include "braid/Analysis/WorkSummary.h"
#include "braid/Dialect/Braid/Transforms/Passes.h"

namespace mlir {
namespace braid {
#define GEN_PASS_DEF_BRAIDWORKSUMMARY
#include "braid/Dialect/Braid/Transforms/Passes.h.inc"
} // namespace braid
} // namespace mlir

using namespace mlir;
using namespace mlir::braid;

namespace {

void printOrUnknown(InFlightDiagnostic &diag, std::optional<int64_t> value) {
  if (value)
    diag << *value;
  else
    diag << "?";
}

struct BraidWorkSummaryPass
    : braid::impl::BraidWorkSummaryBase<BraidWorkSummaryPass> {
  using Base::Base;

  void runOnOperation() override {
    SymbolTableCollection symbolTables;
    getOperation()->walk([&](FunctionOpInterface function) {
      if (function.isExternal())
        return;
      auto onCompute = [&](CostOpInterface op, FailureOr<OpCost> cost) {
        if (!perOp)
          return;
        if (failed(cost)) {
          op->emitRemark("cost: unknown (dynamic shape or too large to count)");
          return;
        }
        if (*cost == OpCost{})
          return;
        op->emitRemark() << "cost: " << cost->flops << " flops, "
                         << cost->bytesRead << " B read, "
                         << cost->bytesWritten << " B written";
      };
      auto onCollective = [&](CollectiveOpInterface op,
                              const CollectiveWork &work) {
        if (!perOp)
          return;
        InFlightDiagnostic remark = op->emitRemark("collective: group size ");
        printOrUnknown(remark, work.groupSize);
        remark << ", payload ";
        printOrUnknown(remark, work.payloadBytes);
        remark << " B, bus ";
        printOrUnknown(remark, work.busBytes);
        remark << " B, reduction ";
        if (std::optional<ReductionKind> kind = op.getReductionKind())
          remark << stringifyReductionKind(*kind);
        else
          remark << "none";
      };
      WorkSummary summary =
          summarizeWork(function, symbolTables, onCompute, onCollective);
      InFlightDiagnostic remark = function->emitRemark();
      remark << "work per rank: " << summary.compute.flops << " flops, "
             << summary.compute.bytesRead << " B read, "
             << summary.compute.bytesWritten << " B written in "
             << summary.numComputeOps << " compute ops; "
             << summary.numCollectives << " collectives, "
             << summary.payloadBytes << " B payload, " << summary.busBytes
             << " B on the bus";
      if (!summary.unknown.empty()) {
        remark << "; not counted (dynamic shape or group, or too large):";
        for (Operation *op : summary.unknown)
          remark.attachNote(op->getLoc()) << "'" << op->getName()
                                          << "' has no static work";
        remark << " " << summary.unknown.size() << " ops";
      }
    });
  }
};

} // namespace
