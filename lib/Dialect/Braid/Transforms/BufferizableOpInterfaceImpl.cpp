//===- BufferizableOpInterfaceImpl.cpp - bufferizing braid ops ------------===//
//
// Decisions (docs/Lowering.md, "Bufferization"):
// - A collective writes a fresh buffer: engines read the source while the
//   target is written, and a fresh target leaves the source to its other
//   readers. Blocks along an inner dimension are packed into / unpacked from
//   a contiguous [P, ...] buffer through a transposed view.
// - A layer op becomes braid.cmd.compute around the op itself, so it keeps
//   one definition of its semantics (verifier, interpreter, kernel).
// - braid.start yields buffers with the identity layout; the await returns
//   them, read-only to the analysis (another start may still read them).
// - braid.fused_collective: One-Shot bufferizes its body like any code (the
//   contraction writes its init's buffer, the collective reads it); the
//   fused op then becomes the counter form: the contraction and its
//   epilogue inside a braid.cmd.chunked_compute releasing a fresh counter,
//   the collective triggered by it (docs/Lowering.md, "Producer fusion").
//
//===----------------------------------------------------------------------===//

#include "braid/Dialect/Braid/Transforms/BufferizableOpInterfaceImpl.h"
#include "braid/Analysis/FusedCollective.h"
#include "braid/Dialect/Braid/IR/BraidDialect.h"

#include "mlir/Dialect/Bufferization/IR/BufferizableOpInterface.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/MemRef/Utils/MemRefUtils.h"
#include "mlir/IR/IRMapping.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::braid;
using namespace mlir::bufferization;

