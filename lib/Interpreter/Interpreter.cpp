//===- Interpreter.cpp - reference interpreter for N ranks ----------------===//

#include "ExecContext.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
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

const BufferView &mlir::braid::interp::bufferOf(Frame &frame, Value value) {
  return *frame.find(value)->second.buffer;
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

VectorClock &TaskContext::clock() {
  auto [it, created] = run.ranks[rank].clocks.try_emplace(stream);
  // A task's own epochs start at 1: a clock that never heard of it (0)
  // does not order its first accesses.
  if (created)
    it->second.tick(stream);
  return it->second;
}

static std::string describeStream(int64_t stream) {
  return stream == 0 ? "the host stream" : "stream " + std::to_string(stream);
}

LogicalResult TaskContext::recordAccess(Operation *op, const BufferView &view,
                                        bool write) {
  Storage &storage = *view.storage;
  if (write && storage.readOnly) {
    emitError(op) << "writes " << storage.description()
                  << ", a constant memref.global";
    return failure();
  }
  VectorClock &now = clock();
  Access access{stream, now.get(stream), op};
  for (auto [begin, end] : view.byteRanges()) {
    std::optional<Race> race =
        storage.recordAccess(begin, end, write, access, now);
    if (!race)
      continue;
    Operation *other = race->earlier.op;
    InFlightDiagnostic diag = emitError(op);
    diag << "race on bytes [" << race->begin << ", " << race->end << ") of "
         << storage.description() << ": '" << op->getName() << "' on "
         << describeStream(stream) << (write ? " writes" : " reads")
         << " what '" << other->getName() << "' on "
         << describeStream(race->earlier.stream)
         << (race->earlierWrites ? " writes" : " reads")
         << ", and no braid.cmd.wait orders them";
    diag.attachNote(other->getLoc())
        << "the " << (race->earlierWrites ? "write" : "read") << " by '"
        << other->getName() << "' on " << describeStream(race->earlier.stream);
    return failure();
  }
  return success();
}

/// Checks that every type an op touches is one the interpreter runs, and
/// that it can allocate the static results.
static LogicalResult checkTypes(Operation *op, TaskContext &task) {
  auto supported = [](Type type) {
    if (isa<FutureType, EventType, CounterType>(type))
      return true;
    if (auto shaped = dyn_cast<ShapedType>(type);
        shaped && isa<RankedTensorType, MemRefType>(type))
      return succeeded(kindOf(shaped.getElementType()));
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
  registerBufferHandlers(handlers);
}

std::string RunState::describeBuffer(Value value) {
  std::string text;
  llvm::raw_string_ostream os(text);
  const std::string *name = nullptr;
  if (options.valueNames) {
    auto it = options.valueNames->find(value);
    if (it != options.valueNames->end())
      name = &it->second;
  }
  if (name)
    os << *name;
  else if (auto argument = dyn_cast<BlockArgument>(value))
    os << "%arg" << argument.getArgNumber();
  else
    os << "the result of '" << value.getDefiningOp()->getName() << "' at "
       << value.getLoc();
  os << " (" << value.getType() << ")";
  return text;
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

/// The values `region` reads from above, as they are now: loops may rebind
/// them before a stream runs it.
static Frame captureUsedValues(Region &region, Frame &frame) {
  Frame captured;
  llvm::SetVector<Value> used;
  getUsedValuesDefinedAbove(region, used);
  for (Value value : used)
    captured[value] = frame.lookup(value);
  return captured;
}

/// Runs `body` on stream `stream` of the task's rank after everything the
/// task did so far (a fork of the vector clocks); `future` completes, with
/// the stream's clock, once it ran. Work for the stream already running it
/// executes in order, inline.
static LogicalResult
forkOntoStream(int64_t stream, std::shared_ptr<FutureState> future,
               std::function<LogicalResult(TaskContext &)> body,
               TaskContext &task) {
  RunState &run = task.run;
  if (stream == task.stream) {
    if (failed(body(task)))
      return failure();
    future->done = true;
    return success(!run.errorReported);
  }
  VectorClock fork = task.clock();
  task.clock().tick(task.stream);
  auto job = [future, fork = std::move(fork),
              body = std::move(body)](TaskContext &worker) {
    worker.clock().join(fork);
    if (failed(body(worker)))
      return;
    future->clock = worker.clock();
    worker.clock().tick(worker.stream);
    future->done = true;
  };
  run.enqueue(task.rank, stream, StreamJob{std::move(job)});
  return success();
}

/// Blocks until `future` completes (`what` says what it is) and joins the
/// clock of the stream that completed it.
static LogicalResult join(std::shared_ptr<FutureState> future,
                          const std::string &what, TaskContext &task) {
  if (!task.run.scheduler.waitUntil(
          task.taskId, [future] { return future->done; }, what))
    return failure();
  task.clock().join(future->clock);
  return success();
}

static LogicalResult executeStart(StartOp start, Frame &frame,
                                  TaskContext &task) {
  auto future = std::make_shared<FutureState>();
  frame[start.getFuture()] = RValue::of(future);
  RunState &run = task.run;
  auto body = [&run, start, future,
               captured = captureUsedValues(start.getBody(), frame)](
                  TaskContext &worker) mutable -> LogicalResult {
    FailureOr<SmallVector<RValue>> values = run.executeBlock(
        start.getBody().front(), {}, captured, worker);
    if (failed(values))
      return failure();
    future->values = std::move(*values);
    return success();
  };
  return forkOntoStream(start.getStream(), future, std::move(body), task);
}

static LogicalResult executeAwait(AwaitOp await, Frame &frame,
                                  TaskContext &task) {
  std::shared_ptr<FutureState> future =
      frame.lookup(await.getFuture()).future;
  std::string what;
  llvm::raw_string_ostream os(what);
  os << "the future of " << await.getFuture().getLoc();
  if (failed(join(future, what, task)))
    return failure();
  for (auto [result, value] : llvm::zip(await.getResults(), future->values))
    frame[result] = value;
  return success();
}

static LogicalResult executeLaunch(CommandLaunchOp launch, Frame &frame,
                                   TaskContext &task) {
  auto event = std::make_shared<FutureState>();
  frame[launch.getDone()] = RValue::of(event);
  // The host issues the body's communication now, in program order, on
  // every rank (BraidCommandOps.td); the stream runs it later.
  Block &block = launch.getBody().front();
  for (Operation &op : block) {
    if (isCommandCollective(&op)) {
      if (failed(issueCommandCollective(&op, task)))
        return failure();
      continue;
    }
    WalkResult nested = op.walk([&](Operation *inner) {
      if (inner == &op || !isCommandCollective(inner))
        return WalkResult::advance();
      task.emitError(inner)
          << "the interpreter issues the communication of a launch when the "
             "host launches it, so it runs collectives only directly in the "
             "launch body, not nested in '"
          << op.getName() << "'";
      return WalkResult::interrupt();
    });
    if (nested.wasInterrupted())
      return failure();
  }
  RunState &run = task.run;
  auto body = [&run, &block,
               captured = captureUsedValues(launch.getBody(), frame)](
                  TaskContext &worker) mutable -> LogicalResult {
    return failure(failed(run.executeBlock(block, {}, captured, worker)));
  };
  return forkOntoStream(launch.getStream(), event, std::move(body), task);
}

static LogicalResult executeWait(CommandWaitOp wait, Frame &frame,
                                 TaskContext &task) {
  std::string what;
  llvm::raw_string_ostream os(what);
  os << "the event of the launch at " << wait.getEvent().getLoc();
  return join(frame.lookup(wait.getEvent()).future, what, task);
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

/// Handlers of other ops expect tensors and scalars: a memref among their
/// operands or results is an error, not a crash.
static LogicalResult checkBufferSupport(Operation *op, TaskContext &task) {
  if (isa<linalg::LinalgOp, linalg::SoftmaxOp, scf::ForOp, scf::IfOp,
          scf::WhileOp, scf::YieldOp,
          scf::ConditionOp, func::CallOp, CommandComputeOp, CommandLaunchOp,
          CommandChunkedComputeOp>(op) ||
      isa<memref::MemRefDialect, bufferization::BufferizationDialect>(
          op->getDialect()) ||
      isCommandCollective(op))
    return success();
  auto isBuffer = [](Type type) { return isa<MemRefType>(type); };
  if (llvm::none_of(op->getOperandTypes(), isBuffer) &&
      llvm::none_of(op->getResultTypes(), isBuffer))
    return success();
  task.emitError(op) << "the interpreter does not support '" << op->getName()
                     << "' on buffers";
  return failure();
}

LogicalResult RunState::execute(Operation *op, Frame &frame,
                                TaskContext &task) {
  if (errorReported || scheduler.aborted())
    return failure();
  if (failed(checkTypes(op, task)) || failed(checkBufferSupport(op, task)))
    return failure();
  // Scheduling points: where the order of ranks and streams matters.
  if ((isa<CollectiveOpInterface, StartOp, AwaitOp, CommandLaunchOp,
           CommandWaitOp>(op) ||
       isCommandCollective(op)) &&
      !scheduler.yield(task.taskId))
    return failure();

  if (auto start = dyn_cast<StartOp>(op))
    return executeStart(start, frame, task);
  if (auto await = dyn_cast<AwaitOp>(op))
    return executeAwait(await, frame, task);
  if (auto launch = dyn_cast<CommandLaunchOp>(op))
    return executeLaunch(launch, frame, task);
  if (auto wait = dyn_cast<CommandWaitOp>(op))
    return executeWait(wait, frame, task);
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

FailureOr<SmallVector<ArgumentInfo>>
mlir::braid::interp::getArgumentRoles(func::FuncOp function) {
  SmallVector<ArgumentInfo> roles;
  unsigned numInputs = 0;
  std::map<int64_t, unsigned> resultArguments;
  std::optional<unsigned> arena;
  for (unsigned index = 0, e = function.getNumArguments(); index < e;
       ++index) {
    Attribute result =
        function.getArgAttr(index, BraidDialect::kResultArgAttrName);
    bool isArena = static_cast<bool>(
        function.getArgAttr(index, BraidDialect::kArenaArgAttrName));
    if (!result && !isArena) {
      roles.push_back({ArgumentRole::Input, numInputs++});
      continue;
    }
    Type type = function.getArgumentTypes()[index];
    auto memref = dyn_cast<MemRefType>(type);
    StringRef what = isArena ? "the arena" : "a result";
    if (result && isArena)
      return function.emitError()
             << "argument #" << index << " is marked both '"
             << BraidDialect::kResultArgAttrName << "' and '"
             << BraidDialect::kArenaArgAttrName << "'";
    if (!memref || !memref.hasStaticShape() ||
        !memref.getLayout().isIdentity() ||
        failed(kindOf(memref.getElementType())))
      return function.emitError()
             << "argument #" << index << " holds " << what << " but has type "
             << type
             << "; the interpreter allocates memrefs of static shape, "
                "identity layout and a supported element type";
    if (isArena) {
      if (arena)
        return function.emitError()
               << "arguments #" << *arena << " and #" << index
               << " are both the arena";
      arena = index;
      roles.push_back({ArgumentRole::Arena, 0});
      continue;
    }
    auto number = dyn_cast<IntegerAttr>(result);
    if (!number || number.getInt() < 0)
      return function.emitError()
             << "argument #" << index << ": '"
             << BraidDialect::kResultArgAttrName
             << "' must be a non-negative integer";
    auto [it, inserted] = resultArguments.emplace(number.getInt(), index);
    if (!inserted)
      return function.emitError()
             << "arguments #" << it->second << " and #" << index
             << " both hold result #" << number.getInt();
    roles.push_back(
        {ArgumentRole::Result, static_cast<unsigned>(number.getInt())});
  }
  int64_t expected = 0;
  for (auto [number, index] : resultArguments) {
    if (number != expected)
      return function.emitError()
             << "argument #" << index << " holds result #" << number
             << " but no argument holds result #" << expected
             << "; results are numbered from 0 without gaps";
    ++expected;
  }
  return roles;
}

SmallVector<Type> mlir::braid::interp::getInputTypes(func::FuncOp function) {
  SmallVector<Type> types;
  for (unsigned index = 0, e = function.getNumArguments(); index < e; ++index)
    if (!function.getArgAttr(index, BraidDialect::kResultArgAttrName) &&
        !function.getArgAttr(index, BraidDialect::kArenaArgAttrName))
      types.push_back(function.getArgumentTypes()[index]);
  return types;
}

static LogicalResult checkInputs(func::FuncOp function,
                                 const RankValues &inputs, int64_t numRanks) {
  if (static_cast<int64_t>(inputs.size()) != numRanks)
    return function.emitError() << "expected inputs for " << numRanks
                                << " ranks, got " << inputs.size();
  SmallVector<Type> inputTypes = getInputTypes(function);
  for (auto [rank, rankInputs] : llvm::enumerate(inputs)) {
    if (rankInputs.size() != inputTypes.size())
      return function.emitError()
             << "rank " << rank << ": expected " << inputTypes.size()
             << " inputs, got " << rankInputs.size();
    for (auto [index, pair] :
         llvm::enumerate(llvm::zip(inputTypes, rankInputs))) {
      auto [type, tensor] = pair;
      FailureOr<ElemKind> kind = kindOf(getElementTypeOrSelf(type));
      auto shaped = dyn_cast<ShapedType>(type);
      bool shapeOk = shaped ? shaped.hasRank() &&
                                  shaped.getShape() == tensor.shape()
                            : tensor.rank() == 0;
      if (auto memref = dyn_cast<MemRefType>(type))
        shapeOk &= memref.getLayout().isIdentity();
      if (failed(kind) || *kind != tensor.kind() || !shapeOk)
        return function.emitError()
               << "rank " << rank << ": input #" << index << " is "
               << tensor.typeString() << " but the function expects " << type;
    }
  }
  return success();
}

/// Checks that the buffers the calling convention allocates fit the
/// per-tensor limit.
static LogicalResult checkArgumentBuffers(func::FuncOp function,
                                         ArrayRef<ArgumentInfo> roles,
                                         const InterpreterOptions &options) {
  for (auto [index, info] : llvm::enumerate(roles)) {
    if (info.role == ArgumentRole::Input)
      continue;
    auto memref = cast<MemRefType>(function.getArgumentTypes()[index]);
    if (llvm::Error error =
            checkTensorSize(memref.getShape(), elemKindOf(memref),
                            options.maxTensorBytes))
      return function.emitError() << "argument #" << index << ": "
                                  << llvm::toString(std::move(error));
  }
  return success();
}

/// A fresh buffer for argument `argument` of type `type`, every byte
/// `fill`.
static BufferView allocateArgument(BlockArgument argument, MemRefType type,
                                   uint8_t fill, RunState &run) {
  ElemKind kind = elemKindOf(type);
  auto storage = std::make_shared<Storage>(
      type.getNumElements() * storageBytes(kind), fill, run.options.f64Mode,
      run.describeBuffer(argument));
  return BufferView::contiguous(std::move(storage), kind, type.getShape());
}

/// What one rank's host returned: the buffers holding results (by number)
/// and the function's own results.
struct HostResults {
  SmallVector<std::shared_ptr<const BufferView>> resultBuffers;
  SmallVector<RValue> returned;
};

/// The values of one rank's results, read once every task has finished: a
/// stream that wrote a result buffer and was never waited for races with
/// this read, whatever order the interleaving ran them in.
static FailureOr<std::vector<Tensor>>
collectResults(func::FuncOp function, const HostResults &host, int64_t rank,
               RunState &run) {
  TaskContext task{run, rank, /*stream=*/0, /*taskId=*/-1};
  Operation *terminator = function.getBody().front().getTerminator();
  std::vector<Tensor> results;
  auto readBuffer = [&](const BufferView &view) -> LogicalResult {
    if (failed(task.recordAccess(terminator, view, /*write=*/false)))
      return failure();
    results.push_back(view.read());
    return success();
  };
  for (const std::shared_ptr<const BufferView> &view : host.resultBuffers)
    if (failed(readBuffer(*view)))
      return failure();
  for (const RValue &value : host.returned) {
    if (value.buffer) {
      if (failed(readBuffer(*value.buffer)))
        return failure();
    } else if (value.tensor) {
      results.push_back(*value.tensor);
    } else {
      Tensor scalar(value.scalar->kind, {});
      scalar.set(0, *value.scalar);
      results.push_back(std::move(scalar));
    }
  }
  return results;
}

FailureOr<RankValues>
mlir::braid::interp::runFunction(func::FuncOp function,
                                 const RankValues &inputs,
                                 const InterpreterOptions &options) {
  FailureOr<int64_t> numRanks = getNumRanks(function);
  if (failed(numRanks))
    return failure();
  FailureOr<SmallVector<ArgumentInfo>> roles = getArgumentRoles(function);
  if (failed(roles) || failed(checkInputs(function, inputs, *numRanks)) ||
      failed(checkArgumentBuffers(function, *roles, options)))
    return failure();
  unsigned numResultArguments = llvm::count_if(*roles, [](ArgumentInfo info) {
    return info.role == ArgumentRole::Result;
  });

  auto module = function->getParentOfType<ModuleOp>();
  RunState run(module, options, *numRanks);
  std::vector<HostResults> hostResults(*numRanks);
  for (int64_t rank = 0; rank < *numRanks; ++rank) {
    run.scheduler.spawn(
        "rank " + std::to_string(rank), [&, rank](int id) {
          TaskContext task{run, rank, /*stream=*/0, id};
          HostResults &host = hostResults[rank];
          host.resultBuffers.resize(numResultArguments);
          SmallVector<RValue> args;
          for (auto [arg, info] : llvm::zip(function.getArguments(), *roles)) {
            auto memref = dyn_cast<MemRefType>(arg.getType());
            if (info.role == ArgumentRole::Arena) {
              args.push_back(
                  RValue::of(allocateArgument(arg, memref, 0xFF, run)));
              continue;
            }
            if (info.role == ArgumentRole::Result) {
              args.push_back(RValue::of(allocateArgument(arg, memref, 0, run)));
              host.resultBuffers[info.number] = args.back().buffer;
              continue;
            }
            const Tensor &tensor = inputs[rank][info.number];
            if (memref) {
              BufferView view = allocateArgument(arg, memref, 0, run);
              view.write(tensor);
              args.push_back(RValue::of(std::move(view)));
            } else if (isa<RankedTensorType>(arg.getType())) {
              args.push_back(RValue::of(tensor));
            } else {
              args.push_back(RValue::of(tensor.get(0)));
            }
          }
          FailureOr<SmallVector<RValue>> results =
              run.call(function, args, task);
          run.ranks[rank].hostDone = true;
          if (succeeded(results))
            host.returned = std::move(*results);
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
  RankValues outputs(*numRanks);
  for (int64_t rank = 0; rank < *numRanks; ++rank) {
    FailureOr<std::vector<Tensor>> results =
        collectResults(function, hostResults[rank], rank, run);
    if (failed(results))
      return failure();
    outputs[rank] = std::move(*results);
  }
  return outputs;
}
