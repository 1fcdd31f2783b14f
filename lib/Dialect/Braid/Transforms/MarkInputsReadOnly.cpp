//===- MarkInputsReadOnly.cpp - the caller's inputs stay intact ------------===//

#include "braid/Dialect/Braid/Transforms/Passes.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"

namespace mlir {
namespace braid {
#define GEN_PASS_DEF_BRAIDMARKINPUTSREADONLY
#include "braid/Dialect/Braid/Transforms/Passes.h.inc"
} // namespace braid
} // namespace mlir

using namespace mlir;

namespace {

struct BraidMarkInputsReadOnlyPass
    : public braid::impl::BraidMarkInputsReadOnlyBase<
          BraidMarkInputsReadOnlyPass> {
  void runOnOperation() override {
    FunctionOpInterface function = getOperation();
    if (function.isExternal())
      return;
    auto readOnly = BoolAttr::get(&getContext(), false);
    for (unsigned i = 0; i < function.getNumArguments(); ++i)
      if (isa<TensorType>(function.getArgument(i).getType()))
        function.setArgAttr(
            i, bufferization::BufferizationDialect::kWritableAttrName,
            readOnly);
  }
};

} // namespace
