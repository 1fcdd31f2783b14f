//===- Interpreter.h - reference interpreter for N ranks --------*- C++ -*-===//
//
// Executes one function of a braid program for every rank of its grid in a
// single process: upstream arith, math, tensor, linalg, scf and func ops and
// every braid op, with real collective semantics per group, braid.rank,
// futures and awaits. Streams and ranks interleave in a seeded random order;
// collectives that ranks issue inconsistently are reported, never hung on.
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
};

/// Per rank, one tensor per function result (scalars as rank-0 tensors).
using RankValues = std::vector<std::vector<Tensor>>;

/// Number of ranks `function` runs on: the device count of the grids its
/// module declares (all must agree), or 1 without grids. Emits an error and
/// fails when grids disagree, are dynamic, have no device or more than
/// kMaxInterpreterRanks.
FailureOr<int64_t> getNumRanks(func::FuncOp function);

/// Runs `function` on every rank with `inputs[rank]` as its arguments.
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

/// Checks that every replicated result is bitwise equal across the ranks of
/// its groups; emits an error on `function` for each violation.
LogicalResult
verifyReplicatedResults(func::FuncOp function, const RankValues &outputs,
                        ArrayRef<ReplicatedResult> replicated);

} // namespace interp
} // namespace braid
} // namespace mlir

#endif // BRAID_INTERPRETER_INTERPRETER_H
