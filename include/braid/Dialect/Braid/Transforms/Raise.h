//===- Raise.h - raising fine-grained ops to braid layer ops ----*- C++ -*-===//
//
// Patterns that recognise the fine-grained forms importers emit (arith/math
// element-wise ops on tensors, linalg.reduce/broadcast/batch_matmul) and
// replace them by one layer-level op: braid.rmsnorm, braid.layernorm,
// braid.activation,
// braid.swiglu, linalg.softmax, braid.attention, braid.moe_gate.
// docs/Raising.md says what
// each pattern matches exactly and why it declines.
//
//===----------------------------------------------------------------------===//

#ifndef BRAID_DIALECT_BRAID_TRANSFORMS_RAISE_H
#define BRAID_DIALECT_BRAID_TRANSFORMS_RAISE_H

#include "mlir/IR/Operation.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/Twine.h"

namespace mlir {
class RewritePatternSet;
namespace braid {

/// Where the raising patterns report near misses ("softmax over dim 0 not
/// raised: ..."). Silent when `explain` is false. Each op gets at most one
/// remark, however often the greedy driver revisits it.
struct RaiseRemarks {
  bool explain = false;
  llvm::DenseSet<Operation *> reported;
  void decline(Operation *op, const llvm::Twine &why);
};

/// braid.rmsnorm from x * rsqrt(mean(x * x) + eps) [* weight], and
/// braid.layernorm from (x - mean) * rsqrt(mean((x - mean)^2) + eps)
/// [* gamma] [+ beta].
void populateRaiseNormalizationPatterns(RewritePatternSet &patterns,
                                        RaiseRemarks *remarks = nullptr);
/// braid.activation silu/sigmoid/gelu/gelu_tanh and braid.swiglu.
void populateRaiseActivationPatterns(RewritePatternSet &patterns,
                                     RaiseRemarks *remarks = nullptr);
/// linalg.softmax from max / subtract / exp / sum / divide.
void populateRaiseSoftmaxPatterns(RewritePatternSet &patterns,
                                  RaiseRemarks *remarks = nullptr);
/// braid.attention from batch_matmul(softmax(scale * q kᵀ [masked]), v).
void populateRaiseAttentionPatterns(RewritePatternSet &patterns,
                                    RaiseRemarks *remarks = nullptr);
/// braid.moe_gate from softmax(topk(logits)) (normalized) and
/// topk(softmax(logits)); needs the softmax raised.
void populateRaiseMoEPatterns(RewritePatternSet &patterns,
                              RaiseRemarks *remarks = nullptr);

} // namespace braid
} // namespace mlir

#endif // BRAID_DIALECT_BRAID_TRANSFORMS_RAISE_H
