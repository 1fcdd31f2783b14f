//===- BraidAttrs.td - braid enums and attributes ------------*- tablegen -*-===//

#ifndef BRAID_DIALECT_BRAID_IR_BRAIDATTRS_TD
#define BRAID_DIALECT_BRAID_IR_BRAIDATTRS_TD

include "braid/Dialect/Braid/IR/BraidDialect.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"

def Braid_ReductionKind : I32EnumAttr<"ReductionKind",
    "how a collective combines the contributions of the ranks", [
      I32EnumAttrCase<"Sum", 0, "sum">,
      I32EnumAttrCase<"Prod", 1, "prod">,
      I32EnumAttrCase<"Min", 2, "min">,
      I32EnumAttrCase<"Max", 3, "max">,
      I32EnumAttrCase<"And", 4, "and">,
      I32EnumAttrCase<"Or", 5, "or">,
      I32EnumAttrCase<"Xor", 6, "xor">
    ]> {
  let cppNamespace = "::mlir::braid";
}

def Braid_ActivationKind : I32EnumAttr<"ActivationKind",
    "element-wise activation function", [
      I32EnumAttrCase<"Silu", 0, "silu">,
      I32EnumAttrCase<"Gelu", 1, "gelu">,
      I32EnumAttrCase<"GeluTanh", 2, "gelu_tanh">,
      I32EnumAttrCase<"Relu", 3, "relu">,
      I32EnumAttrCase<"Sigmoid", 4, "sigmoid">
    ]> {
  let cppNamespace = "::mlir::braid";
}

def Braid_ScatterKind : I32EnumAttr<"ScatterKind",
    "how braid.scatter combines an update with the value it lands on", [
      I32EnumAttrCase<"Replace", 0, "replace">,
      I32EnumAttrCase<"Add", 1, "add">
    ]> {
  let cppNamespace = "::mlir::braid";
}

def Braid_DecompositionForm : I32EnumAttr<"DecompositionForm",
    "how a collective matmul is cut", [
      I32EnumAttrCase<"Ring", 0, "ring">,
      I32EnumAttrCase<"BidirectionalRing", 1, "bidirectional_ring">,
      I32EnumAttrCase<"Chunks", 2, "chunks">
    ]> {
  let cppNamespace = "::mlir::braid";
  let genSpecializedAttr = 0;
}

def Braid_TriggerKind : I32EnumAttr<"TriggerKind",
    "what releases a piece of a fused producer's output to its collective", [
      I32EnumAttrCase<"Chunk", 0, "chunk">,
      I32EnumAttrCase<"Tile", 1, "tile">
    ]> {
  let cppNamespace = "::mlir::braid";
  let genSpecializedAttr = 0;
}

def Braid_FusionOrder : I32EnumAttr<"FusionOrder",
    "the order a fused producer computes its output in", [
      I32EnumAttrCase<"Ring", 0, "ring">,
      I32EnumAttrCase<"Arrival", 1, "arrival">
    ]> {
  let cppNamespace = "::mlir::braid";
}

class Braid_Attr<string name, string attrMnemonic, list<Trait> traits = []>
    : AttrDef<Braid_Dialect, name, traits> {
  let mnemonic = attrMnemonic;
}

def Braid_DeviceOrderAttr : Braid_Attr<"DeviceOrder", "device_order"> {
  let summary = "device of each flattened position of a permuted grid";
  let description = [{
    Attached to an upstream `shard.grid` as the discardable attribute
    `braid.device_order` when the grid's devices are not in natural order
    (JAX: `sdy.mesh @m = <["x"=2, "y"=2], device_ids=[3,2,1,0]>`). Entry `i`
    is the device (runtime rank) at row-major grid position `i`. Group
    positions, `braid.rank` and every collective's `pairs`/`root` are grid
    positions; only the runtime maps them to devices through this order.

    ```mlir
    shard.grid @mesh(shape = 2x2) {braid.device_order = #braid.device_order<[3, 2, 1, 0]>}
    ```
  }];
  let parameters = (ins ArrayRefParameter<"int64_t">:$devices);
  let assemblyFormat = "`<` `[` $devices `]` `>`";
  let genVerifyDecl = 1;
}

