//===- BraidOpSemantics.cpp - interpreter semantics of braid ops ----------===//

#include "ExecContext.h"

#include "llvm/ADT/TypeSwitch.h"

#include <algorithm>
#include <cmath>
#include <numeric>

using namespace mlir;
using namespace mlir::braid;
using namespace mlir::braid::interp;

namespace {

using TensorPtr = std::shared_ptr<const Tensor>;

//===----------------------------------------------------------------------===//
// Collectives
//===----------------------------------------------------------------------===//

Scalar combine(ReductionKind kind, const Scalar &a, const Scalar &b,
               bool f64) {
  if (a.isFloat()) {
    double value = 0;
    switch (kind) {
    case ReductionKind::Sum:
      value = a.f + b.f;
      break;
    case ReductionKind::Prod:
      value = a.f * b.f;
      break;
    case ReductionKind::Min:
      value = std::isnan(a.f) || std::isnan(b.f) ? NAN : std::min(a.f, b.f);
      break;
    case ReductionKind::Max:
      value = std::isnan(a.f) || std::isnan(b.f) ? NAN : std::max(a.f, b.f);
      break;
    default:
      llvm_unreachable("bitwise reduction of floats is rejected by the verifier");
    }
    return Scalar::ofFloat(a.kind, roundFloat(value, a.kind, f64));
  }
  int64_t value = 0;
  switch (kind) {
  case ReductionKind::Sum:
    value = static_cast<int64_t>(static_cast<uint64_t>(a.i) +
                                 static_cast<uint64_t>(b.i));
    break;
  case ReductionKind::Prod:
    value = static_cast<int64_t>(static_cast<uint64_t>(a.i) *
                                 static_cast<uint64_t>(b.i));
    break;
  case ReductionKind::Min:
    value = std::min(a.i, b.i);
    break;
  case ReductionKind::Max:
    value = std::max(a.i, b.i);
    break;
  case ReductionKind::And:
    value = a.i & b.i;
    break;
  case ReductionKind::Or:
    value = a.i | b.i;
    break;
  case ReductionKind::Xor:
    value = a.i ^ b.i;
    break;
  }
  return Scalar::ofInt(a.kind, wrapInt(value, a.kind));
}

/// Reduces the members' inputs in group order, so every rank gets the same
/// bits.
Tensor reduceInOrder(ArrayRef<TensorPtr> inputs, ReductionKind kind,
                     bool f64) {
  Tensor acc = *inputs[0];
  for (const TensorPtr &input : inputs.drop_front())
    for (int64_t i = 0; i < acc.numElements(); ++i)
      acc.set(i, combine(kind, acc.get(i), input->get(i), f64));
  return acc;
}

/// Chunk `index` of `count` equal chunks of `tensor` along `dim`.
Tensor chunk(const Tensor &tensor, int64_t dim, int64_t count, int64_t index);

/// Chunk `index` of the members' inputs along `dim`, reduced in ring order:
/// the rank after the chunk's owner computes it first and each next rank
/// adds its own part to the partial sum it received, up to the owner. That
/// is the order of a T3 ring (and of braid-decompose-collective-matmul's):
/// at step s rank r works on chunk (r - s - 1) mod P.
Tensor reduceChunkInRingOrder(ArrayRef<TensorPtr> inputs, ReductionKind kind,
                              int64_t dim, int64_t index, bool f64) {
  int64_t size = inputs.size();
  Tensor acc = chunk(*inputs[(index + 1) % size], dim, size, index);
  for (int64_t step = 2; step <= size; ++step) {
    Tensor own = chunk(*inputs[(index + step) % size], dim, size, index);
    for (int64_t i = 0; i < acc.numElements(); ++i)
      acc.set(i, combine(kind, acc.get(i), own.get(i), f64));
  }
  return acc;
}

Tensor concatenate(ArrayRef<Tensor> parts, int64_t dim);

Tensor chunk(const Tensor &tensor, int64_t dim, int64_t count, int64_t index) {
  SmallVector<int64_t> shape(tensor.shape());
  shape[dim] /= count;
  Tensor result(tensor.kind(), shape);
  SmallVector<int64_t> at;
  for (int64_t i = 0; i < result.numElements(); ++i) {
    result.delinearize(i, at);
    at[dim] += index * shape[dim];
    result.set(i, tensor.get(tensor.linearize(at)));
  }
  return result;
}

Tensor concatenate(ArrayRef<Tensor> parts, int64_t dim) {
  SmallVector<int64_t> shape(parts[0].shape());
  shape[dim] = 0;
  for (const Tensor &part : parts)
    shape[dim] += part.shape()[dim];
  Tensor result(parts[0].kind(), shape);
  int64_t offset = 0;
  SmallVector<int64_t> at;
  for (const Tensor &part : parts) {
    for (int64_t i = 0; i < part.numElements(); ++i) {
      part.delinearize(i, at);
      at[dim] += offset;
      result.set(result.linearize(at), part.get(i));
    }
    offset += part.shape()[dim];
  }
  return result;
}

/// What a collective computes, from a tensor collective or a buffer-level
/// one (which works on the flat contents: its blocks are contiguous).
struct CollectiveSemantics {
  enum class Kind { AllReduce, AllGather, ReduceScatter, AllToAll, Permute,
                    Broadcast };
  Kind kind = Kind::AllReduce;
  ReductionKind reduction = ReductionKind::Sum;
  /// Gather and scatter dimension; all_to_all's split and concat ones.
  int64_t dim = 0, splitDim = 0, concatDim = 0;
  /// (source, target) group positions.
  SmallVector<std::pair<int64_t, int64_t>> pairs;
  int64_t root = 0;
  /// reduce_scatter / all_reduce fused with their producer in ring order
  /// (braid.fused_collective): each chunk is reduced starting at the rank
  /// after its owner, as the partial sum travels the ring.
  bool ringOrder = false;
};

CollectiveSemantics semanticsOf(Operation *op) {
  using Kind = CollectiveSemantics::Kind;
  if (auto fused = dyn_cast<FusedCollectiveOp>(op)) {
    CollectiveSemantics semantics = semanticsOf(fused.getCollective());
    semantics.ringOrder = fused.getOrder() == FusionOrder::Ring;
    return semantics;
  }
  CollectiveSemantics semantics;
  TypeSwitch<Operation *>(op)
      .Case([&](AllReduceOp allReduce) {
        semantics.reduction = allReduce.getReduction();
      })
      .Case([&](AllGatherOp allGather) {
        semantics.kind = Kind::AllGather;
        semantics.dim = allGather.getDim();
      })
      .Case([&](ReduceScatterOp reduceScatter) {
        semantics.kind = Kind::ReduceScatter;
        semantics.reduction = reduceScatter.getReduction();
        semantics.dim = reduceScatter.getDim();
      })
      .Case([&](AllToAllOp allToAll) {
        semantics.kind = Kind::AllToAll;
        semantics.splitDim = allToAll.getSplitDim();
        semantics.concatDim = allToAll.getConcatDim();
      })
      .Case([&](CollectivePermuteOp permute) {
        semantics.kind = Kind::Permute;
        for (size_t i = 0, e = permute.getNumPairs(); i < e; ++i)
          semantics.pairs.push_back(
              {permute.getSource(i), permute.getTarget(i)});
      })
      .Case([&](BroadcastOp broadcast) {
        semantics.kind = Kind::Broadcast;
        semantics.root = broadcast.getRoot();
      })
      .Case([&](CommandAllReduceOp allReduce) {
        semantics.reduction = allReduce.getReduction();
        semantics.ringOrder = getCommandTrigger(op).has_value();
      })
      .Case([&](CommandAllGatherOp) { semantics.kind = Kind::AllGather; })
      .Case([&](CommandReduceScatterOp reduceScatter) {
        semantics.kind = Kind::ReduceScatter;
        semantics.reduction = reduceScatter.getReduction();
        semantics.ringOrder = getCommandTrigger(op).has_value();
      })
      .Case([&](CommandAllToAllOp) { semantics.kind = Kind::AllToAll; })
      .Case([&](CommandCollectivePermuteOp permute) {
        semantics.kind = Kind::Permute;
        ArrayRef<int64_t> pairs = permute.getPairs();
        for (size_t i = 0; i + 1 < pairs.size(); i += 2)
          semantics.pairs.push_back({pairs[i], pairs[i + 1]});
      })
      .Case([&](CommandBroadcastOp broadcast) {
        semantics.kind = Kind::Broadcast;
        semantics.root = broadcast.getRoot();
      });
  return semantics;
}

/// Outputs of every member, by group position.
std::vector<TensorPtr> computeCollective(const CollectiveSemantics &semantics,
                                         ArrayRef<TensorPtr> inputs,
                                         bool f64) {
  using Kind = CollectiveSemantics::Kind;
  int64_t size = inputs.size();
  std::vector<TensorPtr> outputs(size);
  auto share = [](Tensor value) {
    return std::make_shared<const Tensor>(std::move(value));
  };
  if (semantics.ringOrder && (semantics.kind == Kind::AllReduce ||
                              semantics.kind == Kind::ReduceScatter)) {
    // Each chunk reduced once, in ring order; an all_reduce then gathers
    // the reduced chunks, so every rank gets the same bits.
    SmallVector<Tensor> reduced;
    for (int64_t p = 0; p < size; ++p)
      reduced.push_back(reduceChunkInRingOrder(
          inputs, semantics.reduction, semantics.dim, p, f64));
    if (semantics.kind == Kind::ReduceScatter) {
      for (int64_t p = 0; p < size; ++p)
        outputs[p] = share(std::move(reduced[p]));
    } else {
      TensorPtr gathered = share(concatenate(reduced, semantics.dim));
      std::fill(outputs.begin(), outputs.end(), gathered);
    }
    return outputs;
  }
  switch (semantics.kind) {
  case Kind::AllReduce: {
    TensorPtr reduced = share(reduceInOrder(inputs, semantics.reduction, f64));
    std::fill(outputs.begin(), outputs.end(), reduced);
    break;
  }
  case Kind::AllGather: {
    SmallVector<Tensor> parts;
    for (const TensorPtr &input : inputs)
      parts.push_back(*input);
    TensorPtr gathered = share(concatenate(parts, semantics.dim));
    std::fill(outputs.begin(), outputs.end(), gathered);
    break;
  }
  case Kind::ReduceScatter: {
    Tensor reduced = reduceInOrder(inputs, semantics.reduction, f64);
    for (int64_t p = 0; p < size; ++p)
      outputs[p] = share(chunk(reduced, semantics.dim, size, p));
    break;
  }
  case Kind::AllToAll:
    for (int64_t p = 0; p < size; ++p) {
      SmallVector<Tensor> parts;
      for (const TensorPtr &input : inputs)
        parts.push_back(chunk(*input, semantics.splitDim, size, p));
      outputs[p] = share(concatenate(parts, semantics.concatDim));
    }
    break;
  case Kind::Permute: {
    TensorPtr zeros = share(Tensor(inputs[0]->kind(), inputs[0]->shape()));
    std::fill(outputs.begin(), outputs.end(), zeros);
    for (auto [source, target] : semantics.pairs)
      outputs[target] = inputs[source];
    break;
  }
  case Kind::Broadcast:
    std::fill(outputs.begin(), outputs.end(), inputs[semantics.root]);
    break;
  }
  return outputs;
}

/// Forms the group `op` (on `gridSymbol`, `axes`) names for this rank.
FailureOr<GroupInstance> formGroup(Operation *op, FlatSymbolRefAttr gridSymbol,
                                   ArrayRef<int16_t> axes, TaskContext &task) {
  shard::GridOp grid = task.run.lookupGrid(op, gridSymbol);
  FailureOr<GroupInstance> group =
      grid ? resolveGroup(grid, axes, task.rank)
           : FailureOr<GroupInstance>(failure());
  if (failed(group))
    task.emitError(op) << "cannot form the group of this collective";
  return group;
}

/// Matches `signature` against what the other members issued at this
/// rank's next position on the group's communicator.
FailureOr<int64_t> issue(Operation *op, const GroupInstance &group,
                         const CollectiveSignature &signature,
                         TaskContext &task) {
  std::string mismatch;
  FailureOr<CollectiveMatcher::Arrival> arrival =
      task.run.matcher.arrive(group, task.rank, signature, mismatch);
  if (failed(arrival)) {
    task.emitError(op) << mismatch;
    return failure();
  }
  return arrival->sequence;
}

/// Contributes `input` to collective `sequence` of the group's communicator
/// and waits until every member has: returns this member's output.
FailureOr<TensorPtr> exchange(Operation *op, const GroupInstance &group,
                              int64_t sequence, TensorPtr input,
                              TaskContext &task) {
  CollectiveCall &call = task.run.calls[{group.communicator, sequence}];
  if (call.inputs.empty())
    call.inputs.resize(group.members.size());
  call.inputs[group.position] = std::move(input);
  if (++call.contributed == static_cast<int64_t>(group.members.size())) {
    call.outputs = computeCollective(semanticsOf(op), call.inputs,
                                     task.run.options.f64Mode);
    call.done = true;
  }
  std::string waitingFor;
  llvm::raw_string_ostream os(waitingFor);
  os << "the rest of " << group.communicator << " to issue collective #"
     << sequence << " ('" << op->getName() << "' at " << op->getLoc() << ")";
  if (!task.run.scheduler.waitUntil(
          task.taskId, [&call] { return call.done; }, waitingFor))
    return failure();
  return call.outputs[group.position];
}

/// Issues the communication of `collective` as `op` (the collective, or the
/// braid.fused_collective holding it) under `signature`, and binds this
/// member's output to `result`.
LogicalResult communicate(Operation *op, CollectiveOpInterface collective,
                          const CollectiveSignature &signature, Value result,
                          Frame &frame, TaskContext &task) {
  FailureOr<GroupInstance> group = formGroup(
      op, collective.getGridSymbol(), collective.getGroupAxes(), task);
  if (failed(group))
    return failure();
  FailureOr<int64_t> sequence = issue(op, *group, signature, task);
  if (failed(sequence))
    return failure();
  FailureOr<TensorPtr> output =
      exchange(op, *group, *sequence,
               frame.lookup(collective.getCommunicatedValue()).tensor, task);
  if (failed(output))
    return failure();
  frame[result] = RValue{*output, std::nullopt, nullptr, nullptr};
  return success();
}

LogicalResult executeCollective(Operation *op, Frame &frame,
                                TaskContext &task) {
  auto collective = cast<CollectiveOpInterface>(op);
  return communicate(op, collective, CollectiveSignature::of(collective),
                     op->getResult(0), frame, task);
}

//===----------------------------------------------------------------------===//
// Buffer-level collectives: the tensor collectives on the flat contents.
//===----------------------------------------------------------------------===//

/// What members must agree on: the op, its attributes and both buffer types.
CollectiveSignature commandSignature(Operation *op) {
  std::string text;
  llvm::raw_string_ostream os(text);
  os << op->getName() << " ";
  op->getPropertiesAsAttribute().print(os);
  os << " : " << op->getOperand(0).getType() << ", "
     << op->getOperand(1).getType();
  return CollectiveSignature{text, op->getLoc()};
}

FailureOr<GroupInstance> formCommandGroup(Operation *op, TaskContext &task) {
  return TypeSwitch<Operation *, FailureOr<GroupInstance>>(op)
      .Case<CommandAllReduceOp, CommandAllGatherOp, CommandReduceScatterOp,
            CommandAllToAllOp, CommandCollectivePermuteOp,
            CommandBroadcastOp>([&](auto command) {
        return formGroup(op, command.getGridAttr(), command.getAxes(), task);
      })
      .Default([](Operation *) { return failure(); });
}

FailureOr<IssuedCollective> issueCommand(Operation *op, TaskContext &task) {
  FailureOr<GroupInstance> group = formCommandGroup(op, task);
  if (failed(group))
    return failure();
  FailureOr<int64_t> sequence = issue(op, *group, commandSignature(op), task);
  if (failed(sequence))
    return failure();
  return IssuedCollective{std::move(*group), *sequence};
}

LogicalResult executeCommandCollective(Operation *op, Frame &frame,
                                       TaskContext &task) {
  // Issued by the host when it launched the body that holds it, else now.
  std::deque<IssuedCollective> &pending =
      task.run.ranks[task.rank].issuedCollectives[op];
  FailureOr<IssuedCollective> issued = failure();
  if (!pending.empty()) {
    issued = std::move(pending.front());
    pending.pop_front();
  } else {
    issued = issueCommand(op, task);
    if (failed(issued))
      return failure();
  }
  const BufferView &source = bufferOf(frame, op->getOperand(0));
  const BufferView &target = bufferOf(frame, op->getOperand(1));
  if (std::optional<CommandTrigger> trigger = getCommandTrigger(op)) {
    // Each chunk is read once its producer released it, in the order the
    // producer computes them (ring order for a reduction).
    bool ring = !isa<CommandAllGatherOp>(op);
    auto epoch = static_cast<uint64_t>(scalarOf(frame, trigger->epoch).i);
    int64_t chunkElements = source.numElements() / trigger->chunks;
    for (int64_t position = 0; position < trigger->chunks; ++position) {
      uint64_t value = (epoch * trigger->chunks + position + 1) *
                       static_cast<uint64_t>(trigger->tiles);
      if (failed(acquireCounter(op, trigger->counter, value, task)))
        return failure();
      int64_t chunk = chunkAtPosition(ring, issued->group.position,
                                      issued->group.members.size(),
                                      trigger->chunks, position);
      if (failed(task.recordAccess(
              op, flatRange(source, chunk * chunkElements, chunkElements),
              /*write=*/false)))
        return failure();
    }
  } else if (failed(task.recordAccess(op, source, /*write=*/false))) {
    return failure();
  }
  Tensor contents = source.read();
  Tensor flat(contents.kind(), {contents.numElements()});
  for (int64_t i = 0; i < contents.numElements(); ++i)
    flat.set(i, contents.get(i));
  FailureOr<TensorPtr> output =
      exchange(op, issued->group, issued->sequence,
               std::make_shared<const Tensor>(std::move(flat)), task);
  if (failed(output) || failed(task.recordAccess(op, target, /*write=*/true)))
    return failure();
  target.write(**output);
  return success();
}

/// braid.fused_collective: the producer, then its communication in the
/// trigger's order. The producer runs whole: the interpreter's contractions
/// sum each output element sequentially over K, so the chunks or tiles a
/// fused producer computes one by one are bitwise the rows of the whole
/// (cuts along M or N are exact). What the order changes is the
/// communication: a ring reduces every chunk starting at the rank after its
/// owner (reassociated, within the numerics contract; every rank gets the
/// same bits); arrival order gathers the same bits as the plain all_gather.
/// Members match on the fused op, trigger and order included: a rank
/// running the fused form cannot pair with one running the plain
/// collective.
LogicalResult executeFusedCollective(Operation *op, Frame &frame,
                                     TaskContext &task) {
  auto fused = cast<FusedCollectiveOp>(op);
  Operation *inner = fused.getCollective();
  for (Operation &nested : fused.getBody().front().without_terminator()) {
    if (&nested == inner)
      break;
    if (failed(task.run.execute(&nested, frame, task)))
      return failure();
  }
  if (!task.run.scheduler.yield(task.taskId))
    return failure();
  auto collective = cast<CollectiveOpInterface>(inner);
  CollectiveSignature signature = CollectiveSignature::of(collective);
  {
    llvm::raw_string_ostream os(signature.description);
    os << " fused with trigger = " << fused.getTrigger()
       << " order = " << stringifyFusionOrder(fused.getOrder());
  }
  return communicate(op, collective, signature, fused.getResult(), frame,
                     task);
}

//===----------------------------------------------------------------------===//
// Producer fusion on buffers: counters and the chunked producer
//===----------------------------------------------------------------------===//

LogicalResult executeCounter(Operation *op, Frame &frame, TaskContext &task) {
  task.run.ranks[task.rank].counters.try_emplace(op);
  frame[op->getResult(0)] = RValue::of(Scalar::ofInt(ElemKind::I64, 0));
  return success();
}

CounterState &counterOf(Value counterValue, TaskContext &task) {
  return task.run.ranks[task.rank].counters[counterValue.getDefiningOp()];
}

LogicalResult executeNextEpoch(Operation *op, Frame &frame,
                               TaskContext &task) {
  auto next = cast<CommandNextEpochOp>(op);
  CounterState &counter = counterOf(next.getCounter(), task);
  frame[next.getEpoch()] = RValue::of(
      Scalar::ofInt(ElemKind::I64, static_cast<int64_t>(counter.uses++)));
  return success();
}

/// The body computes the whole output into a private copy (cuts along M
/// or N are exact, so every chunk holds the bits of the whole); the op then
/// stores it chunk by chunk, tile block by tile block, in its order, and
/// after each tile block releases the counter with this task's clock, then
/// lets other tasks run. A collective that reads a chunk before its
/// release races with these stores.
LogicalResult executeChunkedCompute(Operation *op, Frame &frame,
                                    TaskContext &task) {
  auto chunked = cast<CommandChunkedComputeOp>(op);
  FailureOr<GroupInstance> group =
      formGroup(op, chunked.getGridAttr(), chunked.getAxes(), task);
  if (failed(group))
    return failure();
  Value outputValue = chunked.getOutput();
  BufferView output = bufferOf(frame, outputValue);
  if (failed(task.recordAccess(op, output, /*write=*/false)))
    return failure();
  auto scratch = std::make_shared<Storage>(
      output.numElements() * output.elementBytes(), 0xFF,
      task.run.options.f64Mode,
      "the private copy of " + task.run.describeBuffer(outputValue));
  BufferView privateView =
      BufferView::contiguous(scratch, output.kind, output.shape);
  privateView.write(output.read());
  RValue saved = frame.lookup(outputValue);
  frame[outputValue] = RValue::of(privateView);
  FailureOr<SmallVector<RValue>> ran =
      task.run.executeBlock(chunked.getBody().front(), {}, frame, task);
  frame[outputValue] = saved;
  if (failed(ran))
    return failure();

  auto epoch = static_cast<uint64_t>(scalarOf(frame, chunked.getEpoch()).i);
  int64_t chunks = chunked.getChunks(), tiles = chunked.getTiles();
  int64_t chunkElements = output.numElements() / chunks;
  int64_t tileElements = chunkElements / tiles;
  bool ring = chunked.getOrder() == FusionOrder::Ring;
  CounterState &counter = counterOf(chunked.getCounter(), task);
  for (int64_t position = 0; position < chunks; ++position) {
    int64_t chunk = chunkAtPosition(ring, group->position,
                                    group->members.size(), chunks, position);
    for (int64_t tile = 0; tile < tiles; ++tile) {
      int64_t begin = chunk * chunkElements + tile * tileElements;
      BufferView stored = flatRange(output, begin, tileElements);
      if (failed(task.recordAccess(op, stored, /*write=*/true)))
        return failure();
      stored.write(flatRange(privateView, begin, tileElements).read());
      counter.value = (epoch * chunks + position) * tiles + tile + 1;
      counter.releases.push_back({counter.value, task.clock()});
      task.clock().tick(task.stream);
      if (!task.run.scheduler.yield(task.taskId))
        return failure();
    }
  }
  return success();
}

LogicalResult executeRank(Operation *op, Frame &frame, TaskContext &task) {
  auto rank = cast<RankOp>(op);
  shard::GridOp grid = task.run.lookupGrid(op, rank.getGridAttr());
  FailureOr<GroupInstance> group =
      grid ? resolveGroup(grid, rank.getAxes(), task.rank)
           : FailureOr<GroupInstance>(failure());
  if (failed(group)) {
    task.emitError(op) << "cannot form the group of this rank query";
    return failure();
  }
  frame[rank.getResult()] =
      RValue::of(Scalar::ofInt(ElemKind::Index, group->position));
  return success();
}

//===----------------------------------------------------------------------===//
// Layer-level compute: statistics and sums in f32 (f64 for f64 data or in
// f64 mode), one rounding to the element type at the end.
//===----------------------------------------------------------------------===//

struct Numerics {
  ElemKind kind;
  bool f64;
  double acc(double value) const { return roundAccumulator(value, kind, f64); }
  double out(double value) const { return roundFloat(value, kind, f64); }
};

Numerics numericsOf(Value value, TaskContext &task) {
  return Numerics{elemKindOf(value.getType()), task.run.options.f64Mode};
}

/// Calls `fn(rowOffset)` for each row of the last dimension.
template <typename Fn>
void forEachRow(const Tensor &tensor, Fn fn) {
  int64_t width = tensor.shape().back();
  int64_t rows = width ? tensor.numElements() / width : 0;
  for (int64_t row = 0; row < rows; ++row)
    fn(row * width, width);
}

LogicalResult executeRMSNorm(Operation *op, Frame &frame, TaskContext &task) {
  auto norm = cast<RMSNormOp>(op);
  const Tensor &x = tensorOf(frame, norm.getInput());
  const Tensor &w = tensorOf(frame, norm.getWeight());
  Numerics n = numericsOf(norm.getInput(), task);
  double epsilon = norm.getEpsilon().convertToDouble();
  Tensor y(x.kind(), x.shape());
  forEachRow(x, [&](int64_t base, int64_t width) {
    double sumSquares = 0;
    for (int64_t j = 0; j < width; ++j)
      sumSquares = n.acc(sumSquares + n.acc(x.getFloat(base + j) *
                                            x.getFloat(base + j)));
    double inverse = n.acc(1.0 / std::sqrt(n.acc(n.acc(sumSquares / width) +
                                                 epsilon)));
    for (int64_t j = 0; j < width; ++j)
      y.setFloat(base + j,
                 n.out(n.acc(x.getFloat(base + j) * inverse) * w.getFloat(j)));
  });
  frame[norm.getResult()] = RValue::of(std::move(y));
  return success();
}

LogicalResult executeLayerNorm(Operation *op, Frame &frame, TaskContext &task) {
  auto norm = cast<LayerNormOp>(op);
  const Tensor &x = tensorOf(frame, norm.getInput());
  const Tensor &gamma = tensorOf(frame, norm.getGamma());
  const Tensor &beta = tensorOf(frame, norm.getBeta());
  Numerics n = numericsOf(norm.getInput(), task);
  double epsilon = norm.getEpsilon().convertToDouble();
  Tensor y(x.kind(), x.shape());
  forEachRow(x, [&](int64_t base, int64_t width) {
    double sum = 0;
    for (int64_t j = 0; j < width; ++j)
      sum = n.acc(sum + x.getFloat(base + j));
    double mean = n.acc(sum / width);
    double sumSquares = 0;
    for (int64_t j = 0; j < width; ++j) {
      double d = n.acc(x.getFloat(base + j) - mean);
      sumSquares = n.acc(sumSquares + n.acc(d * d));
    }
    double inverse =
        n.acc(1.0 / std::sqrt(n.acc(n.acc(sumSquares / width) + epsilon)));
    for (int64_t j = 0; j < width; ++j) {
      double normalized = n.acc(n.acc(x.getFloat(base + j) - mean) * inverse);
      y.setFloat(base + j, n.out(n.acc(normalized * gamma.getFloat(j)) +
                                 beta.getFloat(j)));
    }
  });
  frame[norm.getResult()] = RValue::of(std::move(y));
  return success();
}

double activate(ActivationKind kind, double x, const Numerics &n) {
  switch (kind) {
  case ActivationKind::Relu:
    return x > 0 ? x : 0.0;
  case ActivationKind::Sigmoid:
    return n.acc(1.0 / n.acc(1.0 + n.acc(std::exp(-x))));
  case ActivationKind::Silu:
    return n.acc(x / n.acc(1.0 + n.acc(std::exp(-x))));
  case ActivationKind::Gelu:
    return n.acc(n.acc(0.5 * x) *
                 n.acc(1.0 + n.acc(std::erf(n.acc(x * M_SQRT1_2)))));
  case ActivationKind::GeluTanh: {
    double inner = n.acc(0.7978845608028654 *
                         n.acc(x + n.acc(0.044715 * n.acc(x * n.acc(x * x)))));
    return n.acc(n.acc(0.5 * x) * n.acc(1.0 + n.acc(std::tanh(inner))));
  }
  }
  llvm_unreachable("unknown activation");
}

LogicalResult executeActivation(Operation *op, Frame &frame,
                                TaskContext &task) {
  auto activation = cast<ActivationOp>(op);
  const Tensor &x = tensorOf(frame, activation.getInput());
  Numerics n = numericsOf(activation.getInput(), task);
  Tensor y(x.kind(), x.shape());
  for (int64_t i = 0; i < x.numElements(); ++i)
    y.setFloat(i, n.out(activate(activation.getKind(), x.getFloat(i), n)));
  frame[activation.getResult()] = RValue::of(std::move(y));
  return success();
}

LogicalResult executeSwiGLU(Operation *op, Frame &frame, TaskContext &task) {
  auto swiglu = cast<SwiGLUOp>(op);
  const Tensor &gate = tensorOf(frame, swiglu.getGate());
  const Tensor &up = tensorOf(frame, swiglu.getUp());
  Numerics n = numericsOf(swiglu.getGate(), task);
  Tensor y(gate.kind(), gate.shape());
  for (int64_t i = 0; i < gate.numElements(); ++i)
    y.setFloat(i, n.out(activate(ActivationKind::Silu, gate.getFloat(i), n) *
                        up.getFloat(i)));
  frame[swiglu.getResult()] = RValue::of(std::move(y));
  return success();
}

LogicalResult executeAttention(Operation *op, Frame &frame,
                               TaskContext &task) {
  auto attention = cast<AttentionOp>(op);
  const Tensor &q = tensorOf(frame, attention.getQuery());
  const Tensor &k = tensorOf(frame, attention.getKey());
  const Tensor &v = tensorOf(frame, attention.getValue());
  Numerics n = numericsOf(attention.getQuery(), task);
  Numerics outN = numericsOf(attention.getResult(), task);
  int64_t batch = q.shape()[0], heads = q.shape()[1], sq = q.shape()[2],
          d = q.shape()[3], kvHeads = k.shape()[1], skv = k.shape()[2],
          dv = v.shape()[3];
  int64_t group = heads / kvHeads;
  double scale = attention.getEffectiveScale();
  // The additive mask, read with its broadcast (size-1) dims pinned to 0.
  const Tensor *mask =
      attention.getMask() ? &tensorOf(frame, attention.getMask()) : nullptr;
  auto maskAt = [&](int64_t b, int64_t h, int64_t i, int64_t j) {
    ArrayRef<int64_t> shape = mask->shape();
    return mask->getFloat(
        mask->linearize({shape[0] == 1 ? 0 : b, shape[1] == 1 ? 0 : h,
                         shape[2] == 1 ? 0 : i, shape[3] == 1 ? 0 : j}));
  };
  Tensor out(elemKindOf(attention.getType()), {batch, heads, sq, dv});
  std::vector<double> scores(skv);
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t h = 0; h < heads; ++h)
      for (int64_t i = 0; i < sq; ++i) {
        int64_t hk = h / group;
        int64_t visible = attention.getCausal()
                              ? std::clamp<int64_t>(i + (skv - sq) + 1, 0, skv)
                              : skv;
        double maximum = -INFINITY;
        for (int64_t j = 0; j < visible; ++j) {
          double dot = 0;
          for (int64_t c = 0; c < d; ++c)
            dot = n.acc(dot + n.acc(q.getFloat(q.linearize({b, h, i, c})) *
                                    k.getFloat(k.linearize({b, hk, j, c}))));
          scores[j] = n.acc(dot * scale);
          if (mask)
            scores[j] = n.acc(scores[j] + maskAt(b, h, i, j));
          maximum = std::fmax(maximum, scores[j]);
        }
        double sum = 0;
        for (int64_t j = 0; j < visible; ++j) {
          scores[j] = n.acc(std::exp(n.acc(scores[j] - maximum)));
          sum = n.acc(sum + scores[j]);
        }
        for (int64_t c = 0; c < dv; ++c) {
          double acc = 0;
          for (int64_t j = 0; j < visible; ++j)
            acc = n.acc(acc + n.acc(scores[j] *
                                    v.getFloat(v.linearize({b, hk, j, c}))));
          // A row with no visible key (Sq > Skv, causal) is zero.
          out.setFloat(out.linearize({b, h, i, c}),
                       visible ? outN.out(acc / sum) : 0.0);
        }
      }
  frame[attention.getResult()] = RValue::of(std::move(out));
  return success();
}

