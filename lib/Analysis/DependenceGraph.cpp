//===- DependenceGraph.cpp - what must happen before what -----------------===//

#include "braid/Analysis/DependenceGraph.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "llvm/ADT/DenseSet.h"

#include <map>

using namespace mlir;
using namespace mlir::braid;

StringRef mlir::braid::stringifyOpClass(OpClass kind) {
  switch (kind) {
  case OpClass::Compute:
    return "compute";
  case OpClass::Communication:
    return "communication";
  case OpClass::Memory:
    return "memory";
  case OpClass::Control:
    return "control";
  }
  llvm_unreachable("unknown class");
}

OpClass mlir::braid::classifyOp(Operation *op) {
  if (isa<CollectiveOpInterface>(op))
    return OpClass::Communication;
  if (auto start = dyn_cast<StartOp>(op)) {
    bool communicates = false, computes = false;
    start.getBody().walk([&](Operation *nested) {
      communicates |= isa<CollectiveOpInterface>(nested);
      computes |= classifyOp(nested) == OpClass::Compute;
    });
    return communicates ? OpClass::Communication
                        : computes ? OpClass::Compute : OpClass::Control;
  }
  if (isa<AwaitOp>(op) || op->hasTrait<OpTrait::ConstantLike>())
    return OpClass::Control;
  if (auto costed = dyn_cast<CostOpInterface>(op)) {
    FailureOr<OpCost> cost = costed.getCost();
    if (succeeded(cost) && cost->flops == 0)
      return cost->bytesRead || cost->bytesWritten ? OpClass::Memory
                                                   : OpClass::Control;
    return OpClass::Compute;
  }
  if (isa<tensor::TensorDialect>(op->getDialect()))
    return OpClass::Memory;
  return op->getNumRegions() ? OpClass::Compute : OpClass::Control;
}

void DependenceGraph::addEdge(unsigned from, unsigned to) {
  if (from == to || llvm::is_contained(preds[to], from))
    return;
  preds[to].push_back(from);
}

DependenceGraph::DependenceGraph(Block &block, Options options) {
  for (Operation &op : block.without_terminator()) {
    index[&op] = ops.size();
    ops.push_back(&op);
  }
  kinds.resize(ops.size());
  preds.resize(ops.size());

  // Issue order per communicator, including collectives inside starts;
  // program order between starts on one stream and between ops with side
  // effects.
  std::map<std::string, unsigned> lastOnCommunicator;
  std::map<int64_t, unsigned> lastOnStream;
  std::optional<unsigned> lastEffect;
  for (unsigned node = 0; node < ops.size(); ++node) {
    Operation *op = ops[node];
    if (auto start = dyn_cast<StartOp>(op)) {
      auto [it, inserted] = lastOnStream.try_emplace(start.getStream(), node);
      if (!inserted && options.keepStreamOrder)
        addEdge(it->second, node);
      it->second = node;
    } else if (!isa<CollectiveOpInterface, AwaitOp>(op) && !isPure(op) &&
               !op->hasTrait<OpTrait::HasRecursiveMemoryEffects>()) {
      if (lastEffect)
        addEdge(*lastEffect, node);
      lastEffect = node;
    }
    ops[node]->walk([&](Operation *nested) {
      // Values read here and produced by an earlier op of the block.
      for (Value operand : nested->getOperands())
        if (Operation *def = operand.getDefiningOp())
          if (std::optional<unsigned> from = nodeOf(def); from && *from < node)
            addEdge(*from, node);
      auto collective = dyn_cast<CollectiveOpInterface>(nested);
      if (!collective || !options.keepCommunicatorOrder)
        return;
      auto [it, inserted] =
          lastOnCommunicator.try_emplace(getCommunicatorName(collective), node);
      if (!inserted) {
        addEdge(it->second, node);
        it->second = node;
      }
    });
  }

  succs.resize(ops.size());
  for (unsigned node = 0; node < ops.size(); ++node)
    for (unsigned pred : preds[node])
      succs[pred].push_back(node);
}

OpClass DependenceGraph::kind(unsigned node) const {
  std::optional<OpClass> &cached = kinds[node];
  if (!cached)
    cached = classifyOp(ops[node]);
  return *cached;
}

std::optional<unsigned> DependenceGraph::nodeOf(Operation *op) const {
  for (; op; op = op->getParentOp()) {
    auto it = index.find(op);
    if (it != index.end())
      return it->second;
  }
  return std::nullopt;
}

bool DependenceGraph::dependsOn(unsigned later, unsigned earlier) const {
  // Block order is topological: every edge points forward, so only nodes
  // after `earlier` can lead back to it.
  if (later <= earlier || later >= ops.size())
    return false;
  llvm::DenseSet<unsigned> seen;
  SmallVector<unsigned> worklist{later};
  while (!worklist.empty()) {
    unsigned node = worklist.pop_back_val();
    for (unsigned pred : preds[node]) {
      if (pred == earlier)
        return true;
      if (pred > earlier && seen.insert(pred).second)
        worklist.push_back(pred);
    }
  }
  return false;
}

SmallVector<unsigned> DependenceGraph::independentOf(unsigned node) const {
  // Marks everything `node` depends on and everything that depends on it.
  SmallVector<bool> related(ops.size(), false);
  related[node] = true;
  auto markFrom = [&](auto edges) {
    SmallVector<unsigned> worklist{node};
    while (!worklist.empty())
      for (unsigned next : edges(worklist.pop_back_val()))
        if (!related[next]) {
          related[next] = true;
          worklist.push_back(next);
        }
  };
  markFrom([&](unsigned n) { return predecessors(n); });
  markFrom([&](unsigned n) { return successors(n); });
  SmallVector<unsigned> result;
  for (unsigned other = 0; other < ops.size(); ++other)
    if (!related[other])
      result.push_back(other);
  return result;
}

std::pair<double, SmallVector<unsigned>>
DependenceGraph::criticalPath(function_ref<double(unsigned)> weight) const {
  SmallVector<double> finish(ops.size(), 0);
  SmallVector<int> via(ops.size(), -1);
  for (unsigned node = 0; node < ops.size(); ++node) {
    double start = 0;
    for (unsigned pred : preds[node])
      if (finish[pred] > start) {
        start = finish[pred];
        via[node] = pred;
      }
    finish[node] = start + weight(node);
  }
  double length = 0;
  int last = -1;
  for (unsigned node = 0; node < ops.size(); ++node)
    if (finish[node] > length) {
      length = finish[node];
      last = node;
    }
  SmallVector<unsigned> path;
  for (int node = last; node >= 0; node = via[node])
    path.push_back(node);
  std::reverse(path.begin(), path.end());
  return {length, path};
}
