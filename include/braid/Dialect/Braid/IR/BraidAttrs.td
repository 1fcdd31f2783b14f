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

#endif // BRAID_DIALECT_BRAID_IR_BRAIDATTRS_TD