LogicalResult executeGroupedMatmul(Operation *op, Frame &frame,
                                   TaskContext &task) {
  auto matmul = cast<GroupedMatmulOp>(op);
  const Tensor &lhs = tensorOf(frame, matmul.getLhs());
  const Tensor &rhs = tensorOf(frame, matmul.getRhs());
  const Tensor &sizes = tensorOf(frame, matmul.getGroupSizes());
  Numerics n = numericsOf(matmul.getLhs(), task);
  Numerics outN = numericsOf(matmul.getResult(), task);
  int64_t rows = lhs.shape()[0], depth = lhs.shape()[1],
          experts = rhs.shape()[0], cols = rhs.shape()[2];
  Tensor out(elemKindOf(matmul.getType()), {rows, cols});
  int64_t row = 0;
  for (int64_t e = 0; e < experts; ++e) {
    int64_t count = sizes.getInt(e);
    if (count < 0 || row + count > rows) {
      task.emitError(op) << "group sizes are negative or exceed the " << rows
                         << " rows (group " << e << " has " << count << ")";
      return failure();
    }
    for (int64_t r = row; r < row + count; ++r)
      for (int64_t c = 0; c < cols; ++c) {
        double acc = 0;
        for (int64_t kk = 0; kk < depth; ++kk)
          acc = n.acc(acc + n.acc(lhs.getFloat(r * depth + kk) *
                                  rhs.getFloat((e * depth + kk) * cols + c)));
        out.setFloat(r * cols + c, outN.out(acc));
      }
    row += count;
  }
  frame[matmul.getResult()] = RValue::of(std::move(out));
  return success();
}

