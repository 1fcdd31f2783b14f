//===- BufferOps.cpp - interpreter semantics of buffer-level ops ----------===//
//
// memref ops make and touch views of byte storage (Buffer.h);
// bufferization.to_tensor/to_buffer cross between tensors and buffers;
// braid.cmd.compute runs its tensor body on buffer contents. Every read and
// write goes through TaskContext::recordAccess, the race detector.
//
//===----------------------------------------------------------------------===//

#include "ExecContext.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::braid;
using namespace mlir::braid::interp;

namespace {

/// Sizes of a memref `type` with its dynamic ones from `dynamicSizes`.
SmallVector<int64_t> resolveShape(MemRefType type, ValueRange dynamicSizes,
                                  Frame &frame) {
  SmallVector<int64_t> shape(type.getShape());
  for (size_t dim = 0, next = 0; dim < shape.size(); ++dim)
    if (ShapedType::isDynamic(shape[dim]))
      shape[dim] = scalarOf(frame, dynamicSizes[next++]).i;
  return shape;
}

/// Binds `view`, made by `op`, to `result` once it lies within its storage.
LogicalResult bindView(Operation *op, Value result, BufferView view,
                       Frame &frame, TaskContext &task) {
  if (!view.inBounds()) {
    task.emitError(op) << "the view " << view.typeString() << " (byte offset "
                       << view.baseByte
                       << " of the aligned pointer) reaches outside the "
                       << view.storage->size() << " bytes of "
                       << view.storage->description();
    return failure();
  }
  frame[result] = RValue::of(std::move(view));
  return success();
}

LogicalResult executeAlloc(Operation *op, Frame &frame, TaskContext &task) {
  Value result = op->getResult(0);
  auto type = cast<MemRefType>(result.getType());
  ValueRange dynamicSizes =
      TypeSwitch<Operation *, ValueRange>(op)
          .Case<memref::AllocOp, memref::AllocaOp>(
              [](auto alloc) { return alloc.getDynamicSizes(); });
  SmallVector<int64_t> shape = resolveShape(type, dynamicSizes, frame);
  ElemKind kind = elemKindOf(type);
  if (failed(task.checkAllocation(op, shape, kind)))
    return failure();
  if (!type.getLayout().isIdentity()) {
    task.emitError(op) << "the interpreter allocates memrefs with the "
                          "identity layout only, not "
                       << type;
    return failure();
  }
  int64_t elements = *getNumElements(shape);
  // Fresh memory holds garbage: 0xFF bytes read as NaN or -1.
  auto storage = std::make_shared<Storage>(elements * storageBytes(kind), 0xFF,
                                           task.run.options.f64Mode,
                                           task.run.describeBuffer(result));
  frame[result] =
      RValue::of(BufferView::contiguous(std::move(storage), kind, shape));
  return success();
}

LogicalResult executeDealloc(Operation *, Frame &, TaskContext &) {
  return success();
}

LogicalResult executeView(Operation *op, Frame &frame, TaskContext &task) {
  auto viewOp = cast<memref::ViewOp>(op);
  const BufferView &source = bufferOf(frame, viewOp.getSource());
  BufferView view = BufferView::contiguous(
      source.storage, elemKindOf(viewOp.getType()),
      resolveShape(viewOp.getType(), viewOp.getSizes(), frame));
  view.baseByte = source.baseByte + source.offset * source.elementBytes() +
                  scalarOf(frame, viewOp.getByteShift()).i;
  return bindView(op, viewOp.getResult(), std::move(view), frame, task);
}

LogicalResult executeSubView(Operation *op, Frame &frame, TaskContext &task) {
  auto subview = cast<memref::SubViewOp>(op);
  const BufferView &source = bufferOf(frame, subview.getSource());
  SmallVector<int64_t> offsets = resolveMixed(subview.getMixedOffsets(), frame);
  SmallVector<int64_t> sizes = resolveMixed(subview.getMixedSizes(), frame);
  SmallVector<int64_t> steps = resolveMixed(subview.getMixedStrides(), frame);
  if (failed(checkSliceBounds(op, "source", source.shape, source.typeString(),
                              offsets, sizes, steps, task)))
    return failure();
  llvm::SmallBitVector dropped = subview.getDroppedDims();
  BufferView view = source;
  view.shape.clear();
  view.strides.clear();
  for (int64_t dim = 0; dim < source.rank(); ++dim) {
    view.offset += offsets[dim] * source.strides[dim];
    if (dropped.test(dim))
      continue;
    view.shape.push_back(sizes[dim]);
    view.strides.push_back(source.strides[dim] * steps[dim]);
  }
  return bindView(op, subview.getResult(), std::move(view), frame, task);
}

LogicalResult executeReinterpretCast(Operation *op, Frame &frame,
                                     TaskContext &task) {
  auto cast = llvm::cast<memref::ReinterpretCastOp>(op);
  BufferView view = bufferOf(frame, cast.getSource());
  view.offset = resolveMixed(cast.getMixedOffsets(), frame)[0];
  view.shape = resolveMixed(cast.getMixedSizes(), frame);
  view.strides = resolveMixed(cast.getMixedStrides(), frame);
  return bindView(op, cast.getResult(), std::move(view), frame, task);
}

LogicalResult executeCollapseShape(Operation *op, Frame &frame,
                                   TaskContext &task) {
  auto collapse = cast<memref::CollapseShapeOp>(op);
  const BufferView &source = bufferOf(frame, collapse.getSrc());
  BufferView view = source;
  view.shape.clear();
  view.strides.clear();
  for (const ReassociationIndices &group : collapse.getReassociationIndices()) {
    int64_t size = 1;
    // The merged dims must step through memory as one: each (non-unit) dim
    // strides over the whole of the dims inside it.
    std::optional<int64_t> innerStride, expected;
    for (int64_t dim : llvm::reverse(group)) {
      size *= source.shape[dim];
      if (source.shape[dim] == 1)
        continue;
      if (expected && source.strides[dim] != *expected) {
        task.emitError(op) << "collapses dimensions of " << source.typeString()
                           << " that are not contiguous in memory";
        return failure();
      }
      if (!innerStride)
        innerStride = source.strides[dim];
      expected = source.strides[dim] * source.shape[dim];
    }
    view.shape.push_back(size);
    view.strides.push_back(innerStride.value_or(1));
  }
  return bindView(op, collapse.getResult(), std::move(view), frame, task);
}

LogicalResult executeExpandShape(Operation *op, Frame &frame,
                                 TaskContext &task) {
  auto expand = cast<memref::ExpandShapeOp>(op);
  const BufferView &source = bufferOf(frame, expand.getSrc());
  SmallVector<int64_t> shape =
      resolveMixed(expand.getMixedOutputShape(), frame);
  BufferView view = source;
  view.shape = shape;
  view.strides.assign(shape.size(), 0);
  for (auto [sourceDim, group] :
       llvm::enumerate(expand.getReassociationIndices())) {
    int64_t stride = source.strides[sourceDim];
    for (int64_t dim : llvm::reverse(group)) {
      view.strides[dim] = stride;
      stride *= shape[dim];
    }
  }
  return bindView(op, expand.getResult(), std::move(view), frame, task);
}

LogicalResult executeTranspose(Operation *op, Frame &frame, TaskContext &task) {
  auto transpose = cast<memref::TransposeOp>(op);
  const BufferView &source = bufferOf(frame, transpose.getIn());
  AffineMap permutation = transpose.getPermutation();
  BufferView view = source;
  for (unsigned dim = 0; dim < permutation.getNumResults(); ++dim) {
    unsigned from = permutation.getDimPosition(dim);
    view.shape[dim] = source.shape[from];
    view.strides[dim] = source.strides[from];
  }
  return bindView(op, transpose.getResult(), std::move(view), frame, task);
}

/// memref.cast and other ops that only change the static type.
LogicalResult executeSameView(Operation *op, Frame &frame, TaskContext &) {
  frame[op->getResult(0)] = frame.lookup(op->getOperand(0));
  return success();
}

/// A one-element view of `view` at `indices`, checked against its shape.
FailureOr<BufferView> elementView(Operation *op, const BufferView &view,
                                  ValueRange indices, Frame &frame,
                                  TaskContext &task) {
  SmallVector<int64_t> index;
  for (Value i : indices)
    index.push_back(scalarOf(frame, i).i);
  for (auto [i, size] : llvm::zip(index, view.shape))
    if (i < 0 || i >= size) {
      InFlightDiagnostic diag = task.emitError(op);
      diag << "index [";
      llvm::interleaveComma(index, diag);
      diag << "] is out of bounds for " << view.typeString();
      return failure();
    }
  BufferView element = view;
  element.offset = 0;
  element.baseByte = view.byteAt(index);
  element.shape.clear();
  element.strides.clear();
  return element;
}

LogicalResult executeLoad(Operation *op, Frame &frame, TaskContext &task) {
  auto load = cast<memref::LoadOp>(op);
  FailureOr<BufferView> element = elementView(
      op, bufferOf(frame, load.getMemRef()), load.getIndices(), frame, task);
  if (failed(element) ||
      failed(task.recordAccess(op, *element, /*write=*/false)))
    return failure();
  frame[load.getResult()] =
      RValue::of(element->storage->load(element->baseByte, element->kind));
  return success();
}

LogicalResult executeStore(Operation *op, Frame &frame, TaskContext &task) {
  auto store = cast<memref::StoreOp>(op);
  FailureOr<BufferView> element = elementView(
      op, bufferOf(frame, store.getMemRef()), store.getIndices(), frame, task);
  if (failed(element) ||
      failed(task.recordAccess(op, *element, /*write=*/true)))
    return failure();
  element->storage->store(element->baseByte,
                          scalarOf(frame, store.getValueToStore()),
                          element->kind);
  return success();
}

/// Reads `source` and writes its elements, in row-major order, to `target`.
LogicalResult copyElements(Operation *op, const BufferView &source,
                           const BufferView &target, TaskContext &task) {
  if (source.shape != target.shape) {
    task.emitError(op) << "copies " << source.typeString() << " into "
                       << target.typeString() << " of another shape";
    return failure();
  }
  if (failed(task.recordAccess(op, source, /*write=*/false)))
    return failure();
  Tensor contents = source.read();
  if (failed(task.recordAccess(op, target, /*write=*/true)))
    return failure();
  target.write(contents);
  return success();
}

LogicalResult executeCopy(Operation *op, Frame &frame, TaskContext &task) {
  auto copy = cast<memref::CopyOp>(op);
  return copyElements(op, bufferOf(frame, copy.getSource()),
                      bufferOf(frame, copy.getTarget()), task);
}

LogicalResult executeMemRefDim(Operation *op, Frame &frame, TaskContext &task) {
  auto dim = cast<memref::DimOp>(op);
  const BufferView &source = bufferOf(frame, dim.getSource());
  int64_t index = scalarOf(frame, dim.getIndex()).i;
  if (index < 0 || index >= source.rank()) {
    task.emitError(op) << "dimension " << index << " is out of range";
    return failure();
  }
  frame[dim.getResult()] =
      RValue::of(Scalar::ofInt(ElemKind::Index, source.shape[index]));
  return success();
}

LogicalResult executeGetGlobal(Operation *op, Frame &frame, TaskContext &task) {
  auto getGlobal = cast<memref::GetGlobalOp>(op);
  auto global = task.run.symbolTables.lookupNearestSymbolFrom<memref::GlobalOp>(
      op, getGlobal.getNameAttr());
  if (!global) {
    task.emitError(op) << "no memref.global named " << getGlobal.getNameAttr();
    return failure();
  }
  MemRefType type = global.getType();
  ElemKind kind = elemKindOf(type);
  std::shared_ptr<Storage> &storage =
      task.run.ranks[task.rank].globals[global.getOperation()];
  if (!storage) {
    if (!type.hasStaticShape() ||
        failed(task.checkAllocation(op, type.getShape(), kind)))
      return failure();
    auto initial =
        dyn_cast_or_null<DenseElementsAttr>(global.getInitialValueAttr());
    std::string description;
    llvm::raw_string_ostream os(description);
    os << "@" << global.getSymName() << " (" << type << ")";
    storage = std::make_shared<Storage>(
        type.getNumElements() * storageBytes(kind), initial ? 0 : 0xFF,
        task.run.options.f64Mode, description);
    if (initial) {
      BufferView all = BufferView::contiguous(storage, kind, type.getShape());
      Tensor contents(kind, type.getShape());
      bool f64 = task.run.options.f64Mode;
      if (initial.isSplat()) {
        Scalar value =
            scalarFromAttr(initial.getSplatValue<Attribute>(), kind, f64);
        for (int64_t i = 0; i < contents.numElements(); ++i)
          contents.set(i, value);
      } else {
        int64_t i = 0;
        for (Attribute element : initial.getValues<Attribute>())
          contents.set(i++, scalarFromAttr(element, kind, f64));
      }
      all.write(contents);
    }
    storage->readOnly = global.getConstant();
  }
  frame[getGlobal.getResult()] =
      RValue::of(BufferView::contiguous(storage, kind, type.getShape()));
  return success();
}

LogicalResult executeToTensor(Operation *op, Frame &frame, TaskContext &task) {
  auto toTensor = cast<bufferization::ToTensorOp>(op);
  const BufferView &buffer = bufferOf(frame, toTensor.getBuffer());
  if (failed(task.recordAccess(op, buffer, /*write=*/false)))
    return failure();
  frame[toTensor.getResult()] = RValue::of(buffer.read());
  return success();
}

LogicalResult executeToBuffer(Operation *op, Frame &frame, TaskContext &task) {
  auto toBuffer = cast<bufferization::ToBufferOp>(op);
  const Tensor &tensor = tensorOf(frame, toBuffer.getTensor());
  Value result = toBuffer.getResult();
  auto storage = std::make_shared<Storage>(
      tensor.numElements() * storageBytes(tensor.kind()), 0,
      task.run.options.f64Mode, task.run.describeBuffer(result));
  BufferView view =
      BufferView::contiguous(std::move(storage), tensor.kind(), tensor.shape());
  view.write(tensor);
  frame[result] = RValue::of(std::move(view));
  return success();
}

LogicalResult executeMaterializeInDestination(Operation *op, Frame &frame,
                                              TaskContext &task) {
  auto materialize = cast<bufferization::MaterializeInDestinationOp>(op);
  Value dest = materialize.getDest();
  const Tensor &source = tensorOf(frame, materialize.getSource());
  if (isa<RankedTensorType>(dest.getType())) {
    frame[materialize.getResult()] = RValue::of(source);
    return success();
  }
  const BufferView &target = bufferOf(frame, dest);
  if (source.shape() != ArrayRef<int64_t>(target.shape)) {
    task.emitError(op) << "materializes " << source.typeString() << " in "
                       << target.typeString() << " of another shape";
    return failure();
  }
  if (failed(task.recordAccess(op, target, /*write=*/true)))
    return failure();
  target.write(source);
  return success();
}

LogicalResult executeCompute(Operation *op, Frame &frame, TaskContext &task) {
  auto compute = cast<CommandComputeOp>(op);
  SmallVector<RValue> inputs;
  for (Value input : compute.getInputs()) {
    const BufferView &buffer = bufferOf(frame, input);
    if (failed(task.recordAccess(op, buffer, /*write=*/false)))
      return failure();
    inputs.push_back(RValue::of(buffer.read()));
  }
  FailureOr<SmallVector<RValue>> yielded =
      task.run.executeBlock(compute.getBody().front(), inputs, frame, task);
  if (failed(yielded))
    return failure();
  for (auto [output, value] : llvm::zip(compute.getOutputs(), *yielded)) {
    const BufferView &buffer = bufferOf(frame, output);
    if (failed(task.recordAccess(op, buffer, /*write=*/true)))
      return failure();
    buffer.write(*value.tensor);
  }
  return success();
}

} // namespace

