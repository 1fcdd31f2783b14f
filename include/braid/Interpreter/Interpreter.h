//===- Interpreter.h - reference interpreter for N ranks --------*- C++ -*-===//
//
// Executes one function of a braid program for every rank of its grid in a
// single process: upstream arith, math, tensor, linalg, scf and func ops and
// every braid op, with real collective semantics per group, braid.rank,
// futures and awaits. Streams and ranks interleave in a seeded random order;
// collectives that ranks issue inconsistently are reported, never hung on.
//
// Buffer-level programs (bufferized, docs/Lowering.md) run too: memrefs on
// byte storage, braid.cmd.* launches on streams with a race detector over
// the streams of each rank (Buffer.h, docs/Interpreter.md).
//
// Numerics: each element is rounded to its type after every op. Contractions
// (linalg matmul-like ops) sum sequentially over the reduction dimensions in
// f32 (also for f16/bf16 operands) and round once at the end, so cuts along
// M or N are bitwise exact and cuts along K are not. In f64 mode nothing is
// rounded: the reference run of the numerics contract.
//
//===----------------------------------------------------------------------===//

#ifndef BRAID_INTERPRETER_INTERPRETER_H
#define BRAID_INTERPRETER_INTERPRETER_H

#include "braid/Interpreter/Tensor.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/DenseMap.h"

#include <memory>
#include <vector>

namespace mlir {
namespace braid {
namespace interp {

/// The most ranks the interpreter runs: each rank (and each of its streams)
/// is a thread, and every scheduling point wakes them all.
constexpr int64_t kMaxInterpreterRanks = 1024;

struct InterpreterOptions {
  /// Run every floating-point type in f64 without rounding.
  bool f64Mode = false;
  /// Seed of the interleaving of ranks and streams.
  uint64_t scheduleSeed = 0;
  /// Largest tensor an op may produce, in bytes of the interpreter's storage
  /// (see checkTensorSize); a larger one is an error located at the op.
  uint64_t maxTensorBytes = kDefaultMaxTensorBytes;
  /// Names of values as the source spells them ("%arena"), for errors that
  /// name buffers; optional.
  const llvm::DenseMap<Value, std::string> *valueNames = nullptr;
};

/// What a function argument is under the buffer-level calling convention
/// (BraidDialect::kResultArgAttrName, kArenaArgAttrName). An argument
/// without either is an input (inputs are numbered in order, skipping the
/// others); one with `braid.result = N : i64` is the
/// buffer the function writes result N into (allocated zero-filled, its
/// content reported as result N); one with the unit `braid.arena` is the
/// arena (allocated full of 0xFF bytes, so what
/// nobody wrote reads as NaN or -1). Results held in arguments come first,
/// by N, then the function's own results.
enum class ArgumentRole { Input, Result, Arena };
struct ArgumentInfo {
  ArgumentRole role = ArgumentRole::Input;
  /// The input's or the result's number.
  unsigned number = 0;
};

/// The role of each argument of `function`. Emits an error and fails when
/// result numbers are not 0..K-1 each once, there are several arenas, or a
/// result or arena argument is not a memref of static shape.
FailureOr<SmallVector<ArgumentInfo>> getArgumentRoles(func::FuncOp function);
/// The types of `function`'s inputs, in order (all arguments for functions
/// without result or arena arguments).
SmallVector<Type> getInputTypes(func::FuncOp function);

/// Per rank, one tensor per function result (scalars as rank-0 tensors,
/// buffers as their content).
using RankValues = std::vector<std::vector<Tensor>>;

/// Number of ranks `function` runs on: the device count of the grids its
/// module declares (all must agree), or 1 without grids. Emits an error and
/// fails when grids disagree, are dynamic, have no device or more than
/// kMaxInterpreterRanks.
FailureOr<int64_t> getNumRanks(func::FuncOp function);

/// Runs `function` on every rank with `inputs[rank]` as its inputs (see
/// ArgumentRole); a memref input gets a fresh buffer holding the tensor.
/// Errors (unsupported ops, mismatched collectives, deadlocks) are emitted
/// as diagnostics located at the op, naming the rank.
FailureOr<RankValues> runFunction(func::FuncOp function,
                                  const RankValues &inputs,
                                  const InterpreterOptions &options);

/// For each result of `function`, the grid axes over which it is replicated
/// (every rank of such a group must hold bitwise-equal values), or nothing.
/// A value is replicated over a group when an all_reduce, all_gather or
/// broadcast over that group produced it, or when it is computed only from
/// values replicated over it and constants.
struct ReplicatedResult {
  unsigned resultIndex;
  std::string grid;
  SmallVector<int16_t> axes;
};
std::vector<ReplicatedResult> findReplicatedResults(func::FuncOp function);

/// A replicated result two ranks of its group hold different values of.
struct ReplicationViolation {
  unsigned resultIndex;
  /// The group's first rank and the first member that differs from it.
  int64_t rank, otherRank;
  std::string message;
};
std::vector<ReplicationViolation>
findReplicationViolations(func::FuncOp function, const RankValues &outputs,
                          ArrayRef<ReplicatedResult> replicated);

/// Checks that every replicated result is bitwise equal across the ranks of
/// its groups; emits an error on `function` for each violation.
LogicalResult
verifyReplicatedResults(func::FuncOp function, const RankValues &outputs,
                        ArrayRef<ReplicatedResult> replicated);

} // namespace interp
} // namespace braid
} // namespace mlir

#endif // BRAID_INTERPRETER_INTERPRETER_H
