"""ONNX -> Braid IR (one func.func = what one rank runs).

The model is read with the `onnx` package (onnx.load, version_converter,
shape inference). Every node is lowered in graph order; values known at
import time (Constant, Shape, small initializers and what is computed from
them) are folded with onnx's reference evaluator. With --tp N the graph is
sharded Megatron-style (see docs/Import-ONNX.md): every value carries a
sharding state -- replicated, split along one dim, or a partial sum -- and
each lowering says what it accepts; anything else is made replicated with a
collective.
"""
from __future__ import annotations

import math
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper, shape_inference, version_converter

from braid.ir_text import NUMPY_ELT, Emitter, is_float, numpy_type, scalar_literal, tensor_type
from braid.ir_text import Val as IRVal

# Default-domain opsets the lowering implements natively; older models from
# MIN_CONVERTIBLE_OPSET up are brought to MIN_NATIVE_OPSET with onnx's
# version converter.
MIN_CONVERTIBLE_OPSET = 7
MIN_NATIVE_OPSET = 18
MAX_OPSET = onnx.defs.onnx_opset_version()

# Floating-point initializers with more elements than this become
# (per-rank) function arguments -- the weights; smaller ones and integer
# initializers (shapes, positions, indices) are constants.
WEIGHT_MIN_ELEMENTS = 16
# Folded results larger than this are computed at run time instead.
FOLD_MAX_ELEMENTS = 4096

SUPPORTED = {
    "MatMul", "Gemm", "Add", "Sub", "Mul", "Div", "Pow", "Sqrt", "Reciprocal",
    "Neg", "Exp", "Tanh", "Erf", "Sigmoid", "Relu", "Gelu", "Softmax",
    "LayerNormalization", "RMSNormalization", "Reshape", "Transpose",
    "Concat", "Split", "Slice", "Gather", "Unsqueeze", "Squeeze", "Cast",
    "Where", "Equal", "Less", "Greater", "Constant", "ConstantOfShape",
    "Shape", "Expand", "Trilu", "ReduceMean", "ReduceSum", "ReduceMax",
    "Identity", "Attention", "Sin", "Cos", "Abs", "Log", "Max", "Min", "Clip",
    "Flatten", "DynamicQuantizeLinear", "MatMulInteger", "QuantizeLinear",
    "DequantizeLinear",
}

# Ops that take uint8 operands (quantized tensors): layout ops move them,
# the quantization ops read them. Any other op with a uint8 operand is an
# error naming the type and the node.
UINT8_OK = {"Reshape", "Transpose", "Squeeze", "Unsqueeze", "Flatten", "Gather",
            "Concat", "Slice", "Split", "Identity", "Expand", "Cast",
            "DequantizeLinear", "MatMulInteger", "QuantizeLinear"}

# Ops never folded at import time although their operands are constants:
# a quantized weight stays 8-bit in the program and is dequantized there
# (folding would store it as f32, four times the bytes).
NEVER_FOLD = {"DequantizeLinear"}


# Ops that take a blocked split (fused QKV) as is.
BLOCK_OK = {"Add", "Sub", "Mul", "Div", "Pow", "Where", "Equal", "Less", "Greater",
            "Cast", "Identity", "Neg", "Sqrt", "Exp", "Tanh", "Erf", "Sigmoid",
            "Relu", "Gelu", "Reciprocal", "Split", "Sin", "Cos", "Abs", "Log",
            "Max", "Min", "Clip"}


class ImportError_(Exception):
    pass


class NodeError(Exception):
    pass


class Val:
    __slots__ = ("ssa", "shape", "et", "const", "state", "origins", "weight", "sqrt_of")

    def __init__(self, shape, et, ssa=None, const=None, state=None,
                 origins=frozenset(), weight=None):
        self.shape = tuple(int(d) for d in shape)
        self.et = et
        self.ssa = ssa
        self.const = const
        # None | ('S', dim) | ('S', dim, blocks) | ('P',). With blocks k the
        # split dim is k equal blocks (a fused QKV projection) and a rank
        # holds its chunk of every block, concatenated.
        self.state = state
        self.origins = frozenset(origins)
        self.weight = weight
        self.sqrt_of = None   # x when this value is sqrt(x) (for rsqrt)

    @property
    def split(self):
        return self.state[1] if self.state and self.state[0] == "S" else None

    @property
    def blocks(self):
        return self.state[2] if self.state and len(self.state) > 2 else 1


def band_of(mask):
    """(k, lower) when the bool mask is, over its last two dims (i, j) and
    the same for every leading index, `j - i <= k` (lower) or `j - i >= k`."""
    n, m = mask.shape[-2:]
    flat = mask.reshape(-1, n, m)
    if not np.all(flat == flat[0]):
        return None
    M = flat[0].astype(bool)
    D = np.arange(m)[None, :] - np.arange(n)[:, None]
    if not M.any() or M.all():
        return None
    k = int(D[M].max())
    if np.array_equal(M, D <= k):
        return k, True
    k = int(D[M].min())
    if np.array_equal(M, D >= k):
        return k, False
    return None


def split_state(d, blocks=1):
    return ("S", d) if blocks == 1 else ("S", d, blocks)


def slice_blocks(arr, axis, parts, blocks, r):
    """Rank r's piece of arr split along axis into parts, blockwise."""
    n = arr.shape[axis]
    bsz = n // blocks
    c = bsz // parts
    pieces = []
    for b in range(blocks):
        sl = [slice(None)] * arr.ndim
        sl[axis] = slice(b * bsz + r * c, b * bsz + (r + 1) * c)
        pieces.append(arr[tuple(sl)])
    return np.ascontiguousarray(np.concatenate(pieces, axis=axis))


def onnx_type_name(onnx_type: int) -> str:
    """FLOAT, INT64, ...; NodeError for a number that is no ONNX type."""
    if onnx_type == TensorProto.UNDEFINED or \
            onnx_type not in TensorProto.DataType.values():
        raise NodeError(f"element type {onnx_type} is not an ONNX element type")
    return TensorProto.DataType.Name(onnx_type)


def onnx_itemsize(onnx_type: int) -> int:
    """Bytes per element (1 for the types numpy cannot hold, e.g. STRING)."""
    try:
        return np.dtype(helper.tensor_dtype_to_np_dtype(onnx_type)).itemsize
    except (KeyError, TypeError, ValueError):
        return 1


def elem_of(onnx_type: int) -> str:
    type_name = onnx_type_name(onnx_type)
    try:
        name = np.dtype(helper.tensor_dtype_to_np_dtype(onnx_type)).name
    except (KeyError, TypeError, ValueError):
        name = type_name
    if name not in NUMPY_ELT:
        raise NodeError(f"element type {name} is not supported")
    return NUMPY_ELT[name]


# The largest tensor accepted: its bytes must be addressable with a signed
# 64-bit offset, as MLIR's shapes and braid-interp count them.
MAX_TENSOR_BYTES = 2 ** 63 - 1


def check_shape(dims, onnx_type: int, what: str):
    """Raises NodeError unless `dims` are valid sizes (>= 0) of a tensor
    whose bytes fit in MAX_TENSOR_BYTES."""
    for i, d in enumerate(dims):
        if d < 0:
            raise NodeError(f"{what}: dimension {i} is {d}; a size cannot be negative")
    nbytes = math.prod(dims) * onnx_itemsize(onnx_type)
    if nbytes > MAX_TENSOR_BYTES:
        raise NodeError(f"{what}: shape {list(dims)} of {onnx_type_name(onnx_type)} is "
                        f"{nbytes} bytes, more than the limit of 2^63 - 1")


def initializer_array(t: onnx.TensorProto) -> np.ndarray:
    """The initializer's data; NodeError when its type, dims and data
    disagree (to_array's ValueError/KeyError would be a traceback)."""
    what = f"initializer '{t.name}'"
    try:
        type_name = onnx_type_name(t.data_type)
    except NodeError as e:
        raise NodeError(f"{what}: {e}") from None
    check_shape(list(t.dims), t.data_type, what)
    try:
        return numpy_helper.to_array(t)
    except (ValueError, TypeError, KeyError, IndexError) as e:
        raise NodeError(f"{what}: its data does not match its dims {list(t.dims)} and "
                        f"type {type_name} ({e})") from None


def bcast_shape(*shapes):
    try:
        return tuple(np.broadcast_shapes(*[tuple(s) for s in shapes]))
    except ValueError as e:
        raise NodeError(f"shapes {list(map(list, shapes))} do not broadcast") from e


def load_model(path: str, dims: dict | None = None) -> onnx.ModelProto:
    """Load, check the opset, convert 7-17 to 18, give symbolic input dims
    the sizes in `dims` (name -> size), infer shapes."""
    try:
        model = onnx.load(path)
    except Exception as e:  # noqa: BLE001 - any parse failure
        raise ImportError_(f"{path}: error: cannot parse ONNX model: {e}") from e
    if dims:
        used = set()
        for vi in list(model.graph.input) + list(model.graph.output):
            if not vi.type.HasField("tensor_type"):
                continue
            for d in vi.type.tensor_type.shape.dim:
                if d.HasField("dim_param") and d.dim_param in dims:
                    used.add(d.dim_param)
                    d.dim_value = int(dims[d.dim_param])
        unknown = sorted(set(dims) - used)
        if unknown:
            raise ImportError_(f"{path}: error: --dim {', '.join(unknown)}: no graph "
                               f"input or output has such a symbolic dimension")
        # intermediate shapes are inferred again from the static inputs
        del model.graph.value_info[:]
    if not model.graph.node and not model.graph.output:
        raise ImportError_(f"{path}: error: not an ONNX model (empty graph)")
    opset = None
    for imp in model.opset_import:
        if imp.domain in ("", "ai.onnx"):
            opset = imp.version
    if opset is None:
        raise ImportError_(f"{path}: error: model imports no default-domain opset")
    if opset < MIN_CONVERTIBLE_OPSET or opset > MAX_OPSET:
        raise ImportError_(
            f"{path}: error: opset {opset} is not supported (supported: "
            f"{MIN_CONVERTIBLE_OPSET} to {MAX_OPSET}; {MIN_CONVERTIBLE_OPSET}-"
            f"{MIN_NATIVE_OPSET - 1} are converted to {MIN_NATIVE_OPSET})")
    if opset < MIN_NATIVE_OPSET:
        try:
            model = version_converter.convert_version(model, MIN_NATIVE_OPSET)
        except Exception as e:  # noqa: BLE001
            raise ImportError_(
                f"{path}: error: cannot convert opset {opset} to "
                f"{MIN_NATIVE_OPSET}: {e}") from e
    try:
        model = shape_inference.infer_shapes(model, data_prop=True)
    except Exception as e:  # noqa: BLE001
        raise ImportError_(f"{path}: error: shape inference failed: {e}") from e
    return model


