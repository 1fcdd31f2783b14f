//===- PlanArena.cpp - static offsets in one arena per function -----------===//

#include "braid/Dialect/Braid/Transforms/Passes.h"
#include "braid/Dialect/Braid/Transforms/Transforms.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Interfaces/ViewLikeInterface.h"
#include "llvm/Support/MathExtras.h"

#include <map>

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
  /// Host issue positions (in the function's block) of the first and last
  /// access; an access inside a launch lasts until the host first waits for
  /// the launch.
  int64_t first = 0, last = 0;
  /// The launch whose body makes every access, if one does, and the first
  /// and last access in that body: its stream runs the body in order.
  Operation *launch = nullptr;
  int64_t bodyFirst = 0, bodyLast = 0;
  int64_t offset = 0;
};

/// Position of each op of `block` and of each op of a launch body in that
/// body, and for each launch the position of the first wait of its event
/// (the end of the block when none waits).
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
        int64_t inBody = 0;
        for (Operation &nested : launch.getBody().front())
          position[&nested] = inBody++;
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

/// The lifetime of the buffer `alloc` returns, from the ops that access it
/// directly or through every value that holds it (views, loop and branch
/// results). A view only computes an address: it is not an access, so views
/// hoisted before a launch do not tie the buffer to the host.
void computeLifetime(PlannedBuffer &buffer, Block &block,
                     const IssueOrder &order) {
  int64_t first = INT64_MAX, last = INT64_MIN;
  bool accessed = false, confined = true;
  SmallVector<Value> worklist{buffer.alloc.getResult()};
  DenseSet<Value> seen(worklist.begin(), worklist.end());
  while (!worklist.empty()) {
    Value value = worklist.pop_back_val();
    for (OpOperand &use : value.getUses()) {
      Operation *user = use.getOwner();
      auto passOn = [&] {
        for (Value alias : aliasesPast(use))
          if (seen.insert(alias).second)
            worklist.push_back(alias);
      };
      if (auto view = dyn_cast<ViewLikeOpInterface>(user);
          view && view.getViewSource() == value) {
        passOn();
        continue;
      }
      Operation *top = block.findAncestorOpInBlock(*user);
      if (!top)
        continue;
      int64_t at = order.position.lookup(top);
      auto launch = dyn_cast<CommandLaunchOp>(top);
      first = std::min(first, at);
      last = std::max(last, launch ? order.joinedAt.lookup(top) : at);
      if (!launch) {
        confined = false;
      } else {
        int64_t inBody = order.position.lookup(
            launch.getBody().front().findAncestorOpInBlock(*user));
        if (!accessed) {
          buffer.launch = launch;
          buffer.bodyFirst = buffer.bodyLast = inBody;
        } else if (buffer.launch != launch) {
          confined = false;
        }
        buffer.bodyFirst = std::min(buffer.bodyFirst, inBody);
        buffer.bodyLast = std::max(buffer.bodyLast, inBody);
      }
      accessed = true;
      passOn();
    }
  }
  if (!accessed) { // a slot of its own where it is allocated
    first = last =
        order.position.lookup(block.findAncestorOpInBlock(*buffer.alloc));
    confined = false;
  }
  if (!confined)
    buffer.launch = nullptr;
  buffer.first = first;
  buffer.last = last;
}

/// Whether `a` and `b` may be live at once: the host reaches neither's
/// first access only after the other's last one (program order; a launch
/// forks after the host's earlier work and is joined by its first wait),
/// nor does one launch's stream.
bool overlaps(const PlannedBuffer &a, const PlannedBuffer &b) {
  if (a.launch && a.launch == b.launch)
    return a.bodyFirst <= b.bodyLast && b.bodyFirst <= a.bodyLast;
  return a.first <= b.last && b.first <= a.last;
}

