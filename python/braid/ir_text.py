"""Braid IR text emitter shared by the importers (StableHLO, ONNX).

Importers never build Braid's MLIR in-process; they print text that
`braid-opt` parses. This module owns the spelling of that text so every
importer produces the same canonical forms (docs/Rationale.md, "Canonical
forms importers must produce").

API
---
`Val(name, shape, elt, unsigned=False)`
    A value: SSA `name` ("%v3"), `shape` (tuple of ints; `None` for a
    scalar), element type `elt` ("f32", "bf16", "i32", "i1", "index", ...).
    `unsigned` remembers that the producer's type was unsigned (Braid's
    tensors are signless; division, comparison, casts pick the unsigned op).
    `.type` is the printed type, `.rank`, `.is_float`, `.is_int`.

`tensor_type(shape, elt)` -> "tensor<4x8xf32>" ("tensor<f32>" for shape ()).
    "ui8" (ONNX's uint8) prints as i8: the IR is signless; a Val of "ui8"
    is `unsigned`, so casts pick extui/uitofp (`signless(elt)`).

`scalar_literal(value, elt)` -> the literal of a number as `elt` holds it:
    "true"/"false", "42", "0.10000000149011612" (a float rounded to `elt`
    first, printed exactly), hex bits for NaN and infinities.
`NUMPY_ELT` numpy dtype name -> element type; `numpy_type(elt)` the numpy
    scalar type holding `elt` (float32 for bf16); `is_float(elt)`.

`Emitter(indent="  ", hoist=False, reshape_chains=True)` collects lines of
one function body.
With `hoist=True` (the ONNX importer) constants, empty tensors, fills of
constants and `entry_op`s go to a prologue at the function's entry, each
distinct one once: no operand of a later matmul is then computed after an
earlier one (what the decomposition passes look for). `loc` (e.g.
` loc("node"("model.onnx":3:0))`) is appended to every statement emitted
while it is set.
    fresh(hint)                       new SSA name
    child()                           emitter for a nested region (shared names)
    emit(text)                        one raw line (already named values)
    comment(text)                     "// text"
    op(text_after_eq, shape, elt)     "%vN = text", returns Val
    entry_op(text_after_eq, shape, elt)  an op that depends on nothing in the
                                      body (braid.rank, index constants): in
                                      the prologue when hoisting
    const_scalar(lit, elt)            arith.constant on a scalar
    splat(lit, shape, elt)            arith.constant dense<lit> : tensor (lit:
                                      literal text or a number)
    dense(attr_text, shape, elt)      arith.constant <attr_text> (no type suffix)
    const_array(ndarray, elt)         a numpy array as a splat or a hex
                                      dense<"0x..."> constant (i1 via i8)
    empty(shape, elt), fill(scalar, shape, elt), zeros(shape, elt)
    unary(opname, x)                  e.g. "math.exp", "arith.negf"
    binary(opname, a, b)              same shape operands, result like a
    cmp(opname, pred, a, b)           arith.cmpf/cmpi -> i1
    select(c, a, b)
    cast(opname, x, elt)              arith.extf/truncf/sitofp/... ("to")
    convert(x, elt, unsigned=False)   picks the cast op for any pair of types
    transpose(x, perm)                linalg.transpose (identity skipped)
    reshape(x, shape)                 tensor.collapse_shape then expand_shape
                                      (each skipped when not needed); a reshape
                                      of a reshape starts from the first source
                                      (unless reshape_chains=False: the ONNX
                                      importer keeps each step, the forms the
                                      raising reads); the same reshape of a
                                      value is made once
    broadcast_to(x, shape)            numpy broadcasting (trailing dims align)
    broadcast(x, shape, dims)         operand dim i -> result dim dims[i]
                                      (StableHLO broadcast_in_dim semantics):
                                      linalg.transpose if dims are permuted,
                                      tensor.collapse_shape of expanded unit
                                      dims, then linalg.broadcast (a reshape
                                      when only unit dims are added)
    matmul(a, b, out_elt)             linalg.matmul / batch_matmul (rank 3)
                                      into a zero-filled accumulator (f32 for
                                      16-bit floats) + arith.truncf if needed
    reduce(x, dims, init_scalar, combiner)  linalg.reduce over `dims`,
                                      init from linalg.fill; combiner is the
                                      arith op name ("arith.addf", ...)
    extract_slice(x, offsets, sizes, strides) (offsets may be SSA names; the
                                      whole of x is x), insert_slice(u, x, offsets)
    concat(vals, dim), pad(x, low, high, scalar)
    iota(shape, dim, elt)             linalg.generic + linalg.index
    reverse(x, dims)                  linalg.generic reading (size-1-d) on dims
    band_mask(shape, k, lower)        i1: j - i <= k (lower) / >= k over the
                                      last two dims (linalg.generic + index)
    trilu(x, k, upper)                x where j - i >= k (upper) / <= k, else 0
    text()                            the body: prologue, then statements
    dce(roots)                        drop unused pure statements (not
                                      collectives or calls; not the prologue);
                                      roots = returned names
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence

import numpy as np

FLOAT_TYPES = ("f16", "bf16", "f32", "f64")
FLOAT_BITS = {"f16": 16, "bf16": 16, "f32": 32, "f64": 64}
NUMPY_ELT = {
    "float32": "f32", "float16": "f16", "float64": "f64", "bfloat16": "bf16",
    "int64": "i64", "int32": "i32", "int16": "i16", "int8": "i8", "bool": "i1",
    "uint8": "ui8",
}


def is_float(elt: str) -> bool:
    return elt in FLOAT_TYPES


def numpy_type(elt: str):
    """The numpy scalar type that holds values of `elt` (bf16 in float32)."""
    return {"f32": np.float32, "f16": np.float16, "f64": np.float64, "bf16": np.float32,
            "i64": np.int64, "i32": np.int32, "i16": np.int16, "i8": np.int8,
            "i1": np.bool_, "ui8": np.uint8}[elt]


def signless(elt: str) -> str:
    """The IR spelling of `elt`: Braid's tensors are signless, so an
    unsigned element type ("ui8", ONNX's uint8) is printed as "i8"; the
    unsigned reading is the importer's (extui, uitofp, ...)."""
    return elt[1:] if elt.startswith("ui") else elt


def int_bits(elt: str) -> int:
    if elt == "index":
        return 64
    elt = signless(elt)
    assert elt.startswith("i"), elt
    return int(elt[1:])


def tensor_type(shape, elt: str) -> str:
    if shape is None:
        return signless(elt)
    return "tensor<" + "".join(f"{d}x" for d in shape) + signless(elt) + ">"


class Val:
    __slots__ = ("name", "shape", "elt", "unsigned")

    def __init__(self, name: str, shape, elt: str, unsigned: bool = False):
        self.name = name
        self.shape = None if shape is None else tuple(int(d) for d in shape)
        self.elt = elt
        self.unsigned = unsigned or elt.startswith("ui")

    @property
    def type(self) -> str:
        return tensor_type(self.shape, self.elt)

    @property
    def rank(self) -> int:
        return 0 if self.shape is None else len(self.shape)

    @property
    def is_float(self) -> bool:
        return is_float(self.elt)

    @property
    def is_int(self) -> bool:
        return not self.is_float

    def __repr__(self):
        return f"Val({self.name}: {self.type})"


def _ilist(xs: Iterable[int]) -> str:
    return "[" + ", ".join(str(int(x)) for x in xs) + "]"


def _affine_identity(rank: int) -> str:
    ds = ", ".join(f"d{i}" for i in range(rank))
    return f"affine_map<({ds}) -> ({ds})>"


_NAN_BITS = {"f32": "0x7FC00000", "bf16": "0x7FC0", "f16": "0x7E00",
             "f64": "0x7FF8000000000000"}
_INF_BITS = {"f32": "0x7F800000", "bf16": "0x7F80", "f16": "0x7C00",
             "f64": "0x7FF0000000000000"}
_NEG_INF_BITS = {"f32": "0xFF800000", "bf16": "0xFF80", "f16": "0xFC00",
                 "f64": "0xFFF0000000000000"}


def _bf16_bits(values) -> np.ndarray:
    """bf16 bits of finite or infinite values, rounded to nearest even."""
    bits = np.asarray(values, np.float32).view(np.uint32).astype(np.uint64)
    return (bits + 0x7FFF + ((bits >> 16) & 1)) >> 16


def _round_to(value, elt: str) -> float:
    if elt == "f64":
        return float(value)
    if elt == "bf16":
        return float(np.array(int(_bf16_bits(value)) << 16, np.uint32).view(np.float32))
    with np.errstate(over="ignore"):  # too large for elt: infinity, as a cast
        return float(numpy_type(elt)(value))


def scalar_literal(value, elt: str) -> str:
    """The literal of `value` as an `elt` holds it. A float is rounded to
    `elt` and printed exactly (its double's repr), so it parses back to the
    same bits; NaN and infinities, which have no decimal form, are hex."""
    if elt == "i1":
        return "true" if bool(value) else "false"
    if elt.startswith("ui"):  # the signless bits of an unsigned value
        bits = int_bits(elt)
        v = int(value) % (1 << bits)
        return str(v - (1 << bits) if v >= 1 << (bits - 1) else v)
    if elt not in FLOAT_TYPES:
        return str(int(value))
    x = _round_to(value, elt)
    if math.isnan(x):
        return _NAN_BITS[elt]
    if math.isinf(x):
        return _INF_BITS[elt] if x > 0 else _NEG_INF_BITS[elt]
    text = repr(x)
    if "." not in text:  # MLIR's float literals need a '.': 1e-09 -> 1.0e-09
        mantissa, _, exponent = text.partition("e")
        text = f"{mantissa}.0e{exponent}"
    return text


def _literal(lit, elt: str) -> str:
    return lit if isinstance(lit, str) else scalar_literal(lit, elt)


def _grouping(big: Sequence[int], small: Sequence[int]):
    """Groups of consecutive dims of `big` whose products are the dims of
    `small` (unit dims join the group before them, leading ones the first),
    or None when there are none."""
    if not small:
        return [] if all(d == 1 for d in big) else None
    groups, i = [], 0
    for d in small:
        group, prod = [], 1
        while i < len(big) and not (group and prod == d) and \
                (not group or prod * big[i] <= d):
            group.append(i)
            prod *= big[i]
            i += 1
        if prod != d or not group:
            return None
        groups.append(group)
    while i < len(big) and big[i] == 1:  # trailing unit dims
        groups[-1].append(i)
        i += 1
    return groups if i == len(big) else None


def _segments(shape: Sequence[int], breaks: Sequence[int]):
    """Groups dims of `shape` by the common cumulative-product breakpoints."""
    groups: list[list[int]] = [[] for _ in range(len(breaks))]
    prod = 1
    last = None
    for i, d in enumerate(shape):
        if d == 1:
            seg = last if last is not None else 0
        else:
            seg = max(k for k, b in enumerate([1] + list(breaks[:-1])) if b <= prod)
            last = seg
        groups[seg].append(i)
        prod *= d
    return groups


class Emitter:
    def __init__(self, indent: str = "  ", prefix: str = "v", hoist: bool = False,
                 reshape_chains: bool = True):
        self.indent = indent
        self.prefix = prefix
        self.hoist = hoist
        self.reshape_chains = reshape_chains
        self.stmts: list[str] = []  # one entry per op (regions included)
        self.prologue: list[str] = []  # hoisted statements (hoist=True)
        self._entry: dict[str, Val] = {}  # hoisted op text -> its value
        self._entry_names: set[str] = set()
        self.loc = ""  # appended to every statement emitted while set
        self._ctr = [0]  # shared with child emitters: names stay unique
        # value name -> the value a chain of collapse/expand_shape started from
        self._reshape_src: dict[str, Val] = {}
        # (kind, key) -> value made once per emitter: reshapes, band masks
        self._made: dict = {}

    # ------------------------------------------------------------- basics
    def fresh(self, hint: str | None = None) -> str:
        self._ctr[0] += 1
        return f"%{hint or self.prefix}{self._ctr[0]}"

    def child(self, extra_indent: str = "  ") -> Emitter:
        """An emitter for a nested region: same name counter, deeper indent;
        its lines are spliced in by the caller (`text()`, `lines`)."""
        c = Emitter(self.indent + extra_indent, self.prefix, self.hoist, self.reshape_chains)
        c._ctr = self._ctr
        c._reshape_src = dict(self._reshape_src)
        c._made = dict(self._made)
        return c

    def emit(self, text: str) -> None:
        """One statement (an op with its regions), followed by `loc`."""
        self.stmts.append("\n".join(self.indent + ln for ln in text.split("\n")) + self.loc)

    def comment(self, text: str) -> None:
        self.stmts.append(f"{self.indent}// {text}")

    def emit_raw(self, text: str) -> None:
        """A statement already indented (e.g. a region assembled by hand)."""
        self.stmts.append(text)

    @property
    def lines(self) -> list[str]:
        return [ln for st in self.stmts for ln in st.split("\n")]

    def op(self, text: str, shape, elt: str, unsigned: bool = False) -> Val:
        v = Val(self.fresh(), shape, elt, unsigned)
        self.emit(f"{v.name} = {text}")
        return v

    def entry_op(self, text: str, shape, elt: str, unsigned: bool = False) -> Val:
        """An op whose operands are all defined at the function's entry: with
        hoisting, placed there once (the same text gives the same value)."""
        if not self.hoist:
            return self.op(text, shape, elt, unsigned)
        v = self._entry.get(text)
        if v is None:
            v = Val(self.fresh(), shape, elt, unsigned)
            self.prologue.append(f"{self.indent}{v.name} = {text}")
            self._entry[text] = v
            self._entry_names.add(v.name)
        return v

    def _op_of(self, text: str, shape, elt: str, operands, unsigned: bool = False) -> Val:
        """`entry_op` when every operand is hoisted, else `op`."""
        if self.hoist and all(v.name in self._entry_names for v in operands):
            return self.entry_op(text, shape, elt, unsigned)
        return self.op(text, shape, elt, unsigned)

    def text(self) -> str:
        return "\n".join(self.prologue + self.stmts)

    _DEF = re.compile(r"\s*(%[\w$.-]+)(?::\d+)? = ([\w.]+)")
    _USE = re.compile(r"%[\w$.-]+")
    PURE = ("arith.", "math.", "tensor.", "linalg.", "braid.topk", "braid.sort",
            "braid.gather", "braid.scatter", "braid.rank")

    def dce(self, roots: Iterable[str]) -> int:
        """Drop statements whose results nothing uses (pure ops only: never a
        collective or a call). `roots` are the names the function returns.
        Returns how many statements were removed."""
        roots = {r.split("#")[0] for r in roots}
        alive = list(self.stmts)
        removed = 0
        while True:
            uses: dict[str, int] = {}
            defs = [self._DEF.match(st) for st in alive]
            for st, d in zip(alive, defs):
                toks = self._USE.findall(st)
                if d:
                    toks = toks[1:]  # the definition itself
                for t in toks:
                    uses[t] = uses.get(t, 0) + 1
            keep = []
            for st, d in zip(alive, defs):
                if (d and d.group(1) not in roots and d.group(1) not in uses
                        and d.group(2).startswith(self.PURE)):
                    removed += 1
                    continue
                keep.append(st)
            if len(keep) == len(alive):
                break
            alive = keep
        self.stmts = alive
        return removed

    # ---------------------------------------------------------- constants
    # Literals are text, or numbers printed with scalar_literal.
    def const_scalar(self, lit, elt: str) -> Val:
        # true/false are typed i1 already: no ": i1" after them
        suffix = "" if elt == "i1" else f" : {signless(elt)}"
        return self.entry_op(f"arith.constant {_literal(lit, elt)}{suffix}", None, elt)

    def splat(self, lit, shape, elt: str, unsigned=False) -> Val:
        if shape is None:
            return self.const_scalar(lit, elt)
        t = tensor_type(shape, elt)
        return self.entry_op(f"arith.constant dense<{_literal(lit, elt)}> : {t}", shape, elt,
                             unsigned)

    def dense(self, attr_text: str, shape, elt: str, unsigned=False) -> Val:
        t = tensor_type(shape, elt)
        return self.entry_op(f"arith.constant {attr_text} : {t}", shape, elt, unsigned)

    def const_array(self, arr, elt: str) -> Val:
        """A numpy array as a constant: a splat when every element is the same
        (and, for floats, of the same sign: -0.0 is not 0.0), else the
        little-endian bytes in hex (bf16 rounded to nearest even); i1 goes
        through i8, whose hex form is plain bytes."""
        arr = np.asarray(arr)
        if elt == "i1":
            i8 = self.const_array(arr.astype(np.int8), "i8")
            return self._op_of(f"arith.trunci {i8.name} : {i8.type} to "
                               f"{tensor_type(arr.shape, 'i1')}", arr.shape, "i1", [i8])
        flat = arr.reshape(-1)
        floats = is_float(elt)
        if flat.size > 0 and np.all(flat == flat[0]) and not (
                floats and np.isnan(flat[0])) and (
                flat.size == 1 or not floats or
                np.signbit(flat).all() == np.signbit(flat[0])):
            return self.splat(flat[0], arr.shape, elt)
        if elt == "bf16":
            data = _bf16_bits(arr).astype("<u2").tobytes()
        else:
            data = arr.astype(np.dtype(numpy_type(elt)).newbyteorder("<")).tobytes()
        return self.dense(f'dense<"0x{data.hex().upper()}">', arr.shape, elt)

    def empty(self, shape, elt: str) -> Val:
        return self.entry_op(f"tensor.empty() : {tensor_type(shape, elt)}", shape, elt)

    def fill(self, scalar: Val, shape, elt: str) -> Val:
        e = self.empty(shape, elt)
        t = tensor_type(shape, elt)
        return self._op_of(f"linalg.fill ins({scalar.name} : {signless(elt)}) outs({e.name} : {t}) "
                           f"-> {t}",
                           shape, elt, [scalar, e])

    def zeros(self, shape, elt: str) -> Val:
        return self.fill(self.const_scalar(0, elt), shape, elt)

    # ------------------------------------------------------- element-wise
    def unary(self, opname: str, x: Val) -> Val:
        return self.op(f"{opname} {x.name} : {x.type}", x.shape, x.elt, x.unsigned)

    def binary(self, opname: str, a: Val, b: Val) -> Val:
        return self.op(f"{opname} {a.name}, {b.name} : {a.type}", a.shape, a.elt, a.unsigned)

    def cmp(self, opname: str, pred: str, a: Val, b: Val) -> Val:
        return self.op(f"{opname} {pred}, {a.name}, {b.name} : {a.type}", a.shape, "i1")

    def select(self, c: Val, a: Val, b: Val) -> Val:
        return self.op(f"arith.select {c.name}, {a.name}, {b.name} : {c.type}, {a.type}",
                       a.shape, a.elt, a.unsigned)

    def cast(self, opname: str, x: Val, elt: str, unsigned=False) -> Val:
        t = tensor_type(x.shape, elt)
        return self.op(f"{opname} {x.name} : {x.type} to {t}", x.shape, elt, unsigned)

    def convert(self, x: Val, elt: str, unsigned: bool = False) -> Val:
        src = x.elt
        if src == elt:
            return Val(x.name, x.shape, elt, unsigned)
        if elt == "i1":  # x != 0
            z = self.splat(scalar_literal(0, src), x.shape, src)
            if src in FLOAT_TYPES:
                return self.cmp("arith.cmpf", "une", x, z)
            return self.cmp("arith.cmpi", "ne", x, z)
        if src in FLOAT_TYPES and elt in FLOAT_TYPES:
            op = "arith.extf" if FLOAT_BITS[elt] > FLOAT_BITS[src] else "arith.truncf"
            if FLOAT_BITS[elt] == FLOAT_BITS[src]:  # bf16 <-> f16
                x = self.cast("arith.extf", x, "f32")
                op = "arith.truncf"
            return self.cast(op, x, elt)
        if src in FLOAT_TYPES:
            return self.cast("arith.fptoui" if unsigned else "arith.fptosi", x, elt, unsigned)
        if elt in FLOAT_TYPES:
            uns = x.unsigned or src == "i1"
            return self.cast("arith.uitofp" if uns else "arith.sitofp", x, elt)
        if src == "index" or elt == "index":
            return self.cast("arith.index_cast", x, elt, unsigned)
        sb, db = int_bits(src), int_bits(elt)
        if db > sb:
            uns = x.unsigned or src == "i1"
            return self.cast("arith.extui" if uns else "arith.extsi", x, elt, unsigned)
        return self.cast("arith.trunci", x, elt, unsigned)

    # ------------------------------------------------------------ layout
    def transpose(self, x: Val, perm: Sequence[int]) -> Val:
        perm = [int(p) for p in perm]
        if perm == list(range(len(perm))):
            return x
        shape = tuple(x.shape[p] for p in perm)
        e = self.empty(shape, x.elt)
        return self.op(
            f"linalg.transpose ins({x.name} : {x.type}) outs({e.name} : "
            f"{tensor_type(shape, x.elt)}) permutation = {_ilist(perm)}",
            shape, x.elt, x.unsigned)

    def reshape(self, x: Val, shape: Sequence[int]) -> Val:
        dst = [int(d) for d in shape]
        if list(x.shape) == dst:
            return x
        # reshape of a reshape: start from the chain's source (no collapse of
        # an expand), and give the source back when the shapes meet again
        origin = self._reshape_src.get(x.name) if self.reshape_chains else None
        if origin is not None:
            if list(origin.shape) == dst:
                return origin
            x = origin
        key = ("reshape", x.name, tuple(dst))
        if key not in self._made:
            r = self._reshape(x, dst)
            self._reshape_src[r.name] = x
            self._made[key] = r
        return self._made[key]

    def _reshape(self, x: Val, dst: list) -> Val:
        src = list(x.shape)
        n = math.prod(src)
        assert n == math.prod(dst), (src, dst)
        if n == 0:
            raise ValueError("zero-size tensors are not supported")
        # one shape groups the other's dims: a single collapse or expand
        if len(src) > len(dst) and (groups := _grouping(src, dst)) is not None:
            return self.op(f"tensor.collapse_shape {x.name} {self._reassoc(groups)} : "
                           f"{x.type} into {tensor_type(dst, x.elt)}", dst, x.elt, x.unsigned)
        if len(src) < len(dst) and (groups := _grouping(dst, src)) is not None:
            return self.op(f"tensor.expand_shape {x.name} {self._reassoc(groups)} output_shape "
                           f"{_ilist(dst)} : {x.type} into {tensor_type(dst, x.elt)}",
                           dst, x.elt, x.unsigned)
        # else through the dims both shapes break at
        if n <= 1:  # only unit dims: go through rank 0
            mid: list[int] = []
            gs_src: list[list[int]] = []
            gs_dst: list[list[int]] = []
        else:
            def cum(s):
                out, p = set(), 1
                for d in s:
                    p *= d
                    out.add(p)
                return out
            breaks = sorted((cum(src) & cum(dst)) - {1})
            gs_src = _segments(src, breaks)
            gs_dst = _segments(dst, breaks)
            mid = [math.prod(src[i] for i in g) for g in gs_src]
        if mid != src:
            x = self.op(f"tensor.collapse_shape {x.name} {self._reassoc(gs_src)} : "
                        f"{x.type} into {tensor_type(mid, x.elt)}", mid, x.elt, x.unsigned)
        if mid != dst:
            x = self.op(f"tensor.expand_shape {x.name} {self._reassoc(gs_dst)} output_shape "
                        f"{_ilist(dst)} : {x.type} into {tensor_type(dst, x.elt)}",
                        dst, x.elt, x.unsigned)
        return x

    @staticmethod
    def _reassoc(groups) -> str:
        return "[" + ", ".join(_ilist(g) for g in groups) + "]"

    def broadcast_to(self, x: Val, shape: Sequence[int]) -> Val:
        """numpy broadcasting: x's dims align with the trailing dims of shape."""
        return self.broadcast(x, shape, range(len(shape) - x.rank, len(shape)))

    def broadcast(self, x: Val, shape: Sequence[int], dims: Sequence[int]) -> Val:
        shape = tuple(int(d) for d in shape)
        dims = [int(d) for d in dims]
        if x.shape is None:
            raise ValueError("broadcast of a scalar: use fill")
        # 1. permuted dims -> transpose the operand so dims increase
        order = sorted(range(len(dims)), key=lambda i: dims[i])
        if order != list(range(len(dims))):
            x = self.transpose(x, order)
            dims = [dims[i] for i in order]
        # 2. expanded unit dims -> collapse them away
        keep = [i for i, d in enumerate(dims) if not (x.shape[i] == 1 and shape[d] != 1)]
        if len(keep) != len(dims):
            x = self.reshape(x, [x.shape[i] for i in keep])
            dims = [dims[i] for i in keep]
        if tuple(x.shape) == shape:
            return x
        added = [d for d in range(len(shape)) if d not in dims]
        if all(shape[d] == 1 for d in added):  # only unit dims: a reshape
            return self.reshape(x, shape)
        e = self.empty(shape, x.elt)
        return self.op(f"linalg.broadcast ins({x.name} : {x.type}) outs({e.name} : "
                       f"{tensor_type(shape, x.elt)}) dimensions = {_ilist(added)}",
                       shape, x.elt, x.unsigned)

    # ------------------------------------------------------------- linalg
    def matmul(self, a: Val, b: Val, out_elt: str) -> Val:
        """a: [M,K] x b: [K,N] (or batched [B,M,K] x [B,K,N])."""
        if a.rank == 2:
            shape, name = (a.shape[0], b.shape[1]), "linalg.matmul"
        else:
            shape, name = (a.shape[0], a.shape[1], b.shape[2]), "linalg.batch_matmul"
        if a.is_float and (FLOAT_BITS[a.elt] < 32 or FLOAT_BITS[out_elt] < 32):
            acc = "f32"
        else:
            acc = out_elt
        init = self.zeros(shape, acc)
        t = tensor_type(shape, acc)
        r = self.op(f"{name} ins({a.name}, {b.name} : {a.type}, {b.type}) "
                    f"outs({init.name} : {t}) -> {t}", shape, acc)
        if acc != out_elt:
            r = self.convert(r, out_elt)
        return r

    def reduce(self, x: Val, dims: Sequence[int], init: Val, combiner: str) -> Val:
        dims = sorted(int(d) for d in dims)
        shape = tuple(d for i, d in enumerate(x.shape) if i not in dims)
        acc = self.fill(init, shape, x.elt)
        i, a, r = self.fresh("in"), self.fresh("acc"), self.fresh("r")
        self.emit(f"{(res := self.fresh())} = linalg.reduce ins({x.name} : {x.type}) "
                  f"outs({acc.name} : {acc.type}) dimensions = {_ilist(dims)}\n"
                  f"  ({i}: {x.elt}, {a}: {x.elt}) {{\n"
                  f"    {r} = {combiner} {i}, {a} : {x.elt}\n"
                  f"    linalg.yield {r} : {x.elt}\n"
                  f"  }}")
        return Val(res, shape, x.elt, x.unsigned)

    def extract_slice(self, x: Val, offsets, sizes, strides=None) -> Val:
        strides = strides or [1] * len(sizes)
        shape = tuple(int(s) for s in sizes)
        if shape == x.shape and all(o == 0 for o in offsets) and all(s == 1 for s in strides):
            return x
        offs = ", ".join(str(o) for o in offsets)
        return self.op(f"tensor.extract_slice {x.name}[{offs}] {_ilist(sizes)} "
                       f"{_ilist(strides)} : {x.type} to {tensor_type(shape, x.elt)}",
                       shape, x.elt, x.unsigned)

    def insert_slice(self, u: Val, x: Val, offsets) -> Val:
        offs = ", ".join(str(o) for o in offsets)
        return self.op(f"tensor.insert_slice {u.name} into {x.name}[{offs}] "
                       f"{_ilist(u.shape)} {_ilist([1] * u.rank)} : {u.type} into {x.type}",
                       x.shape, x.elt, x.unsigned)

    def concat(self, vals: Sequence[Val], dim: int) -> Val:
        if len(vals) == 1:
            return vals[0]
        shape = list(vals[0].shape)
        shape[dim] = sum(v.shape[dim] for v in vals)
        names = ", ".join(v.name for v in vals)
        types = ", ".join(v.type for v in vals)
        return self.op(f"tensor.concat dim({dim}) {names} : ({types}) -> "
                       f"{tensor_type(shape, vals[0].elt)}", shape, vals[0].elt,
                       vals[0].unsigned)

    def pad(self, x: Val, low, high, scalar: Val) -> Val:
        shape = tuple(d + lo + hi for d, lo, hi in zip(x.shape, low, high))
        args = ", ".join(f"{self.fresh('i')}: index" for _ in shape)
        res = self.fresh()
        self.emit(f"{res} = tensor.pad {x.name} low{_ilist(low)} high{_ilist(high)} {{\n"
                  f"^bb0({args}):\n"
                  f"  tensor.yield {scalar.name} : {x.elt}\n"
                  f"}} : {x.type} to {tensor_type(shape, x.elt)}")
        return Val(res, shape, x.elt, x.unsigned)

    def reverse(self, x: Val, dims: Sequence[int]) -> Val:
        """Reverse `dims`: linalg.generic reading d -> (size - 1 - d)."""
        rank = x.rank
        ds = [f"d{i}" for i in range(rank)]
        src = [f"{x.shape[i] - 1} - d{i}" if i in dims else f"d{i}" for i in range(rank)]
        e = self.empty(x.shape, x.elt)
        a, b, res = self.fresh("in"), self.fresh("out"), self.fresh()
        par = ", ".join(['"parallel"'] * rank)
        self.emit(f"{res} = linalg.generic {{indexing_maps = [affine_map<({', '.join(ds)}) -> "
                  f"({', '.join(src)})>, {_affine_identity(rank)}], iterator_types = [{par}]}} "
                  f"ins({x.name} : {x.type}) outs({e.name} : {x.type}) {{\n"
                  f"^bb0({a}: {x.elt}, {b}: {x.elt}):\n"
                  f"  linalg.yield {a} : {x.elt}\n"
                  f"}} -> {x.type}")
        return Val(res, x.shape, x.elt, x.unsigned)

    def iota(self, shape, dim: int, elt: str, unsigned=False) -> Val:
        e = self.empty(shape, elt)
        t = tensor_type(shape, elt)
        rank = len(shape)
        out, i, c = self.fresh("out"), self.fresh("i"), self.fresh("c")
        body = [f"{i} = linalg.index {dim} : index"]
        if elt in FLOAT_TYPES:
            c64 = self.fresh("c")
            body += [f"{c64} = arith.index_cast {i} : index to i64",
                     f"{c} = arith.sitofp {c64} : i64 to {elt}"]
        elif elt == "index":
            c = i
        else:
            body += [f"{c} = arith.index_cast {i} : index to {elt}"]
        res = self.fresh()
        par = ", ".join(['"parallel"'] * rank)
        self.emit(f"{res} = linalg.generic {{indexing_maps = [{_affine_identity(rank)}], "
                  f"iterator_types = [{par}]}} outs({e.name} : {t}) {{\n"
                  f"^bb0({out}: {elt}):\n" +
                  "".join(f"  {b}\n" for b in body) +
                  f"  linalg.yield {c} : {elt}\n"
                  f"}} -> {t}")
        return Val(res, tuple(shape), elt, unsigned)

    def band_mask(self, shape, k: int, lower: bool) -> Val:
        """i1 tensor: j - i <= k (lower) / j - i >= k over the last two dims
        (i, j), from linalg.index: a causal or band attention mask."""
        key = ("band", tuple(shape), k, lower)
        if key not in self._made:
            rank = len(shape)
            e = self.empty(shape, "i1")
            t = tensor_type(shape, "i1")
            out, i, j, d, c, kk = (self.fresh(h) for h in ("out", "i", "j", "d", "c", "k"))
            res = self.fresh()
            par = ", ".join(['"parallel"'] * rank)
            self.emit(f"{res} = linalg.generic {{indexing_maps = [{_affine_identity(rank)}], "
                      f"iterator_types = [{par}]}} outs({e.name} : {t}) {{\n"
                      f"^bb0({out}: i1):\n"
                      f"  {i} = linalg.index {rank - 2} : index\n"
                      f"  {j} = linalg.index {rank - 1} : index\n"
                      f"  {d} = arith.subi {j}, {i} : index\n"
                      f"  {kk} = arith.constant {k} : index\n"
                      f"  {c} = arith.cmpi {'sle' if lower else 'sge'}, {d}, {kk} : index\n"
                      f"  linalg.yield {c} : i1\n"
                      f"}} -> {t}")
            self._made[key] = Val(res, tuple(shape), "i1")
        return self._made[key]

    def trilu(self, x: Val, k: int, upper: bool) -> Val:
        """x[..., i, j] where j - i >= k (upper) / j - i <= k (lower), else 0."""
        keep = self.band_mask(x.shape, k, lower=not upper)
        return self.select(keep, x, self.splat(0, x.shape, x.elt))
