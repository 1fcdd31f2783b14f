//===- UpstreamOps.cpp - interpreter semantics of upstream ops ------------===//

#include "ExecContext.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/AffineExpr.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/Support/CheckedArithmetic.h"

#include <cmath>
#include <deque>

using namespace mlir;
using namespace mlir::braid;
using namespace mlir::braid::interp;

Scalar mlir::braid::interp::scalarFromAttr(Attribute attr, ElemKind kind,
                                           bool f64) {
  if (auto floatAttr = dyn_cast<FloatAttr>(attr))
    return Scalar::ofFloat(kind, roundFloat(floatAttr.getValueAsDouble(),
                                            kind, f64));
  auto intAttr = cast<IntegerAttr>(attr);
  int64_t value = kind == ElemKind::I1 ? intAttr.getValue().getZExtValue()
                                       : intAttr.getValue().getSExtValue();
  return Scalar::ofInt(kind, wrapInt(value, kind));
}

SmallVector<int64_t>
mlir::braid::interp::resolveMixed(ArrayRef<OpFoldResult> mixed, Frame &frame) {
  SmallVector<int64_t> values;
  for (OpFoldResult ofr : mixed) {
    if (auto attr = dyn_cast<Attribute>(ofr))
      values.push_back(cast<IntegerAttr>(attr).getInt());
    else
      values.push_back(scalarOf(frame, cast<Value>(ofr)).i);
  }
  return values;
}

/// "[a, b, c]".
static std::string formatList(ArrayRef<int64_t> values) {
  std::string text;
  llvm::raw_string_ostream os(text);
  os << "[";
  llvm::interleaveComma(values, os);
  os << "]";
  return text;
}

// In every dimension with a non-zero size, the first and the last index a
// slice touches, offset and offset + (size - 1) * stride, must lie in
// [0, dim). Sizes and offsets may be dynamic, so this runs on the values at
// hand.
LogicalResult mlir::braid::interp::checkSliceBounds(
    Operation *op, StringRef what, ArrayRef<int64_t> shape, StringRef type,
    ArrayRef<int64_t> offsets, ArrayRef<int64_t> sizes,
    ArrayRef<int64_t> strides, TaskContext &task) {
  for (int64_t dim = 0, rank = shape.size(); dim < rank; ++dim) {
    int64_t offset = offsets[dim], size = sizes[dim], stride = strides[dim];
    int64_t extent = shape[dim];
    if (size < 0) {
      task.emitError(op) << "size " << size << " of dimension " << dim
                         << " is negative";
      return failure();
    }
    if (size == 0)
      continue;
    std::optional<int64_t> span = llvm::checkedMul(size - 1, stride);
    std::optional<int64_t> last =
        span ? llvm::checkedAdd(offset, *span) : std::nullopt;
    auto inside = [&](int64_t index) { return index >= 0 && index < extent; };
    if (inside(offset) && last && inside(*last))
      continue;
    InFlightDiagnostic diag = task.emitError(op);
    diag << "slice out of bounds in dimension " << dim << " of the " << what
         << " " << type << ": offset " << offset << ", size "
         << size << " and stride " << stride << " cover indices " << offset
         << " to ";
    if (last)
      diag << *last;
    else
      diag << "beyond int64";
    diag << ", outside [0, " << extent << ") (offsets " << formatList(offsets)
         << ", sizes " << formatList(sizes) << ", strides "
         << formatList(strides) << ")";
    return failure();
  }
  return success();
}