class Importer:
    def __init__(self, model: onnx.ModelProto, path: str, tp: int = 1,
                 sequence_parallel: bool = False, plan: dict | None = None,
                 func_name: str | None = None, bind: dict | None = None,
                 plan_path: str = "plan"):
        self.model = model
        # graph inputs bound to values at import time (shape operands)
        self.bind = dict(bind or {})
        self.path = path
        self.tp = tp
        self.sp = sequence_parallel and tp > 1
        self.plan = plan or {}
        self.graph = model.graph
        self.opset = next(i.version for i in model.opset_import
                          if i.domain in ("", "ai.onnx"))
        self.func_name = func_name or "main"
        # element counts of the values shape inference gave a static shape
        self.inferred_sizes = {}
        for vi in list(self.graph.value_info) + list(self.graph.output):
            dims = vi.type.tensor_type.shape.dim
            if vi.type.HasField("tensor_type") and all(d.HasField("dim_value") for d in dims):
                self.inferred_sizes[vi.name] = math.prod(d.dim_value for d in dims)
        self.inits = {}
        errors = []
        for t in self.graph.initializer:
            try:
                self.inits[t.name] = initializer_array(t)
            except NodeError as e:
                errors.append(f"{path}: error: {e}")
        if errors:
            raise ImportError_("\n".join(errors))
        self.demoted: set[str] = set()
        self.check_plan(plan_path)

    def check_plan(self, where):
        """The plan file: {"weights": {NAME: "column"|"row"|"replicated"},
        "inputs": {NAME: {"split": DIM or null}}}."""
        errs = []
        for key in self.plan:
            if key not in ("weights", "inputs"):
                errs.append(f"unknown key '{key}' (expected 'weights', 'inputs')")
        for name, mode in self.plan.get("weights", {}).items():
            if name not in self.inits:
                errs.append(f"weight '{name}' is not an initializer of the model")
            elif mode not in ("column", "row", "replicated"):
                errs.append(f"weight '{name}': mode must be column, row or "
                            f"replicated, not '{mode}'")
        graph_inputs = {i.name: i for i in self.graph.input}
        for name, spec in self.plan.get("inputs", {}).items():
            if name not in graph_inputs or name in self.inits:
                errs.append(f"input '{name}' is not a graph input")
            elif not isinstance(spec, dict) or set(spec) - {"split"}:
                errs.append(f"input '{name}': expected {{\"split\": DIM or null}}")
            else:
                rank = len(graph_inputs[name].type.tensor_type.shape.dim)
                d = spec.get("split")
                if d is not None and (not isinstance(d, int) or not 0 <= d < rank):
                    errs.append(f"input '{name}': split {d} is not a dim of a rank-{rank} tensor")
        if errs:
            raise ImportError_("\n".join(f"{where}: error: {e}" for e in errs))

    # ------------------------------------------------------------------ driver
    def find_fused_blocks(self):
        """Weights of projections whose output is Split into k equal parts
        along the last dim (fused QKV, fused gate/up): weight -> k."""
        producers = {o: n for n in self.graph.node for o in n.output}
        ranks = {}
        for vi in list(self.graph.value_info) + list(self.graph.input) + list(self.graph.output):
            if vi.type.HasField("tensor_type") and vi.type.tensor_type.HasField("shape"):
                ranks[vi.name] = len(vi.type.tensor_type.shape.dim)
        out = {}
        for n in self.graph.node:
            if n.op_type != "Split" or n.input[0] not in ranks:
                continue
            rank = ranks[n.input[0]]
            axis = next((helper.get_attribute_value(a) for a in n.attribute
                         if a.name == "axis"), 0) % rank
            k = len(n.output)
            sizes = None
            if len(n.input) > 1 and n.input[1] in self.inits:
                sizes = self.inits[n.input[1]].tolist()
            sizes = sizes or next((list(helper.get_attribute_value(a)) for a in n.attribute
                                   if a.name == "split"), None)
            if axis != rank - 1 or k < 2 or (sizes and len(set(sizes)) != 1):
                continue
            t = n.input[0]
            while t in producers:
                p = producers[t]
                if p.op_type in ("MatMul", "Gemm"):
                    if len(p.input) > 1 and p.input[1] in self.inits:
                        out[p.input[1]] = k
                    break
                if p.op_type == "Add":
                    t = next((i for i in p.input if i not in self.inits), None)
                elif p.op_type in ("Identity", "Cast"):
                    t = p.input[0]
                else:
                    break
        return out

    def constant_nodes(self):
        """Nodes whose operands are all known at import time (constants,
        small or integer initializers, bound inputs, Shape of anything):
        any default-domain op among them is folded, supported or not."""
        known = {n for n, a in self.inits.items()
                 if a.size <= WEIGHT_MIN_ELEMENTS or a.dtype.kind != "f"}
        known |= set(self.bind)
        out = set()
        for i, node in enumerate(self.graph.node):
            if node.domain not in ("", "ai.onnx"):
                continue
            if node.op_type in ("Constant", "Shape", "Size") or \
                    all(not n or n in known for n in node.input):
                out.add(i)
                known.update(node.output)
        return out

    def precheck(self):
        self.fused_blocks = self.find_fused_blocks()
        self.foldable = self.constant_nodes()
        errors = []
        defined = {i.name for i in self.graph.input} | set(self.inits) | \
            {o for n in self.graph.node for o in n.output if o}
        for out in self.graph.output:
            if out.name not in defined:
                errors.append(f"{self.path}: error: graph output '{out.name}' is not produced "
                              f"by any node, nor a graph input or initializer")
        for i, node in enumerate(self.graph.node):
            if node.domain not in ("", "ai.onnx"):
                errors.append(self.node_msg(i, node, f"op domain '{node.domain}' is not supported"))
            elif node.op_type not in SUPPORTED and i not in self.foldable:
                errors.append(self.node_msg(i, node, f"unsupported op '{node.op_type}'"))
        if errors:
            raise ImportError_("\n".join(errors))

    def node_loc(self, i, node):
        """` loc("name"("model.onnx":i:0))`: remarks and errors about the
        ops of node i point at it (line = position in graph.node)."""
        def q(t):
            return t.replace("\\", "\\\\").replace('"', '\\"')
        name = q(node.name or node.op_type)
        return f' loc("{name}"("{q(os.path.basename(self.path))}":{i}:0))'

    def node_msg(self, i, node, msg):
        return (f"{self.path}: node {i} ('{node.name or '<unnamed>'}', "
                f"{node.op_type}): error: {msg}")

    def run(self) -> str:
        self.precheck()
        for _ in range(len(self.inits) + 2):
            before = set(self.demoted)
            text = self.emit_all()
            if self.demoted == before:
                return text
        return text

    def emit_all(self) -> str:
        self.e = Emitter(indent="    ", hoist=True, reshape_chains=False)
        self.env: dict[str, Val] = {}
        self.args: list[tuple[str, Val, dict]] = []   # (ssa, local val, manifest entry)
        self.weight_args: dict = {}
        self.rank_ssa = None
        self.memo_table = {}
        errors = []
        poisoned: set[str] = set()
        for inp in self.graph.input:
            if inp.name in self.inits:
                continue
            if inp.name in self.bind:
                arr = np.asarray(self.bind[inp.name])
                self.env[inp.name] = Val(arr.shape, NUMPY_ELT.get(arr.dtype.name, "?"), const=arr)
                continue
            self.add_input(inp)
        for name, arr in self.inits.items():
            if name in self.env:
                continue
            et = NUMPY_ELT.get(arr.dtype.name)
            if et is None:
                self.env[name] = Val(arr.shape, "?", const=arr)
                continue
            if arr.size > WEIGHT_MIN_ELEMENTS and is_float(et):
                self.env[name] = Val(arr.shape, et, weight=name)
            else:
                self.env[name] = Val(arr.shape, et, const=arr)
        for i, node in enumerate(self.graph.node):
            if any(n in poisoned for n in node.input if n):
                poisoned.update(node.output)
                continue
            try:
                ins = []
                for n in node.input:
                    if not n:
                        ins.append(None)
                    elif n not in self.env:
                        raise NodeError(f"input '{n}' is not defined")
                    else:
                        ins.append(self.env[n])
                self.e.comment(f"node {i}: {node.op_type} '{node.name}'")
                self.e.loc = self.node_loc(i, node)
                outs = self.lower(node, ins)
                for name, v in zip(node.output, outs):
                    if name:
                        self.env[name] = v
            except NodeError as err:
                errors.append(self.node_msg(i, node, str(err)))
                poisoned.update(node.output)
            except (ValueError, TypeError, KeyError, IndexError, AttributeError,
                    AssertionError, ZeroDivisionError) as err:
                errors.append(self.node_msg(
                    i, node, f"cannot lower ({type(err).__name__}: {err})"))
                poisoned.update(node.output)
        if errors:
            raise ImportError_("\n".join(errors))
        self.e.loc = ""
        results = []
        self.result_manifest = []
        for k, out in enumerate(self.graph.output):
            v = self.env[out.name]
            if v.et == "?":
                dtype = v.const.dtype.name if v.const is not None else "unknown"
                raise ImportError_(
                    f"{self.path}: error: output '{out.name}' has element type {dtype}, "
                    f"which is not supported")
            # a token-split result of sequence parallelism is returned split
            if not (self.sp and v.split is not None and not v.origins
                    and v.state[1] == self.token_dim(v)):
                v = self.to_R(v)
            ssa = self.ssa(v)
            results.append((ssa, v))
            self.result_manifest.append({
                "index": k, "name": out.name, "dtype": self.np_name(v.et),
                "shape": list(v.shape), "local_shape": list(self.local(v)),
                "split": None if v.split is None else {"axis": v.split, "parts": self.tp}})
        # header
        arg_text = ", ".join(f"{a}: {tensor_type(self.local(lv), lv.et)}"
                             for a, lv, _ in self.args)
        res_types = ", ".join(tensor_type(self.local(v), v.et) for _, v in results)
        lines = []
        lines.append(f"// Imported from {os.path.basename(self.path)} by braid-import-onnx"
                     f" (opset {self.opset}, tp {self.tp}"
                     f"{', sequence parallel' if self.sp else ''}).")
        if self.tp > 1:
            lines.append(f"shard.grid @tp(shape = {self.tp})")
        lines.append(f"func.func @{self.func_name}({arg_text}) -> ({res_types}) {{")
        body = self.e.text()
        if body:
            lines.append(body)
        lines.append(f"    return {', '.join(s for s, _ in results)} : {res_types}")
        lines.append("}")
        self.manifest = {
            "model": os.path.basename(self.path), "opset": self.opset,
            "tp": self.tp, "sequence_parallel": self.sp, "function": self.func_name,
            "arguments": [m for _, _, m in self.args], "results": self.result_manifest}
        return "\n".join(lines) + "\n"

    @staticmethod
    def np_name(et):
        return {v: k for k, v in NUMPY_ELT.items()}[et]

    def add_input(self, inp):
        tt = inp.type.tensor_type
        if not inp.type.HasField("tensor_type"):
            raise ImportError_(f"{self.path}: error: input '{inp.name}' is not a tensor")
        try:
            et = elem_of(tt.elem_type)
        except NodeError as e:
            raise ImportError_(f"{self.path}: error: input '{inp.name}': {e}") from None
        shape = []
        for d in tt.shape.dim:
            if not d.HasField("dim_value"):
                what = f"'{d.dim_param}'" if d.dim_param else "(unnamed)"
                raise ImportError_(f"{self.path}: error: input '{inp.name}' has a "
                                   f"dynamic dimension {what}; give its size with "
                                   f"--dim {d.dim_param or 'NAME'}=N")
            shape.append(d.dim_value)
        try:
            check_shape(shape, tt.elem_type, f"input '{inp.name}'")
        except NodeError as e:
            raise ImportError_(f"{self.path}: error: {e}") from None
        ssa = f"%arg{len(self.args)}"
        state = None
        split = None
        plan_in = self.plan.get("inputs", {}).get(inp.name)
        if plan_in is not None and self.tp > 1:
            split = plan_in.get("split")
        elif self.sp and len(self.args) == 0 and len(shape) >= 2:
            split = len(shape) - 2 if is_float(et) else len(shape) - 1
        if split is not None and self.tp > 1:
            if shape[split] % self.tp:
                raise ImportError_(f"{self.path}: error: input '{inp.name}' dim {split} "
                                   f"({shape[split]}) does not divide by --tp {self.tp}")
            state = ("S", split)
        v = Val(shape, et, ssa=ssa, state=state)
        self.env[inp.name] = v
        self.args.append((ssa, v, {
            "index": len(self.args), "name": inp.name, "kind": "input",
            "dtype": self.np_name(et), "shape": list(shape),
            "local_shape": list(self.local(v)),
            "split": None if state is None else {"axis": split, "parts": self.tp}}))

    # ------------------------------------------------------------ sharding
    def local(self, v: Val):
        s = list(v.shape)
        if v.split is not None:
            s[v.split] //= self.tp
        return tuple(s)

    def token_dim(self, v):
        return len(v.shape) - 2 if is_float(v.et) else len(v.shape) - 1

    def weight_ssa(self, v: Val, axis=None, blocks=1) -> str:
        """The per-rank argument of a weight initializer, split along axis."""
        key = (v.weight, axis, blocks)
        if key in self.weight_args:
            return self.weight_args[key]
        arr = self.inits[v.weight]
        shape = list(arr.shape)
        if axis is not None:
            if shape[axis] % (self.tp * blocks):
                raise NodeError(f"weight '{v.weight}' dim {axis} ({shape[axis]}) does "
                                f"not divide by --tp {self.tp}"
                                + (f" x {blocks} blocks" if blocks > 1 else ""))
        lv = Val(shape, v.et, state=None if axis is None else split_state(axis, blocks))
        ssa = f"%arg{len(self.args)}"
        self.args.append((ssa, lv, {
            "index": len(self.args), "name": v.weight, "kind": "weight",
            "dtype": self.np_name(v.et), "shape": shape,
            "local_shape": list(self.local(lv)),
            "split": None if axis is None else dict(
                {"axis": axis, "parts": self.tp}, **({"blocks": blocks} if blocks > 1 else {}))}))
        self.weight_args[key] = ssa
        return ssa

    def ssa(self, v: Val) -> str:
        if v.ssa is None:
            if v.weight is not None:
                v.ssa = self.weight_ssa(v)
            elif v.const is not None:
                v.ssa = self.e.const_array(v.const, v.et).name
            else:
                raise NodeError("value without definition")
        return v.ssa

    def local_val(self, v: Val) -> IRVal:
        """This rank's part of v as an IR value (its local shape)."""
        return IRVal(self.ssa(v), self.local(v), v.et)

    def rank(self) -> str:
        if self.rank_ssa is None:
            self.rank_ssa = self.e.entry_op("braid.rank on @tp axes = [0] : index",
                                            None, "index").name
        return self.rank_ssa

    def memo(self, kind, v, fn):
        key = (kind, id(v))
        hit = self.memo_table.get(key)
        if hit is None:
            hit = (v, fn())
            self.memo_table[key] = hit
        return hit[1]

    def no_partial(self, v: Val) -> Val:
        if v.state is None or v.state[0] != "P":
            return v
        return self.memo("reduce", v, lambda: self._no_partial(v))

    def _no_partial(self, v: Val) -> Val:
        x = self.local_val(v)
        if self.sp:
            d = self.token_dim(v)
            if d >= 0 and v.shape[d] % self.tp == 0:
                out = list(v.shape)
                out[d] //= self.tp
                r = self.e.op(
                    f"braid.reduce_scatter {x.name} on @tp axes = [0] dim = {d} reduction = sum"
                    f" : {x.type} -> {tensor_type(out, v.et)}", out, v.et)
                return Val(v.shape, v.et, ssa=r.name, state=("S", d))
        r = self.e.op(f"braid.all_reduce {x.name} on @tp axes = [0] reduction = sum : {x.type}",
                      x.shape, v.et)
        return Val(v.shape, v.et, ssa=r.name)

    def to_R(self, v: Val) -> Val:
        v = self.no_partial(v)
        if v.split is None:
            return v
        if v.origins:
            self.demoted |= set(v.origins)
        return self.memo("gather", v, lambda: self._gather(v))

    def _gather(self, v: Val) -> Val:
        d = v.split
        x = self.local_val(v)
        r = self.e.op(f"braid.all_gather {x.name} on @tp axes = [0] dim = {d} : "
                      f"{x.type} -> {tensor_type(v.shape, v.et)}", v.shape, v.et)
        k = v.blocks
        if k > 1:
            # rank-major (rank, block, chunk) -> block-major (block, rank, chunk)
            c = v.shape[d] // (k * self.tp)
            pre, post = v.shape[:d], v.shape[d + 1:]
            five = pre + (self.tp, k, c) + post
            perm = list(range(len(five)))
            perm[d], perm[d + 1] = perm[d + 1], perm[d]
            t = self.e.transpose(self.e.reshape(r, five), perm)
            r = self.e.reshape(t, v.shape)
        return Val(v.shape, v.et, ssa=r.name)

    def unblock(self, v):
        return self.to_R(v) if v is not None and v.blocks > 1 else v

    def local_slice(self, v: Val, dim: int, blocks: int = 1) -> IRVal:
        """This rank's chunk of a replicated value along dim."""
        assert v.state is None
        if v.weight is not None:
            shape = list(v.shape)
            shape[dim] //= self.tp
            return IRVal(self.weight_ssa(v, dim, blocks), shape, v.et)
        if blocks > 1:
            return self.memo(("slice", dim, blocks), v,
                             lambda: self._local_slice_blocks(v, dim, blocks))
        return self.memo(("slice", dim), v, lambda: self._local_slice(v, dim))

    def _local_slice_blocks(self, v: Val, dim: int, k: int) -> IRVal:
        bsz = v.shape[dim] // k
        parts = []
        for b in range(k):
            st = [0] * len(v.shape)
            st[dim] = b * bsz
            sz = list(v.shape)
            sz[dim] = bsz
            blk = self.e.extract_slice(self.local_val(v), st, sz)
            parts.append(self._local_slice(Val(sz, v.et, ssa=blk.name), dim))
        return self.e.concat(parts, dim)

    def _local_slice(self, v: Val, dim: int) -> IRVal:
        n = v.shape[dim]
        if n % self.tp:
            raise NodeError(f"dim {dim} of size {n} does not divide by --tp {self.tp}")
        chunk = n // self.tp
        c = self.e.entry_op(f"arith.constant {chunk} : index", None, "index")
        off = self.e.op(f"arith.muli {self.rank()}, {c.name} : index", None, "index")
        offsets = [off.name if i == dim else 0 for i in range(len(v.shape))]
        sizes = [chunk if i == dim else s for i, s in enumerate(v.shape)]
        return self.e.extract_slice(self.local_val(v), offsets, sizes)

    def align(self, vals, out_shape):
        """Operands of an element-wise op: (local values broadcast to the
        local out shape, that shape, out state, origins)."""
        out_rank = len(out_shape)
        vals = [self.no_partial(v) for v in vals]
        out_dim = None
        out_blocks = 1
        origins = set()
        fixed = []
        for v in vals:
            if v.split is not None:
                D = v.split + out_rank - len(v.shape)
                if out_dim is None:
                    out_dim, out_blocks = D, v.blocks
                elif D != out_dim or v.blocks != out_blocks:
                    v = self.to_R(v)
            fixed.append(v)
        vals = fixed
        local_out = list(out_shape)
        if out_dim is not None:
            local_out[out_dim] //= self.tp
        locs = []
        for v in vals:
            off = out_rank - len(v.shape)
            if v.split is not None:
                origins |= v.origins
                x = self.local_val(v)
            else:
                d = None if out_dim is None else out_dim - off
                if d is not None and d >= 0 and v.shape[d] != 1:
                    x = self.local_slice(v, d, out_blocks)
                elif v.const is not None and v.const.size > 0 and \
                        np.all(v.const == v.const.reshape(-1)[0]):
                    # a splat constant is materialized at the result shape
                    locs.append(self.e.splat(v.const.reshape(-1)[0], local_out, v.et))
                    continue
                elif v.const is not None and v.et == "i1" and len(v.shape) >= 2 and \
                        tuple(v.shape[-2:]) == tuple(local_out[-2:]) and \
                        (out_dim is None or out_dim < out_rank - 2) and \
                        (band := band_of(v.const)) is not None:
                    # a triangular/band mask as index arithmetic (what the
                    # attention raising proves causal)
                    locs.append(self.e.band_mask(local_out, *band))
                    continue
                else:
                    x = self.local_val(v)
            locs.append(self.e.broadcast_to(x, local_out))
        state = None if out_dim is None else split_state(out_dim, out_blocks)
        return locs, tuple(local_out), state, frozenset(origins)

    # ------------------------------------------------------------- helpers
    def attr(self, node, name, default=None):
        for a in node.attribute:
            if a.name == name:
                return helper.get_attribute_value(a)
        return default

    def const_of(self, v: Val | None, what: str):
        if v is None:
            return None
        if v.const is None:
            raise NodeError(f"{what} must be a constant known at import time")
        return v.const

    def try_fold(self, node, ins):
        if not ins or any(v is not None and v.const is None for v in ins):
            return None
        if node.op_type in ("Constant",) or node.op_type in NEVER_FOLD:
            return None
        if any(self.inferred_sizes.get(o, 0) > FOLD_MAX_ELEMENTS for o in node.output):
            return None  # never build a huge result (ConstantOfShape, Expand, Tile)
        try:
            from onnx.reference import ReferenceEvaluator
            names = [f"i{k}" if v is not None else "" for k, v in enumerate(ins)]
            n2 = helper.make_node(node.op_type, names,
                                  [f"o{k}" for k in range(len(node.output))])
            n2.attribute.extend(node.attribute)
            inits = [numpy_helper.from_array(np.asarray(v.const), f"i{k}")
                     for k, v in enumerate(ins) if v is not None]
            g = helper.make_graph([n2], "fold", [],
                                  [helper.make_value_info(f"o{k}", onnx.TypeProto())
                                   for k in range(len(node.output))], initializer=inits)
            m = helper.make_model(g, opset_imports=[helper.make_opsetid("", self.opset)])
            res = ReferenceEvaluator(m).run(None, {})
        except Exception:  # noqa: BLE001 - fall back to run-time lowering
            return None
        outs = []
        for r in res:
            r = np.asarray(r)
            if r.size > FOLD_MAX_ELEMENTS or r.dtype.name not in NUMPY_ELT:
                return None
            outs.append(Val(r.shape, NUMPY_ELT[r.dtype.name], const=r))
        return outs

    # ------------------------------------------------------------ lowering
    def lower(self, node, ins):
        op = node.op_type
        if op == "Constant":
            return [self.op_constant(node)]
        if op == "Shape":
            return [self.op_shape(node, ins)]
        folded = self.try_fold(node, ins)
        if folded is not None:
            return folded
        if op not in SUPPORTED:
            raise NodeError(f"unsupported op '{op}' (its operands are known at import "
                            f"time, but folding it failed or gives more than "
                            f"{FOLD_MAX_ELEMENTS} elements)")
        if op not in BLOCK_OK:
            ins = [self.unblock(v) for v in ins]
        for k, v in enumerate(ins):
            if v is None:
                continue
            if v.et == "?":
                dtype = v.const.dtype.name if v.const is not None else "unknown"
                raise NodeError(f"input {k} ('{node.input[k]}') has element type {dtype}, "
                                f"which is not supported (supported: "
                                f"{', '.join(sorted(NUMPY_ELT))})")
            if v.et == "ui8" and op not in UINT8_OK:
                raise NodeError(f"input {k} ('{node.input[k]}') has element type uint8, "
                                f"which {op} does not take (uint8 tensors go through "
                                f"{', '.join(sorted(UINT8_OK))})")
        return getattr(self, "op_" + op)(node, ins)

    def op_constant(self, node):
        a = node.attribute[0]
        if a.name == "value":
            arr = numpy_helper.to_array(a.t)
        elif a.name in ("value_float", "value_int"):
            arr = np.array(helper.get_attribute_value(a),
                           np.float32 if a.name == "value_float" else np.int64)
        elif a.name in ("value_floats", "value_ints"):
            arr = np.array(helper.get_attribute_value(a),
                           np.float32 if a.name == "value_floats" else np.int64)
        else:
            raise NodeError(f"Constant attribute '{a.name}' is not supported")
        if arr.dtype.name not in NUMPY_ELT:
            raise NodeError(f"element type {arr.dtype.name} is not supported")
        return Val(arr.shape, NUMPY_ELT[arr.dtype.name], const=arr)

    def op_shape(self, node, ins):
        s = np.array(ins[0].shape, np.int64)
        start = self.attr(node, "start", 0)
        end = self.attr(node, "end", None)
        s = s[start:end]
        return Val(s.shape, "i64", const=s)

    def op_Identity(self, node, ins):
        return [ins[0]]

    # element-wise ----------------------------------------------------------
    def elementwise(self, ins, fn, out_et=None):
        """fn(local operands, broadcast to the local result shape) -> IRVal."""
        out_shape = bcast_shape(*[v.shape for v in ins])
        locs, _, state, origins = self.align(ins, out_shape)
        r = fn(locs)
        return Val(out_shape, out_et or ins[-1].et, ssa=r.name, state=state, origins=origins)

    def arith2(self, fop, iop, ins):
        a, b = ins
        if a.et != b.et:
            raise NodeError(f"operand types {a.et} and {b.et} differ")
        et = a.et
        op = fop if is_float(et) else iop
        if op is None:
            raise NodeError(f"element type {self.np_name(et)} is not supported")
        return [self.elementwise(ins, lambda s: self.e.binary(op, s[0], s[1]))]

    def op_Add(self, node, ins):
        return self.arith2("arith.addf", "arith.addi", ins)

    def op_Sub(self, node, ins):
        return self.arith2("arith.subf", "arith.subi", ins)

    def op_Mul(self, node, ins):
        return self.arith2("arith.mulf", "arith.muli", ins)

    def op_Div(self, node, ins):
        a, b = ins
        if b.sqrt_of is not None and a.const is not None and np.all(a.const == 1) and \
                bcast_shape(a.shape, b.shape) == b.shape:
            # 1 / sqrt(x): ONNX has no rsqrt
            return self.unary([b.sqrt_of], lambda x: self.e.unary("math.rsqrt", x))
        return self.arith2("arith.divf", "arith.divsi", ins)

    def op_Pow(self, node, ins):
        a, b = ins
        if not is_float(a.et):
            raise NodeError("integer Pow is not supported")
        if b.const is not None and b.const.size == 1 and float(b.const.reshape(-1)[0]) == 2.0:
            # x^2 as x * x (exact, the form the normalization raising reads)
            return [self.elementwise([a, a], lambda s: self.e.binary("arith.mulf", s[0], s[1]))]
        if b.const is not None:
            b = Val(b.shape, a.et, const=b.const.astype(numpy_type(a.et)))
        elif b.et != a.et:
            bb = self.no_partial(b)
            r = self.e.convert(self.local_val(bb), a.et)
            b = Val(bb.shape, a.et, ssa=r.name, state=bb.state, origins=bb.origins)
        return [self.elementwise([a, b], lambda s: self.e.binary("math.powf", s[0], s[1]))]

    def unary(self, ins, fn):
        """fn(local operand) -> IRVal of the same shape and type."""
        x = self.no_partial(ins[0])
        r = fn(self.local_val(x))
        return [Val(x.shape, x.et, ssa=r.name, state=x.state, origins=x.origins)]

    def float_only(self, v):
        if not is_float(v.et):
            raise NodeError(f"element type {v.et} is not supported (float only)")

    def math1(self, op, ins):
        self.float_only(ins[0])
        return self.unary(ins, lambda x: self.e.unary(op, x))

    def op_Sqrt(self, node, ins):
        out = self.math1("math.sqrt", ins)
        out[0].sqrt_of = self.no_partial(ins[0])
        return out

    def op_Exp(self, node, ins):
        return self.math1("math.exp", ins)

    def op_Tanh(self, node, ins):
        return self.math1("math.tanh", ins)

    def op_Erf(self, node, ins):
        return self.math1("math.erf", ins)

    def op_Sin(self, node, ins):
        return self.math1("math.sin", ins)

    def op_Cos(self, node, ins):
        return self.math1("math.cos", ins)

    def op_Log(self, node, ins):
        return self.math1("math.log", ins)

    def op_Abs(self, node, ins):
        if is_float(ins[0].et):
            return self.math1("math.absf", ins)
        return self.unary(ins, lambda x: self.e.unary("math.absi", x))

    def minmax(self, ins, fop, iop):
        vals = [v for v in ins if v is not None]
        acc = vals[0]
        if len(vals) == 1:
            return [self.elementwise([acc], lambda s: s[0])]
        for v in vals[1:]:
            acc = self.arith2(fop, iop, [acc, v])[0]
        return [acc]

    def op_Max(self, node, ins):
        return self.minmax(ins, "arith.maximumf", "arith.maxsi")

    def op_Min(self, node, ins):
        return self.minmax(ins, "arith.minimumf", "arith.minsi")

    def op_Clip(self, node, ins):
        """min(max(x, lo), hi); either bound may be missing (PyTorch's
        clamp(min=...) exports Clip(x, lo, '')). The bounds are inputs from
        opset 11 on; the version converter turns opset 6-10's min/max
        attributes into inputs."""
        x = ins[0]
        lo = ins[1] if len(ins) > 1 else None
        hi = ins[2] if len(ins) > 2 else None
        for b, name in ((lo, "min"), (hi, "max")):
            if b is not None and math.prod(b.shape) != 1:
                raise NodeError(f"Clip's {name} must be a scalar, not shape {list(b.shape)}")
        y = x
        if lo is not None:
            y = self.arith2("arith.maximumf", "arith.maxsi", [y, lo])[0]
        if hi is not None:
            y = self.arith2("arith.minimumf", "arith.minsi", [y, hi])[0]
        return [y]

    def op_Neg(self, node, ins):
        if is_float(ins[0].et):
            return self.math1("arith.negf", ins)

        return self.unary(ins, lambda x: self.e.binary(
            "arith.subi", self.e.splat(0, x.shape, x.elt), x))

    def op_Reciprocal(self, node, ins):
        self.float_only(ins[0])
        if ins[0].sqrt_of is not None:
            # 1 / sqrt(x): ONNX has no rsqrt
            return self.unary([ins[0].sqrt_of], lambda x: self.e.unary("math.rsqrt", x))
        return self.unary(ins, lambda x: self.e.binary(
            "arith.divf", self.e.splat(1.0, x.shape, x.elt), x))

    def activation(self, kind, ins):
        self.float_only(ins[0])
        return self.unary(ins, lambda x: self.e.op(
            f"braid.activation {kind} {x.name} : {x.type}", x.shape, x.elt))

    def op_Sigmoid(self, node, ins):
        return self.activation("sigmoid", ins)

    def op_Relu(self, node, ins):
        if not is_float(ins[0].et):
            return self.unary(ins, lambda x: self.e.binary(
                "arith.maxsi", x, self.e.splat(0, x.shape, x.elt)))
        return self.activation("relu", ins)

    def op_Gelu(self, node, ins):
        approx = self.attr(node, "approximate", b"none")
        approx = approx.decode() if isinstance(approx, bytes) else approx
        if approx not in ("none", "tanh"):
            raise NodeError(f"Gelu approximate='{approx}' is not supported")
        return self.activation("gelu" if approx == "none" else "gelu_tanh", ins)

    def compare(self, fpred, ipred, ins):
        a, b = ins
        if a.et != b.et:
            raise NodeError(f"operand types {a.et} and {b.et} differ")
        et = a.et
        kind, pred = ("arith.cmpf", fpred) if is_float(et) else ("arith.cmpi", ipred)
        return [self.elementwise(ins, lambda s: self.e.cmp(kind, pred, s[0], s[1]),
                                 out_et="i1")]

    def op_Equal(self, node, ins):
        return self.compare("oeq", "eq", ins)

    def op_Less(self, node, ins):
        return self.compare("olt", "slt", ins)

    def op_Greater(self, node, ins):
        return self.compare("ogt", "sgt", ins)

    def op_Where(self, node, ins):
        c, a, b = ins
        if a.et != b.et or c.et != "i1":
            raise NodeError("Where wants a bool condition and equal branch types")
        return [self.elementwise([c, a, b], lambda s: self.e.select(s[0], s[1], s[2]),
                                 out_et=a.et)]

    def op_Cast(self, node, ins):
        to = elem_of(self.attr(node, "to"))
        x = self.no_partial(ins[0])
        r = self.e.convert(self.local_val(x), to)
        return [Val(x.shape, to, ssa=r.name, state=x.state, origins=x.origins)]

    # shape ops -------------------------------------------------------------
    def op_Reshape(self, node, ins):
        x, shp = ins
        target = [int(d) for d in self.const_of(shp, "Reshape's shape")]
        allowzero = self.attr(node, "allowzero", 0)
        out = []
        for i, d in enumerate(target):
            if d == 0 and not allowzero:
                out.append(x.shape[i])
            else:
                out.append(d)
        if -1 in out:
            known = int(math.prod([d for d in out if d != -1]))
            out[out.index(-1)] = int(math.prod(x.shape)) // max(known, 1)
        if int(math.prod(out)) != int(math.prod(x.shape)):
            raise NodeError(f"cannot reshape {list(x.shape)} to {out}")
        return [self.reshape(x, out)]

    def reshape(self, x: Val, out) -> Val:
        out = tuple(out)
        if x.const is not None:
            return Val(out, x.et, const=x.const.reshape(out))
        x = self.no_partial(x)
        nd = None
        if x.split is not None:
            nd = self.map_split_through_reshape(x.shape, out, x.split)
            if nd is None:
                x = self.to_R(x)
        lout = list(out)
        if nd is not None:
            lout[nd] //= self.tp
        r = self.e.reshape(self.local_val(x), lout)
        return Val(out, x.et, ssa=r.name, state=None if nd is None else ("S", nd),
                   origins=x.origins if nd is not None else frozenset())

    def map_split_through_reshape(self, shape, out, d):
        """The out dim that carries split dim d of shape, when the local
        reshape is the same reshape on the rank's chunk; else None."""
        # prefix products
        def prefix(s):
            p = [1]
            for v in s:
                p.append(p[-1] * v)
            return p
        pi, po = prefix(shape), prefix(out)
        before = pi[d]  # elements-stride boundary before d
        # find out dim j with po[j] == before, the first non-1 dim after it
        for j in range(len(out)):
            if po[j] == before and out[j] != 1:
                # the split dim's chunk must be a whole multiple of out[j]'s
                # inner structure: out[j] must divide by tp and
                # shape[d] must equal out[j]*k (merge) or out[j]*... (split)
                if out[j] % self.tp:
                    if shape[d] % self.tp == 0 and out[j] < shape[d]:
                        raise NodeError(
                            f"reshape {list(shape)} -> {list(out)} splits a "
                            f"dimension sharded {self.tp} ways into {out[j]} "
                            f"parts (attention heads must divide by --tp)")
                    return None
                inner_in = pi[d + 1] // before  # == shape[d]
                if out[j] >= inner_in:
                    # merge: out[j] = shape[d] * (following dims); fine
                    if po[j + 1] % pi[d + 1] == 0:
                        return j
                    return None
                # split: shape[d] = out[j] * following
                if pi[d + 1] % po[j + 1] == 0:
                    return j
                return None
            if po[j] > before:
                break
        return None

    def op_Transpose(self, node, ins):
        x = self.no_partial(ins[0])
        perm = self.attr(node, "perm", None)
        if perm is None:
            perm = list(range(len(x.shape)))[::-1]
        perm = [int(p) for p in perm]
        out = [x.shape[p] for p in perm]
        r = self.e.transpose(self.local_val(x), perm)
        state = None if x.split is None else ("S", perm.index(x.split))
        return [Val(out, x.et, ssa=r.name, state=state, origins=x.origins)]

    def axes_of(self, node, ins, k, rank, attr="axes"):
        a = self.attr(node, attr, None)
        if a is None and len(ins) > k and ins[k] is not None:
            a = self.const_of(ins[k], "axes").tolist()
        if a is None:
            return None
        return [int(i) % rank if rank else 0 for i in a]

    def op_Unsqueeze(self, node, ins):
        x = ins[0]
        n = len(x.shape) + len(self.axes_of(node, ins, 1, len(x.shape) + 1) or [])
        axes = self.axes_of(node, ins, 1, n)
        out = list(x.shape)
        for a in sorted(axes):
            out.insert(a, 1)
        return [self.reshape(x, out)]

    def op_Flatten(self, node, ins):
        x = ins[0]
        rank = len(x.shape)
        axis = int(self.attr(node, "axis", 1))
        if not -rank <= axis <= rank:
            raise NodeError(f"Flatten axis {axis} is out of range for rank {rank}")
        if axis < 0:
            axis += rank
        return [self.reshape(x, (math.prod(x.shape[:axis]), math.prod(x.shape[axis:])))]

    def op_Squeeze(self, node, ins):
        x = ins[0]
        axes = self.axes_of(node, ins, 1, len(x.shape))
        if axes is None:
            axes = [i for i, d in enumerate(x.shape) if d == 1]
        for a in axes:
            if x.shape[a] != 1:
                raise NodeError(f"cannot squeeze dim {a} of size {x.shape[a]}")
        out = [d for i, d in enumerate(x.shape) if i not in axes]
        return [self.reshape(x, out)]

    def op_Expand(self, node, ins):
        x, shp = ins
        target = [int(d) for d in self.const_of(shp, "Expand's shape")]
        out = bcast_shape(x.shape, target)
        return [self.expand(x, out)]

    def expand(self, x, out):
        locs, _, state, origins = self.align([x], out)
        return Val(out, x.et, ssa=locs[0].name, state=state, origins=origins)

    def op_Concat(self, node, ins):
        vals = [v for v in ins if v is not None]
        rank = len(vals[0].shape)
        axis = int(self.attr(node, "axis")) % rank
        out = list(vals[0].shape)
        out[axis] = sum(v.shape[axis] for v in vals)
        vals = [self.no_partial(v) for v in vals]
        split = None
        for v in vals:
            if v.split is not None and v.split != axis:
                split = v.split
                break
        fixed, origins = [], set()
        for v in vals:
            if split is None or v.split == axis:
                v = self.to_R(v)
            if split is not None and v.split != split:
                fixed.append(self.local_slice(self.to_R(v), split))
            else:
                if split is not None:
                    origins |= v.origins
                fixed.append(self.local_val(v))
        r = self.e.concat([f for f in fixed if f.shape[axis] > 0], axis)
        return [Val(out, vals[0].et, ssa=r.name, state=None if split is None else ("S", split),
                    origins=origins)]

    def slice_val(self, x: Val, starts, sizes, steps) -> Val:
        """Static slice; a split dim may only be taken whole."""
        x = self.no_partial(x)
        d = x.split
        if d is not None and (starts[d] != 0 or sizes[d] != x.shape[d] or steps[d] != 1):
            x = self.to_R(x)
            d = None
        ls = list(sizes)
        if d is not None:
            ls[d] //= self.tp
        r = self.e.extract_slice(self.local_val(x), starts, ls, steps)
        return Val(sizes, x.et, ssa=r.name, state=x.state, origins=x.origins)

    def op_Split(self, node, ins):
        x = ins[0]
        rank = len(x.shape)
        axis = int(self.attr(node, "axis", 0)) % rank
        split = None
        if len(ins) > 1 and ins[1] is not None:
            split = [int(s) for s in self.const_of(ins[1], "Split's sizes")]
        elif self.attr(node, "split", None) is not None:
            split = [int(s) for s in self.attr(node, "split")]
        n = len(node.output)
        if split is None:
            num = self.attr(node, "num_outputs", n)
            size = -(-x.shape[axis] // num)
            split = [min(size, x.shape[axis] - i * size) for i in range(num)]
        xv = self.no_partial(x) if x.const is None else x
        if xv.split == axis and xv.blocks == len(split) and len(set(split)) == 1:
            # a fused projection's blocks: each rank takes its part of each
            c = xv.shape[axis] // len(split) // self.tp
            outs = []
            for b in range(len(split)):
                st = [0] * rank
                st[axis] = b * c
                sz = list(self.local(xv))
                sz[axis] = c
                r = self.e.extract_slice(self.local_val(xv), st, sz)
                gs = list(xv.shape)
                gs[axis] = split[b]
                outs.append(Val(gs, xv.et, ssa=r.name, state=("S", axis), origins=xv.origins))
            return outs
        x = self.unblock(xv)
        outs, off = [], 0
        for s in split:
            starts = [0] * rank
            starts[axis] = off
            sizes = list(x.shape)
            sizes[axis] = s
            if x.const is not None:
                sl = [slice(None)] * rank
                sl[axis] = slice(off, off + s)
                c = x.const[tuple(sl)]
                outs.append(Val(c.shape, x.et, const=c))
            else:
                outs.append(self.slice_val(x, starts, sizes, [1] * rank))
            off += s
        return outs

    def op_Slice(self, node, ins):
        x = ins[0]
        rank = len(x.shape)
        starts = self.const_of(ins[1], "Slice's starts").tolist()
        ends = self.const_of(ins[2], "Slice's ends").tolist()
        axes = self.const_of(ins[3], "Slice's axes").tolist() \
            if len(ins) > 3 and ins[3] is not None else list(range(len(starts)))
        steps = self.const_of(ins[4], "Slice's steps").tolist() \
            if len(ins) > 4 and ins[4] is not None else [1] * len(starts)
        st, sz, sp = [0] * rank, list(x.shape), [1] * rank
        for s, e_, a, k in zip(starts, ends, axes, steps):
            a = int(a) % rank
            n = x.shape[a]
            if k <= 0:
                raise NodeError(f"Slice step {k} is not supported (positive steps only)")
            s = int(s) + n if s < 0 else int(s)
            e_ = int(e_) + n if e_ < 0 else int(e_)
            s, e_ = max(0, min(s, n)), max(0, min(e_, n))
            cnt = max(0, -(-(e_ - s) // k))
            st[a], sz[a], sp[a] = s, cnt, int(k)
        if any(v == 0 for v in sz):
            raise NodeError("Slice with an empty result is not supported")
        return [self.slice_val(x, st, sz, sp)]

    def op_Gather(self, node, ins):
        data, idx = ins
        axis = int(self.attr(node, "axis", 0)) % len(data.shape)
        data = self.to_R(data)
        if idx.et not in ("i32", "i64"):
            raise NodeError("Gather indices must be int32 or int64")
        out = data.shape[:axis] + idx.shape + data.shape[axis + 1:]
        n = data.shape[axis]
        if idx.const is not None:
            c = np.where(idx.const < 0, idx.const + n, idx.const)
            if len(idx.shape) == 0:
                # a scalar index: a slice without the axis
                st = [0] * len(data.shape)
                st[axis] = int(c)
                sz = list(data.shape)
                sz[axis] = 1
                s = self.slice_val(data, st, sz, [1] * len(data.shape))
                return [self.reshape(s, out)]
            idx = Val(idx.shape, idx.et, const=c)
            ix, istate, iorig = self.local_val(idx), None, frozenset()
        else:
            idx = self.no_partial(idx)
            ix = self.local_val(idx)
            # negative indices wrap
            neg = self.e.cmp("arith.cmpi", "slt", ix, self.e.splat(0, ix.shape, ix.elt))
            wrapped = self.e.binary("arith.addi", ix, self.e.splat(n, ix.shape, ix.elt))
            ix = self.e.select(neg, wrapped, ix)
            istate, iorig = idx.state, idx.origins
        if len(idx.shape) == 0:
            ix = self.e.reshape(ix, (1,))
        lout = data.shape[:axis] + ix.shape + data.shape[axis + 1:]
        r = self.e.op(f"braid.gather {self.ssa(data)}[{ix.name}] axis = {axis} : "
                      f"{tensor_type(data.shape, data.et)}, {ix.type} -> "
                      f"{tensor_type(lout, data.et)}", lout, data.et)
        if len(idx.shape) == 0:
            r = self.e.reshape(r, out)
        state = None if istate is None else ("S", istate[1] + axis)
        return [Val(out, data.et, ssa=r.name, state=state, origins=iorig)]

    def op_ConstantOfShape(self, node, ins):
        shape = [int(d) for d in self.const_of(ins[0], "ConstantOfShape's shape")]
        t = self.attr(node, "value", None)
        val = numpy_helper.to_array(t).reshape(-1)[0] if t is not None else np.float32(0)
        dtype = np.asarray(val).dtype
        if dtype.name not in NUMPY_ELT:
            raise NodeError(f"element type {dtype.name} is not supported")
        et = NUMPY_ELT[dtype.name]
        check_shape(shape, helper.np_dtype_to_tensor_dtype(dtype), f"result '{node.output[0]}'")
        if math.prod(shape) > FOLD_MAX_ELEMENTS:
            # too large to hold at import time: a splat the program builds
            return [Val(shape, et, ssa=self.e.splat(val, shape, et).name)]
        return [Val(shape, et, const=np.full(shape, val, dtype=dtype))]

    def op_Trilu(self, node, ins):
        x = self.no_partial(ins[0])
        k = 0
        if len(ins) > 1 and ins[1] is not None:
            k = int(self.const_of(ins[1], "Trilu's k"))
        upper = self.attr(node, "upper", 1)
        if x.split is not None and x.split >= len(x.shape) - 2:
            x = self.to_R(x)
        r = self.e.trilu(self.local_val(x), k, bool(upper))
        return [Val(x.shape, x.et, ssa=r.name, state=x.state, origins=x.origins)]

    # reductions ------------------------------------------------------------
    def reduce(self, node, ins, kind):
        x = self.no_partial(ins[0])
        rank = len(x.shape)
        axes = self.axes_of(node, ins, 1, rank)
        keep = self.attr(node, "keepdims", 1)
        if axes is None or axes == []:
            if self.attr(node, "noop_with_empty_axes", 0):
                return [x]
            axes = list(range(rank))
        axes = sorted(set(axes))
        if x.split is not None and x.split in axes:
            x = self.to_R(x)
        et = x.et
        lx = self.local(x)
        if kind == "mean" and not is_float(et):
            raise NodeError("integer ReduceMean is not supported")
        r = self.reduce_val(self.local_val(x), axes, "max" if kind == "max" else "sum")
        if kind == "mean":
            cnt = int(math.prod([x.shape[a] for a in axes]))
            r = self.e.binary("arith.divf", r, self.e.splat(float(cnt), r.shape, et))
        out = [1 if i in axes else d for i, d in enumerate(x.shape)] if keep else \
            [d for i, d in enumerate(x.shape) if i not in axes]
        lout = [1 if i in axes else d for i, d in enumerate(lx)] if keep else r.shape
        r = self.e.reshape(r, lout)
        state = None
        if x.split is not None:
            nd = x.split if keep else x.split - sum(1 for a in axes if a < x.split)
            state = ("S", nd)
        return [Val(out, et, ssa=r.name, state=state, origins=x.origins)]

    def reduce_val(self, x: IRVal, axes, kind: str) -> IRVal:
        """linalg.reduce of x over axes: kind "sum" or "max"."""
        if kind == "sum":
            init = 0
            combiner = {True: "arith.addf", False: "arith.addi"}[x.is_float]
            if x.elt == "i1":
                combiner = "arith.xori"
        else:
            init = -np.inf if x.is_float else (
                0 if x.elt == "i1" else np.iinfo(numpy_type(x.elt)).min)
            combiner = {True: "arith.maximumf", False: "arith.maxsi"}[x.is_float]
            if x.elt == "i1":
                combiner = "arith.ori"
        return self.e.reduce(x, axes, self.e.const_scalar(init, x.elt), combiner)

    def op_ReduceMean(self, node, ins):
        return self.reduce(node, ins, "mean")

    def op_ReduceSum(self, node, ins):
        return self.reduce(node, ins, "sum")

    def op_ReduceMax(self, node, ins):
        return self.reduce(node, ins, "max")

    def op_Softmax(self, node, ins):
        x = self.no_partial(ins[0])
        self.float_only(x)
        axis = int(self.attr(node, "axis", -1)) % len(x.shape)
        if x.split == axis:
            x = self.to_R(x)
        lx = self.local_val(x)
        e = self.e.empty(lx.shape, x.et)
        r = self.e.op(f"linalg.softmax dimension({axis}) ins({lx.name} : {lx.type}) "
                      f"outs({e.name} : {lx.type}) -> {lx.type}", lx.shape, x.et)
        return [Val(x.shape, x.et, ssa=r.name, state=x.state, origins=x.origins)]

    # normalisation ---------------------------------------------------------
    def norm(self, node, ins, rms):
        x = self.no_partial(ins[0])
        self.float_only(x)
        rank = len(x.shape)
        axis = int(self.attr(node, "axis", -1)) % rank
        eps = float(self.attr(node, "epsilon", 1e-5))
        stash = self.attr(node, "stash_type", 1)
        extra = [o for o in node.output[1:] if o]
        if stash != 1:
            raise NodeError(f"stash_type={stash} is not supported (f32 statistics only)")
        if x.split is not None and x.split >= axis:
            x = self.to_R(x)
        if extra or x.et != "f32":
            return self.norm_decomposed(node, x, ins, axis, eps, rms)
        norm_shape = x.shape[axis:]
        n = int(math.prod(norm_shape))
        params = []
        for v in ins[1:3 if not rms else 2]:
            if v is None:
                params.append(None)
                continue
            v = self.to_R(v)
            if tuple(bcast_shape(v.shape, norm_shape)) != tuple(norm_shape) or \
                    len(v.shape) > len(norm_shape):
                raise NodeError("scale/bias that broadcast over leading dims are not supported")
            full = self.e.broadcast_to(self.local_val(v), norm_shape)
            params.append(self.e.reshape(full, (n,)))
        lx = self.local_val(x)
        lead = lx.shape[:axis]
        # rows x the normalised features (one row for an unbatched input)
        x2 = self.e.reshape(lx, (tuple(lead) or (1,)) + (n,))
        et = x.et
        eps_attr = f"{{epsilon = {scalar_literal(eps, 'f32')} : f32}}"
        if rms:
            r = self.e.op(f"braid.rmsnorm {x2.name}, {params[0].name} {eps_attr} : "
                          f"{x2.type}, {params[0].type} -> {x2.type}", x2.shape, et)
        else:
            g = params[0]
            b = params[1] if len(params) > 1 and params[1] is not None else \
                self.e.splat(0.0, (n,), et)
            r = self.e.op(f"braid.layernorm {x2.name}, {g.name}, {b.name} {eps_attr} : "
                          f"{x2.type}, {g.type}, {b.type} -> {x2.type}", x2.shape, et)
        r = self.e.reshape(r, lx.shape)
        return [Val(x.shape, et, ssa=r.name, state=x.state, origins=x.origins)]

    def norm_decomposed(self, node, x, ins, axis, eps, rms):
        """(x - mean) * rsqrt(var + eps) * scale + bias with the statistics in
        f32, and the Mean / InvStdDev outputs ONNX defines."""
        et = x.et
        lx = self.local(x)
        rank = len(lx)
        axes = list(range(axis, rank))
        n = int(math.prod(x.shape[axis:]))
        xs = self.e.convert(self.local_val(x), "f32")
        stat = [1 if i in axes else d for i, d in enumerate(lx)]

        def mean_of(t):
            r = self.reduce_val(t, axes, "sum")
            r = self.e.binary("arith.divf", r, self.e.splat(float(n), r.shape, "f32"))
            r = self.e.reshape(r, stat)
            return self.e.broadcast_to(r, lx), r
        if rms:
            d = xs
            mean_stat = None
        else:
            mean_b, mean_stat = mean_of(xs)
            d = self.e.binary("arith.subf", xs, mean_b)
        sq = self.e.binary("arith.mulf", d, d)
        _, var = mean_of(sq)
        ve = self.e.binary("arith.addf", var, self.e.splat(eps, stat, "f32"))
        inv = self.e.unary("math.rsqrt", ve)
        y = self.e.binary("arith.mulf", d, self.e.broadcast_to(inv, lx))
        y = self.e.convert(y, et)
        out = Val(x.shape, et, ssa=y.name, state=x.state, origins=x.origins)
        scale = ins[1]
        out = self.elementwise([out, scale], lambda s_: self.e.binary("arith.mulf", s_[0], s_[1]))
        if not rms and len(ins) > 2 and ins[2] is not None:
            out = self.elementwise([out, ins[2]], lambda s_: self.e.binary(
                "arith.addf", s_[0], s_[1]))
        gstat = [1 if i in axes else d for i, d in enumerate(x.shape)]
        res = [out]
        for k in range(len(node.output) - 1):
            t = mean_stat if (k == 0 and not rms) else inv
            if t is None:
                res.append(None)
                continue
            res.append(Val(gstat, "f32", ssa=t.name, state=x.state, origins=x.origins))
        return res

    def op_Attention(self, node, ins):
        """ONNX Attention (opset 23+) without mask, cache or softcap ->
        braid.attention. 3-D inputs are split into heads first."""
        q, k, v = ins[0], ins[1], ins[2]
        names = ["attn_mask", "past_key", "past_value", "nonpad_kv_seqlen"]
        for i, nm in enumerate(names, start=3):
            if len(ins) > i and ins[i] is not None:
                raise NodeError(f"Attention with {nm} is not supported")
        if any(o for o in node.output[1:]):
            raise NodeError("Attention's present_key/present_value/qk_matmul_output "
                            "outputs are not supported")
        known = {"is_causal", "kv_num_heads", "q_num_heads", "scale", "softcap",
                 "qk_matmul_output_mode", "softmax_precision"}
        for a in node.attribute:
            if a.name not in known:
                raise NodeError(f"Attention attribute '{a.name}' is not supported")
        if float(self.attr(node, "softcap", 0.0)) != 0.0:
            raise NodeError("Attention with softcap is not supported")
        for t in (q, k, v):
            self.float_only(t)
        if not (q.et == k.et == v.et):
            raise NodeError("Attention operands of different types are not supported")
        three_d = len(q.shape) == 3
        if three_d:
            hq = self.attr(node, "q_num_heads")
            hkv = self.attr(node, "kv_num_heads")
            if not hq or not hkv:
                raise NodeError("3-D Attention needs q_num_heads and kv_num_heads")

            def heads(t, h):
                B, S, E = t.shape
                t = self.reshape(t, (B, S, h, E // h))
                return self.transpose_val(t, [0, 2, 1, 3])
            q, k, v = heads(q, hq), heads(k, hkv), heads(v, hkv)
        elif len(q.shape) != 4:
            raise NodeError("Attention inputs must be 3-D or 4-D")
        B, H, Sq, D = q.shape
        Hkv, Skv = k.shape[1], k.shape[2]
        Dv = v.shape[3]
        if H % Hkv:
            raise NodeError(f"{H} query heads are not a multiple of {Hkv} key/value heads")
        causal = bool(self.attr(node, "is_causal", 0))
        if causal and Sq != Skv:
            raise NodeError(f"is_causal with {Sq} queries and {Skv} keys (ONNX aligns "
                            f"the causal mask top-left, braid.attention bottom-right)")
        vals = [self.no_partial(t) for t in (q, k, v)]
        if any(t.split is not None for t in vals) and \
                all(t.split in (None, 1) and t.blocks == 1 for t in vals):
            # heads split across ranks
            ops, origins = [], set()
            for t in vals:
                if t.split == 1:
                    ops.append(self.local_val(t))
                    origins |= t.origins
                else:
                    ops.append(self.local_slice(t, 1))
            state = ("S", 1)
        else:
            ops = [self.local_val(self.to_R(t)) for t in vals]
            state, origins = None, set()
        lq, lk, lv = ops
        lout = (lq.shape[0], lq.shape[1], lq.shape[2], lv.shape[3])
        attrs = []
        if causal:
            attrs.append("causal")
        scale = self.attr(node, "scale", None)
        if scale is not None:
            attrs.append(f"scale = {scalar_literal(float(scale), 'f32')} : f32")
        attr_text = (" {" + ", ".join(attrs) + "}") if attrs else ""
        et = q.et
        r = self.e.op(f"braid.attention {lq.name}, {lk.name}, {lv.name}{attr_text} : "
                      f"{lq.type}, {lk.type}, {lv.type} -> {tensor_type(lout, et)}", lout, et)
        y = Val((B, H, Sq, Dv), et, ssa=r.name, state=state, origins=frozenset(origins))
        if three_d:
            y = self.transpose_val(y, [0, 2, 1, 3])
            y = self.reshape(y, (B, Sq, H * Dv))
        return [y]

    def op_LayerNormalization(self, node, ins):
        return self.norm(node, ins, rms=False)

    def op_RMSNormalization(self, node, ins):
        return self.norm(node, ins, rms=True)

    # matmuls ---------------------------------------------------------------
    def op_MatMul(self, node, ins):
        a, b = ins
        if a.et != b.et:
            raise NodeError(f"operand types {a.et} and {b.et} differ")
        if not is_float(a.et):
            raise NodeError(f"integer MatMul ({self.np_name(a.et)}) is not supported; a "
                            "quantized matmul is MatMulInteger (what onnxruntime."
                            "quantization writes) or DequantizeLinear + MatMul")
        if b.weight is not None and len(b.shape) == 2 and len(a.shape) >= 2:
            return [self.linear(node, a, b, trans_b=False)]
        return [self.matmul_act(a, b)]

    def weight_mode(self, name, x):
        if self.tp == 1:
            return "replicated"
        m = self.plan.get("weights", {}).get(name)
        if m is not None:
            return m
        if name in self.demoted:
            return "replicated"
        if x.split is not None and x.split == len(x.shape) - 1:
            return "row"
        return "column"

    def linear(self, node, x: Val, w: Val, trans_b: bool) -> Val:
        """x[..., K] @ W[K, N] (W[N, K] with trans_b) with a weight W."""
        x = self.no_partial(x)
        K = x.shape[-1]
        N = w.shape[0] if trans_b else w.shape[1]
        wk = (w.shape[1] if trans_b else w.shape[0])
        if wk != K:
            raise NodeError(f"contraction sizes {K} and {wk} differ")
        mode = self.weight_mode(w.weight, x)
        out = x.shape[:-1] + (N,)
        n_axis, k_axis = (0, 1) if trans_b else (1, 0)
        if mode == "column":
            k = self.fused_blocks.get(w.weight, 1)
            if N % (self.tp * k):
                raise NodeError(f"column-parallel weight '{w.weight}': {N} output "
                                f"features do not divide by --tp {self.tp}"
                                + (f" x {k} fused blocks" if k > 1 else ""))
            a2d = None
            d = len(x.shape) - 2
            if x.split == d and x.blocks == 1 and d >= 0 and \
                    all(v == 1 for v in x.shape[:d]):
                # tokens split (sequence parallel): gather the 2-D rows the
                # matmul reads, all_gather(dim 0) -> matmul as the
                # decomposition passes expect
                xl = x

                def gather2d():
                    lxl = self.local_val(xl)
                    x2 = self.e.reshape(lxl, lxl.shape[-2:])
                    rows = (x2.shape[0] * self.tp, x2.shape[1])
                    return self.e.op(f"braid.all_gather {x2.name} on @tp axes = [0] dim = 0 : "
                                     f"{x2.type} -> {tensor_type(rows, xl.et)}", rows, xl.et)
                a2d = self.memo("gather2d", xl, gather2d)
            else:
                x = self.to_R(x)
            ws = self.weight_ssa(w, n_axis, k)
            xs = self.local_val(x) if a2d is None else None
            state, origins = split_state(len(out) - 1, k), frozenset([w.weight])
        elif mode == "row":
            if K % self.tp:
                raise NodeError(f"row-parallel weight '{w.weight}': {K} input "
                                f"features do not divide by --tp {self.tp}")
            if x.split == len(x.shape) - 1:
                xs = self.local_val(x)
            else:
                x = self.to_R(x)
                xs = self.local_slice(x, len(x.shape) - 1)
            ws = self.weight_ssa(w, k_axis)
            state, origins = ("P",), frozenset()
        else:
            if x.split is not None and x.split == len(x.shape) - 1:
                x = self.to_R(x)
            ws = self.weight_ssa(w, None)
            xs = self.local_val(x)
            state, origins = x.state, x.origins
        lw = list(w.shape)
        if mode == "column":
            lw[n_axis] //= self.tp
        elif mode == "row":
            lw[k_axis] //= self.tp
        wv = IRVal(ws, lw, w.et)
        if trans_b:
            wv = self.e.transpose(wv, [1, 0])
        # the gathered rows (a2d) are every rank's tokens: x's global shape
        lx = x.shape if xs is None else xs.shape
        M = int(math.prod(lx[:-1]))
        a2 = a2d if xs is None else self.e.reshape(xs, (M, lx[-1]))
        lout = tuple(lx[:-1]) + (wv.shape[1],)
        if mode == "row":
            # reduce right after the matmul, on its 2-D result when the
            # collective allows it (the canonical matmul -> collective pair);
            # partial sums travel in the accumulation type (f32 for f16/bf16)
            acc = "f32" if x.et in ("f16", "bf16") else x.et
            r = self.e.matmul(a2, wv, acc)
            d = len(out) - 2
            if not self.sp:
                r = self.e.op(f"braid.all_reduce {r.name} on @tp axes = [0] reduction = sum : "
                              f"{r.type}", r.shape, acc)
                r = self.e.reshape(self.e.convert(r, x.et), lout)
                return Val(out, x.et, ssa=r.name)
            if d >= 0 and all(v == 1 for v in out[:d]) and out[d] % self.tp == 0:
                lo = list(out)
                lo[d] //= self.tp
                rows = (M // self.tp, wv.shape[1])
                r = self.e.op(
                    f"braid.reduce_scatter {r.name} on @tp axes = [0] dim = 0 reduction = sum"
                    f" : {r.type} -> {tensor_type(rows, acc)}", rows, acc)
                r = self.e.reshape(self.e.convert(r, x.et), lo)
                return Val(out, x.et, ssa=r.name, state=("S", d))
            r = self.e.convert(r, x.et)
        else:
            r = self.e.matmul(a2, wv, x.et)
        r = self.e.reshape(r, lout)
        return Val(out, x.et, ssa=r.name, state=state, origins=origins)

    def matmul_act(self, a: Val, b: Val) -> Val:
        a, b = self.no_partial(a), self.no_partial(b)
        sq_a = len(a.shape) == 1
        sq_b = len(b.shape) == 1
        if sq_a:
            a = self.reshape(a, (1,) + a.shape)
        if sq_b:
            b = self.reshape(b, b.shape + (1,))
        batch = bcast_shape(a.shape[:-2], b.shape[:-2])
        M, K = a.shape[-2:]
        K2, N = b.shape[-2:]
        if K != K2:
            raise NodeError(f"contraction sizes {K} and {K2} differ")
        nb = len(batch)
        out = tuple(batch) + (M, N)
        # sharding: classify each operand's split in output coordinates
        def cls(v, is_a):
            if v.split is None:
                return None
            r = len(v.shape)
            if v.split == r - 1:
                return "K" if is_a else ("N",)
            if v.split == r - 2:
                return ("M",) if is_a else "K"
            return ("B", v.split + nb - (r - 2))
        ca, cb = cls(a, True), cls(b, False)
        state = None
        if ca == "K" and cb == "K":
            state = ("P",)
        elif ca is not None and cb is not None and ca == cb and ca[0] == "B":
            state = ("S", ca[1])
        elif ca is not None and ca != "K" and cb is None:
            state = ("S", ca[1] if ca[0] == "B" else nb)
        elif cb is not None and cb != "K" and ca is None:
            state = ("S", cb[1] if cb[0] == "B" else nb + 1)
        else:
            a, b = self.to_R(a), self.to_R(b)
        origins = a.origins | b.origins
        # local operands
        def local_operand(v):
            if v.split is None and state is not None and state[0] == "S" and state[1] < nb:
                d = state[1] - (nb - (len(v.shape) - 2))
                if d >= 0 and v.shape[d] != 1:
                    return self.local_slice(v, d)
            return self.local_val(v)
        xa, xb = local_operand(a), local_operand(b)
        la, lb = xa.shape, xb.shape
        lbatch = list(batch)
        if state is not None and state[0] == "S" and state[1] < nb:
            lbatch[state[1]] //= self.tp
        lM, lK, lN = la[-2], la[-1], lb[-1]
        et = a.et
        if len(lb) == 2 and nb == len(la) - 2:
            Mt = int(math.prod(la[:-1]))
            r = self.e.matmul(self.e.reshape(xa, (Mt, lK)), xb, et)
            r = self.e.reshape(r, tuple(la[:-1]) + (lN,))
        else:
            Bt = int(math.prod(lbatch)) if lbatch else 1
            a3 = self.e.broadcast_to(xa, tuple(lbatch) + (lM, lK))
            b3 = self.e.broadcast_to(xb, tuple(lbatch) + (lb[-2], lN))
            r = self.e.matmul(self.e.reshape(a3, (Bt, lM, lK)),
                              self.e.reshape(b3, (Bt, lb[-2], lN)), et)
            r = self.e.reshape(r, tuple(lbatch) + (lM, lN))
        v = Val(out, et, ssa=r.name, state=state, origins=origins)
        if sq_a:
            v = self.reshape(v, out[:-2] + (N,))
        if sq_b:
            v = self.reshape(v, v.shape[:-1])
        return v

    # quantization ------------------------------------------------------------
    # onnxruntime's rules (CPU kernels and MLAS), which the results must
    # match: quantize q = saturate(round_half_even(x / scale) + zero_point)
    # in f32; dequantize (int32(q) - int32(zero_point)) * scale; integer
    # matmuls accumulate in int32 exactly.
    QUANT_RANGE = {"ui8": (0, 255), "i8": (-128, 127)}

    def to_i32(self, v: Val) -> Val:
        """v widened to int32 (extui for uint8, extsi for int8)."""
        if v.et == "i32":
            return v
        if is_float(v.et) or v.et == "i1":
            raise NodeError(f"element type {self.np_name(v.et)} is not an integer type")
        # constants too are widened in the program: they stay 8-bit there
        x = self.no_partial(v)
        r = self.e.convert(self.local_val(x), "i32")
        return Val(x.shape, "i32", ssa=r.name, state=x.state, origins=x.origins)

    def sub_zero_point(self, q: Val, zp: Val | None) -> Val:
        """q - zp in int32 (nothing for a constant zero point of zeros)."""
        if zp is None or (zp.const is not None and not np.any(zp.const)):
            return q
        return self.arith2(None, "arith.subi", [q, self.to_i32(zp)])[0]

    def per_axis(self, v: Val, x: Val, axis: int, what: str) -> Val:
        """A scale or zero point for x: a scalar, or 1-D along `axis`
        (reshaped so numpy broadcasting lines it up with that axis)."""
        if math.prod(v.shape) == 1:
            return self.reshape(v, ())
        rank = len(x.shape)
        axis = axis % rank
        if len(v.shape) != 1 or v.shape[0] != x.shape[axis]:
            raise NodeError(f"{what} of shape {list(v.shape)} is neither a scalar nor 1-D "
                            f"of size {x.shape[axis]} along axis {axis} (blocked "
                            f"quantization is not supported)")
        return self.reshape(v, (v.shape[0],) + (1,) * (rank - 1 - axis))

    def to_float(self, v: Val, et: str) -> Val:
        return self.unary_to(v, et, lambda x: self.e.convert(x, et))

    def unary_to(self, v: Val, et: str, fn) -> Val:
        x = self.no_partial(v)
        r = fn(self.local_val(x))
        return Val(x.shape, et, ssa=r.name, state=x.state, origins=x.origins)

    def fconst(self, value, et):
        return Val((), et, const=np.array(value, numpy_type(et)))

    def quantize(self, x: Val, scale: Val, zp_f: Val, out_et: str) -> Val:
        """saturate(round_half_even(x / scale) + zp) as out_et (ui8 / i8);
        zp_f is the zero point as a float of x's type."""
        lo, hi = self.QUANT_RANGE[out_et]
        et = x.et
        q = self.arith2("arith.divf", None, [x, scale])[0]
        q = self.unary([q], lambda t: self.e.unary("math.roundeven", t))[0]
        q = self.arith2("arith.addf", None, [q, zp_f])[0]
        q = self.arith2("arith.maximumf", None, [q, self.fconst(lo, et)])[0]
        q = self.arith2("arith.minimumf", None, [q, self.fconst(hi, et)])[0]
        q = self.unary_to(q, "i32", lambda t: self.e.cast("arith.fptosi", t, "i32"))
        return self.unary_to(q, out_et, lambda t: self.e.cast("arith.trunci", t, out_et))

    def op_DynamicQuantizeLinear(self, node, ins):
        """uint8 quantization with a scale and zero point from x's range
        (including 0), as onnxruntime computes them: scale = (max - min) /
        255 (1 when max == min), zero point = round_half_even(clamp(0 -
        min / scale, 0, 255))."""
        x = self.to_R(ins[0])
        if x.et != "f32":
            raise NodeError(f"element type {self.np_name(x.et)} is not supported "
                            "(DynamicQuantizeLinear takes float32)")
        xl = self.local_val(x)
        dims = list(range(len(x.shape)))
        lo = self.e.reduce(xl, dims, self.e.const_scalar(scalar_literal(np.inf, "f32"), "f32"),
                           "arith.minimumf")
        hi = self.e.reduce(xl, dims, self.e.const_scalar(scalar_literal(-np.inf, "f32"), "f32"),
                           "arith.maximumf")
        mn = Val((), "f32", ssa=lo.name)
        mx = Val((), "f32", ssa=hi.name)
        zero, one = self.fconst(0.0, "f32"), self.fconst(1.0, "f32")
        mn = self.arith2("arith.minimumf", None, [mn, zero])[0]
        mx = self.arith2("arith.maximumf", None, [mx, zero])[0]
        width = self.arith2("arith.subf", None, [mx, mn])[0]
        scale = self.arith2("arith.divf", None, [width, self.fconst(255.0, "f32")])[0]
        same = self.compare("oeq", None, [mx, mn])[0]
        scale = self.elementwise([same, one, scale],
                                 lambda t: self.e.select(t[0], t[1], t[2]), out_et="f32")
        zp = self.arith2("arith.subf", None, [zero, self.arith2("arith.divf", None,
                                                                [mn, scale])[0]])[0]
        zp = self.arith2("arith.maximumf", None, [zp, zero])[0]
        zp = self.arith2("arith.minimumf", None, [zp, self.fconst(255.0, "f32")])[0]
        zp = self.unary([zp], lambda t: self.e.unary("math.roundeven", t))[0]
        y = self.quantize(x, scale, zp, "ui8")
        zp8 = self.unary_to(zp, "i32", lambda t: self.e.cast("arith.fptosi", t, "i32"))
        zp8 = self.unary_to(zp8, "ui8", lambda t: self.e.cast("arith.trunci", t, "ui8"))
        return [y, scale, zp8]

    def op_QuantizeLinear(self, node, ins):
        x, scale = ins[0], ins[1]
        zp = ins[2] if len(ins) > 2 else None
        if self.attr(node, "block_size", 0):
            raise NodeError("blocked quantization (block_size) is not supported")
        if zp is not None:
            out_et = zp.et
        else:
            out_et = elem_of(self.attr(node, "output_dtype", TensorProto.UINT8) or
                             TensorProto.UINT8)
        if out_et not in self.QUANT_RANGE:
            raise NodeError(f"quantizing to {self.np_name(out_et) if out_et != '?' else 'it'} "
                            "is not supported (uint8 and int8 are)")
        if not is_float(x.et) or scale.et != x.et:
            raise NodeError(f"QuantizeLinear of {self.np_name(x.et)} with a "
                            f"{self.np_name(scale.et)} scale is not supported")
        axis = int(self.attr(node, "axis", 1))
        scale = self.per_axis(scale, x, axis, "scale")
        if zp is None:
            zp_f = self.fconst(0.0, x.et)
        else:
            zp = self.per_axis(zp, x, axis, "zero point")
            zp_f = (Val(zp.shape, x.et, const=zp.const.astype(numpy_type(x.et)))
                    if zp.const is not None else self.to_float(zp, x.et))
        return [self.quantize(x, scale, zp_f, out_et)]

    def op_DequantizeLinear(self, node, ins):
        x, scale = ins[0], ins[1]
        zp = ins[2] if len(ins) > 2 else None
        if self.attr(node, "block_size", 0):
            raise NodeError("blocked quantization (block_size) is not supported")
        if not is_float(scale.et):
            raise NodeError(f"scale of element type {self.np_name(scale.et)} is not a float")
        if x.et not in ("ui8", "i8", "i32"):
            raise NodeError(f"dequantizing {self.np_name(x.et)} is not supported "
                            "(uint8, int8 and int32 are)")
        axis = int(self.attr(node, "axis", 1))
        if zp is not None:
            zp = self.per_axis(zp, x, axis, "zero point")
        q = self.sub_zero_point(self.to_i32(x), zp)
        f = self.to_float(q, scale.et)
        return [self.arith2("arith.mulf", None, [f, self.per_axis(scale, x, axis, "scale")])[0]]

    def op_MatMulInteger(self, node, ins):
        """(A - a_zero_point) x (B - b_zero_point) in int32: both operands
        widened to i32 first (uint8 and int8 may mix; a constant B stays int8
        in the program); linalg.matmul on i32 accumulates exactly."""
        a, b = ins[0], ins[1]
        azp = ins[2] if len(ins) > 2 else None
        bzp = ins[3] if len(ins) > 3 else None
        for v, what in ((a, "A"), (b, "B")):
            if v.et not in ("ui8", "i8"):
                raise NodeError(f"{what} has element type {self.np_name(v.et)}; "
                                "MatMulInteger takes uint8 and int8")
        a32, b32 = self.to_i32(a), self.to_i32(b)
        if azp is not None:
            if math.prod(azp.shape) != 1:
                if len(a.shape) < 2 or azp.shape != (a.shape[-2],):
                    raise NodeError(f"a_zero_point of shape {list(azp.shape)} is neither a "
                                    "scalar nor one per row of A")
                azp = self.reshape(azp, (a.shape[-2], 1))
            else:
                azp = self.reshape(azp, ())
            a32 = self.sub_zero_point(a32, azp)
        if bzp is not None:
            if math.prod(bzp.shape) != 1 and bzp.shape != (b.shape[-1],):
                raise NodeError(f"b_zero_point of shape {list(bzp.shape)} is neither a "
                                "scalar nor one per column of B")
            bzp = self.reshape(bzp, ()) if math.prod(bzp.shape) == 1 else bzp
            b32 = self.sub_zero_point(b32, bzp)
        return [self.matmul_act(a32, b32)]

    def op_Gemm(self, node, ins):
        a, b = ins[0], ins[1]
        c = ins[2] if len(ins) > 2 else None
        alpha = float(self.attr(node, "alpha", 1.0))
        beta = float(self.attr(node, "beta", 1.0))
        ta, tb = self.attr(node, "transA", 0), self.attr(node, "transB", 0)
        self.float_only(a)
        if ta:
            a = self.transpose_val(a, [1, 0])
        if b.weight is not None:
            y = self.linear(node, a, b, trans_b=bool(tb))
        else:
            if tb:
                b = self.transpose_val(b, [1, 0])
            y = self.matmul_act(a, b)
        et = a.et
        if alpha != 1.0:
            s = Val((), et, const=np.array(alpha, numpy_type(et)))
            y = self.elementwise([y, s], lambda x: self.e.binary("arith.mulf", x[0], x[1]))
        if c is not None:
            if beta != 1.0:
                if c.const is not None:
                    c = Val(c.shape, et, const=(c.const * beta).astype(numpy_type(et)))
                else:
                    s = Val((), et, const=np.array(beta, numpy_type(et)))
                    c = self.elementwise([c, s], lambda x: self.e.binary("arith.mulf", x[0], x[1]))
            y = self.elementwise([y, c], lambda x: self.e.binary("arith.addf", x[0], x[1]))
        return [y]

    def transpose_val(self, x, perm):
        class N:  # minimal node stand-in
            attribute = [helper.make_attribute("perm", perm)]
        return self.op_Transpose(N, [x])[0]


def import_model(path, tp=1, sequence_parallel=False, plan=None):
    model = load_model(path)
    imp = Importer(model, path, tp=tp, sequence_parallel=sequence_parallel, plan=plan)
    text = imp.run()
    return text, imp.manifest


def rank_slices(manifest, arrays: dict, tp: int):
    """{rank: [array per argument]} from full arrays by argument name."""
    out = {r: [] for r in range(tp)}
    for a in manifest["arguments"]:
        arr = np.asarray(arrays[a["name"]])
        for r in range(tp):
            if a["split"] is None:
                out[r].append(arr)
            else:
                sp = a["split"]
                out[r].append(slice_blocks(arr, sp["axis"], sp["parts"],
                                           sp.get("blocks", 1), r))
    return out


def interp_array(arr, dtype: str) -> np.ndarray:
    """`arr` as braid-interp reads an argument of manifest dtype `dtype`:
    bfloat16 as float32 (NumPy has no bf16), uint8 as the int8 of the same
    bits (the IR is signless: tensor<...xi8>)."""
    if dtype == "bfloat16":
        return np.asarray(arr).astype(np.float32)
    if dtype == "uint8":
        return np.asarray(arr).astype(np.uint8).view(np.int8)
    return np.asarray(arr).astype(dtype)


def write_rank_args(manifest, model_path, feeds: dict, out_dir: str):
    """Write DIR/rankR/argN.npy for every argument: graph inputs from feeds,
    weights sliced from the model's initializers."""
    model = onnx.load(model_path)
    arrays = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    arrays.update(feeds)
    tp = manifest["tp"]
    per = rank_slices(manifest, arrays, tp)
    for r, arrs in per.items():
        d = os.path.join(out_dir, f"rank{r}")
        os.makedirs(d, exist_ok=True)
        for i, arr in enumerate(arrs):
            np.save(os.path.join(d, f"arg{i}.npy"),
                    interp_array(arr, manifest["arguments"][i]["dtype"]))


def write_weight_slices(manifest, model, out_dir: str):
    """DIR/rankR/argN.npy for every weight argument (graph inputs are the
    caller's)."""
    arrays = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    weights = {"arguments": [a for a in manifest["arguments"] if a["kind"] == "weight"]}
    per = rank_slices(weights, arrays, manifest["tp"])
    for r, arrs in per.items():
        d = os.path.join(out_dir, f"rank{r}")
        os.makedirs(d, exist_ok=True)
        for a, arr in zip(weights["arguments"], arrs):
            np.save(os.path.join(d, f"arg{a['index']}.npy"), arr)
