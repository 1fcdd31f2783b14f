//===- Passes.h - braid transformation passes -------------------*- C++ -*-===//

#ifndef BRAID_DIALECT_BRAID_TRANSFORMS_PASSES_H
#define BRAID_DIALECT_BRAID_TRANSFORMS_PASSES_H

#include "braid/Dialect/Braid/IR/BraidDialect.h"
#include "mlir/Pass/Pass.h"

namespace mlir {
class RewritePatternSet;
namespace braid {

#define GEN_PASS_DECL
#include "braid/Dialect/Braid/Transforms/Passes.h.inc"

/// "@grid axes [a, b]": the communicator a collective runs on.
std::string getCommunicatorName(CollectiveOpInterface op);

/// Patterns that replace each braid.start by its body and each await by the
/// yielded values.
void populateInlineAsyncPatterns(RewritePatternSet &patterns);

#define GEN_PASS_REGISTRATION
#include "braid/Dialect/Braid/Transforms/Passes.h.inc"

} // namespace braid
} // namespace mlir

#endif // BRAID_DIALECT_BRAID_TRANSFORMS_PASSES_H
