//===- PlanArena.cpp - static offsets in one arena per function -----------===//

#include "braid/Dialect/Braid/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Interfaces/ViewLikeInterface.h"
#include "llvm/Support/MathExtras.h"

namespace mlir {
namespace braid {
#define GEN_PASS_DEF_BRAIDPLANARENA
#include "braid/Dialect/Braid/Transforms/Passes.h.inc"
} // namespace braid
} // namespace mlir

using namespace mlir;
using namespace mlir::braid;

namespace {

struct PlannedBuffer {
  memref::AllocOp alloc;
  int64_t bytes = 0;
  /// Positions in the function's block (issue order) of the first and last
  /// use, a use in a launch lasting until the host waits for it.
  int64_t first = 0, last = 0;
  int64_t offset = 0;
};

/// Position of each op of `block`, and for each launch the position of the
/// first wait of its event (the end of the block when none waits).
struct IssueOrder {
  DenseMap<Operation *, int64_t> position;
  DenseMap<Operation *, int64_t> joinedAt;

  explicit IssueOrder(Block &block) {
    int64_t index = 0;
    for (Operation &op : block)
      position[&op] = index++;
    for (Operation &op : block)
      if (auto launch = dyn_cast<CommandLaunchOp>(op)) {
        int64_t join = index;
        for (Operation *user : launch.getDone().getUsers())
          if (Operation *inBlock = block.findAncestorOpInBlock(*user))
            join = std::min(join, position[inBlock]);
        joinedAt[&op] = join;
      }
  }
};

/// The values through which `use` passes its buffer on: the results of a
/// view, and where control flow carries it, the results of the loop or
/// branch (a buffer a branch yields lives on after it).
SmallVector<Value> aliasesPast(OpOperand &use) {
  Operation *user = use.getOwner();
  unsigned index = use.getOperandNumber();
  if (auto view = dyn_cast<ViewLikeOpInterface>(user))
    if (view.getViewSource() == use.get())
      return SmallVector<Value>(user->getResults());
  if (auto loop = dyn_cast<scf::ForOp>(user))
    if (OpResult result = loop.getTiedLoopResult(&use))
      return {result};
  if (auto loop = dyn_cast<scf::WhileOp>(user))
    return {loop.getBeforeArguments()[index]};
  if (auto yield = dyn_cast<scf::YieldOp>(user)) {
    if (auto loop = dyn_cast<scf::WhileOp>(yield->getParentOp()))
      return {loop.getBeforeArguments()[index]};
    if (index < yield->getParentOp()->getNumResults())
      return {yield->getParentOp()->getResult(index)};
  }
  if (auto condition = dyn_cast<scf::ConditionOp>(user))
    if (index > 0)
      return {condition->getParentOp()->getResult(index - 1)};
  return {};
}

/// Lifetime of the buffer `alloc` returns, through every value that holds
/// it.
void computeLifetime(PlannedBuffer &buffer, Block &block,
                     const IssueOrder &order) {
  int64_t first = INT64_MAX, last = INT64_MIN;
  SmallVector<Value> worklist{buffer.alloc.getResult()};
  DenseSet<Value> seen(worklist.begin(), worklist.end());
  while (!worklist.empty()) {
    Value value = worklist.pop_back_val();
    for (OpOperand &use : value.getUses()) {
      Operation *user = use.getOwner();
      Operation *top = block.findAncestorOpInBlock(*user);
      if (!top)
        continue;
      int64_t at = order.position.lookup(top);
      int64_t until = at;
      if (isa<CommandLaunchOp>(top))
        until = order.joinedAt.lookup(top);
      first = std::min(first, at);
      last = std::max(last, until);
      for (Value alias : aliasesPast(use))
        if (seen.insert(alias).second)
          worklist.push_back(alias);
    }
  }
  if (first == INT64_MAX) // never used: a slot of its own at its position
    first = last =
        order.position.lookup(block.findAncestorOpInBlock(*buffer.alloc));
  buffer.first = first;
  buffer.last = last;
}

bool overlaps(const PlannedBuffer &a, const PlannedBuffer &b) {
  return a.first <= b.last && b.first <= a.last;
}

/// Largest first; each at the lowest offset free of every placed buffer
/// whose lifetime overlaps. Returns the arena size.
int64_t assignOffsets(MutableArrayRef<PlannedBuffer> buffers,
                      int64_t alignment) {
  SmallVector<PlannedBuffer *> order;
  for (PlannedBuffer &buffer : buffers)
    order.push_back(&buffer);
  llvm::stable_sort(order, [](PlannedBuffer *a, PlannedBuffer *b) {
    return a->bytes > b->bytes;
  });
  SmallVector<PlannedBuffer *> placed;
  int64_t arena = 0;
  for (PlannedBuffer *buffer : order) {
    SmallVector<std::pair<int64_t, int64_t>> busy;
    for (PlannedBuffer *other : placed)
      if (overlaps(*buffer, *other))
        busy.push_back({other->offset, other->offset + other->bytes});
    llvm::sort(busy);
    int64_t offset = 0;
    for (auto [begin, end] : busy) {
      if (offset + buffer->bytes <= begin)
        break;
      offset = std::max<int64_t>(offset, llvm::alignTo(end, alignment));
    }
    buffer->offset = offset;
    arena = std::max(arena, offset + buffer->bytes);
    placed.push_back(buffer);
  }
  return llvm::alignTo(arena, alignment);
}

/// Largest sum of bytes of buffers live at one position.
int64_t peakLiveBytes(ArrayRef<PlannedBuffer> buffers) {
  std::map<int64_t, int64_t> delta;
  for (const PlannedBuffer &buffer : buffers) {
    delta[buffer.first] += buffer.bytes;
    delta[buffer.last + 1] -= buffer.bytes;
  }
  int64_t live = 0, peak = 0;
  for (auto [position, change] : delta) {
    live += change;
    peak = std::max(peak, live);
  }
  return peak;
}

struct BraidPlanArenaPass
    : public braid::impl::BraidPlanArenaBase<BraidPlanArenaPass> {
  using Base::Base;

  void runOnOperation() override {
    if (alignment <= 0 || !llvm::isPowerOf2_64(alignment)) {
      getOperation().emitError()
          << "braid-plan-arena: alignment " << static_cast<int64_t>(alignment)
          << " is not a power of two";
      return signalPassFailure();
    }
    for (auto function : getOperation().getOps<func::FuncOp>())
      if (!function.isExternal() && failed(plan(function)))
        return signalPassFailure();
  }

  LogicalResult plan(func::FuncOp function) {
    Block &block = function.getBody().front();
    if (!function.getBody().hasOneBlock())
      return function.emitError()
             << "has several blocks; the arena planner needs one";
    IssueOrder order(block);
    SmallVector<PlannedBuffer> buffers;
    // An allocation inside a loop or branch lives as long as the op of the
    // function's body that holds it: its uses all map to that op's position.
    // It shares no bytes with any buffer used in that op or live across it,
    // so a buffer reused every iteration never overlaps one that lives
    // from one iteration to the next.
    WalkResult walk = function.walk([&](memref::AllocOp alloc) {
      FailureOr<int64_t> bytes = getStaticByteSize(alloc.getType());
      if (failed(bytes) || !alloc.getType().getLayout().isIdentity()) {
        alloc.emitOpError() << "of " << alloc.getType()
                            << " cannot be planned: the arena needs "
                               "static shapes with the identity layout";
        return WalkResult::interrupt();
      }
      PlannedBuffer buffer;
      buffer.alloc = alloc;
      buffer.bytes = std::max<int64_t>(*bytes, 1);
      buffers.push_back(buffer);
      return WalkResult::advance();
    });
    if (walk.wasInterrupted())
      return failure();
    for (PlannedBuffer &buffer : buffers)
      computeLifetime(buffer, block, order);
    int64_t arenaBytes = assignOffsets(buffers, alignment);
    int64_t peak = peakLiveBytes(buffers);
    if (memoryBudget > 0 && arenaBytes > memoryBudget)
      return function.emitError()
             << "the planned arena needs " << arenaBytes
             << " bytes, over the memory budget of "
             << static_cast<int64_t>(memoryBudget)
             << " bytes (peak of live buffers " << peak << " bytes)";

    // The arena: a new last argument.
    MLIRContext *context = function.getContext();
    auto arenaType =
        MemRefType::get({arenaBytes}, IntegerType::get(context, 8));
    unsigned arenaIndex = function.getNumArguments();
    if (failed(function.insertArgument(arenaIndex, arenaType,
                                       DictionaryAttr::get(context, {}),
                                       function.getLoc())))
      return failure();
    function.setArgAttr(arenaIndex, "braid.arena", UnitAttr::get(context));
    Value arena = function.getArgument(arenaIndex);
    for (PlannedBuffer &buffer : buffers) {
      OpBuilder builder(buffer.alloc);
      Value offset = arith::ConstantIndexOp::create(
          builder, buffer.alloc.getLoc(), buffer.offset);
      Value view = memref::ViewOp::create(builder, buffer.alloc.getLoc(),
                                          buffer.alloc.getType(), arena,
                                          offset, ValueRange());
      buffer.alloc.replaceAllUsesWith(view);
      buffer.alloc.erase();
    }
    // Deallocations of planned buffers are gone with them.
    function.walk([&](memref::DeallocOp dealloc) {
      if (isa_and_nonnull<memref::ViewOp>(
              dealloc.getMemref().getDefiningOp()))
        dealloc.erase();
    });
    // Output parameters: which result each one holds.
    int64_t resultIndex = 0;
    for (unsigned i = 0; i < function.getNumArguments(); ++i)
      if (function.getArgAttr(i, "bufferize.result")) {
        function.removeArgAttr(i, "bufferize.result");
        function.setArgAttr(i, "braid.result",
                            IntegerAttr::get(IntegerType::get(context, 64),
                                             resultIndex++));
      }
    function->setAttr("braid.arena_bytes",
                      IntegerAttr::get(IntegerType::get(context, 64),
                                       arenaBytes));
    function.emitRemark() << "arena: " << arenaBytes << " bytes for "
                          << buffers.size() << " buffers (peak of live "
                          << "buffers " << peak << " bytes)";
    return success();
  }
};

} // namespace
