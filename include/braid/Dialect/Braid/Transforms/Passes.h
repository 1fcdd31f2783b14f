//===- Passes.h - braid transformation passes -------------------*- C++ -*-===//

#ifndef BRAID_DIALECT_BRAID_TRANSFORMS_PASSES_H
#define BRAID_DIALECT_BRAID_TRANSFORMS_PASSES_H

#include "braid/Analysis/CostModel.h"
#include "braid/Dialect/Braid/IR/BraidDialect.h"
#include "braid/Dialect/Braid/Transforms/Transforms.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Interfaces/FunctionInterfaces.h"
#include "mlir/Pass/Pass.h"

namespace mlir {
class RewritePatternSet;
namespace braid {

#define GEN_PASS_DECL
#include "braid/Dialect/Braid/Transforms/Passes.h.inc"

/// "12.345 us".
std::string formatMicros(double seconds);

/// Whether the tool was run with `-braid-explain`: every braid pass then
/// reports its decisions as remarks, as if its `explain` option were set.
bool isExplainRequested();

/// Patterns that replace each braid.start by its body and each await by the
/// yielded values.
void populateInlineAsyncPatterns(RewritePatternSet &patterns);

#define GEN_PASS_REGISTRATION
#include "braid/Dialect/Braid/Transforms/Passes.h.inc"

} // namespace braid
} // namespace mlir

#endif // BRAID_DIALECT_BRAID_TRANSFORMS_PASSES_H
