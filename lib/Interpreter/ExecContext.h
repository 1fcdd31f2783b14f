//===- ExecContext.h - interpreter internals shared by op handlers -*- C++ -*-===//

#ifndef BRAID_LIB_INTERPRETER_EXECCONTEXT_H
#define BRAID_LIB_INTERPRETER_EXECCONTEXT_H

#include "braid/Analysis/CollectiveMatching.h"
#include "braid/Interpreter/Buffer.h"
#include "braid/Interpreter/Interpreter.h"
#include "braid/Interpreter/ScalarOps.h"
#include "braid/Interpreter/Scheduler.h"

#include "mlir/IR/Diagnostics.h"
#include "llvm/ADT/DenseMap.h"

#include <deque>
#include <map>
#include <memory>

namespace mlir {
namespace braid {
namespace interp {

struct FutureState;

/// A runtime value: a tensor, a scalar, a future (or a launch's event) or
/// a buffer.
struct RValue {
  std::shared_ptr<const Tensor> tensor;
  std::optional<Scalar> scalar;
  std::shared_ptr<FutureState> future;
  std::shared_ptr<const BufferView> buffer;

  static RValue of(Tensor value) {
    RValue result;
    result.tensor = std::make_shared<const Tensor>(std::move(value));
    return result;
  }
  static RValue of(Scalar value) {
    RValue result;
    result.scalar = value;
    return result;
  }
  static RValue of(BufferView value) {
    RValue result;
    result.buffer = std::make_shared<const BufferView>(std::move(value));
    return result;
  }
  static RValue of(std::shared_ptr<FutureState> future) {
    RValue result;
    result.future = std::move(future);
    return result;
  }
};

/// A braid.start's future or a braid.cmd.launch's event.
struct FutureState {
  bool done = false;
  SmallVector<RValue> values;
  /// The clock of the stream that ran the body, as it finished: what an
  /// await or wait joins.
  VectorClock clock;
};

/// SSA values of one activation (a function call or a start body).
using Frame = llvm::DenseMap<Value, RValue>;

class RunState;

/// What a task (one rank's host program or one of its streams) executes in.
struct TaskContext {
  RunState &run;
  int64_t rank;
  int64_t stream;
  int taskId;

  /// An error located at `op` that names this rank; aborts the run.
  InFlightDiagnostic emitError(Operation *op);
  /// Checks that `op` may allocate a tensor of `shape` (see
  /// checkTensorSize); emits an error otherwise.
  LogicalResult checkAllocation(Operation *op, ArrayRef<int64_t> shape,
                                ElemKind kind);
  /// This task's vector clock (see Buffer.h).
  VectorClock &clock();
  /// Records that `op` reads or writes every element of `view`; a race
  /// with an earlier access of another task of this rank is an error at
  /// `op` with a note at the other op.
  LogicalResult recordAccess(Operation *op, const BufferView &view,
                             bool write);
};

using OpHandler = std::function<LogicalResult(Operation *, Frame &,
                                              TaskContext &)>;

class HandlerRegistry {
public:
  template <typename OpTy>
  void add(OpHandler handler) {
    handlers[TypeID::get<OpTy>()] = std::move(handler);
  }
  const OpHandler *lookup(Operation *op) const {
    auto it = handlers.find(op->getName().getTypeID());
    return it == handlers.end() ? nullptr : &it->second;
  }

private:
  llvm::DenseMap<TypeID, OpHandler> handlers;
};

void registerUpstreamHandlers(HandlerRegistry &registry);
void registerBraidHandlers(HandlerRegistry &registry);
void registerBufferHandlers(HandlerRegistry &registry);

/// Whether `op` is a buffer-level collective (braid.cmd.all_reduce, ...).
bool isCommandCollective(Operation *op);
/// The host issues buffer-level collective `op` of a launch body: matches
/// it against the other ranks now, in program order, and leaves it for the
/// stream that runs the body.
LogicalResult issueCommandCollective(Operation *op, TaskContext &task);

/// Waits until the counter of `counterValue` (a braid.cmd.counter result)
/// reaches `value` and joins the clock of the release that got it there.
LogicalResult acquireCounter(Operation *op, Value counterValue,
                             uint64_t value, TaskContext &task);
/// Position `position` of `chunks` chunks in ring order of group position
/// `rank` of `size` (chunks a multiple of size), or natural order.
int64_t chunkAtPosition(bool ring, int64_t rank, int64_t size, int64_t chunks,
                        int64_t position);
/// Elements [begin, begin + count) of a contiguous row-major view, flat.
BufferView flatRange(const BufferView &view, int64_t begin, int64_t count);

/// One collective call: every member's input, then every member's output.
struct CollectiveCall {
  std::vector<std::shared_ptr<const Tensor>> inputs;
  std::vector<std::shared_ptr<const Tensor>> outputs;
  int64_t contributed = 0;
  bool done = false;
};

/// A collective the host issued (matched against the other ranks) that a
/// stream has yet to run: its group and position on its communicator.
struct IssuedCollective {
  GroupInstance group;
  int64_t sequence = 0;
};

/// A start body waiting for its stream.
struct StreamJob {
  std::function<void(TaskContext &)> run;
};

struct StreamQueue {
  int taskId = -1;
  std::deque<StreamJob> jobs;
};

/// A braid.cmd.counter of one rank: its value, the epochs handed out, and
/// each release with the releasing task's clock (what a waiter joins).
struct CounterState {
  uint64_t value = 0;
  uint64_t uses = 0;
  std::vector<std::pair<uint64_t, VectorClock>> releases;
};

struct RankState {
  bool hostDone = false;
  /// Keyed by the braid.cmd.counter op (a counter is a declaration).
  std::map<Operation *, CounterState> counters;
  int64_t pendingJobs = 0;
  std::map<int64_t, StreamQueue> streams;
  /// Per stream (0 = host).
  std::map<int64_t, VectorClock> clocks;
  /// Per buffer-level collective in a launch body, the issues its stream
  /// has not run yet, in issue order.
  std::map<Operation *, std::deque<IssuedCollective>> issuedCollectives;
  /// The storage of each memref.global this rank uses.
  std::map<Operation *, std::shared_ptr<Storage>> globals;
};

class RunState {
public:
  RunState(ModuleOp module, const InterpreterOptions &options,
           int64_t numRanks);

