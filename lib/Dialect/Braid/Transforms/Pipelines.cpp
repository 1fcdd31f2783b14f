//===- Pipelines.cpp - named pass pipelines -------------------------------===//

#include "braid/Dialect/Braid/Transforms/Pipelines.h"
#include "braid/Dialect/Braid/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/Passes.h"
#include "mlir/Pass/PassRegistry.h"

using namespace mlir;
using namespace mlir::braid;

void mlir::braid::buildOverlapPipeline(OpPassManager &pm,
                                       const OverlapPipelineOptions &options) {
  // The target is set once, on the module; every pass reads it there.
  if (!options.profile.empty()) {
    BraidSetTargetOptions target;
    target.profile = options.profile;
    pm.addPass(createBraidSetTarget(target));
  }
  if (options.fuse != FusionChoice::Never) {
    BraidFuseProducerCollectiveOptions fuse;
    fuse.trigger = options.fuse;
    fuse.lowerableOnly = options.fuseLowerableOnly;
    fuse.explain = options.explain;
    pm.addNestedPass<func::FuncOp>(createBraidFuseProducerCollective(fuse));
  }
  if (options.decompose) {
    BraidDecomposeCollectiveMatmulOptions decompose;
    decompose.force = options.forceDecompose;
    decompose.explain = options.explain;
    pm.addNestedPass<func::FuncOp>(
        createBraidDecomposeCollectiveMatmul(decompose));
    pm.addNestedPass<func::FuncOp>(createBraidVerifyRingCoverage());
  }
  pm.addPass(createBraidConvertToAsync());
  BraidScheduleOptions schedule;
  schedule.memoryBudget = options.memoryBudget;
  schedule.explain = options.explain;
  pm.addNestedPass<func::FuncOp>(createBraidSchedule(schedule));
  pm.addPass(createBraidVerifyCollectiveOrder());
}

void mlir::braid::buildBufferizationPipeline(OpPassManager &pm) {
  OpPassManager &function = pm.nest<func::FuncOp>();
  function.addPass(createBraidFoldTransposeIntoMatmul());
  function.addPass(createConvertElementwiseToLinalgPass());
  function.addPass(createBraidFuseElementwise());
  function.addPass(createBraidProtectAsyncCaptures());
  function.addPass(createBraidMarkInputsReadOnly());
  function.addPass(createBraidLoopYieldsInPlace());
  bufferization::OneShotBufferizePassOptions bufferize;
  bufferize.bufferizeFunctionBoundaries = true;
  bufferize.functionBoundaryTypeConversion =
      bufferization::LayoutMapOption::IdentityLayoutMap;
  pm.addPass(bufferization::createOneShotBufferizePass(bufferize));
  pm.nest<func::FuncOp>().addPass(createBraidConvertAsyncToStreams());
  pm.nest<func::FuncOp>().addPass(createBraidLaunchFusedProducers());
  bufferization::BufferResultsToOutParamsPassOptions outParams;
  outParams.addResultAttribute = true;
  outParams.hoistStaticAllocs = true;
  outParams.modifyPublicFunctions = true;
  pm.addPass(bufferization::createBufferResultsToOutParamsPass(outParams));
  pm.addPass(createCanonicalizerPass());
}

void mlir::braid::buildBufferPipeline(OpPassManager &pm,
                                      const BufferPipelineOptions &options) {
  buildBufferizationPipeline(pm);
  BraidPlanArenaOptions arena;
  arena.memoryBudget = options.memoryBudget;
  pm.addPass(createBraidPlanArena(arena));
}

void mlir::braid::registerBraidPipelines() {
  PassPipelineRegistration<BufferPipelineOptions>(
      "braid-buffer-pipeline",
      "Bufferize a tensor/async braid program: streams and events for "
      "starts and awaits, results as output parameters, one static arena",
      buildBufferPipeline);
  PassPipelineRegistration<OverlapPipelineOptions>(
      "braid-overlap-pipeline",
      "Cut collective matmuls into ring steps where they pay, make "
      "collectives asynchronous, schedule them to hide behind compute under "
      "a memory budget, and verify ring coverage and the collective order",
      buildOverlapPipeline);
}