/// Strict order of elements `a` < `b` of `t`: integers as integers, floats
/// with NaN above every number.
bool lessThan(const Tensor &t, int64_t a, int64_t b) {
  if (!t.isFloat())
    return t.getInt(a) < t.getInt(b);
  double x = t.getFloat(a), y = t.getFloat(b);
  if (std::isnan(x) || std::isnan(y))
    return !std::isnan(x) && std::isnan(y);
  return x < y;
}

/// Indices of a row ordered largest first (ties to the lower index).
SmallVector<int64_t> rankDescending(const Tensor &t, int64_t base,
                                    int64_t width) {
  SmallVector<int64_t> order(width);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
    return lessThan(t, base + b, base + a);
  });
  return order;
}

LogicalResult executeMoEGate(Operation *op, Frame &frame, TaskContext &task) {
  auto gate = cast<MoEGateOp>(op);
  const Tensor &logits = tensorOf(frame, gate.getLogits());
  Numerics n = numericsOf(gate.getLogits(), task);
  int64_t k = gate.getK();
  int64_t tokens = logits.shape()[0];
  Tensor weights(logits.kind(), {tokens, k});
  Tensor experts(elemKindOf(gate.getExperts().getType()), {tokens, k});
  Tensor probabilities(ElemKind::F64, logits.shape());
  forEachRow(logits, [&](int64_t base, int64_t width) {
    double maximum = -INFINITY;
    for (int64_t j = 0; j < width; ++j)
      maximum = std::fmax(maximum, logits.getFloat(base + j));
    double sum = 0;
    for (int64_t j = 0; j < width; ++j) {
      double e = n.acc(std::exp(n.acc(logits.getFloat(base + j) - maximum)));
      probabilities.setFloat(base + j, e);
      sum = n.acc(sum + e);
    }
    for (int64_t j = 0; j < width; ++j)
      probabilities.setFloat(base + j,
                             n.acc(probabilities.getFloat(base + j) / sum));
    SmallVector<int64_t> order = rankDescending(probabilities, base, width);
    int64_t token = base / width;
    double selected = 0;
    for (int64_t j = 0; j < k; ++j)
      selected = n.acc(selected + probabilities.getFloat(base + order[j]));
    for (int64_t j = 0; j < k; ++j) {
      double p = probabilities.getFloat(base + order[j]);
      weights.setFloat(token * k + j,
                       n.out(gate.getNormalize() ? p / selected : p));
      experts.setInt(token * k + j, wrapInt(order[j], experts.kind()));
    }
  });
  frame[gate.getWeights()] = RValue::of(std::move(weights));
  frame[gate.getExperts()] = RValue::of(std::move(experts));
  return success();
}

