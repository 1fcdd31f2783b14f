//===- TestAnalyses.cpp - print braid analyses for lit ---------------------===//
//
// -test-braid-dependence-graph: per op, its class and the ops it depends on;
//   per collective, the compute independent of it (what could hide it); per
//   function, the critical path counting compute and communication ops.
// -test-braid-arena-estimate: per function, the arena estimateArena
//   predicts for it as written.
//
//===----------------------------------------------------------------------===//

#include "braid/Analysis/DependenceGraph.h"
#include "braid/Dialect/Braid/Transforms/Transforms.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Pass/Pass.h"

using namespace mlir;
using namespace mlir::braid;

namespace {

template <typename Range>
void printNodes(InFlightDiagnostic &diag, Range nodes) {
  diag << "[";
  llvm::interleaveComma(nodes, diag, [&](unsigned node) { diag << node; });
  diag << "]";
}

struct TestDependenceGraphPass
    : PassWrapper<TestDependenceGraphPass, OperationPass<func::FuncOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(TestDependenceGraphPass)
  StringRef getArgument() const final { return "test-braid-dependence-graph"; }
  StringRef getDescription() const final {
    return "Print the dependence graph of each function as remarks";
  }

  void runOnOperation() override {
    func::FuncOp function = getOperation();
    if (function.isExternal())
      return;
    DependenceGraph graph(function.getBody().front());
    for (unsigned node = 0; node < graph.size(); ++node) {
      InFlightDiagnostic diag = graph.op(node)->emitRemark();
      diag << "#" << node << " " << stringifyOpClass(graph.kind(node))
           << ", after ";
      SmallVector<unsigned> preds(graph.predecessors(node));
      llvm::sort(preds);
      printNodes(diag, preds);
      if (graph.kind(node) != OpClass::Communication)
        continue;
      SmallVector<unsigned> hiders;
      for (unsigned other : graph.independentOf(node))
        if (graph.kind(other) == OpClass::Compute)
          hiders.push_back(other);
      diag << ", independent compute ";
      printNodes(diag, hiders);
    }
    auto [length, path] = graph.criticalPath([&](unsigned node) {
      OpClass kind = graph.kind(node);
      return kind == OpClass::Compute || kind == OpClass::Communication ? 1.0
                                                                        : 0.0;
    });
    InFlightDiagnostic diag = function.emitRemark();
    diag << "critical path: " << static_cast<int64_t>(length)
         << " compute/communication ops along ";
    printNodes(diag, path);
  }
};

struct TestArenaEstimatePass
    : PassWrapper<TestArenaEstimatePass, OperationPass<ModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(TestArenaEstimatePass)
  StringRef getArgument() const final { return "test-braid-arena-estimate"; }
  StringRef getDescription() const final {
    return "Print the arena the buffer pipeline would plan for each function";
  }
  void getDependentDialects(DialectRegistry &registry) const override {
    getBufferizationPipelineDialects(registry);
  }

  void runOnOperation() override {
    for (auto function : getOperation().getOps<func::FuncOp>()) {
      if (function.isExternal())
        continue;
      std::string whyNot;
      FailureOr<ArenaSummary> arena = estimateArena(function, {}, whyNot);
      if (failed(arena)) {
        function.emitRemark() << "arena estimate unavailable: " << whyNot;
        continue;
      }
      function.emitRemark() << "arena estimate " << arena->arenaBytes
                            << " B for " << arena->numBuffers
                            << " buffers (peak of live buffers "
                            << arena->peakBytes << " B)";
    }
  }
};

} // namespace

namespace mlir::braid::test {
void registerTestPasses() {
  PassRegistration<TestDependenceGraphPass>();
  PassRegistration<TestArenaEstimatePass>();
}
} // namespace mlir::braid::test
