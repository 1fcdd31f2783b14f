//===- LoopYieldsInPlace.cpp - loop-carried tensors stay in their buffers -===//

#include "braid/Dialect/Braid/Transforms/Passes.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

namespace mlir {
namespace braid {
#define GEN_PASS_DEF_BRAIDLOOPYIELDSINPLACE
#include "braid/Dialect/Braid/Transforms/Passes.h.inc"
} // namespace braid
} // namespace mlir

using namespace mlir;

namespace {

/// Replaces each tensor in `forwarded` (operands of `terminator`) that is
/// not the block argument at its position in `arguments` by its copy into
/// that argument.
void writeIntoArguments(Operation *terminator, MutableOperandRange forwarded,
                        ValueRange arguments) {
  OpBuilder builder(terminator);
  for (auto [index, operand] : llvm::enumerate(forwarded)) {
    Value value = operand.get();
    if (!isa<RankedTensorType>(value.getType()) || index >= arguments.size())
      continue;
    Value argument = arguments[index];
    if (value == argument || argument.getType() != value.getType())
      continue;
    auto write = bufferization::MaterializeInDestinationOp::create(
        builder, terminator->getLoc(), value, argument);
    operand.set(write.getResult());
  }
}

struct BraidLoopYieldsInPlacePass
    : public braid::impl::BraidLoopYieldsInPlaceBase<
          BraidLoopYieldsInPlacePass> {
  void runOnOperation() override {
    getOperation()->walk([](Operation *op) {
      if (auto loop = dyn_cast<scf::ForOp>(op)) {
        auto yield = cast<scf::YieldOp>(loop.getBody()->getTerminator());
        writeIntoArguments(yield, yield.getResultsMutable(),
                           loop.getRegionIterArgs());
      } else if (auto loop = dyn_cast<scf::WhileOp>(op)) {
        scf::ConditionOp condition = loop.getConditionOp();
        writeIntoArguments(condition, condition.getArgsMutable(),
                           loop.getBeforeArguments());
        scf::YieldOp yield = loop.getYieldOp();
        writeIntoArguments(yield, yield.getResultsMutable(),
                           loop.getAfterArguments());
      }
    });
  }
};

} // namespace
