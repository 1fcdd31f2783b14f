//===- LaunchFusedProducers.cpp - fused producers on a worker stream ------===//

#include "braid/Dialect/Braid/Transforms/Passes.h"

#include "mlir/IR/PatternMatch.h"

namespace mlir {
namespace braid {
#define GEN_PASS_DEF_BRAIDLAUNCHFUSEDPRODUCERS
#include "braid/Dialect/Braid/Transforms/Passes.h.inc"
} // namespace braid
} // namespace mlir

using namespace mlir;
using namespace mlir::braid;

namespace {

/// The collective `producer` triggers, when it is on the host stream in the
/// producer's block after it: what the launch may overlap.
Operation *hostConsumerAfter(CommandChunkedComputeOp producer) {
  for (Operation *user : producer.getEpoch().getUsers()) {
    if (user == producer.getOperation() || !getCommandTrigger(user))
      continue;
    if (user->getBlock() == producer->getBlock() &&
        producer->isBeforeInBlock(user))
      return user;
  }
  return nullptr;
}

struct BraidLaunchFusedProducersPass
    : public braid::impl::BraidLaunchFusedProducersBase<
          BraidLaunchFusedProducersPass> {
  void runOnOperation() override {
    Operation *function = getOperation();
    int64_t highest = 0;
    function->walk([&](CommandLaunchOp launch) {
      highest = std::max<int64_t>(highest, launch.getStream());
    });
    SmallVector<std::pair<CommandChunkedComputeOp, Operation *>> work;
    function->walk([&](CommandChunkedComputeOp producer) {
      if (producer->getParentOfType<CommandLaunchOp>())
        return;
      if (Operation *consumer = hostConsumerAfter(producer))
        work.push_back({producer, consumer});
    });
    IRRewriter rewriter(&getContext());
    for (auto [producer, consumer] : work) {
      rewriter.setInsertionPoint(producer);
      auto launch = CommandLaunchOp::create(
          rewriter, producer.getLoc(), EventType::get(&getContext()),
          rewriter.getI64IntegerAttr(highest + 1),
          rewriter.getI64IntegerAttr(0));
      Block *body = rewriter.createBlock(&launch.getBody());
      CommandEndOp::create(rewriter, producer.getLoc());
      rewriter.moveOpBefore(producer, body->getTerminator());
      rewriter.setInsertionPointAfter(consumer);
      CommandWaitOp::create(rewriter, consumer->getLoc(), launch.getDone());
    }
  }
};

} // namespace
