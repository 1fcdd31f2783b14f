//===- Interpreter.cpp - reference interpreter for N ranks ----------------===//

#include "ExecContext.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Transforms/RegionUtils.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
using namespace mlir::braid;
using namespace mlir::braid::interp;

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

const Tensor &mlir::braid::interp::tensorOf(Frame &frame, Value value) {
  return *frame.find(value)->second.tensor;
}

const Scalar &mlir::braid::interp::scalarOf(Frame &frame, Value value) {
  return *frame.find(value)->second.scalar;
}

ElemKind mlir::braid::interp::elemKindOf(Type type) {
  return *kindOf(getElementTypeOrSelf(type));
}

double mlir::braid::interp::roundAccumulator(double value, ElemKind dataKind,
                                             bool f64Mode) {
  if (f64Mode || dataKind == ElemKind::F64)
    return value;
  return static_cast<double>(static_cast<float>(value));
}

InFlightDiagnostic TaskContext::emitError(Operation *op) {
  run.errorReported = true;
  run.scheduler.abort();
  InFlightDiagnostic diag = op->emitError();
  diag << "rank " << rank;
  if (stream != 0)
    diag << " (stream " << stream << ")";
  diag << ": ";
  return diag;
}

LogicalResult TaskContext::checkAllocation(Operation *op,
                                           ArrayRef<int64_t> shape,
                                           ElemKind kind) {
  llvm::Error error = checkTensorSize(shape, kind, run.options.maxTensorBytes);
  if (!error)
    return success();
  emitError(op) << llvm::toString(std::move(error));
  return failure();
}

/// Checks that every type an op touches is one the interpreter runs, and
/// that it can allocate the static results.
static LogicalResult checkTypes(Operation *op, TaskContext &task) {
  auto supported = [](Type type) {
    if (isa<FutureType>(type))
      return true;
    if (auto tensor = dyn_cast<RankedTensorType>(type))
      return succeeded(kindOf(tensor.getElementType()));
    return succeeded(kindOf(type));
  };
  for (Type type : llvm::concat<const Type>(op->getOperandTypes(),
                                            op->getResultTypes()))
    if (!supported(type)) {
      task.emitError(op) << "the interpreter does not support values of type "
                         << type;
      return failure();
    }
  for (Type type : op->getResultTypes())
    if (auto tensor = dyn_cast<RankedTensorType>(type);
        tensor && tensor.hasStaticShape() &&
        failed(task.checkAllocation(op, tensor.getShape(), elemKindOf(tensor))))
      return failure();
  return success();
}

//===----------------------------------------------------------------------===//
// RunState
//===----------------------------------------------------------------------===//

RunState::RunState(ModuleOp module, const InterpreterOptions &options,
                   int64_t numRanks)
    : module(module), options(options), numRanks(numRanks),
      scheduler(options.scheduleSeed), ranks(numRanks) {
  registerUpstreamHandlers(handlers);
  registerBraidHandlers(handlers);
}

shard::GridOp RunState::lookupGrid(Operation *op, FlatSymbolRefAttr grid) {
  return braid::lookupGrid(op, grid, &symbolTables);
}

FailureOr<SmallVector<RValue>>
RunState::executeBlock(Block &block, ArrayRef<RValue> args, Frame &frame,
                       TaskContext &task) {
  for (auto [arg, value] : llvm::zip(block.getArguments(), args))
    frame[arg] = value;
  for (Operation &op : block.without_terminator())
    if (failed(execute(&op, frame, task)))
      return failure();
  SmallVector<RValue> results;
  for (Value operand : block.getTerminator()->getOperands())
    results.push_back(frame.lookup(operand));
  return results;
}

FailureOr<SmallVector<RValue>> RunState::call(func::FuncOp function,
                                              ArrayRef<RValue> args,
                                              TaskContext &task) {
  if (function.isExternal()) {
    task.emitError(function) << "cannot call external function @"
                             << function.getSymName();
    return failure();
  }
  Frame frame;
  return executeBlock(function.getBody().front(), args, frame, task);
}