namespace {

MemRefType identityMemRef(ShapedType type) {
  return MemRefType::get(type.getShape(), type.getElementType());
}

FailureOr<Value> allocate(RewriterBase &rewriter, Location loc,
                          MemRefType type,
                          const BufferizationOptions &options) {
  return options.createAlloc(rewriter, loc, type, {});
}

/// The buffer of `tensor`, copied into a fresh contiguous one when its
/// layout is not contiguous row-major.
FailureOr<Value> getContiguousBuffer(RewriterBase &rewriter, Location loc,
                                     Value tensor,
                                     const BufferizationOptions &options,
                                     const BufferizationState &state) {
  FailureOr<Value> buffer = getBuffer(rewriter, tensor, options, state);
  if (failed(buffer))
    return failure();
  auto type = cast<MemRefType>(buffer->getType());
  if (memref::isStaticShapeAndContiguousRowMajor(type) &&
      type.getLayout().isIdentity())
    return buffer;
  FailureOr<Value> copy =
      allocate(rewriter, loc, identityMemRef(type), options);
  if (failed(copy) ||
      failed(options.createMemCpy(rewriter, loc, *buffer, *copy)))
    return failure();
  return copy;
}

/// Product of the dimensions before `dim`.
int64_t outerElements(ArrayRef<int64_t> shape, int64_t dim) {
  int64_t product = 1;
  for (int64_t size : shape.take_front(dim))
    product *= size;
  return product;
}

/// `shape` with `dim` split into [parts, shape[dim] / parts].
SmallVector<int64_t> splitDim(ArrayRef<int64_t> shape, int64_t dim,
                              int64_t parts) {
  SmallVector<int64_t> split(shape.take_front(dim));
  split.push_back(parts);
  split.push_back(shape[dim] / parts);
  llvm::append_range(split, shape.drop_front(dim + 1));
  return split;
}

SmallVector<ReassociationIndices> splitReassociation(int64_t rank,
                                                     int64_t dim) {
  SmallVector<ReassociationIndices> groups;
  for (int64_t i = 0, j = 0; i < rank; ++i) {
    if (i == dim) {
      groups.push_back({j, j + 1});
      j += 2;
    } else {
      groups.push_back({j++});
    }
  }
  return groups;
}

/// Copies the `parts` blocks of `buffer` along `dim` into a fresh contiguous
/// [parts, block...] buffer (block p = the p-th slice along `dim`).
FailureOr<Value> packBlocks(RewriterBase &rewriter, Location loc, Value buffer,
                            int64_t dim, int64_t parts,
                            const BufferizationOptions &options) {
  auto type = cast<MemRefType>(buffer.getType());
  SmallVector<int64_t> split = splitDim(type.getShape(), dim, parts);
  Value view = memref::ExpandShapeOp::create(
      rewriter, loc, split, buffer,
      splitReassociation(type.getRank(), dim));
  SmallVector<int64_t> packedShape{parts};
  SmallVector<int64_t> permutation{dim};
  for (int64_t i = 0; i < static_cast<int64_t>(split.size()); ++i)
    if (i != dim) {
      packedShape.push_back(split[i]);
      permutation.push_back(i);
    }
  FailureOr<Value> packed = allocate(
      rewriter, loc, MemRefType::get(packedShape, type.getElementType()),
      options);
  if (failed(packed))
    return failure();
  linalg::TransposeOp::create(rewriter, loc, view, *packed, permutation);
  return packed;
}

/// Writes the [parts, block...] buffer `packed` into `target` with block p
/// as the p-th slice along `dim`.
void unpackBlocks(RewriterBase &rewriter, Location loc, Value packed,
                  Value target, int64_t dim, int64_t parts) {
  auto type = cast<MemRefType>(target.getType());
  SmallVector<int64_t> split = splitDim(type.getShape(), dim, parts);
  Value view = memref::ExpandShapeOp::create(
      rewriter, loc, split, target, splitReassociation(type.getRank(), dim));
  // view dim i reads packed dim permutation[i]: packed = [parts, rest...].
  SmallVector<int64_t> permutation;
  for (int64_t i = 0; i < static_cast<int64_t>(split.size()); ++i)
    permutation.push_back(i < dim ? i + 1 : i == dim ? 0 : i);
  linalg::TransposeOp::create(rewriter, loc, packed, view, permutation);
}

/// An op that reads its tensor operands and aliases none of them.
template <typename Concrete, typename OpTy>
struct ReadsOperandsModel
    : public BufferizableOpInterface::ExternalModel<Concrete, OpTy> {
  bool bufferizesToMemoryRead(Operation *, OpOperand &,
                              const AnalysisState &) const {
    return true;
  }
  bool bufferizesToMemoryWrite(Operation *, OpOperand &,
                               const AnalysisState &) const {
    return false;
  }
  AliasingValueList getAliasingValues(Operation *, OpOperand &,
                                      const AnalysisState &) const {
    return {};
  }
};

/// Shared by every collective: reads its input, writes a fresh result.
template <typename OpTy>
struct CollectiveModel
    : public ReadsOperandsModel<CollectiveModel<OpTy>, OpTy> {
  bool bufferizesToAllocation(Operation *, Value) const { return true; }

  LogicalResult bufferize(Operation *op, RewriterBase &rewriter,
                          const BufferizationOptions &options,
                          BufferizationState &state) const {
    auto collective = cast<OpTy>(op);
    Location loc = op->getLoc();
    rewriter.setInsertionPoint(op);
    FailureOr<int64_t> groupSize = getGroupSize(
        op, collective.getGridAttr(), collective.getAxes());
    if (failed(groupSize) || ShapedType::isDynamic(*groupSize))
      return op->emitOpError()
             << "needs a static group size to be bufferized";
    auto resultType = cast<RankedTensorType>(collective.getResult().getType());
    if (!resultType.hasStaticShape())
      return op->emitOpError() << "needs static shapes to be bufferized";
    FailureOr<Value> source = getContiguousBuffer(
        rewriter, loc, collective.getInput(), options, state);
    FailureOr<Value> target =
        allocate(rewriter, loc, identityMemRef(resultType), options);
    if (failed(source) || failed(target))
      return failure();
    if (failed(lower(collective, rewriter, *source, *target, *groupSize,
                     options)))
      return failure();
    replaceOpWithBufferizedValues(rewriter, op, *target);
    return success();
  }

  LogicalResult lower(OpTy op, RewriterBase &rewriter, Value source,
                      Value target, int64_t groupSize,
                      const BufferizationOptions &options) const;
};

/// all_reduce runs in place (the engines take send == recv): its result is
/// its input's buffer, which One-Shot copies first when the old value is
/// still read.
struct AllReduceModel : public ReadsOperandsModel<AllReduceModel, AllReduceOp> {
  bool bufferizesToMemoryWrite(Operation *, OpOperand &,
                               const AnalysisState &) const {
    return true;
  }
  AliasingValueList getAliasingValues(Operation *op, OpOperand &,
                                      const AnalysisState &) const {
    return {{op->getResult(0), BufferRelation::Equivalent}};
  }