/// Places `order`'s buffers one by one, each at the lowest aligned offset
/// free of every placed buffer whose lifetime overlaps. Returns the arena
/// size.
int64_t placeInOrder(ArrayRef<PlannedBuffer *> order, int64_t alignment) {
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

/// Placing buffers is NP-hard in general; greedy placement in a few orders
/// (largest first, earliest first, longest-lived first) reaches the peak on
/// the straight-line programs Braid compiles where one order alone leaves
/// holes. Keeps the smallest arena (the first order on ties). Returns its
/// size.
int64_t assignOffsets(MutableArrayRef<PlannedBuffer> buffers,
                      int64_t alignment) {
  auto start = [](const PlannedBuffer *b) {
    return std::make_pair(b->first, b->launch ? b->bodyFirst : -1);
  };
  auto lifetime = [](const PlannedBuffer *b) { return b->last - b->first; };
  using Less = llvm::function_ref<bool(PlannedBuffer *, PlannedBuffer *)>;
  auto largest = [&](PlannedBuffer *a, PlannedBuffer *b) {
    return a->bytes > b->bytes;
  };
  // Among equals, the one that dies last first: the earlier-dying ones then
  // sit above it, where the next buffers of a chain can take their place.
  auto largestLastDying = [&](PlannedBuffer *a, PlannedBuffer *b) {
    return std::make_pair(a->bytes, a->last) >
           std::make_pair(b->bytes, b->last);
  };
  auto earliest = [&](PlannedBuffer *a, PlannedBuffer *b) {
    return std::make_pair(start(a), -a->bytes) <
           std::make_pair(start(b), -b->bytes);
  };
  auto longest = [&](PlannedBuffer *a, PlannedBuffer *b) {
    return std::make_pair(lifetime(a), a->bytes) >
           std::make_pair(lifetime(b), b->bytes);
  };
  SmallVector<int64_t> bestOffsets;
  int64_t best = INT64_MAX;
  for (Less less : {Less(largest), Less(largestLastDying), Less(earliest),
                    Less(longest)}) {
    SmallVector<PlannedBuffer *> order;
    for (PlannedBuffer &buffer : buffers)
      order.push_back(&buffer);
    llvm::stable_sort(order, less);
    int64_t arena = placeInOrder(order, alignment);
    if (arena < best) {
      best = arena;
      bestOffsets.clear();
      for (const PlannedBuffer &buffer : buffers)
        bestOffsets.push_back(buffer.offset);
    }
  }
  for (auto [buffer, offset] : llvm::zip(buffers, bestOffsets))
    buffer.offset = offset;
  return best;
}

/// Largest sum of bytes over sets of buffers that pairwise overlap, each
/// rounded up to the alignment (so no arena is smaller): the buffers the
/// host has live at one position, plus, for each launch in flight there,
/// the most its body has live at once.
int64_t peakLiveBytes(ArrayRef<PlannedBuffer> buffers, int64_t alignment) {
  auto sweep = [](const std::map<int64_t, int64_t> &delta) {
    int64_t live = 0, peak = 0;
    for (auto [position, change] : delta) {
      live += change;
      peak = std::max(peak, live);
    }
    return peak;
  };
  std::map<int64_t, int64_t> host;
  DenseMap<Operation *, std::map<int64_t, int64_t>> bodies;
  DenseMap<Operation *, std::pair<int64_t, int64_t>> inFlight;
  for (const PlannedBuffer &buffer : buffers) {
    int64_t bytes = llvm::alignTo(buffer.bytes, alignment);
    if (buffer.launch) {
      std::map<int64_t, int64_t> &body = bodies[buffer.launch];
      body[buffer.bodyFirst] += bytes;
      body[buffer.bodyLast + 1] -= bytes;
      inFlight[buffer.launch] = {buffer.first, buffer.last};
      continue;
    }
    host[buffer.first] += bytes;
    host[buffer.last + 1] -= bytes;
  }
  for (auto &[launch, body] : bodies) {
    int64_t bodyPeak = sweep(body);
    auto [first, last] = inFlight.lookup(launch);
    host[first] += bodyPeak;
    host[last + 1] -= bodyPeak;
  }
  return sweep(host);
}

} // namespace

FailureOr<ArenaPlan> mlir::braid::planArena(func::FuncOp function,
                                            int64_t alignment) {
  if (!function.getBody().hasOneBlock())
    return function.emitError()
           << "has several blocks; the arena planner needs one";
  Block &block = function.getBody().front();
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
                          << " cannot be planned: the arena needs static "
                             "shapes with the identity layout";
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
  ArenaPlan plan;
  plan.summary.arenaBytes = assignOffsets(buffers, alignment);
  plan.summary.peakBytes = peakLiveBytes(buffers, alignment);
  plan.summary.numBuffers = buffers.size();
  for (const PlannedBuffer &buffer : buffers)
    plan.offsets.push_back({buffer.alloc, buffer.offset});
  return plan;
}

namespace {

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
    FailureOr<ArenaPlan> plan = planArena(function, alignment);
    if (failed(plan))
      return failure();
    const ArenaSummary &summary = plan->summary;
    if (memoryBudget > 0 && summary.arenaBytes > memoryBudget)
      return function.emitError()
             << "the planned arena needs " << summary.arenaBytes
             << " bytes, over the memory budget of "
             << static_cast<int64_t>(memoryBudget)
             << " bytes (peak of live buffers " << summary.peakBytes
             << " bytes)";

    // The arena: a new last argument.
    MLIRContext *context = function.getContext();
    auto arenaType =
        MemRefType::get({summary.arenaBytes}, IntegerType::get(context, 8));
    unsigned arenaIndex = function.getNumArguments();
    if (failed(function.insertArgument(arenaIndex, arenaType,
                                       DictionaryAttr::get(context, {}),
                                       function.getLoc())))
      return failure();
    function.setArgAttr(arenaIndex, "braid.arena", UnitAttr::get(context));
    Value arena = function.getArgument(arenaIndex);
    for (auto [op, offset] : plan->offsets) {
      auto alloc = cast<memref::AllocOp>(op);
      OpBuilder builder(alloc);
      Value offsetValue =
          arith::ConstantIndexOp::create(builder, alloc.getLoc(), offset);
      Value view =
          memref::ViewOp::create(builder, alloc.getLoc(), alloc.getType(),
                                 arena, offsetValue, ValueRange());
      alloc.replaceAllUsesWith(view);
      alloc.erase();
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
    function->setAttr(
        "braid.arena_bytes",
        IntegerAttr::get(IntegerType::get(context, 64), summary.arenaBytes));
    function.emitRemark() << "arena: " << summary.arenaBytes << " bytes for "
                          << summary.numBuffers << " buffers (peak of live "
                          << "buffers " << summary.peakBytes << " bytes)";
    return success();
  }
};

} // namespace