namespace {

bool f64Mode(TaskContext &task) { return task.run.options.f64Mode; }

/// Static sizes of a result; the interpreter runs static shapes, with
/// dynamic sizes taken from the values at hand by each handler.
SmallVector<int64_t> shapeOf(Value value) {
  return SmallVector<int64_t>(cast<ShapedType>(value.getType()).getShape());
}

LogicalResult executeConstant(Operation *op, Frame &frame, TaskContext &task) {
  auto constant = cast<arith::ConstantOp>(op);
  Type type = constant.getType();
  ElemKind kind = elemKindOf(type);
  if (auto dense = dyn_cast<DenseElementsAttr>(constant.getValue())) {
    Tensor tensor(kind, dense.getType().getShape());
    int64_t index = 0;
    if (dense.isSplat()) {
      Scalar value = scalarFromAttr(dense.getSplatValue<Attribute>(), kind,
                                    f64Mode(task));
      for (int64_t i = 0; i < tensor.numElements(); ++i)
        tensor.set(i, value);
    } else {
      for (Attribute element : dense.getValues<Attribute>())
        tensor.set(index++, scalarFromAttr(element, kind, f64Mode(task)));
    }
    frame[constant.getResult()] = RValue::of(std::move(tensor));
    return success();
  }
  if (isa<IntegerAttr, FloatAttr>(constant.getValue())) {
    frame[constant.getResult()] =
        RValue::of(scalarFromAttr(constant.getValue(), kind, f64Mode(task)));
    return success();
  }
  task.emitError(op) << "unsupported constant " << constant.getValue();
  return failure();
}

/// Copies `source` into a tensor of `shape` where result index `i` reads
/// `source[indexMap(i)]`.
template <typename IndexMap>
Tensor gatherElements(const Tensor &source, ElemKind kind,
                      ArrayRef<int64_t> shape, IndexMap indexMap) {
  Tensor result(kind, shape);
  SmallVector<int64_t> index, sourceIndex;
  for (int64_t i = 0; i < result.numElements(); ++i) {
    result.delinearize(i, index);
    indexMap(index, sourceIndex);
    result.set(i, source.get(source.linearize(sourceIndex)));
  }
  return result;
}

LogicalResult checkTensorSliceBounds(Operation *op, StringRef what,
                                     const Tensor &tensor,
                                     ArrayRef<int64_t> offsets,
                                     ArrayRef<int64_t> sizes,
                                     ArrayRef<int64_t> strides,
                                     TaskContext &task) {
  return checkSliceBounds(op, what, tensor.shape(), tensor.typeString(),
                          offsets, sizes, strides, task);
}

LogicalResult executeExtractSlice(Operation *op, Frame &frame,
                                  TaskContext &task) {
  auto slice = cast<tensor::ExtractSliceOp>(op);
  const Tensor &source = tensorOf(frame, slice.getSource());
  SmallVector<int64_t> offsets = resolveMixed(slice.getMixedOffsets(), frame);
  SmallVector<int64_t> sizes = resolveMixed(slice.getMixedSizes(), frame);
  SmallVector<int64_t> strides = resolveMixed(slice.getMixedStrides(), frame);
  if (failed(checkTensorSliceBounds(op, "source", source, offsets, sizes,
                                    strides, task)))
    return failure();
  // Rank-reducing slices drop unit dimensions from the result.
  llvm::SmallBitVector dropped = slice.getDroppedDims();
  SmallVector<int64_t> resultShape;
  for (auto [dim, size] : llvm::enumerate(sizes))
    if (!dropped.test(dim))
      resultShape.push_back(size);
  // A zero stride repeats elements: the result may outgrow the source.
  if (failed(task.checkAllocation(op, resultShape, source.kind())))
    return failure();
  Tensor result = gatherElements(
      source, source.kind(), resultShape,
      [&](ArrayRef<int64_t> index, SmallVectorImpl<int64_t> &sourceIndex) {
        sourceIndex.clear();
        size_t next = 0;
        for (size_t dim = 0; dim < sizes.size(); ++dim) {
          int64_t i = dropped.test(dim) ? 0 : index[next++];
          sourceIndex.push_back(offsets[dim] + i * strides[dim]);
        }
      });
  frame[slice.getResult()] = RValue::of(std::move(result));
  return success();
}

LogicalResult executeInsertSlice(Operation *op, Frame &frame,
                                 TaskContext &task) {
  auto insert = cast<tensor::InsertSliceOp>(op);
  const Tensor &source = tensorOf(frame, insert.getSource());
  const Tensor &dest = tensorOf(frame, insert.getDest());
  SmallVector<int64_t> offsets = resolveMixed(insert.getMixedOffsets(), frame);
  SmallVector<int64_t> sizes = resolveMixed(insert.getMixedSizes(), frame);
  SmallVector<int64_t> strides = resolveMixed(insert.getMixedStrides(), frame);
  if (failed(checkTensorSliceBounds(op, "destination", dest, offsets, sizes,
                                    strides, task)))
    return failure();
  // The source may be rank-reduced: unit sizes are absent from it.
  std::optional<llvm::SmallDenseSet<unsigned>> dropped =
      computeRankReductionMask(sizes, source.shape());
  if (!dropped) {
    task.emitError(op) << "the source " << source.typeString()
                       << " does not fill the slice of sizes "
                       << formatList(sizes);
    return failure();
  }
  Tensor result = dest;
  SmallVector<int64_t> index, destIndex;
  for (int64_t i = 0; i < source.numElements(); ++i) {
    source.delinearize(i, index);
    destIndex.clear();
    size_t next = 0;
    for (size_t dim = 0; dim < sizes.size(); ++dim) {
      int64_t at = dropped->contains(dim) ? 0 : index[next++];
      destIndex.push_back(offsets[dim] + at * strides[dim]);
    }
    result.set(result.linearize(destIndex), source.get(i));
  }
  frame[insert.getResult()] = RValue::of(std::move(result));
  return success();
}

LogicalResult executeConcat(Operation *op, Frame &frame, TaskContext &task) {
  auto concat = cast<tensor::ConcatOp>(op);
  int64_t dim = concat.getDim();
  const Tensor &first = tensorOf(frame, concat.getInputs().front());
  SmallVector<int64_t> shape(first.shape());
  shape[dim] = 0;
  for (Value input : concat.getInputs())
    shape[dim] += tensorOf(frame, input).shape()[dim];
  if (failed(task.checkAllocation(op, shape, first.kind())))
    return failure();
  Tensor result(first.kind(), shape);
  int64_t offset = 0;
  SmallVector<int64_t> index;
  for (Value input : concat.getInputs()) {
    const Tensor &part = tensorOf(frame, input);
    for (int64_t i = 0; i < part.numElements(); ++i) {
      part.delinearize(i, index);
      index[dim] += offset;
      result.set(result.linearize(index), part.get(i));
    }
    offset += part.shape()[dim];
  }
  frame[concat.getResult()] = RValue::of(std::move(result));
  return success();
}

/// Reshapes keep the row-major order of elements.
LogicalResult executeReshape(Operation *op, Frame &frame, TaskContext &task) {
  const Tensor &source = tensorOf(frame, op->getOperand(0));
  auto resultType = cast<RankedTensorType>(op->getResult(0).getType());
  if (!resultType.hasStaticShape()) {
    task.emitError(op) << "the interpreter runs reshapes to static shapes "
                          "only, not to "
                       << resultType;
    return failure();
  }
  if (resultType.getNumElements() != source.numElements()) {
    task.emitError(op) << "cannot reshape " << source.typeString() << " to "
                       << resultType;
    return failure();
  }
  Tensor result(source.kind(), resultType.getShape());
  for (int64_t i = 0; i < result.numElements(); ++i)
    result.set(i, source.get(i));
  frame[op->getResult(0)] = RValue::of(std::move(result));
  return success();
}

LogicalResult executeEmpty(Operation *op, Frame &frame, TaskContext &task) {
  auto empty = cast<tensor::EmptyOp>(op);
  SmallVector<int64_t> shape = shapeOf(empty.getResult());
  auto dynamicSizes = empty.getDynamicSizes();
  for (size_t dim = 0, next = 0; dim < shape.size(); ++dim)
    if (ShapedType::isDynamic(shape[dim]))
      shape[dim] = scalarOf(frame, dynamicSizes[next++]).i;
  if (failed(task.checkAllocation(op, shape, elemKindOf(empty.getType()))))
    return failure();
  frame[empty.getResult()] =
      RValue::of(Tensor(elemKindOf(empty.getType()), shape));
  return success();
}

LogicalResult executeExtract(Operation *op, Frame &frame, TaskContext &task) {
  auto extract = cast<tensor::ExtractOp>(op);
  const Tensor &source = tensorOf(frame, extract.getTensor());
  SmallVector<int64_t> index;
  for (Value i : extract.getIndices())
    index.push_back(scalarOf(frame, i).i);
  for (auto [i, size] : llvm::zip(index, source.shape()))
    if (i < 0 || i >= size) {
      task.emitError(op) << "index " << i << " is out of bounds for "
                         << source.typeString();
      return failure();
    }
  frame[extract.getResult()] = RValue::of(source.get(source.linearize(index)));
  return success();
}

LogicalResult executeInsert(Operation *op, Frame &frame, TaskContext &task) {
  auto insert = cast<tensor::InsertOp>(op);
  Tensor result = tensorOf(frame, insert.getDest());
  SmallVector<int64_t> index;
  for (Value i : insert.getIndices())
    index.push_back(scalarOf(frame, i).i);
  for (auto [i, size] : llvm::zip(index, result.shape()))
    if (i < 0 || i >= size) {
      task.emitError(op) << "index " << i << " is out of bounds for "
                         << result.typeString();
      return failure();
    }
  result.set(result.linearize(index), scalarOf(frame, insert.getScalar()));
  frame[insert.getResult()] = RValue::of(std::move(result));
  return success();
}

LogicalResult executeFromElements(Operation *op, Frame &frame, TaskContext &) {
  auto from = cast<tensor::FromElementsOp>(op);
  Tensor result(elemKindOf(from.getType()), shapeOf(from.getResult()));
  for (auto [i, element] : llvm::enumerate(from.getElements()))
    result.set(i, scalarOf(frame, element));
  frame[from.getResult()] = RValue::of(std::move(result));
  return success();
}

LogicalResult executeSplat(Operation *op, Frame &frame, TaskContext &) {
  auto splat = cast<tensor::SplatOp>(op);
  Tensor result(elemKindOf(splat.getType()), shapeOf(splat.getResult()));
  Scalar value = scalarOf(frame, splat.getInput());
  for (int64_t i = 0; i < result.numElements(); ++i)
    result.set(i, value);
  frame[splat.getResult()] = RValue::of(std::move(result));
  return success();
}

LogicalResult executeDim(Operation *op, Frame &frame, TaskContext &task) {
  auto dim = cast<tensor::DimOp>(op);
  const Tensor &source = tensorOf(frame, dim.getSource());
  int64_t index = scalarOf(frame, dim.getIndex()).i;
  if (index < 0 || index >= source.rank()) {
    task.emitError(op) << "dimension " << index << " is out of range";
    return failure();
  }
  frame[dim.getResult()] =
      RValue::of(Scalar::ofInt(ElemKind::Index, source.shape()[index]));
  return success();
}

/// Runs a region computing one element per index (tensor.pad, generate).
FailureOr<Scalar> evaluateIndexRegion(Region &region, ArrayRef<int64_t> index,
                                      Frame &frame, TaskContext &task) {
  SmallVector<RValue> args;
  for (int64_t i : index)
    args.push_back(RValue::of(Scalar::ofInt(ElemKind::Index, i)));
  FailureOr<SmallVector<RValue>> yielded =
      task.run.executeBlock(region.front(), args, frame, task);
  if (failed(yielded))
    return failure();
  return *(*yielded)[0].scalar;
}

LogicalResult executePad(Operation *op, Frame &frame, TaskContext &task) {
  auto pad = cast<tensor::PadOp>(op);
  const Tensor &source = tensorOf(frame, pad.getSource());
  SmallVector<int64_t> low = resolveMixed(pad.getMixedLowPad(), frame);
  SmallVector<int64_t> high = resolveMixed(pad.getMixedHighPad(), frame);
  SmallVector<int64_t> shape;
  for (int64_t d = 0; d < source.rank(); ++d) {
    std::optional<int64_t> padded = llvm::checkedAdd(source.shape()[d], low[d]);
    padded = padded ? llvm::checkedAdd(*padded, high[d]) : std::nullopt;
    // Negative pads crop; the result must keep a size of at least 0.
    shape.push_back(padded.value_or(-1));
  }
  if (failed(task.checkAllocation(op, shape, source.kind())))
    return failure();
  Tensor result(source.kind(), shape);
  SmallVector<int64_t> index, sourceIndex;
  for (int64_t i = 0; i < result.numElements(); ++i) {
    result.delinearize(i, index);
    bool inside = true;
    sourceIndex.clear();
    for (int64_t d = 0; d < source.rank(); ++d) {
      int64_t s = index[d] - low[d];
      inside &= s >= 0 && s < source.shape()[d];
      sourceIndex.push_back(s);
    }
    if (inside) {
      result.set(i, source.get(source.linearize(sourceIndex)));
      continue;
    }
    FailureOr<Scalar> value =
        evaluateIndexRegion(pad.getRegion(), index, frame, task);
    if (failed(value))
      return failure();
    result.set(i, *value);
  }
  frame[pad.getResult()] = RValue::of(std::move(result));
  return success();
}

LogicalResult executeGenerate(Operation *op, Frame &frame, TaskContext &task) {
  auto generate = cast<tensor::GenerateOp>(op);
  SmallVector<int64_t> shape = shapeOf(generate.getResult());
  auto dynamicSizes = generate.getDynamicExtents();
  for (size_t dim = 0, next = 0; dim < shape.size(); ++dim)
    if (ShapedType::isDynamic(shape[dim]))
      shape[dim] = scalarOf(frame, dynamicSizes[next++]).i;
  if (failed(task.checkAllocation(op, shape, elemKindOf(generate.getType()))))
    return failure();
  Tensor result(elemKindOf(generate.getType()), shape);
  SmallVector<int64_t> index;
  for (int64_t i = 0; i < result.numElements(); ++i) {
    result.delinearize(i, index);
    FailureOr<Scalar> value =
        evaluateIndexRegion(generate.getBody(), index, frame, task);
    if (failed(value))
      return failure();
    result.set(i, *value);
  }
  frame[generate.getResult()] = RValue::of(std::move(result));
  return success();
}

LogicalResult executeCast(Operation *op, Frame &frame, TaskContext &) {
  frame[op->getResult(0)] = frame.lookup(op->getOperand(0));
  return success();
}

/// linalg.softmax: max, exp of the difference, sum and divide, in f32. On
/// buffers (the lowered program) it reads its input buffer and writes its
/// output buffer, both recorded for the race detector.
LogicalResult executeSoftmax(Operation *op, Frame &frame, TaskContext &task) {
  auto softmax = cast<linalg::SoftmaxOp>(op);
  bool onBuffers = isa<MemRefType>(softmax.getInput().getType());
  Tensor bufferInput;
  if (onBuffers) {
    const BufferView &view = bufferOf(frame, softmax.getInput());
    if (failed(task.recordAccess(op, view, /*write=*/false)))
      return failure();
    bufferInput = view.read();
  }
  const Tensor &input =
      onBuffers ? bufferInput : tensorOf(frame, softmax.getInput());
  int64_t dim = softmax.getDimension();
  ElemKind kind = input.kind();
  bool f64 = f64Mode(task);
  Tensor result(kind, input.shape());
  int64_t extent = input.shape()[dim];
  int64_t stride = input.strides()[dim];
  SmallVector<int64_t> index;
  for (int64_t i = 0; i < input.numElements(); ++i) {
    input.delinearize(i, index);
    if (index[dim] != 0)
      continue;
    double maximum = -INFINITY;
    for (int64_t j = 0; j < extent; ++j)
      maximum = std::fmax(maximum, input.getFloat(i + j * stride));
    double sum = 0;
    for (int64_t j = 0; j < extent; ++j)
      sum = roundAccumulator(
          sum + roundAccumulator(
                    std::exp(input.getFloat(i + j * stride) - maximum), kind,
                    f64),
          kind, f64);
    for (int64_t j = 0; j < extent; ++j) {
      double e = roundAccumulator(
          std::exp(input.getFloat(i + j * stride) - maximum), kind, f64);
      result.setFloat(i + j * stride, roundFloat(e / sum, kind, f64));
    }
  }
  if (onBuffers) {
    const BufferView &view = bufferOf(frame, softmax.getOutput());
    if (failed(task.recordAccess(op, view, /*write=*/true)))
      return failure();
    view.write(result);
    return success();
  }
  frame[softmax.getResult()[0]] = RValue::of(std::move(result));
  return success();
}

//===----------------------------------------------------------------------===//
// Structured linalg ops
//===----------------------------------------------------------------------===//

int64_t evaluate(AffineExpr expr, ArrayRef<int64_t> dims) {
  switch (expr.getKind()) {
  case AffineExprKind::DimId:
    return dims[cast<AffineDimExpr>(expr).getPosition()];
  case AffineExprKind::Constant:
    return cast<AffineConstantExpr>(expr).getValue();
  case AffineExprKind::SymbolId:
    llvm_unreachable("symbols are rejected before evaluation");
  default:
    break;
  }
  auto binary = cast<AffineBinaryOpExpr>(expr);
  int64_t lhs = evaluate(binary.getLHS(), dims);
  int64_t rhs = evaluate(binary.getRHS(), dims);
  switch (expr.getKind()) {
  case AffineExprKind::Add:
    return lhs + rhs;
  case AffineExprKind::Mul:
    return lhs * rhs;
  case AffineExprKind::Mod:
    return ((lhs % rhs) + rhs) % rhs;
  case AffineExprKind::FloorDiv:
    return lhs / rhs - ((lhs % rhs != 0) && ((lhs < 0) != (rhs < 0)));
  case AffineExprKind::CeilDiv:
    return lhs / rhs + ((lhs % rhs != 0) && ((lhs < 0) == (rhs < 0)));
  default:
    llvm_unreachable("unexpected affine expression");
  }
}

void evaluate(AffineMap map, ArrayRef<int64_t> dims,
              SmallVectorImpl<int64_t> &out) {
  out.clear();
  for (AffineExpr expr : map.getResults())
    out.push_back(evaluate(expr, dims));
}

/// Advances `point` lexicographically within `bounds`; false at the end.
bool advance(SmallVectorImpl<int64_t> &point, ArrayRef<int64_t> bounds) {
  for (int64_t d = static_cast<int64_t>(point.size()) - 1; d >= 0; --d) {
    if (++point[d] < bounds[d])
      return true;
    point[d] = 0;
  }
  return false;
}

/// Evaluates a linalg payload block on scalars.
class PayloadEvaluator {
public:
  PayloadEvaluator(Block &block, TaskContext &task)
      : block(block), task(task) {}