LogicalResult executeMoEPermute(Operation *op, Frame &frame,
                                TaskContext &task) {
  auto permute = cast<MoEPermuteOp>(op);
  const Tensor &input = tensorOf(frame, permute.getInput());
  const Tensor &experts = tensorOf(frame, permute.getExperts());
  int64_t tokens = input.shape()[0], hidden = input.shape()[1],
          k = experts.shape()[1], numExperts = permute.getNumExperts();
  SmallVector<int64_t> pairs(tokens * k);
  std::iota(pairs.begin(), pairs.end(), 0);
  for (int64_t p = 0; p < tokens * k; ++p) {
    int64_t expert = experts.getInt(p);
    if (expert < 0 || expert >= numExperts) {
      task.emitError(op) << "token " << p / k << " is routed to expert "
                         << expert << ", outside [0, " << numExperts << ")";
      return failure();
    }
  }
  std::stable_sort(pairs.begin(), pairs.end(), [&](int64_t a, int64_t b) {
    return experts.getInt(a) < experts.getInt(b);
  });
  Tensor permuted(input.kind(), {tokens * k, hidden});
  Tensor sizes(elemKindOf(permute.getGroupSizes().getType()), {numExperts});
  Tensor rowMap(elemKindOf(permute.getRowMap().getType()), {tokens * k});
  for (auto [row, pair] : llvm::enumerate(pairs)) {
    int64_t token = pair / k;
    for (int64_t c = 0; c < hidden; ++c)
      permuted.setFloat(row * hidden + c, input.getFloat(token * hidden + c));
    rowMap.setInt(pair, row);
    int64_t expert = experts.getInt(pair);
    sizes.setInt(expert, sizes.getInt(expert) + 1);
  }
  frame[permute.getPermuted()] = RValue::of(std::move(permuted));
  frame[permute.getGroupSizes()] = RValue::of(std::move(sizes));
  frame[permute.getRowMap()] = RValue::of(std::move(rowMap));
  return success();
}

