//===- Liveness.cpp - live tensor bytes and peak memory per rank ----------===//

#include "braid/Analysis/Liveness.h"

#include "llvm/ADT/DenseMap.h"

using namespace mlir;
using namespace mlir::braid;

/// Bytes a value occupies: tensors by their size; a future by what it holds.
static FailureOr<int64_t> bytesOf(Value value) {
  Type type = value.getType();
  if (auto future = dyn_cast<FutureType>(type)) {
    int64_t total = 0;
    for (Type held : future.getValueTypes()) {
      if (!isa<ShapedType>(held))
        continue;
      FailureOr<int64_t> bytes = getStaticByteSize(held);
      if (failed(bytes))
        return failure();
      total += *bytes;
    }
    return total;
  }
  if (!isa<ShapedType>(type))
    return 0;
  return getStaticByteSize(type);
}

FailureOr<MemoryProfile>
mlir::braid::computeMemoryProfile(Block &block, ArrayRef<Operation *> order,
                                  bool countArguments) {
  SmallVector<Operation *> ops(order.begin(), order.end());
  if (ops.empty())
    for (Operation &op : block.without_terminator())
      ops.push_back(&op);
  llvm::DenseMap<Operation *, unsigned> position;
  for (auto [i, op] : llvm::enumerate(ops))
    position[op] = i;
  if (position.size() != ops.size() ||
      position.size() != static_cast<size_t>(std::distance(
                              block.without_terminator().begin(),
                              block.without_terminator().end())))
    return failure();

  unsigned end = ops.size();
  // The step of the block-level op that contains `user`, or `end` for the
  // terminator (a returned value stays live to the end). A start's body
  // reads its inputs while in flight: until the start's last await.
  auto stepOf = [&](Operation *user) -> unsigned {
    for (Operation *op = user; op; op = op->getParentOp())
      if (op->getBlock() == &block) {
        auto it = position.find(op);
        if (it == position.end())
          return end;
        unsigned step = it->second;
        if (auto start = dyn_cast<StartOp>(op); start && start != user)
          for (Operation *await : start.getFuture().getUsers())
            for (Operation *a = await; a; a = a->getParentOp())
              if (a->getBlock() == &block) {
                auto at = position.find(a);
                step = std::max(step, at == position.end() ? end : at->second);
                break;
              }
        return step;
      }
    return end;
  };

  SmallVector<int64_t> delta(end + 2, 0);
  auto addInterval = [&](int64_t bytes, unsigned first, unsigned last) {
    delta[first] += bytes;
    delta[last + 1] -= bytes;
  };
  auto lastUse = [&](Value value, unsigned from) {
    unsigned last = from;
    for (Operation *user : value.getUsers())
      last = std::max(last, stepOf(user));
    return last;
  };

  if (countArguments)
    for (BlockArgument arg : block.getArguments()) {
      FailureOr<int64_t> bytes = bytesOf(arg);
      if (failed(bytes))
        return failure();
      addInterval(*bytes, 0, end);
    }
  for (auto [step, op] : llvm::enumerate(ops))
    for (Value result : op->getResults()) {
      FailureOr<int64_t> bytes = bytesOf(result);
      if (failed(bytes))
        return failure();
      unsigned last = lastUse(result, step);
      // An await hands the future's buffers to its results: count them once.
      if (isa<FutureType>(result.getType()) && last > step)
        --last;
      addInterval(*bytes, step, last);
    }

  MemoryProfile profile;
  int64_t live = 0;
  for (unsigned step = 0; step < end; ++step) {
    live += delta[step];
    profile.liveDuring.push_back(live);
    if (live > profile.peakBytes) {
      profile.peakBytes = live;
      profile.peakAt = ops[step];
    }
  }
  return profile;
}
