//===- BraidOpCost.cpp - CostOpInterface of braid's compute ops -----------===//
//
// FLOP counts charge one per arithmetic operation and one per transcendental
// (exp, erf, tanh, rsqrt), as in the published MFU accounting; a multiply-add
// is two. Data movement is what crosses the op boundary once.
//
//===----------------------------------------------------------------------===//

#include "braid/Dialect/Braid/IR/BraidDialect.h"

using namespace mlir;
using namespace mlir::braid;

FailureOr<int64_t> mlir::braid::getStaticNumElements(Type type) {
  auto shaped = dyn_cast<ShapedType>(type);
  if (!shaped)
    return 1;
  if (!shaped.hasStaticShape())
    return failure();
  return shaped.getNumElements();
}

FailureOr<OpCost> mlir::braid::getBoundaryCost(Operation *op, int64_t flops) {
  OpCost cost;
  cost.flops = flops;
  for (Value operand : op->getOperands()) {
    if (!isa<ShapedType>(operand.getType()))
      continue;
    FailureOr<int64_t> bytes = getStaticByteSize(operand.getType());
    if (failed(bytes))
      return failure();
    cost.bytesRead += *bytes;
  }
  for (Value result : op->getResults()) {
    if (!isa<ShapedType>(result.getType()))
      continue;
    FailureOr<int64_t> bytes = getStaticByteSize(result.getType());
    if (failed(bytes))
      return failure();
    cost.bytesWritten += *bytes;
  }
  return cost;
}

/// Boundary cost with `flopsPerElement` operations per element of `value`.
static FailureOr<OpCost> elementwiseCost(Operation *op, Value value,
                                         int64_t flopsPerElement) {
  FailureOr<int64_t> elements = getStaticNumElements(value.getType());
  if (failed(elements))
    return failure();
  return getBoundaryCost(op, *elements * flopsPerElement);
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
// online softmax, 2*Dv for the weighted sum of values.
FailureOr<OpCost> AttentionOp::getCost() {
  if (!getQuery().getType().hasStaticShape() ||
      !getKey().getType().hasStaticShape() ||
      !getValue().getType().hasStaticShape())
    return failure();
  ArrayRef<int64_t> q = getQuery().getType().getShape();
  int64_t dv = getValue().getType().getShape()[3];
  int64_t perPair = 2 * q[3] + 5 + 2 * dv;
  return getBoundaryCost(*this, q[0] * q[1] * getNumAttendedPairs() * perPair);
}

// Upper bound: every row belongs to some group.
FailureOr<OpCost> GroupedMatmulOp::getCost() {
  if (!getLhs().getType().hasStaticShape() ||
      !getRhs().getType().hasStaticShape())
    return failure();
  ArrayRef<int64_t> lhs = getLhs().getType().getShape();
  int64_t n = getRhs().getType().getShape()[2];
  return getBoundaryCost(*this, 2 * lhs[0] * lhs[1] * n);
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
  return OpCost{0, *indices + *result, *result};
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