LogicalResult executeMoEUnpermute(Operation *op, Frame &frame,
                                  TaskContext &task) {
  auto unpermute = cast<MoEUnpermuteOp>(op);
  const Tensor &input = tensorOf(frame, unpermute.getInput());
  const Tensor &rowMap = tensorOf(frame, unpermute.getRowMap());
  const Tensor &weights = tensorOf(frame, unpermute.getWeights());
  Numerics n = numericsOf(unpermute.getInput(), task);
  int64_t rows = input.shape()[0], hidden = input.shape()[1],
          tokens = weights.shape()[0], k = weights.shape()[1];
  Tensor out(input.kind(), {tokens, hidden});
  for (int64_t t = 0; t < tokens; ++t)
    for (int64_t c = 0; c < hidden; ++c) {
      double acc = 0;
      for (int64_t j = 0; j < k; ++j) {
        int64_t row = rowMap.getInt(t * k + j);
        if (row < 0 || row >= rows) {
          task.emitError(op) << "row_map entry " << row << " is outside [0, "
                             << rows << ")";
          return failure();
        }
        acc = n.acc(acc + n.acc(weights.getFloat(t * k + j) *
                                input.getFloat(row * hidden + c)));
      }
      out.setFloat(t * hidden + c, n.out(acc));
    }
  frame[unpermute.getResult()] = RValue::of(std::move(out));
  return success();
}