void RunState::enqueue(int64_t rank, int64_t stream, StreamJob job) {
  RankState &state = ranks[rank];
  StreamQueue &queue = state.streams[stream];
  ++state.pendingJobs;
  queue.jobs.push_back(std::move(job));
  if (queue.taskId >= 0)
    return;
  std::string name = "rank " + std::to_string(rank) + " stream " +
                     std::to_string(stream);
  queue.taskId = scheduler.spawn(name, [this, rank, stream](int id) {
    TaskContext task{*this, rank, stream, id};
    RankState &state = ranks[rank];
    StreamQueue &queue = state.streams[stream];
    while (true) {
      bool ok = scheduler.waitUntil(
          id,
          [&] {
            return !queue.jobs.empty() ||
                   (state.hostDone && state.pendingJobs == 0);
          },
          "work on its queue");
      if (!ok || queue.jobs.empty())
        return;
      StreamJob job = std::move(queue.jobs.front());
      queue.jobs.pop_front();
      job.run(task);
      --state.pendingJobs;
      if (scheduler.aborted())
        return;
    }
  });
}

//===----------------------------------------------------------------------===//
// Control flow and async
//===----------------------------------------------------------------------===//

static LogicalResult executeStart(StartOp start, Frame &frame,
                                  TaskContext &task) {
  auto future = std::make_shared<FutureState>();
  frame[start.getFuture()] = RValue{nullptr, std::nullopt, future};
  // Capture what the body reads from above now: loops may rebind it later.
  Frame captured;
  llvm::SetVector<Value> used;
  getUsedValuesDefinedAbove(start.getBody(), used);
  for (Value value : used)
    captured[value] = frame.lookup(value);

  RunState &run = task.run;
  auto body = [&run, start, future,
               captured = std::move(captured)](TaskContext &worker) mutable {
    FailureOr<SmallVector<RValue>> values = run.executeBlock(
        start.getBody().front(), {}, captured, worker);
    if (failed(values))
      return;
    future->values = std::move(*values);
    future->done = true;
  };
  // Work for the stream already running it executes in order, inline.
  if (static_cast<int64_t>(start.getStream()) == task.stream) {
    body(task);
    return success(!run.errorReported);
  }
  run.enqueue(task.rank, start.getStream(), StreamJob{std::move(body)});
  return success();
}

static LogicalResult executeAwait(AwaitOp await, Frame &frame,
                                  TaskContext &task) {
  std::shared_ptr<FutureState> future =
      frame.lookup(await.getFuture()).future;
  std::string what;
  llvm::raw_string_ostream os(what);
  os << "the future of " << await.getFuture().getLoc();
  if (!task.run.scheduler.waitUntil(
          task.taskId, [future] { return future->done; }, what))
    return failure();
  for (auto [result, value] : llvm::zip(await.getResults(), future->values))
    frame[result] = value;
  return success();
}

static LogicalResult executeFor(scf::ForOp loop, Frame &frame,
                                TaskContext &task) {
  int64_t lower = scalarOf(frame, loop.getLowerBound()).i;
  int64_t upper = scalarOf(frame, loop.getUpperBound()).i;
  int64_t step = scalarOf(frame, loop.getStep()).i;
  if (step <= 0) {
    task.emitError(loop) << "scf.for step must be positive, got " << step;
    return failure();
  }
  SmallVector<RValue> carried;
  for (Value init : loop.getInitArgs())
    carried.push_back(frame.lookup(init));
  ElemKind ivKind = elemKindOf(loop.getInductionVar().getType());
  for (int64_t iv = lower; iv < upper; iv += step) {
    SmallVector<RValue> args{RValue::of(Scalar::ofInt(ivKind, iv))};
    llvm::append_range(args, carried);
    FailureOr<SmallVector<RValue>> next =
        task.run.executeBlock(*loop.getBody(), args, frame, task);
    if (failed(next))
      return failure();
    carried = std::move(*next);
  }
  for (auto [result, value] : llvm::zip(loop.getResults(), carried))
    frame[result] = value;
  return success();
}

