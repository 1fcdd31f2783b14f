//===- BraidCommandOps.cpp - buffer-level braid ops -----------------------===//

#include "braid/Dialect/Braid/IR/BraidCommandOps.h"
#include "VerifyUtils.h"

#include "mlir/Dialect/MemRef/Utils/MemRefUtils.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

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

/// The `after` clause is whole (counter, epoch, chunks and tiles, or none)
/// and the chunks and tiles cut the source evenly.
template <typename OpTy>
LogicalResult verifyTriggerClause(OpTy op) {
  bool any = op.getCounter() || op.getEpoch() || op.getChunksAttr() ||
             op.getTilesAttr();
  bool all = op.getCounter() && op.getEpoch() && op.getChunksAttr() &&
             op.getTilesAttr();
  if (any && !all)
    return op.emitOpError() << "has a partial trigger; a triggered "
                               "collective names a counter, an epoch, "
                               "chunks and tiles";
  if (!all)
    return success();
  auto pieces = static_cast<int64_t>(*op.getChunks() * *op.getTiles());
  if (op.getSourceElements() % pieces != 0)
    return op.emitOpError()
           << "source holds " << op.getSourceElements()
           << " elements, which " << *op.getChunks() << " chunks of "
           << *op.getTiles() << " tiles do not cut evenly";
  return success();
}

} // namespace

std::optional<CommandTrigger> mlir::braid::getCommandTrigger(Operation *op) {
  return TypeSwitch<Operation *, std::optional<CommandTrigger>>(op)
      .Case<CommandAllReduceOp, CommandReduceScatterOp, CommandAllGatherOp>(
          [](auto collective) -> std::optional<CommandTrigger> {
            if (!collective.getCounter() || !collective.getChunksAttr() ||
                !collective.getTilesAttr())
              return std::nullopt;
            return CommandTrigger{
                collective.getCounter(), collective.getEpoch(),
                static_cast<int64_t>(*collective.getChunks()),
                static_cast<int64_t>(*collective.getTiles())};
          })
      .Default([](Operation *) { return std::nullopt; });
}

int64_t mlir::braid::getCommandStream(Operation *op) {
  auto launch = op->getParentOfType<CommandLaunchOp>();
  return launch ? launch.getStream() : 0;
}

#define BRAID_COMMAND_BUFFERS_VERIFIER(OpTy)                                   \
  LogicalResult OpTy::verify() {                                               \
    return verifyCollectiveBuffers(*this, getSource().getType(),               \
                                   getTarget().getType());                     \
  }
BRAID_COMMAND_BUFFERS_VERIFIER(CommandAllToAllOp)
BRAID_COMMAND_BUFFERS_VERIFIER(CommandBroadcastOp)
#undef BRAID_COMMAND_BUFFERS_VERIFIER

#define BRAID_COMMAND_TRIGGERED_VERIFIER(OpTy)                                 \
  LogicalResult OpTy::verify() {                                               \
    if (failed(verifyCollectiveBuffers(*this, getSource().getType(),           \
                                       getTarget().getType())))                \
      return failure();                                                        \
    return verifyTriggerClause(*this);                                         \
  }
BRAID_COMMAND_TRIGGERED_VERIFIER(CommandAllReduceOp)
BRAID_COMMAND_TRIGGERED_VERIFIER(CommandAllGatherOp)
BRAID_COMMAND_TRIGGERED_VERIFIER(CommandReduceScatterOp)
#undef BRAID_COMMAND_TRIGGERED_VERIFIER

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
// Producer fusion: next_epoch pairs a chunked_compute with its collective
//===----------------------------------------------------------------------===//

LogicalResult CommandChunkedComputeOp::verifyRegions() {
  MemRefType type = getOutput().getType();
  if (!memref::isStaticShapeAndContiguousRowMajor(type))
    return emitOpError() << "output " << type
                         << " is not a contiguous row-major buffer; its "
                            "chunks are released as contiguous pieces";
  int64_t pieces = getChunks() * getTiles();
  if (type.getNumElements() % pieces != 0)
    return emitOpError() << "output holds " << type.getNumElements()
                         << " elements, which " << getChunks()
                         << " chunks of " << getTiles()
                         << " tiles do not cut evenly";
  Block &body = getBody().front();
  if (body.without_terminator().empty())
    return emitOpError() << "has an empty body; it must compute its output";
  // Besides the output, the body may write the temporaries of its chain (a
  // contraction's result its epilogue reads next); nothing else, since only
  // the output is released.
  SmallVector<std::pair<Operation *, Value>> temporaries;
  for (Operation &op : body.without_terminator()) {
    auto effects = dyn_cast<MemoryEffectOpInterface>(op);
    if (!effects) {
      if (op.hasTrait<OpTrait::HasRecursiveMemoryEffects>())
        continue;
      return op.emitOpError()
             << "has unknown memory effects; a chunked_compute body may "
                "write only the buffer it releases and temporaries it reads "
                "again";
    }
    SmallVector<MemoryEffects::EffectInstance> instances;
    effects.getEffects(instances);
    for (const MemoryEffects::EffectInstance &instance : instances) {
      Value value = instance.getValue();
      if (isa<MemoryEffects::Read>(instance.getEffect()))
        llvm::erase_if(temporaries, [&](auto &written) {
          return written.second == value && written.first != &op;
        });
      else if (isa<MemoryEffects::Write>(instance.getEffect()) &&
               value != getOutput())
        temporaries.push_back({&op, value});
    }
  }
  if (!temporaries.empty())
    return temporaries.front().first->emitOpError()
           << "writes a buffer other than the chunked_compute's output that "
              "no later op of the body reads (only the output is released "
              "chunk by chunk)";
  return success();
}

