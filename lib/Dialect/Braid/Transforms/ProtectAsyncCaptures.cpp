//===- ProtectAsyncCaptures.cpp - no in-place write under a running start -===//

#include "braid/Dialect/Braid/Transforms/Passes.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Interfaces/DestinationStyleOpInterface.h"
#include "mlir/Interfaces/ViewLikeInterface.h"
#include "llvm/ADT/SetVector.h"

namespace mlir {
namespace braid {
#define GEN_PASS_DEF_BRAIDPROTECTASYNCCAPTURES
#include "braid/Dialect/Braid/Transforms/Passes.h.inc"
} // namespace braid
} // namespace mlir

using namespace mlir;
using namespace mlir::braid;

namespace {

/// Tensors defined outside `start` that its body reads, and every tensor
/// that is a view of one of them (reshapes, slices, casts).
llvm::SetVector<Value> capturedTensors(StartOp start) {
  llvm::SetVector<Value> captured;
  start.getBody().walk([&](Operation *op) {
    for (Value operand : op->getOperands())
      if (isa<TensorType>(operand.getType()) &&
          !start->isAncestor(operand.getParentRegion()->getParentOp()))
        captured.insert(operand);
  });
  // Views share the buffer after bufferization; so do the tensors they view.
  for (size_t i = 0; i < captured.size(); ++i) {
    Value value = captured[i];
    if (Operation *def = value.getDefiningOp())
      if (isa<tensor::ExpandShapeOp, tensor::CollapseShapeOp,
              tensor::ExtractSliceOp, tensor::CastOp>(def))
        captured.insert(def->getOperand(0));
    for (Operation *user : value.getUsers())
      if (isa<tensor::ExpandShapeOp, tensor::CollapseShapeOp,
              tensor::ExtractSliceOp, tensor::CastOp>(user))
        captured.insert(user->getResult(0));
  }
  return captured;
}

/// The first await of `start`'s future in its block, or nullptr.
Operation *findAwait(StartOp start) {
  Operation *first = nullptr;
  for (Operation *user : start.getFuture().getUsers()) {
    Operation *inBlock = start->getBlock()->findAncestorOpInBlock(*user);
    if (inBlock && (!first || inBlock->isBeforeInBlock(first)))
      first = inBlock;
  }
  return first;
}

struct BraidProtectAsyncCapturesPass
    : public braid::impl::BraidProtectAsyncCapturesBase<
          BraidProtectAsyncCapturesPass> {
  void runOnOperation() override {
    SmallVector<StartOp> starts;
    getOperation()->walk([&](StartOp start) { starts.push_back(start); });
    for (StartOp start : starts) {
      llvm::SetVector<Value> captured = capturedTensors(start);
      Operation *await = findAwait(start);
      for (Operation *op = start->getNextNode(); op && op != await;
           op = op->getNextNode()) {
        op->walk([&](DestinationStyleOpInterface dps) {
          for (OpOperand &init : dps.getDpsInitsMutable()) {
            if (!captured.contains(init.get()))
              continue;
            OpBuilder builder(dps);
            auto type = cast<RankedTensorType>(init.get().getType());
            Value copy = bufferization::AllocTensorOp::create(
                builder, dps.getLoc(), type, ValueRange(), init.get());
            init.set(copy);
          }
        });
      }
    }
  }
};

} // namespace
