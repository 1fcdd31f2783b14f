//===- DependenceGraph.h - what must happen before what ---------*- C++ -*-===//
//
// The ops of one block as a partial order: an op depends on every op whose
// results it (or anything nested in it) reads; collectives on the same
// communicator keep their issue order (NCCL matches them by position);
// starts on one stream, and ops with side effects, keep program order. Each
// op is classified compute, communication, memory or control. The scheduler
// asks which compute is independent of a collective (what could hide it),
// and the cost model the critical path.
//
// Building the graph is linear in the ops and edges of the block; it keeps
// no transitive closure (quadratic in the block's size), so each
// reachability query walks the edges it needs.
//
//===----------------------------------------------------------------------===//

#ifndef BRAID_ANALYSIS_DEPENDENCEGRAPH_H
#define BRAID_ANALYSIS_DEPENDENCEGRAPH_H

#include "braid/Dialect/Braid/IR/BraidDialect.h"

#include "llvm/ADT/DenseMap.h"

namespace mlir {
namespace braid {

enum class OpClass { Compute, Communication, Memory, Control };
StringRef stringifyOpClass(OpClass kind);

/// Communication: collectives and starts that contain one. Memory: data
/// movement without arithmetic (tensor views, slices, copies, fills).
/// Compute: everything with arithmetic. Control: awaits, constants and ops
/// without work.
OpClass classifyOp(Operation *op);

class DependenceGraph {
public:
  /// Which program orders to keep beyond data dependences. Every rank runs
  /// the same program, so a pass that reorders collectives (or starts on a
  /// stream) the same way on every rank keeps them matched: the scheduler
  /// drops these edges; analyses of a fixed program keep them.
  struct Options {
    bool keepCommunicatorOrder = true;
    bool keepStreamOrder = true;
  };

  /// Builds the graph of the ops of `block` (terminator excluded).
  explicit DependenceGraph(Block &block) : DependenceGraph(block, Options()) {}
  DependenceGraph(Block &block, Options options);

  unsigned size() const { return ops.size(); }
  Operation *op(unsigned node) const { return ops[node]; }
  /// Classified on first request: costing every op of a large block is
  /// most of the graph's construction when few nodes are asked about.
  OpClass kind(unsigned node) const;
  /// The node of `op` or of its ancestor in the block.
  std::optional<unsigned> nodeOf(Operation *op) const;
  /// Direct predecessors.
  ArrayRef<unsigned> predecessors(unsigned node) const { return preds[node]; }
  /// Direct successors.
  ArrayRef<unsigned> successors(unsigned node) const { return succs[node]; }
  /// Whether `later` transitively depends on `earlier`. Walks the
  /// predecessors of `later` that come after `earlier` in the block: up to
  /// linear time per query.
  bool dependsOn(unsigned later, unsigned earlier) const;
  /// Nodes neither before nor after `node`, in block order: they may run
  /// concurrently. Linear time per query.
  SmallVector<unsigned> independentOf(unsigned node) const;
  /// The longest chain by `weight`, and its length.
  std::pair<double, SmallVector<unsigned>>
  criticalPath(function_ref<double(unsigned)> weight) const;

private:
  void addEdge(unsigned from, unsigned to);

  SmallVector<Operation *> ops;
  mutable SmallVector<std::optional<OpClass>> kinds;
  SmallVector<SmallVector<unsigned, 4>> preds;
  SmallVector<SmallVector<unsigned, 4>> succs;
  llvm::DenseMap<Operation *, unsigned> index;
};

} // namespace braid
} // namespace mlir

#endif // BRAID_ANALYSIS_DEPENDENCEGRAPH_H