LogicalResult
CommandChunkedComputeOp::verifySymbolUses(SymbolTableCollection &tables) {
  FailureOr<int64_t> size = verifyGroup(*this, getGridAttr(), getAxes(),
                                        tables);
  if (failed(size))
    return failure();
  if (getOrder() == FusionOrder::Ring && !ShapedType::isDynamic(*size) &&
      getChunks() % *size != 0)
    return emitOpError() << "computes " << getChunks()
                         << " chunks in ring order over a group of " << *size
                         << "; ring order needs a multiple of the group size";
  return success();
}

namespace {

/// Whether `a` is issued before `b` (neither holding the other).
bool isIssuedBefore(Operation *a, Operation *b) {
  for (Operation *at = a; at; at = at->getParentOp()) {
    Block *block = at->getBlock();
    if (!block)
      return false;
    if (Operation *bAt = block->findAncestorOpInBlock(*b))
      return bAt != at && at->isBeforeInBlock(bAt);
  }
  return false;
}

} // namespace

LogicalResult CommandNextEpochOp::verify() {
  CommandChunkedComputeOp producer;
  Operation *consumer = nullptr;
  for (Operation *user : getEpoch().getUsers()) {
    if (auto chunked = dyn_cast<CommandChunkedComputeOp>(user);
        chunked && chunked.getEpoch() == getEpoch()) {
      if (producer)
        return emitOpError() << "epoch is released by two chunked_compute "
                                "ops; each pair needs its own epoch";
      producer = chunked;
      continue;
    }
    std::optional<CommandTrigger> trigger = getCommandTrigger(user);
    if (!trigger || trigger->epoch != getEpoch())
      return user->emitOpError()
             << "uses a counter epoch; only a braid.cmd.chunked_compute and "
                "the collective it triggers take one";
    if (consumer)
      return emitOpError() << "epoch triggers two collectives; each pair "
                              "needs its own epoch";
    consumer = user;
  }
  if (!producer || !consumer)
    return emitOpError() << "epoch needs one braid.cmd.chunked_compute and "
                            "one collective triggered by it; it has "
                         << (producer ? "no collective" : "no producer");
  std::optional<CommandTrigger> trigger = getCommandTrigger(consumer);
  if (producer.getCounter() != getCounter() ||
      trigger->counter != getCounter())
    return emitOpError() << "pairs ops that name a different counter than "
                            "the epoch's";
  if (static_cast<int64_t>(producer.getChunks()) != trigger->chunks ||
      static_cast<int64_t>(producer.getTiles()) != trigger->tiles)
    return consumer->emitOpError()
           << "waits for " << trigger->chunks << " chunks of "
           << trigger->tiles << " tiles, but its producer releases "
           << producer.getChunks() << " chunks of " << producer.getTiles()
           << " tiles: some waited values are never reached";
  auto collective = cast<CommandCollectiveOpInterface>(consumer);
  if (collective.getSourceBuffer() != producer.getOutput())
    return consumer->emitOpError()
           << "sends a buffer other than the output of the chunked_compute "
              "that triggers it";
  bool ring = isa<CommandAllReduceOp, CommandReduceScatterOp>(consumer);
  if (ring != (producer.getOrder() == FusionOrder::Ring))
    return producer.emitOpError()
           << "computes in " << stringifyFusionOrder(producer.getOrder())
           << " order, but its " << consumer->getName()
           << " consumes chunks in "
           << (ring ? "ring" : "arrival") << " order";
  if (producer.getGridAttr() != consumer->getAttr("grid") ||
      producer.getAxesAttr() != consumer->getAttr("axes"))
    return producer.emitOpError()
           << "orders its chunks over another group than the collective it "
              "triggers";
  // The wait must be able to end: a collective issued before its producer
  // has to run on a stream of its own, else the stream (or the host) that
  // would run the producer is blocked behind the wait.
  if (isIssuedBefore(consumer, producer)) {
    int64_t consumerStream = getCommandStream(consumer);
    int64_t producerStream = getCommandStream(producer);
    if (consumerStream == 0)
      return consumer->emitOpError()
             << "waits on the host stream for a producer issued after it; "
                "the wait can never end";
    if (consumerStream == producerStream)
      return consumer->emitOpError()
             << "waits on stream " << consumerStream
             << " for a producer issued after it on the same stream; the "
                "wait can never end";
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