  FailureOr<SmallVector<Scalar>> run(ArrayRef<Scalar> args,
                                     ArrayRef<int64_t> point) {
    values.clear();
    for (auto [arg, value] : llvm::zip(block.getArguments(), args))
      values[arg] = value;
    for (Operation &op : block.without_terminator()) {
      if (auto index = dyn_cast<linalg::IndexOp>(op)) {
        values[index.getResult()] =
            Scalar::ofInt(ElemKind::Index, point[index.getDim()]);
        continue;
      }
      if (auto constant = dyn_cast<arith::ConstantOp>(op)) {
        values[constant.getResult()] = scalarFromAttr(
            constant.getValue(), elemKindOf(constant.getType()),
            task.run.options.f64Mode);
        continue;
      }
      const ScalarFn *fn = task.run.scalarOps.lookup(&op);
      if (!fn || op.getNumResults() != 1) {
        task.emitError(&op) << "the interpreter does not support '"
                            << op.getName() << "' in a linalg payload";
        return failure();
      }
      SmallVector<Scalar> operands;
      for (Value operand : op.getOperands()) {
        auto it = values.find(operand);
        if (it == values.end()) {
          // A value captured from outside the payload.
          operands.push_back(scalarOf(*outer, operand));
          continue;
        }
        operands.push_back(it->second);
      }
      FailureOr<Scalar> result =
          (*fn)(&op, operands, elemKindOf(op.getResult(0).getType()),
                task.run.options.f64Mode);
      if (failed(result)) {
        task.run.errorReported = true;
        task.run.scheduler.abort();
        return failure();
      }
      values[op.getResult(0)] = *result;
    }
    SmallVector<Scalar> yielded;
    for (Value operand : block.getTerminator()->getOperands()) {
      auto it = values.find(operand);
      yielded.push_back(it != values.end() ? it->second
                                           : scalarOf(*outer, operand));
    }
    return yielded;
  }

