//===- BraidDialect.h - The braid dialect -----------------------*- C++ -*-===//
//
// Collectives, async futures and layer-level ops of Braid. Include this one
// header to use the dialect.
//
//===----------------------------------------------------------------------===//

#ifndef BRAID_DIALECT_BRAID_IR_BRAIDDIALECT_H
#define BRAID_DIALECT_BRAID_IR_BRAIDDIALECT_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Shard/IR/ShardDialect.h"
#include "mlir/Dialect/Shard/IR/ShardOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/IR/TypeUtilities.h"
#include "mlir/Interfaces/ControlFlowInterfaces.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "braid/Dialect/Braid/IR/BraidDialect.h.inc"
#include "braid/Dialect/Braid/IR/BraidEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "braid/Dialect/Braid/IR/BraidAttrs.h.inc"

#define GET_TYPEDEF_CLASSES
#include "braid/Dialect/Braid/IR/BraidTypes.h.inc"

namespace mlir {
namespace braid {

/// Whether `op` is a contraction a braid.fused_collective takes as its
/// producer: a structured linalg contraction (matmul, batch_matmul,
/// contract, a matmul-like generic) or braid.grouped_matmul (each row its
/// group's dot products, so its rows cut exactly).
bool isContraction(Operation *op);
/// Whether `op` computes each element of its result from the element at the
/// same position of `operand` (element-wise ops of one shape; linalg ops with
/// only parallel loops and identity maps for `operand` and the result): a
/// fused producer's epilogue, whose output can be cut anywhere.
bool isPositionwiseUse(Operation *op, Value operand);
/// Whether a producer feeding `collective` (reduce_scatter, all_reduce or
/// all_gather) over `groupSize` ranks can be fused with it under `trigger`
/// in `order`: a ring takes one chunk per rank and a cut dimension that
/// divides by it, an all_gather's chunks divide its shard, a tile lies in
/// one chunk and a threshold counts at most a chunk's tiles. `whyNot` says
/// why not, as braid.fused_collective's verifier does.
LogicalResult checkFusionSchedule(Operation *collective, TriggerAttr trigger,
                                  FusionOrder order, int64_t groupSize,
                                  std::string &whyNot);

/// Work an op does on one rank, independent of hardware.
struct OpCost {
  int64_t flops = 0;
  int64_t bytesRead = 0;
  int64_t bytesWritten = 0;

  OpCost &operator+=(const OpCost &other) {
    flops += other.flops;
    bytesRead += other.bytesRead;
    bytesWritten += other.bytesWritten;
    return *this;
  }
  bool operator==(const OpCost &other) const {
    return flops == other.flops && bytesRead == other.bytesRead &&
           bytesWritten == other.bytesWritten;
  }
};

/// Size in bytes of one element of `type` as the runtime stores it (i1 takes
/// a byte; sub-byte types round up); failure for non-numeric types.
FailureOr<int64_t> getElementByteSize(Type type);

/// `a * b`, or failure when it overflows int64.
FailureOr<int64_t> checkedMul(int64_t a, int64_t b);

/// Bytes of a statically shaped tensor or memref; failure when dynamic.
FailureOr<int64_t> getStaticByteSize(Type shapedType);

/// Cost of an op that reads every shaped operand and writes every shaped
/// result once, doing `flops` operations; failure when a shape is dynamic.
FailureOr<OpCost> getBoundaryCost(Operation *op, int64_t flops);

/// Number of elements of a statically shaped value; failure when dynamic.
FailureOr<int64_t> getStaticNumElements(Type shapedType);

/// The most devices a grid that braid ops name may have. Passes and the
/// interpreter enumerate every rank of a grid (group instances, collective
/// matching, links per group), so the count must stay small enough to walk.
constexpr int64_t kMaxGridDevices = int64_t(1) << 16;

/// Devices of `grid` (the product of its static axes; dynamic axes count 1),
/// saturating at INT64_MAX where the product overflows.
int64_t getStaticDeviceCount(shard::GridOp grid);

/// Checks that `grid` has at most kMaxGridDevices devices; otherwise emits
/// an error on `user` (the op naming the grid, or the grid itself) with a
/// note at the grid.
LogicalResult verifyGridDeviceCount(shard::GridOp grid, Operation *user);

/// Devices of the largest grid under `root`: the ranks a program runs on.
/// Grids over kMaxGridDevices are not counted: no braid op may name one
/// (verifyGridDeviceCount), so no rank runs on them.
int64_t getLargestDeviceCount(Operation *root);

/// The `shard.grid` named `grid` as seen from `from`, or nullptr.
shard::GridOp lookupGrid(Operation *from, FlatSymbolRefAttr grid,
                         SymbolTableCollection *symbolTables = nullptr);

/// Number of ranks in the group formed by `axes` of `grid`; failure when the
/// grid is missing, an axis is out of range or an axis size is dynamic.
FailureOr<int64_t> getGroupSize(Operation *from, FlatSymbolRefAttr grid,
                                ArrayRef<int16_t> axes,
                                SymbolTableCollection *symbolTables = nullptr);

} // namespace braid
} // namespace mlir

#include "braid/Dialect/Braid/IR/BraidOpInterfaces.h.inc"

#define GET_OP_CLASSES
#include "braid/Dialect/Braid/IR/BraidOps.h.inc"

namespace mlir {
namespace braid {
/// "@grid axes [a, b]": the communicator a collective runs on.
std::string getCommunicatorName(CollectiveOpInterface op);

/// Attaches CostOpInterface to the upstream arith, math, tensor and linalg
/// ops Braid programs use.
void registerUpstreamCostModels(DialectRegistry &registry);
/// Attaches TilingInterface to braid's layer-level compute ops.
void registerTilingInterfaceExternalModels(DialectRegistry &registry);
/// Registers the braid dialect and all its external models.
void registerBraidDialect(DialectRegistry &registry);
} // namespace braid
} // namespace mlir

// The buffer-level op family.
#include "braid/Dialect/Braid/IR/BraidCommandOps.h"

#endif // BRAID_DIALECT_BRAID_IR_BRAIDDIALECT_H