template <typename OpTy>
LogicalResult executeSelection(Operation *op, Frame &frame, TaskContext &) {
  auto select = cast<OpTy>(op);
  const Tensor &input = tensorOf(frame, select.getInput());
  auto valuesType = cast<RankedTensorType>(select.getValues().getType());
  int64_t keep = valuesType.getShape().back();
  bool ascending = false;
  if constexpr (std::is_same_v<OpTy, SortOp>)
    ascending = !select.getDescending();
  Tensor values(input.kind(), valuesType.getShape());
  Tensor indices(elemKindOf(select.getIndices().getType()),
                 valuesType.getShape());
  forEachRow(input, [&](int64_t base, int64_t width) {
    SmallVector<int64_t> order = rankDescending(input, base, width);
    if (ascending) {
      // Stable ascending order, NaN last.
      std::iota(order.begin(), order.end(), 0);
      std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
        return lessThan(input, base + a, base + b);
      });
    }
    int64_t row = base / width;
    for (int64_t j = 0; j < keep; ++j) {
      values.set(row * keep + j, input.get(base + order[j]));
      indices.setInt(row * keep + j, wrapInt(order[j], indices.kind()));
    }
  });
  frame[select.getValues()] = RValue::of(std::move(values));
  frame[select.getIndices()] = RValue::of(std::move(indices));
  return success();
}

