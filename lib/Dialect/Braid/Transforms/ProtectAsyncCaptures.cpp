//===- ProtectAsyncCaptures.cpp - no in-place write under a running start -===//

#include "braid/Dialect/Braid/Transforms/Passes.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
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

/// Whether `dps` needs the contents `init` holds: not when its payload
/// only writes the init, nor when the init is (a view of) an empty tensor,
/// whose contents are undefined.
bool readsContents(DestinationStyleOpInterface dps, OpOperand &init) {
  if (!cast<RankedTensorType>(init.get().getType()).hasStaticShape())
    return true;
  Value value = init.get();
  while (Operation *def = value.getDefiningOp()) {
    if (isa<tensor::EmptyOp>(def))
      return false;
    if (!isa<tensor::ExpandShapeOp, tensor::CollapseShapeOp,
             tensor::ExtractSliceOp, tensor::CastOp>(def))
      break;
    value = def->getOperand(0);
  }
  if (auto linalgOp = dyn_cast<linalg::LinalgOp>(dps.getOperation()))
    return linalgOp.payloadUsesValueFromOperand(&init);
  return true;
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
            // A fresh buffer where the old contents do not matter: copying
            // them would read the captured buffer while the start may
            // write it (an empty tensor's buffer is the start's to fill).
            Value source = readsContents(dps, init) ? init.get() : Value();
            Value fresh = bufferization::AllocTensorOp::create(
                builder, dps.getLoc(), type, ValueRange(), source);
            init.set(fresh);
          }
        });
      }
    }
  }
};

} // namespace
