//===- BraidCommandOps.cpp - buffer-level braid ops -----------------------===//

#include "braid/Dialect/Braid/IR/BraidCommandOps.h"
#include "VerifyUtils.h"

#include "mlir/Dialect/MemRef/Utils/MemRefUtils.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"

using namespace mlir;
using namespace mlir::braid;
using namespace mlir::braid::detail;

#define GET_OP_CLASSES
#include "braid/Dialect/Braid/IR/BraidCommandOps.cpp.inc"

//===----------------------------------------------------------------------===//
// Collectives
//===----------------------------------------------------------------------===//

namespace {

/// Both buffers contiguous, of one element type.
LogicalResult verifyCollectiveBuffers(Operation *op, MemRefType source,
                                      MemRefType target) {
  for (auto [what, type] : {std::pair<StringRef, MemRefType>{"source", source},
                            {"target", target}})
    if (!memref::isStaticShapeAndContiguousRowMajor(type))
      return op->emitOpError()
             << what << " " << type
             << " is not a contiguous row-major buffer; communication "
                "reads and writes whole blocks (copy through a view first)";
  if (source.getElementType() != target.getElementType())
    return op->emitOpError() << "source element type "
                             << source.getElementType()
                             << " differs from target element type "
                             << target.getElementType();
  return success();
}

/// Checks `target` has `expected` elements (when the group size is known).
LogicalResult verifyTargetElements(Operation *op, int64_t actual,
                                   int64_t expected, StringRef rule) {
  if (actual != expected)
    return op->emitOpError() << "target holds " << actual
                             << " elements, expected " << expected << " ("
                             << rule << ")";
  return success();
}

template <typename OpTy>
FailureOr<int64_t> verifyCommandGroup(OpTy op,
                                      SymbolTableCollection &tables) {
  return verifyGroup(op, op.getGridAttr(), op.getAxes(), tables);
}

} // namespace

#define BRAID_COMMAND_BUFFERS_VERIFIER(OpTy)                                   \
  LogicalResult OpTy::verify() {                                               \
    return verifyCollectiveBuffers(*this, getSource().getType(),               \
                                   getTarget().getType());                     \
  }
BRAID_COMMAND_BUFFERS_VERIFIER(CommandAllReduceOp)
BRAID_COMMAND_BUFFERS_VERIFIER(CommandAllGatherOp)
BRAID_COMMAND_BUFFERS_VERIFIER(CommandReduceScatterOp)
BRAID_COMMAND_BUFFERS_VERIFIER(CommandAllToAllOp)
BRAID_COMMAND_BUFFERS_VERIFIER(CommandBroadcastOp)
#undef BRAID_COMMAND_BUFFERS_VERIFIER

LogicalResult CommandCollectivePermuteOp::verify() {
  if (failed(verifyCollectiveBuffers(*this, getSource().getType(),
                                     getTarget().getType())))
    return failure();
  if (getPairs().size() % 2 != 0)
    return emitOpError() << "pairs holds " << getPairs().size()
                         << " numbers; expected [source, target] pairs";
  return success();
}

LogicalResult
CommandAllReduceOp::verifySymbolUses(SymbolTableCollection &tables) {
  if (failed(verifyCommandGroup(*this, tables)) ||
      failed(verifyReductionType(*this, getReduction(),
                                 getSource().getType())))
    return failure();
  return verifyTargetElements(*this, getTargetElements(), getSourceElements(),
                              "as many as the source");
}

LogicalResult
CommandAllGatherOp::verifySymbolUses(SymbolTableCollection &tables) {
  FailureOr<int64_t> size = verifyCommandGroup(*this, tables);
  if (failed(size))
    return failure();
  if (ShapedType::isDynamic(*size))
    return success();
  return verifyTargetElements(*this, getTargetElements(),
                              getSourceElements() * *size,
                              "the source's times the group size " +
                                  std::to_string(*size));
}

LogicalResult
CommandReduceScatterOp::verifySymbolUses(SymbolTableCollection &tables) {
  FailureOr<int64_t> size = verifyCommandGroup(*this, tables);
  if (failed(size) || failed(verifyReductionType(*this, getReduction(),
                                                 getSource().getType())))
    return failure();
  if (ShapedType::isDynamic(*size))
    return success();
  if (getSourceElements() % *size != 0)
    return emitOpError() << "source holds " << getSourceElements()
                         << " elements, not a multiple of the group size "
                         << *size;
  return verifyTargetElements(*this, getTargetElements(),
                              getSourceElements() / *size,
                              "the source's over the group size " +
                                  std::to_string(*size));
}