LogicalResult executeGather(Operation *op, Frame &frame, TaskContext &task) {
  auto gather = cast<GatherOp>(op);
  const Tensor &source = tensorOf(frame, gather.getSource());
  const Tensor &indices = tensorOf(frame, gather.getIndices());
  int64_t axis = gather.getAxis();
  Tensor out(source.kind(), gather.getType().getShape());
  SmallVector<int64_t> at, sourceAt;
  for (int64_t i = 0; i < out.numElements(); ++i) {
    out.delinearize(i, at);
    SmallVector<int64_t> indexAt(at.begin() + axis,
                                 at.begin() + axis + indices.rank());
    int64_t index = indices.getInt(indices.linearize(indexAt));
    if (index < 0 || index >= source.shape()[axis]) {
      task.emitError(op) << "index " << index << " is outside [0, "
                         << source.shape()[axis] << ")";
      return failure();
    }
    sourceAt.assign(at.begin(), at.begin() + axis);
    sourceAt.push_back(index);
    sourceAt.append(at.begin() + axis + indices.rank(), at.end());
    out.set(i, source.get(source.linearize(sourceAt)));
  }
  frame[gather.getResult()] = RValue::of(std::move(out));
  return success();
}

LogicalResult executeScatter(Operation *op, Frame &frame, TaskContext &task) {
  auto scatter = cast<ScatterOp>(op);
  const Tensor &updates = tensorOf(frame, scatter.getUpdates());
  const Tensor &indices = tensorOf(frame, scatter.getIndices());
  Tensor out = tensorOf(frame, scatter.getDest());
  int64_t axis = scatter.getAxis();
  bool add = scatter.getKind() == ScatterKind::Add;
  bool f64 = task.run.options.f64Mode;
  SmallVector<int64_t> at;
  // Slices in increasing index order: the last write wins, sums are ordered.
  for (int64_t slice = 0; slice < indices.numElements(); ++slice) {
    int64_t index = indices.getInt(slice);
    if (index < 0 || index >= out.shape()[axis]) {
      task.emitError(op) << "index " << index << " is outside [0, "
                         << out.shape()[axis] << ")";
      return failure();
    }
    for (int64_t i = 0; i < updates.numElements(); ++i) {
      updates.delinearize(i, at);
      if (at[axis] != slice)
        continue;
      at[axis] = index;
      int64_t target = out.linearize(at);
      Scalar value = updates.get(i);
      if (add)
        value = combine(ReductionKind::Sum, out.get(target), value, f64);
      out.set(target, value);
    }
  }
  frame[scatter.getResult()] = RValue::of(std::move(out));
  return success();
}

} // namespace

