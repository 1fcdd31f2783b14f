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

#define GET_OP_CLASSES
#include "braid/Dialect/Braid/IR/BraidCommandOps.h.inc"

#endif // BRAID_DIALECT_BRAID_IR_BRAIDCOMMANDOPS_H