  Frame *outer = nullptr;

private:
  Block &block;
  TaskContext &task;
  llvm::DenseMap<Value, Scalar> values;
};

/// out = init + sum over the reduction loops of lhs * rhs, accumulated in
/// f32 (f64 for f64 data or in f64 mode) in loop order, rounded once.
void executeContraction(linalg::LinalgOp linalgOp, ArrayRef<int64_t> bounds,
                        const Tensor &lhs, const Tensor &rhs, Tensor &out,
                        TaskContext &task) {
  SmallVector<AffineMap> maps = linalgOp.getIndexingMapsArray();
  SmallVector<utils::IteratorType> iterators =
      linalgOp.getIteratorTypesArray();
  bool f64 = task.run.options.f64Mode;
  ElemKind accKind = out.kind() == ElemKind::F64 ? ElemKind::F64
                                                 : ElemKind::F32;

  SmallVector<int64_t> parallelBounds, reductionBounds;
  SmallVector<unsigned> parallelDims, reductionDims;
  for (auto [dim, iterator] : llvm::enumerate(iterators)) {
    if (iterator == utils::IteratorType::parallel) {
      parallelDims.push_back(dim);
      parallelBounds.push_back(bounds[dim]);
    } else {
      reductionDims.push_back(dim);
      reductionBounds.push_back(bounds[dim]);
    }
  }
  if (llvm::is_contained(bounds, 0))
    return;
  // Linear offset of each operand as coefficients per loop: every indexing
  // map of a contraction is a projected permutation.
  auto coefficients = [&](AffineMap map, const Tensor &tensor) {
    SmallVector<int64_t> coef(bounds.size(), 0);
    SmallVector<int64_t> strides = tensor.strides();
    for (auto [result, expr] : llvm::enumerate(map.getResults()))
      coef[cast<AffineDimExpr>(expr).getPosition()] += strides[result];
    return coef;
  };
  SmallVector<int64_t> lhsCoef = coefficients(maps[0], lhs);
  SmallVector<int64_t> rhsCoef = coefficients(maps[1], rhs);
  SmallVector<int64_t> outCoef = coefficients(maps[2], out);
  auto offset = [&](ArrayRef<int64_t> coef, ArrayRef<unsigned> dims,
                    ArrayRef<int64_t> at) {
    int64_t linear = 0;
    for (auto [i, dim] : llvm::enumerate(dims))
      linear += coef[dim] * at[i];
    return linear;
  };

  SmallVector<int64_t> outer(parallelDims.size(), 0),
      inner(reductionDims.size(), 0);
  do {
    int64_t lhsBase = offset(lhsCoef, parallelDims, outer);
    int64_t rhsBase = offset(rhsCoef, parallelDims, outer);
    int64_t outIndex = offset(outCoef, parallelDims, outer);
    double acc = out.getFloat(outIndex);
    std::fill(inner.begin(), inner.end(), 0);
    do {
      int64_t l = lhsBase + offset(lhsCoef, reductionDims, inner);
      int64_t r = rhsBase + offset(rhsCoef, reductionDims, inner);
      double product =
          roundFloat(lhs.getFloat(l) * rhs.getFloat(r), accKind, f64);
      acc = roundFloat(acc + product, accKind, f64);
    } while (!inner.empty() && advance(inner, reductionBounds));
    out.setFloat(outIndex, roundFloat(acc, out.kind(), f64));
  } while (!outer.empty() && advance(outer, parallelBounds));
}

/// The operands of a structured op as tensors: tensor operands as they are,
/// buffers read (recording the reads), scalars as nullptr.
struct StructuredOperands {
  SmallVector<const Tensor *> ins;
  SmallVector<Tensor> outs;
  /// Tensors read from input buffers (stable addresses for `ins`).
  std::deque<Tensor> readBuffers;
};

FailureOr<StructuredOperands> gatherOperands(linalg::LinalgOp linalgOp,
                                             Frame &frame, TaskContext &task) {
  StructuredOperands operands;
  Operation *op = linalgOp;
  for (OpOperand *input : linalgOp.getDpsInputOperands()) {
    Value value = input->get();
    if (isa<RankedTensorType>(value.getType())) {
      operands.ins.push_back(&tensorOf(frame, value));
    } else if (isa<MemRefType>(value.getType())) {
      const BufferView &view = bufferOf(frame, value);
      if (failed(task.recordAccess(op, view, /*write=*/false)))
        return failure();
      operands.ins.push_back(&operands.readBuffers.emplace_back(view.read()));
    } else {
      operands.ins.push_back(nullptr);
    }
  }
  for (OpOperand &init : linalgOp.getDpsInitsMutable()) {
    Value value = init.get();
    if (isa<RankedTensorType>(value.getType())) {
      operands.outs.push_back(tensorOf(frame, value));
      continue;
    }
    const BufferView &view = bufferOf(frame, value);
    // An init the payload never reads is only written.
    if (linalgOp.payloadUsesValueFromOperand(&init) &&
        failed(task.recordAccess(op, view, /*write=*/false)))
      return failure();
    operands.outs.push_back(view.read());
  }
  return operands;
}

} // namespace