  LogicalResult bufferize(Operation *op, RewriterBase &rewriter,
                          const BufferizationOptions &options,
                          BufferizationState &state) const {
    auto allReduce = cast<AllReduceOp>(op);
    rewriter.setInsertionPoint(op);
    FailureOr<Value> buffer =
        getBuffer(rewriter, allReduce.getInput(), options, state);
    if (failed(buffer))
      return failure();
    auto type = cast<MemRefType>(buffer->getType());
    if (!memref::isStaticShapeAndContiguousRowMajor(type))
      return op->emitOpError()
             << "reduces a strided view " << type
             << " in place; the engines need contiguous buffers";
    CommandAllReduceOp::create(rewriter, op->getLoc(), *buffer, *buffer,
                               allReduce.getGridAttr(),
                               allReduce.getAxesAttr(),
                               allReduce.getReductionAttr(),
                               /*counter=*/Value(), /*epoch=*/Value(), /*chunks=*/nullptr,
                               /*tiles=*/nullptr);
    replaceOpWithBufferizedValues(rewriter, op, *buffer);
    return success();
  }
};

template <>
LogicalResult CollectiveModel<AllReduceOp>::lower(
    AllReduceOp op, RewriterBase &rewriter, Value source, Value target,
    int64_t, const BufferizationOptions &) const {
  CommandAllReduceOp::create(rewriter, op.getLoc(), source, target,
                             op.getGridAttr(), op.getAxesAttr(),
                             op.getReductionAttr(), /*counter=*/Value(),
                             /*epoch=*/Value(), /*chunks=*/nullptr,
                               /*tiles=*/nullptr);
  return success();
}

template <>
LogicalResult CollectiveModel<AllGatherOp>::lower(
    AllGatherOp op, RewriterBase &rewriter, Value source, Value target,
    int64_t groupSize, const BufferizationOptions &options) const {
  Location loc = op.getLoc();
  int64_t dim = op.getDim();
  auto sourceType = cast<MemRefType>(source.getType());
  if (outerElements(sourceType.getShape(), dim) == 1) {
    CommandAllGatherOp::create(rewriter, loc, source, target,
                               op.getGridAttr(), op.getAxesAttr(),
                               /*counter=*/Value(), /*epoch=*/Value(), /*chunks=*/nullptr,
                               /*tiles=*/nullptr);
    return success();
  }
  SmallVector<int64_t> packedShape{groupSize};
  llvm::append_range(packedShape, sourceType.getShape());
  FailureOr<Value> packed = allocate(
      rewriter, loc, MemRefType::get(packedShape, sourceType.getElementType()),
      options);
  if (failed(packed))
    return failure();
  CommandAllGatherOp::create(rewriter, loc, source, *packed, op.getGridAttr(),
                             op.getAxesAttr(), /*counter=*/Value(),
                             /*epoch=*/Value(), /*chunks=*/nullptr,
                               /*tiles=*/nullptr);
  unpackBlocks(rewriter, loc, *packed, target, dim, groupSize);
  return success();
}

template <>
LogicalResult CollectiveModel<ReduceScatterOp>::lower(
    ReduceScatterOp op, RewriterBase &rewriter, Value source, Value target,
    int64_t groupSize, const BufferizationOptions &options) const {
  Location loc = op.getLoc();
  int64_t dim = op.getDim();
  auto sourceType = cast<MemRefType>(source.getType());
  if (outerElements(sourceType.getShape(), dim) != 1) {
    FailureOr<Value> packed =
        packBlocks(rewriter, loc, source, dim, groupSize, options);
    if (failed(packed))
      return failure();
    source = *packed;
  }
  CommandReduceScatterOp::create(rewriter, loc, source, target,
                                 op.getGridAttr(), op.getAxesAttr(),
                                 op.getReductionAttr(), /*counter=*/Value(),
                                 /*epoch=*/Value(), /*chunks=*/nullptr,
                               /*tiles=*/nullptr);
  return success();
}

template <>
LogicalResult CollectiveModel<AllToAllOp>::lower(
    AllToAllOp op, RewriterBase &rewriter, Value source, Value target,
    int64_t groupSize, const BufferizationOptions &options) const {
  Location loc = op.getLoc();
  auto sourceType = cast<MemRefType>(source.getType());
  auto targetType = cast<MemRefType>(target.getType());
  int64_t splitDim = op.getSplitDim(), concatDim = op.getConcatDim();
  if (outerElements(sourceType.getShape(), splitDim) != 1) {
    FailureOr<Value> packed =
        packBlocks(rewriter, loc, source, splitDim, groupSize, options);
    if (failed(packed))
      return failure();
    source = *packed;
  }
  if (outerElements(targetType.getShape(), concatDim) == 1) {
    CommandAllToAllOp::create(rewriter, loc, source, target, op.getGridAttr(),
                              op.getAxesAttr());
    return success();
  }
  // Received block i is member i's chunk: [P, chunk...] then unpacked
  // along concat_dim.
  SmallVector<int64_t> chunk(targetType.getShape());
  chunk[concatDim] /= groupSize;
  SmallVector<int64_t> packedShape{groupSize};
  llvm::append_range(packedShape, chunk);
  FailureOr<Value> received = allocate(
      rewriter, loc, MemRefType::get(packedShape, targetType.getElementType()),
      options);
  if (failed(received))
    return failure();
  CommandAllToAllOp::create(rewriter, loc, source, *received,
                            op.getGridAttr(), op.getAxesAttr());
  unpackBlocks(rewriter, loc, *received, target, concatDim, groupSize);
  return success();
}

template <>
LogicalResult CollectiveModel<CollectivePermuteOp>::lower(
    CollectivePermuteOp op, RewriterBase &rewriter, Value source,
    Value target, int64_t, const BufferizationOptions &) const {
  CommandCollectivePermuteOp::create(rewriter, op.getLoc(), source, target,
                                     op.getGridAttr(), op.getAxesAttr(),
                                     op.getPairsAttr());
  return success();
}

template <>
LogicalResult CollectiveModel<BroadcastOp>::lower(
    BroadcastOp op, RewriterBase &rewriter, Value source, Value target,
    int64_t, const BufferizationOptions &) const {
  CommandBroadcastOp::create(rewriter, op.getLoc(), source, target,
                             op.getGridAttr(), op.getAxesAttr(),
                             op.getRootAttr());
  return success();
}

/// A layer op: braid.cmd.compute around a clone of it, on fresh outputs.
template <typename OpTy>
struct ComputeModel
    : public ReadsOperandsModel<ComputeModel<OpTy>, OpTy> {
  // The clone in a braid.cmd.compute body stays on tensors.
  bool hasTensorSemantics(Operation *op) const {
    return !op->getParentOfType<CommandComputeOp>();
  }
  bool bufferizesToAllocation(Operation *, Value) const { return true; }

  LogicalResult bufferize(Operation *op, RewriterBase &rewriter,
                          const BufferizationOptions &options,
                          BufferizationState &state) const {
    Location loc = op->getLoc();
    rewriter.setInsertionPoint(op);
    SmallVector<Value> inputs, outputs;
    SmallVector<Type> blockTypes;
    SmallVector<Location> blockLocs;
    for (Value operand : op->getOperands()) {
      auto tensorType = dyn_cast<RankedTensorType>(operand.getType());
      if (!tensorType)
        return op->emitOpError()
               << "has a non-tensor operand; only tensor operands can be "
                  "bufferized";
      FailureOr<Value> buffer =
          getContiguousBuffer(rewriter, loc, operand, options, state);
      if (failed(buffer))
        return failure();
      inputs.push_back(*buffer);
      blockTypes.push_back(tensorType);
      blockLocs.push_back(loc);
    }
    for (Value result : op->getResults()) {
      auto tensorType = dyn_cast<RankedTensorType>(result.getType());
      if (!tensorType || !tensorType.hasStaticShape())
        return op->emitOpError() << "needs static tensor results to be "
                                    "bufferized";
      FailureOr<Value> buffer =
          allocate(rewriter, loc, identityMemRef(tensorType), options);
      if (failed(buffer))
        return failure();
      outputs.push_back(*buffer);
    }
    auto compute = CommandComputeOp::create(rewriter, loc, inputs, outputs);
    Block *body = rewriter.createBlock(&compute.getBody(), {}, blockTypes,
                                       blockLocs);
    IRMapping mapping;
    mapping.map(op->getOperands(), body->getArguments());
    Operation *clone = rewriter.clone(*op, mapping);
    CommandYieldOp::create(rewriter, loc, clone->getResults());
    replaceOpWithBufferizedValues(rewriter, op, outputs);
    return success();
  }
};

/// braid.yield in a start: yields buffers with the identity layout and
/// retypes the start's future.
struct YieldModel : public ReadsOperandsModel<YieldModel, YieldOp> {
  bool mustBufferizeInPlace(Operation *, OpOperand &,
                            const AnalysisState &) const {
    return true;
  }