def Braid_TargetAttr : Braid_Attr<"Target", "target"> {
  let summary = "the machine a module is compiled for, set once";
  let description = [{
    The hardware target of a module: a hardware profile by name, optionally
    with parameters that override the named profile's (or, for a name that
    is no known profile, define all of it). Written as the discardable
    module attribute `braid.target`, by hand or by `braid-set-target`, and
    read by every pass that decides (decomposition, scheduling), by
    `braid-estimate`, and by the lowering and the runtime; no pass takes a
    profile option of its own.

    Parameters mirror the profile file (`bench/profiles/*.json`) without the
    `{value, source}` wrapping: `compute`, `links` and `policies`
    dictionaries of numbers (and `algorithms` arrays of strings). The
    policies are the decisions' thresholds: `min_gain` (smallest predicted
    saving, as a fraction of the time as written, that a cut must reach;
    0.05 by default) and `stream_switch_cost` (seconds an op must take on
    another stream to be worth the event record and wait; twice the
    kernel overhead by default).

    ```mlir
    module attributes {braid.target = #braid.target<"h100-sxm-x8">} {}
    module attributes {braid.target = #braid.target<"cpu-1gbe",
        {policies = {min_gain = 0.0}, links = {comm_sms = 1}}>} {}
    ```

    Profile names are looked up in `$BRAID_PROFILE_PATH` (directories
    separated by `:`), then in `share/braid/profiles` next to the tools,
    then in the source tree's `bench/profiles`; a name ending in `.json` is
    a file path.
  }];
  let parameters = (ins "::mlir::StringAttr":$profile,
                        OptionalParameter<"::mlir::DictionaryAttr">:$parameters);
  let assemblyFormat = "`<` $profile (`,` $parameters^)? `>`";
}

def Braid_DecompositionPlanAttr
    : Braid_Attr<"DecompositionPlan", "decomposition"> {
  let summary = "how a collective matmul is to be cut";
  let description = [{
    The decision of `braid-decompose-collective-matmul`, recorded on the
    collective (`all_gather`, `reduce_scatter` or `all_reduce`) as the
    discardable attribute `braid.decomposition` before the rewrite applies
    it. A plan written by hand is applied as written, without asking the
    cost model, so tests and users can pin a decision.

    - `form = ring`: the collective's own ring, one step per group member
      (`count` = group size): the all_gather ring, or the T3 reduce-scatter
      ring (followed by an all_gather for an all_reduce).
    - `form = bidirectional_ring` (all_gather, P > 2): shards travel both
      ways and meet half way (`count` = group size).
    - `form = chunks` (all_reduce): the matmul cut into `count` row chunks,
      each all-reduced as soon as it is computed.
    - `wire`: the element type partial sums travel in (reduce-scatter and
      all-reduce rings); absent: the matmul's accumulator type.

    ```mlir
    %r = braid.reduce_scatter %y on @tp axes = [0] dim = 0 reduction = sum
           {braid.decomposition = #braid.decomposition<form = ring, count = 4,
                                                       wire = bf16>}
           : tensor<64x32xf32> -> tensor<16x32xf32>
    ```
  }];
  let parameters = (ins
    EnumParameter<Braid_DecompositionForm>:$form,
    "int64_t":$count,
    OptionalParameter<"::mlir::Type">:$wire);
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
}

def Braid_TriggerAttr : Braid_Attr<"Trigger", "trigger"> {
  let summary = "when a fused producer hands a piece of its output to its collective";
  let description = [{
    The schedule of a `braid.fused_collective`: what piece of the producer's
    output, once computed, releases its communication.

    - `#braid.trigger<chunk, count = C>`: the output is cut into `C` chunks
      along the collective's dimension; each chunk's communication starts
      when the chunk is done. For a reduce_scatter or all_reduce ring `C`
      is a multiple of the group size (`C / P` chunks per ring step); for
      an all_gather the shard is sent in `C` pieces.
    - `#braid.trigger<tile, m = M, n = N, threshold = T>`: the producer
      computes `M x N` output tiles (over the last two dimensions) in the
      collective's order; every `T` finished tiles of a chunk release their
      rows (a chunk's last tiles release the rest). Needs a producer that
      signals per tile (Braid's own GEMM on GPU).

    Also the plan attribute `braid.fusion` that `braid-fuse-producer-collective`
    records on a collective (and a user may write by hand).

    ```mlir
    %r = braid.reduce_scatter %y on @tp axes = [0] dim = 0 reduction = sum
           {braid.fusion = #braid.trigger<tile, m = 128, n = 128, threshold = 4>}
           : tensor<1024x512xf32> -> tensor<256x512xf32>
    ```
  }];
  let parameters = (ins EnumParameter<Braid_TriggerKind>:$kind,
                        DefaultValuedParameter<"int64_t", "0">:$count,
                        DefaultValuedParameter<"int64_t", "0">:$m,
                        DefaultValuedParameter<"int64_t", "0">:$n,
                        DefaultValuedParameter<"int64_t", "0">:$threshold);
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
  let builders = [
    AttrBuilder<(ins "int64_t":$count), [{
      return $_get($_ctxt, ::mlir::braid::TriggerKind::Chunk, count, 0, 0, 0);
    }]>,
    AttrBuilder<(ins "int64_t":$m, "int64_t":$n, "int64_t":$threshold), [{
      return $_get($_ctxt, ::mlir::braid::TriggerKind::Tile, 0, m, n,
                   threshold);
    }]>
  ];
  let extraClassDeclaration = [{
    bool isChunk() const { return getKind() == ::mlir::braid::TriggerKind::Chunk; }
    bool isTile() const { return getKind() == ::mlir::braid::TriggerKind::Tile; }
  }];
}

#endif // BRAID_DIALECT_BRAID_IR_BRAIDATTRS_TD