void mlir::braid::interp::registerBufferHandlers(HandlerRegistry &registry) {
  registry.add<memref::AllocOp>(executeAlloc);
  registry.add<memref::AllocaOp>(executeAlloc);
  registry.add<memref::DeallocOp>(executeDealloc);
  registry.add<memref::ViewOp>(executeView);
  registry.add<memref::SubViewOp>(executeSubView);
  registry.add<memref::ReinterpretCastOp>(executeReinterpretCast);
  registry.add<memref::CollapseShapeOp>(executeCollapseShape);
  registry.add<memref::ExpandShapeOp>(executeExpandShape);
  registry.add<memref::TransposeOp>(executeTranspose);
  registry.add<memref::CastOp>(executeSameView);
  registry.add<memref::AssumeAlignmentOp>(executeSameView);
  registry.add<memref::LoadOp>(executeLoad);
  registry.add<memref::StoreOp>(executeStore);
  registry.add<memref::CopyOp>(executeCopy);
  registry.add<memref::DimOp>(executeMemRefDim);
  registry.add<memref::GetGlobalOp>(executeGetGlobal);
  registry.add<bufferization::ToTensorOp>(executeToTensor);
  registry.add<bufferization::ToBufferOp>(executeToBuffer);
  registry.add<bufferization::MaterializeInDestinationOp>(
      executeMaterializeInDestination);
  registry.add<CommandComputeOp>(executeCompute);
}
