//===- BraidTypes.td - braid types ---------------------------*- tablegen -*-===//

#ifndef BRAID_DIALECT_BRAID_IR_BRAIDTYPES_TD
#define BRAID_DIALECT_BRAID_IR_BRAIDTYPES_TD

include "braid/Dialect/Braid/IR/BraidDialect.td"
include "mlir/IR/AttrTypeBase.td"

def Braid_FutureType : TypeDef<Braid_Dialect, "Future"> {
  let mnemonic = "future";
  let summary = "a !braid.future: values a stream is still computing";
  let description = [{
    The result of `braid.start`: the values its body yields, not yet ready.
    The only way to read them is `braid.await`, which makes the awaiting
    stream wait for the producing one.

    ```mlir
    !braid.future<tensor<64x128xf32>>
    !braid.future<tensor<8xf32>, tensor<8xi32>>
    ```
  }];
  let parameters = (ins ArrayRefParameter<"::mlir::Type", "value types">:$valueTypes);
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
}

def Braid_EventType : TypeDef<Braid_Dialect, "Event"> {
  let mnemonic = "event";
  let summary = "a !braid.event: the completion of work launched on a stream";
  let description = [{
    Buffer level. `braid.cmd.launch` returns one; `braid.cmd.wait` makes the
    host stream wait for it (CUDA's event record / wait).

    ```mlir
    %done = braid.cmd.launch stream = 1 { ... }
    braid.cmd.wait %done
    ```
  }];
}

def Braid_CounterType : TypeDef<Braid_Dialect, "Counter"> {
  let mnemonic = "counter";
  let summary = "a !braid.counter: a producer's releases that a collective waits on";
  let description = [{
    Buffer level. A monotonic 64-bit counter of the program, made by
    `braid.cmd.counter`: `braid.cmd.chunked_compute` raises it as the chunks
    of its output are stored (release) and a triggered collective waits for
    each chunk's value before it sends the chunk (acquire). It starts at 0
    and is never reset; `braid.cmd.next_epoch` gives each producer /
    collective pair the epoch its values are offset by, so a later step's
    (or loop iteration's) waits are never satisfied by an earlier one's
    releases.

    ```mlir
    %counter = braid.cmd.counter : !braid.counter
    ```
  }];
}

#endif // BRAID_DIALECT_BRAID_IR_BRAIDTYPES_TD
