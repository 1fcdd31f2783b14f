//===- RaiseUtils.h - matching helpers shared by the raising patterns -----===//

#ifndef BRAID_LIB_DIALECT_BRAID_TRANSFORMS_RAISEUTILS_H
#define BRAID_LIB_DIALECT_BRAID_TRANSFORMS_RAISEUTILS_H

#include "braid/Dialect/Braid/Transforms/Raise.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"

#include <optional>
#include <string>

namespace mlir {
namespace braid {
namespace raise {

/// Base of the raising patterns: an OpRewritePattern that reports near
/// misses and what it raised to `remarks` (null: silent).
template <typename OpTy>
struct RaisePattern : OpRewritePattern<OpTy> {
  RaisePattern(MLIRContext *context, RaiseRemarks *remarks,
               PatternBenefit benefit = 1)
      : OpRewritePattern<OpTy>(context, benefit), remarks(remarks) {}

  RaiseRemarks *remarks;
};

/// The op defining `v` if it is an `OpTy`, else null.
template <typename OpTy>
OpTy def(Value v) {
  return v ? v.getDefiningOp<OpTy>() : OpTy();
}

/// Calls `fn(lhs, rhs)`, then `fn(rhs, lhs)`; true if either returns true.
template <typename Fn>
bool eitherOrder(Value lhs, Value rhs, Fn fn) {
  return fn(lhs, rhs) || fn(rhs, lhs);
}

/// The value of a splat floating-point constant: `arith.constant` (scalar or
/// splat tensor), `linalg.fill` of a constant, seen through unit-dim
/// reshapes, `linalg.broadcast` and `arith.extf` (which keep the value).
std::optional<double> splatValue(Value v);
inline bool isSplat(Value v, double x) {
  std::optional<double> value = splatValue(v);
  return value && *value == x;
}

/// `v` with `tensor.expand_shape` / `tensor.collapse_shape` that only add
/// or drop unit dimensions peeled off.
Value peelUnitReshapes(Value v);
/// `peelUnitReshapes(v)`, recording `v`, the reshapes and the peeled value
/// in `chain` (the intermediates a match must own).
Value peelInto(Value v, SmallVectorImpl<Value> &chain);
/// Whether the two shaped types have the same element type and the same
/// dimensions once unit dimensions are dropped.
bool sameUpToUnitDims(Type a, Type b);

/// When `v` (of rank r) is a `linalg.broadcast` that adds exactly dimension
/// r - 1, the broadcast source with unit reshapes peeled; else null.
Value lastDimBroadcastSource(Value v);
/// The dimensions a `linalg.broadcast` defining `v` adds, or nullopt.
std::optional<ArrayRef<int64_t>> broadcastDims(Value v);

/// A `linalg.reduce` over one dimension with a single binary combiner.
enum class Combiner { Add, Max };
struct Reduction {
  linalg::ReduceOp op;
  Value input;
  int64_t dim;
};
/// Matches `v` (unit reshapes peeled) as the result of a one-input
/// `linalg.reduce` of `kind` whose init is the identity (0 for add; -inf or
/// the lowest finite value for max). Sets `why` and fails on a near miss
/// (a reduce of the right kind over more than one dimension, or with
/// another init); fails with `why` empty when `v` is no such reduce.
FailureOr<Reduction> matchReduction(Value v, Combiner kind, std::string &why);

/// Whether every value in `values` has exactly one use.
bool allSingleUse(ArrayRef<Value> values);

/// A splat tensor constant of `type` with value `x`.
Value splatConstant(OpBuilder &b, Location loc, RankedTensorType type,
                    double x);

/// For a value of element type f32 (or wider) computed from `narrow` by
/// `arith.extf`, `narrow`; for a splat constant exactly representable in
/// `element`, that constant rebuilt in `element`; else null.
Value narrowTo(OpBuilder &b, Location loc, Value v, Type element);

/// Erases, after a raising replaced its root, the producers of `values`
/// that are now dead, and theirs, so that the next match does not see the
/// old chain as other users.
void eraseDeadProducers(RewriterBase &rewriter, ArrayRef<Value> values);

/// The tail every raising pattern shares, in this order: say what `root`
/// became (only under --explain, and only when `describe` is given, which
/// streams the text after "raised to"-style remarks into the diagnostic),
/// replace `root` by `replacement`, then erase the producers of `root`'s
/// operands, and of `alsoMatched`'s when it is another op the match
/// consumed, that are now dead. The operands are taken before the replace,
/// which drops them.
void finishRaise(RewriterBase &rewriter, RaiseRemarks *remarks,
                 Operation *root, Value replacement,
                 Operation *alsoMatched = nullptr,
                 llvm::function_ref<void(InFlightDiagnostic &)> describe = {});

/// Reports a near miss of the `what` pattern ("softmax", "rmsnorm", ...) on
/// `op`: `why` as is when it already names the pattern, else prefixed with
/// "<what> not raised: ". Nothing when `why` is empty (not a near miss).
void declineWith(RaiseRemarks *remarks, Operation *op, StringRef what,
                 const std::string &why);

/// A call of a private function whose body is one block that returns one
/// value: how JAX outlines helpers such as `@silu` and `@_where`, which the
/// patterns see through.
struct OutlinedHelper {
  func::FuncOp callee;
  Block *body;
  Value returned;
};
std::optional<OutlinedHelper> matchOutlinedHelper(func::CallOp call);

/// The element type of a shaped value.
inline Type elementOf(Value v) {
  return cast<ShapedType>(v.getType()).getElementType();
}
inline int64_t rankOf(Value v) {
  return cast<ShapedType>(v.getType()).getRank();
}

} // namespace raise
} // namespace braid
} // namespace mlir

#endif // BRAID_LIB_DIALECT_BRAID_TRANSFORMS_RAISEUTILS_H
