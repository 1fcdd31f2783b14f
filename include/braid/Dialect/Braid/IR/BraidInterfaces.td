//===- BraidInterfaces.td - collective and cost interfaces ---*- tablegen -*-===//

#ifndef BRAID_DIALECT_BRAID_IR_BRAIDINTERFACES_TD
#define BRAID_DIALECT_BRAID_IR_BRAIDINTERFACES_TD

include "mlir/IR/OpBase.td"

def Braid_CollectiveOpInterface : OpInterface<"CollectiveOpInterface"> {
  let cppNamespace = "::mlir::braid";
  let description = [{
    An op that communicates within a group of ranks: one or more axes of a
    `shard.grid`. Analyses (dependence, cost, order verification) see every
    collective through this interface.

    Byte counts follow nccl-tests: *payload* is the size of the buffer the
    collective is named after (the full tensor for all_reduce, the gathered
    result for all_gather, the unscattered input for reduce_scatter, the
    per-rank buffer for all_to_all, permute and broadcast) and *bus bytes*
    are what a bandwidth-optimal algorithm sends per rank.
  }];
  let methods = [
    InterfaceMethod<"The grid the group lives on.",
      "::mlir::FlatSymbolRefAttr", "getGridSymbol", (ins),
      [{ return $_op.getGridAttr(); }]>,
    InterfaceMethod<"Grid axes forming the group, slowest-varying first.",
      "::llvm::ArrayRef<int16_t>", "getGroupAxes", (ins),
      [{ return $_op.getAxes(); }]>,
    InterfaceMethod<"The value being communicated.",
      "::mlir::Value", "getCommunicatedValue", (ins),
      [{ return $_op.getInput(); }]>,
    InterfaceMethod<[{
        How contributions are combined, or nothing for collectives that only
        move data.
      }], "std::optional<::mlir::braid::ReductionKind>", "getReductionKind",
      (ins), /*methodBody=*/[{}],
      /*defaultImplementation=*/[{ return std::nullopt; }]>,
    InterfaceMethod<[{
        Payload size in bytes (see the interface description); failure for
        dynamic shapes.
      }], "::mlir::FailureOr<int64_t>", "getPayloadBytes", (ins)>,
    InterfaceMethod<[{
        nccl-tests bus-bandwidth factor: bytes a bandwidth-optimal algorithm
        sends per rank divided by the payload, for a group of `groupSize`.
      }], "double", "getBusFactor", (ins "int64_t":$groupSize)>,
  ];
  let extraSharedClassDeclaration = [{
    /// Number of ranks in the group, or failure when the grid cannot be
    /// found or an axis is dynamic.
    ::mlir::FailureOr<int64_t> getGroupSize(
        ::mlir::SymbolTableCollection *symbolTables = nullptr) {
      return ::mlir::braid::getGroupSize($_op, $_op.getGridSymbol(),
                                         $_op.getGroupAxes(), symbolTables);
    }
    /// Bytes sent per rank by a bandwidth-optimal algorithm.
    ::mlir::FailureOr<int64_t> getBusBytes(
        ::mlir::SymbolTableCollection *symbolTables = nullptr) {
      ::mlir::FailureOr<int64_t> size = getGroupSize(symbolTables);
      ::mlir::FailureOr<int64_t> payload = $_op.getPayloadBytes();
      if (::mlir::failed(size) || ::mlir::failed(payload))
        return ::mlir::failure();
      return static_cast<int64_t>(
          static_cast<double>(*payload) * $_op.getBusFactor(*size));
    }
  }];
}

def Braid_CommandCollectiveOpInterface
    : OpInterface<"CommandCollectiveOpInterface"> {
  let cppNamespace = "::mlir::braid";
  let description = [{
    A collective on buffers (`braid.cmd.*`): reads `source`, writes
    `target`, within the group formed by grid axes. The buffer level's
    consumers (the interpreter, the lowering, timing variants) see every
    such collective through this interface.
  }];
  let methods = [
    InterfaceMethod<"The buffer the collective reads.",
      "::mlir::TypedValue<::mlir::MemRefType>", "getSourceBuffer", (ins),
      [{ return $_op.getSource(); }]>,
    InterfaceMethod<"The buffer the collective writes.",
      "::mlir::TypedValue<::mlir::MemRefType>", "getTargetBuffer", (ins),
      [{ return $_op.getTarget(); }]>,
  ];
}

def Braid_CostOpInterface : OpInterface<"CostOpInterface"> {
  let cppNamespace = "::mlir::braid";
  let description = [{
    Work an op does on one rank, independent of hardware: floating-point
    operations (a multiply-add counts 2) and bytes read and written at its
    operand/result boundary. The cost model turns these into time with a
    hardware profile. Attached to braid's ops directly and to the upstream
    ops Braid uses as external models (`registerUpstreamCostModels`).
  }];
  let methods = [
    InterfaceMethod<[{
        The op's work, or failure when it depends on a dynamic shape.
      }], "::mlir::FailureOr<::mlir::braid::OpCost>", "getCost", (ins)>,
  ];
}

#endif // BRAID_DIALECT_BRAID_IR_BRAIDINTERFACES_TD
