//===- KeepOnly.cpp - compute-only and communication-only variants --------===//
//
// The hidden fraction of a schedule is measured against the same program
// with only its compute and with only its communication. Both variants are
// cut from the buffer-level program, where every op writes a buffer the
// arena already holds: erasing one leaves the rest of the program, its
// schedule and its memory exactly as measured.
//
//===----------------------------------------------------------------------===//

#include "braid/Dialect/Braid/Transforms/Passes.h"

namespace mlir {
namespace braid {
#define GEN_PASS_DEF_BRAIDKEEPONLY
#include "braid/Dialect/Braid/Transforms/Passes.h.inc"
} // namespace braid
} // namespace mlir

using namespace mlir;
using namespace mlir::braid;

namespace {

bool isDropped(Operation *op, TimedWork kept) {
  if (kept == TimedWork::Compute)
    return isa<CommandCollectiveOpInterface>(op);
  if (auto structured = dyn_cast<linalg::LinalgOp>(op))
    return structured.hasPureBufferSemantics();
  return isa<CommandComputeOp>(op);
}

struct BraidKeepOnlyPass
    : public braid::impl::BraidKeepOnlyBase<BraidKeepOnlyPass> {
  using Base::Base;

  void runOnOperation() override {
    SmallVector<Operation *> dropped;
    getOperation()->walk<WalkOrder::PreOrder>([&](Operation *op) {
      if (!isDropped(op, work))
        return WalkResult::advance();
      dropped.push_back(op);
      return WalkResult::skip();
    });
    for (Operation *op : dropped)
      op->erase();
  }
};

} // namespace