LogicalResult mlir::braid::interp::executeStructured(Operation *op,
                                                     Frame &frame,
                                                     TaskContext &task) {
  auto linalgOp = cast<linalg::LinalgOp>(op);
  bool onBuffers = linalgOp.hasPureBufferSemantics();
  if (!linalgOp.hasPureTensorSemantics() && !onBuffers) {
    task.emitError(op) << "the interpreter runs linalg ops on tensors or on "
                          "buffers, not on both at once";
    return failure();
  }
  SmallVector<AffineMap> maps = linalgOp.getIndexingMapsArray();
  for (AffineMap map : maps)
    if (map.getNumSymbols() != 0) {
      task.emitError(op) << "indexing maps with symbols are not supported";
      return failure();
    }
  FailureOr<StructuredOperands> operands =
      gatherOperands(linalgOp, frame, task);
  if (failed(operands))
    return failure();
  SmallVector<const Tensor *> &ins = operands->ins;
  SmallVector<Tensor> &outs = operands->outs;

  // Loop bounds from the runtime shapes of all operands.
  SmallVector<int64_t> allShapes;
  for (const Tensor *input : ins)
    if (input)
      llvm::append_range(allShapes, input->shape());
  for (const Tensor &out : outs)
    llvm::append_range(allShapes, out.shape());
  AffineMap shapesToLoops = linalgOp.getShapesToLoopsMap();
  if (!shapesToLoops) {
    task.emitError(op) << "cannot derive the loop bounds of this linalg op";
    return failure();
  }
  SmallVector<int64_t> bounds;
  evaluate(shapesToLoops, allShapes, bounds);

  auto finish = [&]() -> LogicalResult {
    if (!onBuffers) {
      for (auto [result, out] : llvm::zip(op->getResults(), outs))
        frame[result] = RValue::of(std::move(out));
      return success();
    }
    for (auto [init, out] : llvm::zip(linalgOp.getDpsInits(), outs)) {
      const BufferView &view = bufferOf(frame, init);
      if (failed(task.recordAccess(op, view, /*write=*/true)))
        return failure();
      view.write(out);
    }
    return success();
  };

  // Contractions of floating-point data accumulate in f32 (DESIGN.md).
  if (linalg::isaContractionOpInterface(linalgOp) &&
      linalgOp.getNumDpsInputs() == 2 && linalgOp.getNumDpsInits() == 1 &&
      ins[0] && ins[1] && isFloatKind(outs[0].kind()) &&
      !linalgOp.hasIndexSemantics() &&
      llvm::all_of(maps, [](AffineMap map) {
        return map.isProjectedPermutation(/*allowZeroInResults=*/false);
      })) {
    executeContraction(linalgOp, bounds, *ins[0], *ins[1], outs[0], task);
    return finish();
  }

  PayloadEvaluator payload(*linalgOp.getBlock(), task);
  payload.outer = &frame;
  bool empty = llvm::any_of(bounds, [](int64_t b) { return b == 0; });
  SmallVector<int64_t> point(bounds.size(), 0), index;
  SmallVector<Scalar> args;
  SmallVector<int64_t> outIndices(outs.size());
  unsigned numInputs = ins.size();
  while (!empty) {
    args.clear();
    for (unsigned i = 0; i < numInputs; ++i) {
      if (!ins[i]) {
        args.push_back(scalarOf(frame, linalgOp.getDpsInputs()[i]));
        continue;
      }
      evaluate(maps[i], point, index);
      args.push_back(ins[i]->get(ins[i]->linearize(index)));
    }
    for (auto [o, out] : llvm::enumerate(outs)) {
      evaluate(maps[numInputs + o], point, index);
      outIndices[o] = out.linearize(index);
      args.push_back(out.get(outIndices[o]));
    }
    FailureOr<SmallVector<Scalar>> yielded = payload.run(args, point);
    if (failed(yielded))
      return failure();
    for (auto [o, out] : llvm::enumerate(outs))
      out.set(outIndices[o], (*yielded)[o]);
    if (point.empty() || !advance(point, bounds))
      break;
  }
  return finish();
}

