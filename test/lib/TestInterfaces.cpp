//===- TestInterfaces.cpp - print braid interface queries as remarks ------===//
//
// `-test-braid-interfaces` reports, on every op, what the collective and cost
// interfaces answer, so lit tests can check them with -verify-diagnostics.
//
//===----------------------------------------------------------------------===//

#include "braid/Dialect/Braid/IR/BraidDialect.h"

#include "mlir/Pass/Pass.h"

using namespace mlir;
using namespace mlir::braid;

namespace {
struct TestInterfacesPass
    : PassWrapper<TestInterfacesPass, OperationPass<>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(TestInterfacesPass)

  StringRef getArgument() const final { return "test-braid-interfaces"; }
  StringRef getDescription() const final {
    return "Report collective and cost interface queries as remarks";
  }

  void runOnOperation() override {
    SymbolTableCollection symbolTables;
    getOperation()->walk([&](Operation *op) {
      if (auto collective = dyn_cast<CollectiveOpInterface>(op)) {
        InFlightDiagnostic remark = op->emitRemark("collective: group size ");
        FailureOr<int64_t> size = collective.getGroupSize(&symbolTables);
        FailureOr<int64_t> payload = collective.getPayloadBytes();
        FailureOr<int64_t> bus = collective.getBusBytes(&symbolTables);
        auto print = [&](FailureOr<int64_t> value) {
          if (failed(value))
            remark << "?";
          else
            remark << *value;
        };
        print(size);
        remark << ", payload ";
        print(payload);
        remark << " B, bus ";
        print(bus);
        remark << " B, reduction ";
        if (std::optional<ReductionKind> kind = collective.getReductionKind())
          remark << stringifyReductionKind(*kind);
        else
          remark << "none";
      }
      // Ops nested in a costed op (a linalg payload) are part of its cost.
      auto costed = dyn_cast<CostOpInterface>(op);
      if (costed && !isa_and_nonnull<CostOpInterface>(op->getParentOp())) {
        FailureOr<OpCost> cost = costed.getCost();
        if (failed(cost))
          op->emitRemark("cost: unknown");
        else
          op->emitRemark() << "cost: " << cost->flops << " flops, "
                           << cost->bytesRead << " B read, "
                           << cost->bytesWritten << " B written";
      }
    });
  }
};
} // namespace

namespace mlir::braid::test {
void registerTestPasses() { PassRegistration<TestInterfacesPass>(); }
} // namespace mlir::braid::test
