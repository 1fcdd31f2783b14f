//===- ArenaEstimate.cpp - the arena a tensor-level function will need ----===//
//
// The estimate is the buffer pipeline itself, run on a copy: whatever
// bufferization decides (in-place writes, copies, packing buffers of
// inner-dimension collectives, caller-owned results, fused element-wise
// chains) and whatever the planner shares, the estimate and the arena are
// one computation, so they cannot drift apart.
//
//===----------------------------------------------------------------------===//

#include "braid/Dialect/Braid/Transforms/Passes.h"
#include "braid/Dialect/Braid/Transforms/Pipelines.h"
#include "braid/Dialect/Braid/Transforms/Transforms.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/CallInterfaces.h"
#include "mlir/Pass/PassManager.h"

#include <thread>

using namespace mlir;
using namespace mlir::braid;

/// A function this one calls that has a body, if any.
static Operation *findCalleeWithBody(Operation *function) {
  Operation *found = nullptr;
  function->walk([&](CallOpInterface call) {
    Operation *callee = call.resolveCallable();
    auto callable = dyn_cast_or_null<CallableOpInterface>(callee);
    if (callable && callable.getCallableRegion() &&
        !callable.getCallableRegion()->empty()) {
      found = callee;
      return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  return found;
}

FailureOr<ArenaSummary>
mlir::braid::estimateArena(FunctionOpInterface function,
                           ArrayRef<Operation *> order, std::string &whyNot) {
  auto funcOp = dyn_cast<func::FuncOp>(function.getOperation());
  if (!funcOp) {
    whyNot = "only func.func functions are bufferized";
    return failure();
  }
  if (funcOp.isExternal())
    return ArenaSummary();
  if (Operation *callee = findCalleeWithBody(funcOp)) {
    whyNot = ("calls @" + SymbolTable::getSymbolName(callee).getValue() +
              ", whose temporaries a call does not show; inline it first")
                 .str();
    return failure();
  }

  // The copy: the function and the symbols bufferization looks up (grids,
  // globals, declarations), in a module of its own.
  MLIRContext *context = function.getContext();
  OwningOpRef<ModuleOp> copy = ModuleOp::create(function.getLoc());
  auto parent = function->getParentOfType<ModuleOp>();
  if (parent)
    copy->getOperation()->setAttrs(parent->getAttrDictionary());
  OpBuilder builder = OpBuilder::atBlockEnd(copy->getBody());
  IRMapping mapping;
  func::FuncOp copied;
  if (parent) {
    for (Operation &op : parent.getBody()->getOperations()) {
      if (&op == funcOp.getOperation())
        copied = cast<func::FuncOp>(builder.clone(op, mapping));
      else if (auto other = dyn_cast<FunctionOpInterface>(op);
               !other || other.isExternal())
        builder.clone(op);
    }
  } else {
    copied = cast<func::FuncOp>(builder.clone(*funcOp, mapping));
  }

  // Issue the copy's ops in `order`.
  if (!order.empty()) {
    Block &body = copied.getBody().front();
    size_t count = std::distance(body.without_terminator().begin(),
                                 body.without_terminator().end());
    llvm::SmallPtrSet<Operation *, 32> seen;
    Operation *terminator = body.getTerminator();
    for (Operation *op : order) {
      Operation *moved = mapping.lookupOrNull(op);
      if (!moved || moved->getBlock() != &body || moved == terminator ||
          !seen.insert(moved).second) {
        whyNot = "the order is not a permutation of the function's ops";
        return failure();
      }
      moved->moveBefore(terminator);
    }
    if (seen.size() != count) {
      whyNot = "the order is not a permutation of the function's ops";
      return failure();
    }
  }

  // What the pipeline reports about the copy is the estimate's reason for
  // failing, not the user's diagnostic. Handlers are per context: leave
  // other threads' diagnostics to the handlers below this one.
  std::thread::id thread = std::this_thread::get_id();
  std::string firstError;
  ScopedDiagnosticHandler handler(context, [&](Diagnostic &diagnostic) {
    if (std::this_thread::get_id() != thread)
      return failure();
    if (diagnostic.getSeverity() == DiagnosticSeverity::Error &&
        firstError.empty())
      firstError = diagnostic.str();
    return success();
  });
  PassManager pm(context, ModuleOp::getOperationName());
  buildBufferizationPipeline(pm);
  if (failed(pm.run(*copy))) {
    whyNot = firstError.empty() ? "bufferization failed" : firstError;
    return failure();
  }
  FailureOr<ArenaPlan> plan =
      planArena(copied, BraidPlanArenaOptions().alignment);
  if (failed(plan)) {
    whyNot = firstError.empty() ? "the arena cannot be planned" : firstError;
    return failure();
  }
  return plan->summary;
}

void mlir::braid::getBufferizationPipelineDialects(DialectRegistry &registry) {
  OpPassManager pm(ModuleOp::getOperationName());
  buildBufferizationPipeline(pm);
  pm.getDependentDialects(registry);
}