// scf.while: the before region computes the condition and the values handed
// to the after region (or to the results once the condition is false); the
// after region yields the next iteration's arguments.
static LogicalResult executeWhile(scf::WhileOp loop, Frame &frame,
                                  TaskContext &task) {
  SmallVector<RValue> carried;
  for (Value init : loop.getInits())
    carried.push_back(frame.lookup(init));
  while (true) {
    FailureOr<SmallVector<RValue>> before =
        task.run.executeBlock(loop.getBefore().front(), carried, frame, task);
    if (failed(before))
      return failure();
    bool condition =
        scalarOf(frame, loop.getConditionOp().getCondition()).i != 0;
    SmallVector<RValue> forwarded(std::next(before->begin()), before->end());
    if (!condition) {
      for (auto [result, value] : llvm::zip(loop.getResults(), forwarded))
        frame[result] = value;
      return success();
    }
    FailureOr<SmallVector<RValue>> after =
        task.run.executeBlock(loop.getAfter().front(), forwarded, frame, task);
    if (failed(after))
      return failure();
    carried = std::move(*after);
  }
}

static LogicalResult executeIf(scf::IfOp branch, Frame &frame,
                               TaskContext &task) {
  bool condition = scalarOf(frame, branch.getCondition()).i != 0;
  Region &region = condition ? branch.getThenRegion() : branch.getElseRegion();
  if (region.empty())
    return success();
  FailureOr<SmallVector<RValue>> results =
      task.run.executeBlock(region.front(), {}, frame, task);
  if (failed(results))
    return failure();
  for (auto [result, value] : llvm::zip(branch.getResults(), *results))
    frame[result] = value;
  return success();
}

static LogicalResult executeCall(func::CallOp call, Frame &frame,
                                 TaskContext &task) {
  auto callee = task.run.symbolTables.lookupNearestSymbolFrom<func::FuncOp>(
      call, call.getCalleeAttr());
  if (!callee) {
    task.emitError(call) << "no function named " << call.getCalleeAttr();
    return failure();
  }
  SmallVector<RValue> args;
  for (Value operand : call.getOperands())
    args.push_back(frame.lookup(operand));
  FailureOr<SmallVector<RValue>> results = task.run.call(callee, args, task);
  if (failed(results))
    return failure();
  for (auto [result, value] : llvm::zip(call.getResults(), *results))
    frame[result] = value;
  return success();
}

LogicalResult RunState::execute(Operation *op, Frame &frame,
                                TaskContext &task) {
  if (errorReported || scheduler.aborted())
    return failure();
  if (failed(checkTypes(op, task)))
    return failure();
  // Scheduling points: where the order of ranks and streams matters.
  if (isa<CollectiveOpInterface, StartOp, AwaitOp>(op) &&
      !scheduler.yield(task.taskId))
    return failure();

  if (auto start = dyn_cast<StartOp>(op))
    return executeStart(start, frame, task);
  if (auto await = dyn_cast<AwaitOp>(op))
    return executeAwait(await, frame, task);
  if (auto loop = dyn_cast<scf::ForOp>(op))
    return executeFor(loop, frame, task);
  if (auto branch = dyn_cast<scf::IfOp>(op))
    return executeIf(branch, frame, task);
  if (auto loop = dyn_cast<scf::WhileOp>(op))
    return executeWhile(loop, frame, task);
  if (auto call = dyn_cast<func::CallOp>(op))
    return executeCall(call, frame, task);
  if (const OpHandler *handler = handlers.lookup(op))
    return (*handler)(op, frame, task);
  if (const ScalarFn *fn = scalarOps.lookup(op))
    return executeElementwise(op, *fn, frame, task);
  if (isa<linalg::LinalgOp>(op))
    return executeStructured(op, frame, task);
  task.emitError(op) << "the interpreter does not support '" << op->getName()
                     << "'";
  return failure();
}

//===----------------------------------------------------------------------===//
// Entry points
//===----------------------------------------------------------------------===//