LogicalResult
CommandAllToAllOp::verifySymbolUses(SymbolTableCollection &tables) {
  FailureOr<int64_t> size = verifyCommandGroup(*this, tables);
  if (failed(size))
    return failure();
  if (!ShapedType::isDynamic(*size) && getSourceElements() % *size != 0)
    return emitOpError() << "source holds " << getSourceElements()
                         << " elements, not a multiple of the group size "
                         << *size;
  return verifyTargetElements(*this, getTargetElements(), getSourceElements(),
                              "as many as the source");
}

LogicalResult
CommandCollectivePermuteOp::verifySymbolUses(SymbolTableCollection &tables) {
  FailureOr<int64_t> size = verifyCommandGroup(*this, tables);
  if (failed(size))
    return failure();
  ArrayRef<int64_t> pairs = getPairs();
  for (int64_t position : pairs)
    if (position < 0 || (!ShapedType::isDynamic(*size) && position >= *size))
      return emitOpError() << "pair position " << position
                           << " is outside the group of size " << *size;
  return verifyTargetElements(*this, getTargetElements(), getSourceElements(),
                              "as many as the source");
}

LogicalResult
CommandBroadcastOp::verifySymbolUses(SymbolTableCollection &tables) {
  FailureOr<int64_t> size = verifyCommandGroup(*this, tables);
  if (failed(size))
    return failure();
  if (!ShapedType::isDynamic(*size) && getRoot() >= *size)
    return emitOpError() << "root " << getRoot()
                         << " is outside the group of size " << *size;
  return verifyTargetElements(*this, getTargetElements(), getSourceElements(),
                              "as many as the source");
}

//===----------------------------------------------------------------------===//
// compute
//===----------------------------------------------------------------------===//

CommandYieldOp CommandComputeOp::getYield() {
  return cast<CommandYieldOp>(getBody().front().getTerminator());
}

Operation *CommandComputeOp::getSingleComputation() {
  Block &block = getBody().front();
  if (!llvm::hasSingleElement(block.without_terminator()))
    return nullptr;
  return &block.front();
}

LogicalResult CommandComputeOp::verifyRegions() {
  Block &block = getBody().front();
  if (block.getNumArguments() != getInputs().size())
    return emitOpError() << "body takes " << block.getNumArguments()
                         << " tensors for " << getInputs().size()
                         << " input buffers";
  for (auto [index, pair] :
       llvm::enumerate(llvm::zip(getInputs(), block.getArguments()))) {
    auto [buffer, argument] = pair;
    auto memrefType = cast<MemRefType>(buffer.getType());
    auto tensorType = dyn_cast<RankedTensorType>(argument.getType());
    if (!tensorType || tensorType.getShape() != memrefType.getShape() ||
        tensorType.getElementType() != memrefType.getElementType())
      return emitOpError() << "body argument " << index << " of type "
                           << argument.getType()
                           << " is not the tensor of input buffer "
                           << memrefType;
  }
  CommandYieldOp yield = getYield();
  if (yield.getValues().size() != getOutputs().size())
    return emitOpError() << "body yields " << yield.getValues().size()
                         << " tensors for " << getOutputs().size()
                         << " output buffers";
  for (auto [index, pair] :
       llvm::enumerate(llvm::zip(getOutputs(), yield.getValues()))) {
    auto [buffer, value] = pair;
    auto memrefType = cast<MemRefType>(buffer.getType());
    auto tensorType = cast<RankedTensorType>(value.getType());
    if (tensorType.getShape() != memrefType.getShape() ||
        tensorType.getElementType() != memrefType.getElementType())
      return emitOpError() << "yielded value " << index << " of type "
                           << tensorType << " does not fit output buffer "
                           << memrefType;
  }
  return success();
}

//===----------------------------------------------------------------------===//
// launch and wait
//===----------------------------------------------------------------------===//

LogicalResult CommandLaunchOp::verifyRegions() {
  WalkResult nested = getBody().walk([&](Operation *op) {
    if (isa<CommandLaunchOp>(op)) {
      op->emitOpError()
          << "inside another launch; launches are issued by the host stream";
      return WalkResult::interrupt();
    }
    if (isa<CommandWaitOp>(op)) {
      op->emitOpError() << "inside a launch; only the host stream waits "
                           "for events";
      return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  return failure(nested.wasInterrupted());
}

LogicalResult CommandWaitOp::verify() {
  if (!getEvent().getDefiningOp<CommandLaunchOp>())
    return emitOpError() << "waits for an event that no braid.cmd.launch "
                            "produced";
  return success();
}