LogicalResult mlir::braid::interp::acquireCounter(Operation *op,
                                                  Value counterValue,
                                                  uint64_t value,
                                                  TaskContext &task) {
  CounterState &counter = counterOf(counterValue, task);
  std::string waitingFor;
  llvm::raw_string_ostream os(waitingFor);
  os << "the counter of " << counterValue.getLoc() << " to reach " << value
     << " ('" << op->getName() << "' at " << op->getLoc() << ")";
  if (!task.run.scheduler.waitUntil(
          task.taskId, [&counter, value] { return counter.value >= value; },
          waitingFor))
    return failure();
  for (const auto &[released, clock] : counter.releases)
    if (released >= value) {
      task.clock().join(clock);
      break;
    }
  return success();
}

int64_t mlir::braid::interp::chunkAtPosition(bool ring, int64_t rank,
                                             int64_t size, int64_t chunks,
                                             int64_t position) {
  if (!ring)
    return position;
  int64_t perRank = chunks / size;
  int64_t step = position / perRank, within = position % perRank;
  return (((rank - step - 1) % size + size) % size) * perRank + within;
}

BufferView mlir::braid::interp::flatRange(const BufferView &view,
                                          int64_t begin, int64_t count) {
  BufferView range = view;
  range.offset += begin;
  range.shape = {count};
  range.strides = {1};
  return range;
}

bool mlir::braid::interp::isCommandCollective(Operation *op) {
  return isa<CommandCollectiveOpInterface>(op);
}

LogicalResult mlir::braid::interp::issueCommandCollective(Operation *op,
                                                          TaskContext &task) {
  FailureOr<IssuedCollective> issued = issueCommand(op, task);
  if (failed(issued))
    return failure();
  task.run.ranks[task.rank].issuedCollectives[op].push_back(
      std::move(*issued));
  return success();
}

void mlir::braid::interp::registerBraidHandlers(HandlerRegistry &registry) {
  registry.add<CommandCounterOp>(executeCounter);
  registry.add<CommandNextEpochOp>(executeNextEpoch);
  registry.add<CommandChunkedComputeOp>(executeChunkedCompute);
  registry.add<CommandAllReduceOp>(executeCommandCollective);
  registry.add<CommandAllGatherOp>(executeCommandCollective);
  registry.add<CommandReduceScatterOp>(executeCommandCollective);
  registry.add<CommandAllToAllOp>(executeCommandCollective);
  registry.add<CommandCollectivePermuteOp>(executeCommandCollective);
  registry.add<CommandBroadcastOp>(executeCommandCollective);
  registry.add<AllReduceOp>(executeCollective);
  registry.add<AllGatherOp>(executeCollective);
  registry.add<ReduceScatterOp>(executeCollective);
  registry.add<AllToAllOp>(executeCollective);
  registry.add<CollectivePermuteOp>(executeCollective);
  registry.add<BroadcastOp>(executeCollective);
  registry.add<FusedCollectiveOp>(executeFusedCollective);
  registry.add<RankOp>(executeRank);
  registry.add<RMSNormOp>(executeRMSNorm);
  registry.add<LayerNormOp>(executeLayerNorm);
  registry.add<ActivationOp>(executeActivation);
  registry.add<SwiGLUOp>(executeSwiGLU);
  registry.add<AttentionOp>(executeAttention);
  registry.add<GroupedMatmulOp>(executeGroupedMatmul);
  registry.add<MoEGateOp>(executeMoEGate);
  registry.add<MoEPermuteOp>(executeMoEPermute);
  registry.add<MoEUnpermuteOp>(executeMoEUnpermute);
  registry.add<TopKOp>(executeSelection<TopKOp>);
  registry.add<SortOp>(executeSelection<SortOp>);
  registry.add<GatherOp>(executeGather);
  registry.add<ScatterOp>(executeScatter);
}
