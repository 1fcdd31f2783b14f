//===- BraidCommandOps.h - buffer-level braid ops ---------------*- C++ -*-===//
//
// Collectives on memrefs, tensor computations applied to buffers, launches
// on streams and their events (BraidCommandOps.td). BraidDialect.h includes
// this header.
//
//===----------------------------------------------------------------------===//

#ifndef BRAID_DIALECT_BRAID_IR_BRAIDCOMMANDOPS_H
#define BRAID_DIALECT_BRAID_IR_BRAIDCOMMANDOPS_H

#include "braid/Dialect/Braid/IR/BraidDialect.h"

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include <optional>

#define GET_OP_CLASSES
#include "braid/Dialect/Braid/IR/BraidCommandOps.h.inc"

namespace mlir {
namespace braid {

/// What a triggered buffer-level collective waits on (its `after` clause).
struct CommandTrigger {
  Value counter;
  Value epoch;
  int64_t chunks = 0;
  int64_t tiles = 0;
};

/// The trigger of a braid.cmd.all_reduce / reduce_scatter / all_gather
/// written in its triggered form; nothing for any other op.
std::optional<CommandTrigger> getCommandTrigger(Operation *op);

/// The worker stream of the braid.cmd.launch around `op`; 0 (the host
/// stream) outside one.
int64_t getCommandStream(Operation *op);

} // namespace braid
} // namespace mlir

#endif // BRAID_DIALECT_BRAID_IR_BRAIDCOMMANDOPS_H
