//===- BraidOpCost.cpp - CostOpInterface of braid's compute ops -----------===//
//
// FLOP counts charge one per arithmetic operation and one per transcendental
// (exp, erf, tanh, rsqrt), as in the published MFU accounting; a multiply-add
// is two. Data movement is what crosses the op boundary once.
//
//===----------------------------------------------------------------------===//

#include "braid/Dialect/Braid/IR/BraidDialect.h"

#include "llvm/Support/MathExtras.h"

using namespace mlir;
using namespace mlir::braid;

/// Product of all `factors`; failure on overflow.
static FailureOr<int64_t> product(std::initializer_list<int64_t> factors) {
  int64_t result = 1;
  for (int64_t factor : factors) {
    FailureOr<int64_t> next = checkedMul(result, factor);
    if (failed(next))
      return failure();
    result = *next;
  }
  return result;
}

FailureOr<OpCost> mlir::braid::getBoundaryCost(Operation *op, int64_t flops) {
  OpCost cost;
  cost.flops = flops;
  for (Value operand : op->getOperands()) {
    if (!isa<ShapedType>(operand.getType()))
      continue;
    FailureOr<int64_t> bytes = getStaticByteSize(operand.getType());
    if (failed(bytes) || llvm::AddOverflow(cost.bytesRead, *bytes,
                                           cost.bytesRead))
      return failure();
  }
  for (Value result : op->getResults()) {
    if (!isa<ShapedType>(result.getType()))
      continue;
    FailureOr<int64_t> bytes = getStaticByteSize(result.getType());
    if (failed(bytes) || llvm::AddOverflow(cost.bytesWritten, *bytes,
                                           cost.bytesWritten))
      return failure();
  }
  return cost;
}

/// Boundary cost with `flopsPerElement` operations per element of `value`.
static FailureOr<OpCost> elementwiseCost(Operation *op, Value value,
                                         int64_t flopsPerElement) {
  FailureOr<int64_t> elements = getStaticNumElements(value.getType());
  if (failed(elements))
    return failure();
  FailureOr<int64_t> flops = checkedMul(*elements, flopsPerElement);
  if (failed(flops))
    return failure();
  return getBoundaryCost(op, *flops);
}

// square, accumulate, scale by the reciprocal root, scale by the weight.
FailureOr<OpCost> RMSNormOp::getCost() {
  return elementwiseCost(*this, getInput(), 4);
}

// accumulate mean, subtract, square, accumulate variance, scale, gamma, beta.
FailureOr<OpCost> LayerNormOp::getCost() {
  return elementwiseCost(*this, getInput(), 7);
}

static int64_t activationFlops(ActivationKind kind) {
  switch (kind) {
  case ActivationKind::Relu:
    return 1;
  case ActivationKind::Sigmoid: // negate, exp, add, divide
    return 4;
  case ActivationKind::Silu: // sigmoid, multiply
    return 5;
  case ActivationKind::Gelu: // scale, erf, add, two multiplies
    return 5;
  case ActivationKind::GeluTanh: // cube, fma, scale, tanh, add, two multiplies
    return 9;
  }
  llvm_unreachable("unknown activation");
}

FailureOr<OpCost> ActivationOp::getCost() {
  return elementwiseCost(*this, getInput(), activationFlops(getKind()));
}

FailureOr<OpCost> SwiGLUOp::getCost() {
  return elementwiseCost(*this, getGate(),
                         activationFlops(ActivationKind::Silu) + 1);
}

// Per attended (query, key) pair and head: 2*D for the score, 5 for the
// online softmax, 2*Dv for the weighted sum of values, 1 to add the mask.
FailureOr<OpCost> AttentionOp::getCost() {
  if (!getQuery().getType().hasStaticShape() ||
      !getKey().getType().hasStaticShape() ||
      !getValue().getType().hasStaticShape() ||
      (getMask() &&
       !cast<RankedTensorType>(getMask().getType()).hasStaticShape()))
    return failure();
  ArrayRef<int64_t> q = getQuery().getType().getShape();
  int64_t dv = getValue().getType().getShape()[3];
  int64_t perPair = 2 * q[3] + 5 + 2 * dv + (getMask() ? 1 : 0);
  FailureOr<int64_t> pairs = getNumAttendedPairs();
  if (failed(pairs))
    return failure();
  FailureOr<int64_t> flops = product({q[0], q[1], *pairs, perPair});
  if (failed(flops))
    return failure();
  return getBoundaryCost(*this, *flops);
}

// Upper bound: every row belongs to some group.
FailureOr<OpCost> GroupedMatmulOp::getCost() {
  if (!getLhs().getType().hasStaticShape() ||
      !getRhs().getType().hasStaticShape())
    return failure();
  ArrayRef<int64_t> lhs = getLhs().getType().getShape();
  int64_t n = getRhs().getType().getShape()[2];
  FailureOr<int64_t> flops = product({2, lhs[0], lhs[1], n});
  if (failed(flops))
    return failure();
  return getBoundaryCost(*this, *flops);
}

// softmax over the experts (5 per logit) and k selection passes.
FailureOr<OpCost> MoEGateOp::getCost() {
  return elementwiseCost(*this, getLogits(), 5 + getK());
}

FailureOr<OpCost> MoEPermuteOp::getCost() { return getBoundaryCost(*this, 0); }

// One multiply-add per copy and hidden element.
FailureOr<OpCost> MoEUnpermuteOp::getCost() {
  return elementwiseCost(*this, getInput(), 2);
}

FailureOr<OpCost> TopKOp::getCost() { return getBoundaryCost(*this, 0); }
FailureOr<OpCost> SortOp::getCost() { return getBoundaryCost(*this, 0); }

// Only the gathered slices of the source are read.
FailureOr<OpCost> GatherOp::getCost() {
  FailureOr<int64_t> indices = getStaticByteSize(getIndices().getType());
  FailureOr<int64_t> result = getStaticByteSize(getType());
  if (failed(indices) || failed(result))
    return failure();
  int64_t read;
  if (llvm::AddOverflow(*indices, *result, read))
    return failure();
  return OpCost{0, read, *result};
}

// The destination is updated in place: only the touched slices move.
FailureOr<OpCost> ScatterOp::getCost() {
  FailureOr<int64_t> updates = getStaticByteSize(getUpdates().getType());
  FailureOr<int64_t> indices = getStaticByteSize(getIndices().getType());
  FailureOr<int64_t> elements = getStaticNumElements(getUpdates().getType());
  if (failed(updates) || failed(indices) || failed(elements))
    return failure();
  bool accumulates = getKind() == ScatterKind::Add;
  return OpCost{accumulates ? *elements : 0,
                *updates + *indices + (accumulates ? *updates : 0), *updates};
}