LogicalResult mlir::braid::interp::executeElementwise(Operation *op,
                                                      const ScalarFn &fn,
                                                      Frame &frame,
                                                      TaskContext &task) {
  if (op->getNumResults() != 1) {
    task.emitError(op) << "unsupported multi-result element-wise op";
    return failure();
  }
  Value result = op->getResult(0);
  ElemKind kind = elemKindOf(result.getType());
  bool f64 = task.run.options.f64Mode;
  auto fail = [&]() {
    task.run.errorReported = true;
    task.run.scheduler.abort();
    return failure();
  };
  if (!isa<RankedTensorType>(result.getType())) {
    SmallVector<Scalar> operands;
    for (Value operand : op->getOperands())
      operands.push_back(scalarOf(frame, operand));
    FailureOr<Scalar> value = fn(op, operands, kind, f64);
    if (failed(value))
      return fail();
    frame[result] = RValue::of(*value);
    return success();
  }
  // arith.select may take a scalar condition: the shape comes from a tensor.
  Value shaped = *llvm::find_if(op->getOperands(), [](Value operand) {
    return isa<RankedTensorType>(operand.getType());
  });
  Tensor out(kind, tensorOf(frame, shaped).shape());
  SmallVector<const Tensor *> inputs;
  SmallVector<std::optional<Scalar>> scalars;
  for (Value operand : op->getOperands()) {
    // arith.select may take a scalar condition with tensor operands.
    if (isa<RankedTensorType>(operand.getType())) {
      inputs.push_back(&tensorOf(frame, operand));
      scalars.push_back(std::nullopt);
    } else {
      inputs.push_back(nullptr);
      scalars.push_back(scalarOf(frame, operand));
    }
  }
  SmallVector<Scalar> operands(inputs.size());
  for (int64_t i = 0; i < out.numElements(); ++i) {
    for (size_t k = 0; k < inputs.size(); ++k)
      operands[k] = inputs[k] ? inputs[k]->get(i) : *scalars[k];
    FailureOr<Scalar> value = fn(op, operands, kind, f64);
    if (failed(value))
      return fail();
    out.set(i, *value);
  }
  frame[result] = RValue::of(std::move(out));
  return success();
}

void mlir::braid::interp::registerUpstreamHandlers(HandlerRegistry &registry) {
  registry.add<arith::ConstantOp>(executeConstant);
  registry.add<tensor::EmptyOp>(executeEmpty);
  registry.add<tensor::ExtractSliceOp>(executeExtractSlice);
  registry.add<tensor::InsertSliceOp>(executeInsertSlice);
  registry.add<tensor::ConcatOp>(executeConcat);
  registry.add<tensor::ExpandShapeOp>(executeReshape);
  registry.add<tensor::CollapseShapeOp>(executeReshape);
  registry.add<tensor::ReshapeOp>(executeReshape);
  registry.add<tensor::CastOp>(executeCast);
  registry.add<tensor::ExtractOp>(executeExtract);
  registry.add<tensor::InsertOp>(executeInsert);
  registry.add<tensor::FromElementsOp>(executeFromElements);
  registry.add<tensor::SplatOp>(executeSplat);
  registry.add<tensor::DimOp>(executeDim);
  registry.add<tensor::PadOp>(executePad);
  registry.add<tensor::GenerateOp>(executeGenerate);
  registry.add<linalg::SoftmaxOp>(executeSoftmax);
}