  LogicalResult bufferize(Operation *op, RewriterBase &rewriter,
                          const BufferizationOptions &options,
                          BufferizationState &state) const {
    auto yield = cast<YieldOp>(op);
    auto start = dyn_cast<StartOp>(op->getParentOp());
    rewriter.setInsertionPoint(op);
    SmallVector<Value> values;
    for (Value value : yield.getValues()) {
      if (!isa<TensorType>(value.getType())) {
        values.push_back(value);
        continue;
      }
      FailureOr<Value> buffer =
          getContiguousBuffer(rewriter, op->getLoc(), value, options, state);
      if (failed(buffer))
        return failure();
      values.push_back(*buffer);
    }
    // A fused collective's yield stays until the fused op is rewritten.
    if (start)
      rewriter.modifyOpInPlace(start, [&] {
        SmallVector<Type> types(ValueRange(values).getTypes());
        start.getFuture().setType(FutureType::get(op->getContext(), types));
      });
    replaceOpWithNewBufferizedOp<YieldOp>(rewriter, op, values);
    return success();
  }
};

/// Chunks and tiles per chunk of the counter form of `fused`, whose cut
/// dimension holds `rows` rows per group member (ring) or in all (arrival).
std::pair<int64_t, int64_t> triggerPieces(FusedCollectiveOp fused,
                                          int64_t cutRows,
                                          int64_t groupSize) {
  TriggerAttr trigger = fused.getTrigger();
  bool ring = fused.getOrder() == FusionOrder::Ring;
  if (trigger.isChunk())
    return {trigger.getCount(), 1};
  // A tile trigger releases every `threshold` tiles of `m` rows: on the
  // buffer level that is tile blocks along the cut, as many per chunk as
  // the chunk's rows allow evenly.
  int64_t chunks = ring ? groupSize : 1;
  int64_t chunkRows = cutRows / chunks;
  int64_t tiles = std::max<int64_t>(
      1, chunkRows / std::max<int64_t>(1, trigger.getM()) /
             std::max<int64_t>(1, trigger.getThreshold()));
  while (tiles > 1 && chunkRows % tiles != 0)
    --tiles;
  return {chunks, tiles};
}

/// braid.fused_collective, its body already on buffers: the counter form
/// (BufferizableOpInterfaceImpl.cpp's header). Its value is the buffer the
/// body yields, a fresh one (the collective's target, or for an
/// all_reduce the contraction's output, itself a fresh init).
struct FusedCollectiveModel
    : public BufferizableOpInterface::ExternalModel<FusedCollectiveModel,
                                                    FusedCollectiveOp> {
  AliasingOpOperandList getAliasingOpOperands(Operation *, Value,
                                              const AnalysisState &) const {
    return {};
  }
  bool bufferizesToAllocation(Operation *, Value) const { return true; }

  LogicalResult bufferize(Operation *op, RewriterBase &rewriter,
                          const BufferizationOptions &,
                          BufferizationState &) const {
    auto fused = cast<FusedCollectiveOp>(op);
    Block &body = fused.getBody().front();
    Value result = body.getTerminator()->getOperand(0);
    if (!isa<MemRefType>(result.getType()))
      return op->emitOpError() << "body was not bufferized before the op";
    // The producer on buffers: the matmul (writing its init's buffer) or
    // the braid.cmd.compute of a grouped matmul (writing a fresh one).
    Operation *collective = nullptr, *producer = nullptr;
    Value produced;
    for (Operation &nested : body.without_terminator()) {
      if (isa<CommandCollectiveOpInterface>(nested)) {
        collective = &nested;
      } else if (auto linalgOp = dyn_cast<linalg::LinalgOp>(nested);
                 linalgOp && linalg::isaContractionOpInterface(linalgOp)) {
        producer = &nested;
        produced = linalgOp.getDpsInits()[0];
      } else if (auto compute = dyn_cast<CommandComputeOp>(nested);
                 compute && isa_and_nonnull<GroupedMatmulOp>(
                                compute.getSingleComputation())) {
        producer = &nested;
        produced = compute.getOutputs()[0];
      }
    }
    if (!collective || !producer)
      return op->emitOpError() << "has no contraction and collective on "
                                  "buffers after bufferization";
    if (!isa<linalg::MatmulOp, CommandComputeOp>(producer))
      return op->emitOpError()
             << "fuses a " << producer->getName()
             << "; the buffer level lowers a linalg.matmul or "
                "braid.grouped_matmul producer only (the runtime's chunked "
                "GEMMs)";
    // (The tensor collective, and with it the cut dimension, is gone: a
    // cut along an inner dimension shows as the blocks packed for it.)
    Value sent =
        cast<CommandCollectiveOpInterface>(collective).getSourceBuffer();
    // The epilogue: the ops that write memory between the two, each run by
    // the chunked producer on the rows of every tile block.
    SmallVector<Operation *> epilogue;
    for (Operation *next = producer->getNextNode(); next != collective;
         next = next->getNextNode()) {
      if (auto pack = dyn_cast<linalg::TransposeOp>(next);
          pack && pack.getInit() == sent)
        return op->emitOpError()
               << "cuts its producer along an inner dimension; the buffer "
                  "level releases contiguous chunks, a cut along the first "
                  "dimension of the matmul's output";
      // Not views, allocations or the tensors bufferization leaves behind
      // (these move before the producer).
      auto effects = dyn_cast<MemoryEffectOpInterface>(next);
      if (!isa<linalg::LinalgOp, CommandComputeOp>(next) &&
          !(effects && effects.hasEffect<MemoryEffects::Write>()))
        continue;
      std::string whyNot;
      if (!isa<linalg::LinalgOp>(next))
        whyNot = "its epilogue's '" + next->getName().getStringRef().str() +
                 "' is not a linalg op on buffers";
      else if (!isa<linalg::MatmulOp>(producer))
        whyNot = "an epilogue runs after a linalg.matmul only";
      else
        (void)checkRowBlockEpilogue(next, whyNot);
      if (!whyNot.empty())
        return op->emitOpError()
               << "cannot run its epilogue on blocks of rows: " << whyNot;
      epilogue.push_back(next);
    }
    Value written =
        epilogue.empty()
            ? produced
            : cast<linalg::LinalgOp>(epilogue.back()).getDpsInits()[0];
    if (sent != written)
      return op->emitOpError()
             << "sends a copy of its producer's output; the buffer level "
                "releases the output itself";
    if (cast<MemRefType>(sent.getType()).getShape() !=
        cast<MemRefType>(produced.getType()).getShape())
      return op->emitOpError()
             << "sends " << sent.getType() << ", not the shape of its "
             << "contraction's output " << produced.getType();
    FailureOr<int64_t> groupSize = getGroupSize(
        collective, collective->getAttrOfType<FlatSymbolRefAttr>("grid"),
        collective->getAttrOfType<DenseI16ArrayAttr>("axes").asArrayRef());
    if (failed(groupSize) || ShapedType::isDynamic(*groupSize))
      return op->emitOpError() << "needs a static group size";
    auto producedType = cast<MemRefType>(produced.getType());
    auto [chunks, tiles] =
        triggerPieces(fused, producedType.getShape()[0], *groupSize);

    Location loc = op->getLoc();
    rewriter.setInsertionPoint(op);
    // Allocations, copies and views the body needed run before.
    llvm::SmallPtrSet<Operation *, 8> computed(epilogue.begin(),
                                              epilogue.end());
    computed.insert(producer);
    computed.insert(collective);
    for (Operation &nested :
         llvm::make_early_inc_range(body.without_terminator()))
      if (!computed.contains(&nested))
        rewriter.moveOpBefore(&nested, op);
    Value counter = CommandCounterOp::create(
        rewriter, loc, CounterType::get(op->getContext()));
    Value epoch =
        CommandNextEpochOp::create(rewriter, loc, rewriter.getI64Type(),
                                   counter);
    auto chunkAttr = rewriter.getI64IntegerAttr(chunks);
    auto tileAttr = rewriter.getI64IntegerAttr(tiles);
    auto chunked = CommandChunkedComputeOp::create(
        rewriter, producer->getLoc(), sent, counter, epoch, chunkAttr,
        tileAttr,
        FusionOrderAttr::get(op->getContext(), fused.getOrder()),
        collective->getAttrOfType<FlatSymbolRefAttr>("grid"),
        collective->getAttrOfType<DenseI16ArrayAttr>("axes"));
    Block *producerBody = rewriter.createBlock(&chunked.getBody());
    CommandEndOp::create(rewriter, loc);
    rewriter.moveOpBefore(producer, producerBody->getTerminator());
    for (Operation *next : epilogue)
      rewriter.moveOpBefore(next, producerBody->getTerminator());
    rewriter.setInsertionPoint(op);
    Location at = collective->getLoc();
    TypeSwitch<Operation *>(collective)
        .Case([&](CommandReduceScatterOp rs) {
          CommandReduceScatterOp::create(
              rewriter, at, rs.getSource(), rs.getTarget(), rs.getGridAttr(),
              rs.getAxesAttr(), rs.getReductionAttr(), counter, epoch,
              chunkAttr, tileAttr);
        })
        .Case([&](CommandAllReduceOp ar) {
          CommandAllReduceOp::create(
              rewriter, at, ar.getSource(), ar.getTarget(), ar.getGridAttr(),
              ar.getAxesAttr(), ar.getReductionAttr(), counter, epoch,
              chunkAttr, tileAttr);
        })
        .Case([&](CommandAllGatherOp ag) {
          CommandAllGatherOp::create(rewriter, at, ag.getSource(),
                                     ag.getTarget(), ag.getGridAttr(),
                                     ag.getAxesAttr(), counter, epoch,
                                     chunkAttr, tileAttr);
        });
    rewriter.eraseOp(collective);
    replaceOpWithBufferizedValues(rewriter, op, result);
    return success();
  }
};

/// braid.await: the buffers the start yielded.
struct AwaitModel
    : public BufferizableOpInterface::ExternalModel<AwaitModel, AwaitOp> {
  bool bufferizesToMemoryRead(Operation *, OpOperand &,
                              const AnalysisState &) const {
    return false;
  }
  bool bufferizesToMemoryWrite(Operation *, OpOperand &,
                               const AnalysisState &) const {
    return false;
  }
  AliasingValueList getAliasingValues(Operation *, OpOperand &,
                                      const AnalysisState &) const {
    return {};
  }
  AliasingOpOperandList getAliasingOpOperands(Operation *, Value,
                                              const AnalysisState &) const {
    return {};
  }
  bool bufferizesToAllocation(Operation *, Value) const { return true; }
  // Another start may read the buffer the await returns.
  bool isWritable(Operation *, Value, const AnalysisState &) const {
    return false;
  }

  LogicalResult bufferize(Operation *op, RewriterBase &rewriter,
                          const BufferizationOptions &,
                          BufferizationState &) const {
    auto await = cast<AwaitOp>(op);
    auto futureType = cast<FutureType>(await.getFuture().getType());
    for (Type type : futureType.getValueTypes())
      if (isa<TensorType>(type))
        return op->emitOpError()
               << "awaits a future whose braid.start was not bufferized";
    rewriter.setInsertionPoint(op);
    replaceOpWithNewBufferizedOp<AwaitOp>(rewriter, op,
                                          futureType.getValueTypes(),
                                          await.getFuture());
    return success();
  }
};

/// braid.cmd.compute and its yield are already bufferized: their tensors
/// are the body's own.
template <typename OpTy>
struct BufferizedModel
    : public BufferizableOpInterface::ExternalModel<BufferizedModel<OpTy>,
                                                    OpTy> {
  bool hasTensorSemantics(Operation *) const { return false; }
};

template <typename... Ops>
void attachCollectiveModels(MLIRContext *context) {
  (Ops::template attachInterface<CollectiveModel<Ops>>(*context), ...);
}
template <typename... Ops>
void attachComputeModels(MLIRContext *context) {
  (Ops::template attachInterface<ComputeModel<Ops>>(*context), ...);
}

} // namespace

void mlir::braid::registerBufferizableOpInterfaceExternalModels(
    DialectRegistry &registry) {
  registry.addExtension(+[](MLIRContext *context, BraidDialect *) {
    AllReduceOp::attachInterface<AllReduceModel>(*context);
    attachCollectiveModels<AllGatherOp, ReduceScatterOp, AllToAllOp,
                           CollectivePermuteOp, BroadcastOp>(context);
    attachComputeModels<RMSNormOp, LayerNormOp, ActivationOp, SwiGLUOp,
                        AttentionOp, GroupedMatmulOp, MoEGateOp, MoEPermuteOp,
                        MoEUnpermuteOp, TopKOp, SortOp, GatherOp, ScatterOp>(
        context);
    YieldOp::attachInterface<YieldModel>(*context);
    AwaitOp::attachInterface<AwaitModel>(*context);
    FusedCollectiveOp::attachInterface<FusedCollectiveModel>(*context);
    CommandComputeOp::attachInterface<BufferizedModel<CommandComputeOp>>(
        *context);
    CommandYieldOp::attachInterface<BufferizedModel<CommandYieldOp>>(
        *context);
  });
}
