//===- ExecContext.h - interpreter internals shared by op handlers -*- C++ -*-===//

#ifndef BRAID_LIB_INTERPRETER_EXECCONTEXT_H
#define BRAID_LIB_INTERPRETER_EXECCONTEXT_H

#include "braid/Analysis/CollectiveMatching.h"
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

/// A runtime value: a tensor, a scalar or a future.
struct RValue {
  std::shared_ptr<const Tensor> tensor;
  std::optional<Scalar> scalar;
  std::shared_ptr<FutureState> future;

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
};

struct FutureState {
  bool done = false;
  SmallVector<RValue> values;
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

/// One collective call: every member's input, then every member's output.
struct CollectiveCall {
  std::vector<std::shared_ptr<const Tensor>> inputs;
  std::vector<std::shared_ptr<const Tensor>> outputs;
  bool done = false;
};

/// A start body waiting for its stream.
struct StreamJob {
  std::function<void(TaskContext &)> run;
};

struct StreamQueue {
  int taskId = -1;
  std::deque<StreamJob> jobs;
};

struct RankState {
  bool hostDone = false;
  int64_t pendingJobs = 0;
  std::map<int64_t, StreamQueue> streams;
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
ElemKind elemKindOf(Type type);
/// Accumulation of sums: f32 unless the data is f64 or the run is f64.
double roundAccumulator(double value, ElemKind dataKind, bool f64Mode);

} // namespace interp
} // namespace braid
} // namespace mlir

#endif // BRAID_LIB_INTERPRETER_EXECCONTEXT_H