  ModuleOp module;
  InterpreterOptions options;
  int64_t numRanks;
  Scheduler scheduler;
  CollectiveMatcher matcher;
  std::map<std::pair<std::string, int64_t>, CollectiveCall> calls;
  std::vector<RankState> ranks;
  HandlerRegistry handlers;
  ScalarOpRegistry scalarOps;
  SymbolTableCollection symbolTables;
  bool errorReported = false;

  /// Executes `op` in `frame`.
  LogicalResult execute(Operation *op, Frame &frame, TaskContext &task);
  /// Executes the ops of `block` with `args` bound to its arguments and
  /// returns the terminator's operands.
  FailureOr<SmallVector<RValue>> executeBlock(Block &block,
                                              ArrayRef<RValue> args,
                                              Frame &frame, TaskContext &task);
  /// Calls `function` in a fresh frame.
  FailureOr<SmallVector<RValue>> call(func::FuncOp function,
                                      ArrayRef<RValue> args,
                                      TaskContext &task);
  /// Enqueues `job` on stream `stream` of `rank`, starting its task when
  /// needed.
  void enqueue(int64_t rank, int64_t stream, StreamJob job);
  /// The grid a collective names.
  shard::GridOp lookupGrid(Operation *op, FlatSymbolRefAttr grid);
  /// How errors name a buffer `value` holds: its name in the source when
  /// the tool knows it, else "%argN" or the op that produced it, with its
  /// type.
  std::string describeBuffer(Value value);
};

/// Applies an element-wise op to scalars or to every element of tensors.
LogicalResult executeElementwise(Operation *op, const ScalarFn &fn,
                                 Frame &frame, TaskContext &task);
/// Any structured linalg op: its payload over its iteration space
/// (contractions accumulate in f32, see Interpreter.h).
LogicalResult executeStructured(Operation *op, Frame &frame,
                                TaskContext &task);

// Helpers for handlers.
const Tensor &tensorOf(Frame &frame, Value value);
const Scalar &scalarOf(Frame &frame, Value value);
const BufferView &bufferOf(Frame &frame, Value value);
/// Values of mixed static/dynamic operands (offsets, sizes, strides).
SmallVector<int64_t> resolveMixed(ArrayRef<OpFoldResult> mixed, Frame &frame);
/// The element `attr` holds, as a value of `kind`.
Scalar scalarFromAttr(Attribute attr, ElemKind kind, bool f64);
/// Checks that a slice (offsets, sizes, strides per dimension) of the `what`
/// of `op`, of `shape` (described as `type`), stays within it.
LogicalResult checkSliceBounds(Operation *op, StringRef what,
                               ArrayRef<int64_t> shape, StringRef type,
                               ArrayRef<int64_t> offsets,
                               ArrayRef<int64_t> sizes,
                               ArrayRef<int64_t> strides, TaskContext &task);
ElemKind elemKindOf(Type type);
/// Accumulation of sums: f32 unless the data is f64 or the run is f64.
double roundAccumulator(double value, ElemKind dataKind, bool f64Mode);

} // namespace interp
} // namespace braid
} // namespace mlir

#endif // BRAID_LIB_INTERPRETER_EXECCONTEXT_H