FailureOr<int64_t> mlir::braid::interp::getNumRanks(func::FuncOp function) {
  auto module = function->getParentOfType<ModuleOp>();
  std::optional<int64_t> numRanks;
  shard::GridOp first;
  WalkResult walk = module.walk([&](shard::GridOp grid) {
    if (llvm::any_of(grid.getShape(), ShapedType::isDynamic)) {
      grid.emitError("the interpreter needs grids of static shape");
      return WalkResult::interrupt();
    }
    if (failed(verifyGridDeviceCount(grid, grid)))
      return WalkResult::interrupt();
    int64_t size = getStaticDeviceCount(grid);
    if (size == 0) {
      grid.emitError() << "grid @" << grid.getSymName()
                       << " has no device to run on";
      return WalkResult::interrupt();
    }
    if (size > kMaxInterpreterRanks) {
      grid.emitError() << "grid @" << grid.getSymName() << " has " << size
                       << " devices; the interpreter runs at most "
                       << kMaxInterpreterRanks << " ranks (one thread each)";
      return WalkResult::interrupt();
    }
    if (numRanks && *numRanks != size) {
      InFlightDiagnostic diag = grid.emitError()
                                << "grid @" << grid.getSymName() << " has "
                                << size << " devices but @"
                                << first.getSymName() << " has " << *numRanks
                                << "; the interpreter runs one set of ranks";
      diag.attachNote(first.getLoc()) << "first grid here";
      return WalkResult::interrupt();
    }
    numRanks = size;
    first = grid;
    return WalkResult::advance();
  });
  if (walk.wasInterrupted())
    return failure();
  return numRanks.value_or(1);
}

static LogicalResult checkInputs(func::FuncOp function,
                                 const RankValues &inputs, int64_t numRanks) {
  if (static_cast<int64_t>(inputs.size()) != numRanks)
    return function.emitError() << "expected inputs for " << numRanks
                                << " ranks, got " << inputs.size();
  ArrayRef<Type> argTypes = function.getArgumentTypes();
  for (auto [rank, rankInputs] : llvm::enumerate(inputs)) {
    if (rankInputs.size() != argTypes.size())
      return function.emitError()
             << "rank " << rank << ": expected " << argTypes.size()
             << " inputs, got " << rankInputs.size();
    for (auto [index, pair] : llvm::enumerate(llvm::zip(argTypes, rankInputs))) {
      auto [type, tensor] = pair;
      FailureOr<ElemKind> kind = kindOf(getElementTypeOrSelf(type));
      auto shaped = dyn_cast<RankedTensorType>(type);
      bool shapeOk = shaped ? shaped.getShape() == tensor.shape()
                            : tensor.rank() == 0;
      if (failed(kind) || *kind != tensor.kind() || !shapeOk)
        return function.emitError()
               << "rank " << rank << ": input #" << index << " is "
               << tensor.typeString() << " but the function expects " << type;
    }
  }
  return success();
}

FailureOr<RankValues>
mlir::braid::interp::runFunction(func::FuncOp function,
                                 const RankValues &inputs,
                                 const InterpreterOptions &options) {
  FailureOr<int64_t> numRanks = getNumRanks(function);
  if (failed(numRanks) || failed(checkInputs(function, inputs, *numRanks)))
    return failure();

  auto module = function->getParentOfType<ModuleOp>();
  RunState run(module, options, *numRanks);
  RankValues outputs(*numRanks);
  for (int64_t rank = 0; rank < *numRanks; ++rank) {
    run.scheduler.spawn(
        "rank " + std::to_string(rank), [&, rank](int id) {
          TaskContext task{run, rank, /*stream=*/0, id};
          SmallVector<RValue> args;
          for (auto [arg, tensor] :
               llvm::zip(function.getArguments(), inputs[rank])) {
            if (isa<RankedTensorType>(arg.getType()))
              args.push_back(RValue::of(tensor));
            else
              args.push_back(RValue::of(tensor.get(0)));
          }
          FailureOr<SmallVector<RValue>> results =
              run.call(function, args, task);
          run.ranks[rank].hostDone = true;
          if (failed(results))
            return;
          for (const RValue &value : *results) {
            if (value.tensor) {
              outputs[rank].push_back(*value.tensor);
            } else {
              Tensor scalar(value.scalar->kind, {});
              scalar.set(0, *value.scalar);
              outputs[rank].push_back(std::move(scalar));
            }
          }
        });
  }
  std::string deadlock;
  bool finished = run.scheduler.run(deadlock);
  if (run.errorReported)
    return failure();
  if (!finished || !deadlock.empty()) {
    InFlightDiagnostic diag = function.emitError() << deadlock;
    for (const std::string &line : run.matcher.describeIncomplete())
      diag.attachNote() << line;
    return failure();
  }
  std::vector<std::string> incomplete = run.matcher.describeIncomplete();
  if (!incomplete.empty()) {
    InFlightDiagnostic diag = function.emitError()
                              << "collectives were left unmatched";
    for (const std::string &line : incomplete)
      diag.attachNote() << line;
    return failure();
  }
  return outputs;
}
