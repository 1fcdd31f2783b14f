"""Text emitter for the ONNX importer: upstream arith/math/tensor/linalg on
tensors plus braid collectives, one SSA line at a time.

Every helper works on *local* (per-rank) shapes; the sharding logic in
onnx_import.py decides what those are.
"""
from __future__ import annotations

import numpy as np

# numpy dtype name -> MLIR element type
ELEM = {
    "float32": "f32", "float16": "f16", "float64": "f64", "bfloat16": "bf16",
    "int64": "i64", "int32": "i32", "int16": "i16", "int8": "i8", "bool": "i1",
}
FLOATS = {"f32", "f16", "f64", "bf16"}


def is_float(et: str) -> bool:
    return et in FLOATS


def ttype(shape, et: str) -> str:
    if len(shape) == 0:
        return f"tensor<{et}>"
    return "tensor<" + "x".join(str(int(d)) for d in shape) + f"x{et}>"


def scalar_literal(value, et: str) -> str:
    """A scalar attribute literal that round-trips exactly."""
    if et == "i1":
        return "true" if bool(value) else "false"
    if et.startswith("i"):
        return str(int(value))
    if et == "f32":
        return "0x%08X" % np.array(value, np.float32).view(np.uint32)
    if et == "f64":
        return "0x%016X" % np.array(value, np.float64).view(np.uint64)
    if et == "f16":
        return "0x%04X" % np.array(value, np.float16).view(np.uint16)
    if et == "bf16":
        bits = np.array(value, np.float32).view(np.uint32)
        # round to nearest even
        bits = (int(bits) + 0x7FFF + ((int(bits) >> 16) & 1)) >> 16
        return "0x%04X" % bits
    raise ValueError(et)


def np_for(et: str):
    return {"f32": np.float32, "f16": np.float16, "f64": np.float64,
            "i64": np.int64, "i32": np.int32, "i16": np.int16, "i8": np.int8,
            "i1": np.bool_, "bf16": np.float32}[et]


class Emitter:
    def __init__(self):
        self.lines: list[str] = []
        # constants, empty tensors and zero-filled inits: hoisted to the
        # function's entry so that no operand of a later matmul is computed
        # after an earlier one (what the decomposition passes look for)
        self.prologue: list[str] = []
        # location of the ops emitted now: the ONNX node they come from
        self.loc = ""
        self.n = 0
        self._cache: dict = {}

    def fresh(self) -> str:
        self.n += 1
        return f"%v{self.n}"

    def emit(self, text: str) -> str:
        r = self.fresh()
        self.lines.append(f"    {r} = {text}{self.loc}")
        return r

    def hoist(self, text: str) -> str:
        key = ("hoist", text)
        if key not in self._cache:
            r = self.fresh()
            self.prologue.append(f"    {r} = {text}")
            self._cache[key] = r
        return self._cache[key]

    def comment(self, text: str):
        self.lines.append(f"    // {text}")

    # ---- constants -------------------------------------------------------
    def scalar(self, value, et: str) -> str:
        if et == "i1":
            return self.hoist(f"arith.constant {scalar_literal(value, et)}")
        return self.hoist(f"arith.constant {scalar_literal(value, et)} : {et}")

    def const(self, arr: np.ndarray, et: str) -> str:
        arr = np.asarray(arr)
        t = ttype(arr.shape, et)
        if et == "i1":
            i8 = self.const(arr.astype(np.int8), "i8")
            return self.hoist(f"arith.trunci {i8} : {ttype(arr.shape, 'i8')} to {t}")
        flat = arr.reshape(-1)
        if flat.size > 0 and np.all(flat == flat[0]) and not (
                is_float(et) and np.isnan(flat[0])) and (
                flat.size == 1 or not is_float(et) or
                np.signbit(flat).all() == np.signbit(flat[0])):
            return self.hoist(
                f"arith.constant dense<{scalar_literal(flat[0], et)}> : {t}")
        if et == "bf16":
            bits = arr.astype(np.float32).view(np.uint32).astype(np.uint64)
            bits = ((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16).astype("<u2")
            data = bits.tobytes()
        else:
            data = arr.astype(np.dtype(np_for(et)).newbyteorder("<")).tobytes()
        return self.hoist(f'arith.constant dense<"0x{data.hex().upper()}"> : {t}')

    def splat(self, value, shape, et: str) -> str:
        return self.hoist(
            f"arith.constant dense<{scalar_literal(value, et)}> : {ttype(shape, et)}")

    def empty(self, shape, et: str) -> str:
        return self.hoist(f"tensor.empty() : {ttype(shape, et)}")

    def filled(self, value, shape, et: str) -> str:
        key = ("filled", scalar_literal(value, et), tuple(shape), et)
        if key not in self._cache:
            self._cache[key] = self._filled(value, shape, et)
        return self._cache[key]

    def _filled(self, value, shape, et: str) -> str:
        z = self.scalar(value, et)
        e = self.empty(shape, et)
        t = ttype(shape, et)
        return self.hoist(f"linalg.fill ins({z} : {et}) outs({e} : {t}) -> {t}")

    # ---- shape ops -------------------------------------------------------
    def reshape(self, x: str, shape, new_shape, et: str) -> str:
        key = ("reshape", x, tuple(new_shape))
        if key not in self._cache:
            self._cache[key] = self._reshape(x, shape, new_shape, et)
        return self._cache[key]

    def _reshape(self, x: str, shape, new_shape, et: str) -> str:
        shape, new_shape = tuple(shape), tuple(new_shape)
        if shape == new_shape:
            return x
        if 0 in shape or 0 in new_shape:
            raise ValueError("zero-size tensors are not supported")
        groups = reassociation(shape, new_shape)
        ta, tb = ttype(shape, et), ttype(new_shape, et)
        if groups is not None:
            kind, g = groups
            assoc = "[" + ", ".join("[" + ", ".join(map(str, grp)) + "]"
                                    for grp in g) + "]"
            if kind == "collapse":
                return self.emit(f"tensor.collapse_shape {x} {assoc} : {ta} into {tb}")
            dims = ", ".join(str(d) for d in new_shape)
            return self.emit(
                f"tensor.expand_shape {x} {assoc} output_shape [{dims}] : {ta} into {tb}")
        # general: collapse to 1-D, then expand
        n = int(np.prod(shape))
        flat = self.reshape(x, shape, (n,), et)
        return self.reshape(flat, (n,), new_shape, et)

    def broadcast(self, x: str, shape, out_shape, et: str) -> str:
        """numpy broadcasting of x (shape) to out_shape."""
        shape, out_shape = tuple(shape), tuple(out_shape)
        if shape == out_shape:
            return x
        off = len(out_shape) - len(shape)
        keep = [i for i, d in enumerate(shape) if d == out_shape[i + off]]
        kept_shape = tuple(shape[i] for i in keep)
        # dims of x that are stretched (size 1 -> n) are dropped first
        y = self.reshape(x, shape, kept_shape, et) if len(keep) != len(shape) else x
        kept_out = {i + off for i in keep}
        dims = [d for d in range(len(out_shape)) if d not in kept_out]
        if not dims:
            return self.reshape(y, kept_shape, out_shape, et)
        e = self.empty(out_shape, et)
        return self.emit(
            f"linalg.broadcast ins({y} : {ttype(kept_shape, et)}) outs({e} : "
            f"{ttype(out_shape, et)}) dimensions = [{', '.join(map(str, dims))}]")

    def transpose(self, x: str, shape, perm, et: str) -> str:
        perm = list(perm)
        if perm == list(range(len(shape))):
            return x
        out = [shape[p] for p in perm]
        e = self.empty(out, et)
        return self.emit(
            f"linalg.transpose ins({x} : {ttype(shape, et)}) outs({e} : "
            f"{ttype(out, et)}) permutation = [{', '.join(map(str, perm))}]")

    def extract_slice(self, x: str, shape, offsets, sizes, strides, et: str) -> str:
        if list(offsets) == [0] * len(shape) and list(sizes) == list(shape) and \
                all(s == 1 for s in strides):
            return x
        o = ", ".join(str(v) for v in offsets)
        s = ", ".join(str(v) for v in sizes)
        st = ", ".join(str(v) for v in strides)
        return self.emit(f"tensor.extract_slice {x}[{o}] [{s}] [{st}] : "
                         f"{ttype(shape, et)} to {ttype(sizes, et)}")

    def concat(self, xs, shapes, axis, et: str, out_shape) -> str:
        if len(xs) == 1:
            return xs[0]
        tys = ", ".join(ttype(s, et) for s in shapes)
        return self.emit(f"tensor.concat dim({axis}) {', '.join(xs)} : ({tys}) -> "
                         f"{ttype(out_shape, et)}")

    # ---- compute ---------------------------------------------------------
    def unary(self, op: str, x: str, shape, et: str) -> str:
        return self.emit(f"{op} {x} : {ttype(shape, et)}")

    def binary(self, op: str, a: str, b: str, shape, et: str) -> str:
        return self.emit(f"{op} {a}, {b} : {ttype(shape, et)}")

    def cmp(self, kind: str, pred: str, a: str, b: str, shape, et: str) -> str:
        return self.emit(f"arith.{kind} {pred}, {a}, {b} : {ttype(shape, et)}")

    def select(self, c: str, a: str, b: str, shape, et: str) -> str:
        return self.emit(f"arith.select {c}, {a}, {b} : {ttype(shape, 'i1')}, "
                         f"{ttype(shape, et)}")

    def convert(self, x: str, shape, src: str, dst: str) -> str:
        if src == dst:
            return x
        ta, tb = ttype(shape, src), ttype(shape, dst)
        fs, fd = is_float(src), is_float(dst)
        width = {"f16": 16, "bf16": 16, "f32": 32, "f64": 64, "i1": 1, "i8": 8,
                 "i16": 16, "i32": 32, "i64": 64}
        if dst == "i1":
            zero = self.splat(0, shape, src)
            if fs:
                return self.cmp("cmpf", "une", x, zero, shape, src)
            return self.cmp("cmpi", "ne", x, zero, shape, src)
        if fs and fd:
            if src in ("f16", "bf16") and dst in ("f16", "bf16"):
                mid = self.convert(x, shape, src, "f32")
                return self.convert(mid, shape, "f32", dst)
            op = "arith.extf" if width[dst] > width[src] else "arith.truncf"
            return self.emit(f"{op} {x} : {ta} to {tb}")
        if not fs and fd:
            op = "arith.uitofp" if src == "i1" else "arith.sitofp"
            return self.emit(f"{op} {x} : {ta} to {tb}")
        if fs and not fd:
            return self.emit(f"arith.fptosi {x} : {ta} to {tb}")
        if width[dst] > width[src]:
            op = "arith.extui" if src == "i1" else "arith.extsi"
            return self.emit(f"{op} {x} : {ta} to {tb}")
        return self.emit(f"arith.trunci {x} : {ta} to {tb}")

    def reduce(self, x: str, shape, axes, kind: str, et: str) -> str:
        """linalg.reduce over axes (dropped from the result)."""
        axes = sorted(axes)
        out = [d for i, d in enumerate(shape) if i not in axes]
        if kind == "sum":
            init = 0
        elif kind == "max":
            init = -np.inf if is_float(et) else (
                0 if et == "i1" else np.iinfo(np_for(et)).min)
        else:
            raise ValueError(kind)
        init_t = self.filled(init, out, et)
        if is_float(et):
            op = "arith.addf" if kind == "sum" else "arith.maximumf"
        else:
            op = "arith.addi" if kind == "sum" else "arith.maxsi"
            if et == "i1":
                op = "arith.xori" if kind == "sum" else "arith.ori"
        r = self.fresh()
        self.lines.append(
            f"    {r} = linalg.reduce ins({x} : {ttype(shape, et)}) outs({init_t} : "
            f"{ttype(out, et)}) dimensions = [{', '.join(map(str, axes))}]\n"
            f"      (%in: {et}, %acc: {et}) {{\n"
            f"        %s = {op} %in, %acc : {et}\n"
            f"        linalg.yield %s : {et}\n"
            f"      }}{self.loc}")
        return r

    def matmul(self, a: str, a_shape, b: str, b_shape, et: str, batch: bool,
               truncate: bool = True) -> str:
        """2-D [M,K]x[K,N] or 3-D batched; zero init in the accumulation type
        (f32 for f16/bf16), truncated to et unless truncate=False."""
        acc = "f32" if et in ("f16", "bf16") else et
        if batch:
            out = (a_shape[0], a_shape[1], b_shape[2])
            op = "linalg.batch_matmul"
        else:
            out = (a_shape[0], b_shape[1])
            op = "linalg.matmul"
        init = self.filled(0, out, acc)
        r = self.emit(f"{op} ins({a}, {b} : {ttype(a_shape, et)}, {ttype(b_shape, et)}) "
                      f"outs({init} : {ttype(out, acc)}) -> {ttype(out, acc)}")
        if acc != et and truncate:
            r = self.convert(r, out, acc, et)
        return r

    def band_mask(self, shape, k: int, lower: bool) -> str:
        """i1 tensor: j - i <= k (lower) / >= k over the last two dims."""
        key = ("band", tuple(shape), k, lower)
        if key in self._cache:
            return self._cache[key]
        n = len(shape)
        dims = ", ".join(f"d{i}" for i in range(n))
        amap = f"affine_map<({dims}) -> ({dims})>"
        it = ", ".join(['"parallel"'] * n)
        e = self.empty(shape, "i1")
        t = ttype(shape, "i1")
        r = self.fresh()
        self.lines.append(
            f"    {r} = linalg.generic {{indexing_maps = [{amap}], "
            f"iterator_types = [{it}]}} outs({e} : {t}) {{\n"
            f"      ^bb0(%out: i1):\n"
            f"        %i = linalg.index {n - 2} : index\n"
            f"        %j = linalg.index {n - 1} : index\n"
            f"        %d = arith.subi %j, %i : index\n"
            f"        %k = arith.constant {k} : index\n"
            f"        %c = arith.cmpi {'sle' if lower else 'sge'}, %d, %k : index\n"
            f"        linalg.yield %c : i1\n"
            f"      }} -> {t}{self.loc}")
        self._cache[key] = r
        return r

    def generic_trilu(self, x: str, shape, k: str, upper: bool, et: str) -> str:
        """Keep x[..., i, j] where j - i >= k (upper) / j - i <= k (lower), else 0."""
        n = len(shape)
        dims = ", ".join(f"d{i}" for i in range(n))
        amap = f"affine_map<({dims}) -> ({dims})>"
        it = ", ".join(['"parallel"'] * n)
        e = self.empty(shape, et)
        t = ttype(shape, et)
        zero = scalar_literal(0, et)
        pred = "sge" if upper else "sle"
        r = self.fresh()
        self.lines.append(
            f"    {r} = linalg.generic {{indexing_maps = [{amap}, {amap}], "
            f"iterator_types = [{it}]}} ins({x} : {t}) outs({e} : {t}) {{\n"
            f"      ^bb0(%in: {et}, %out: {et}):\n"
            f"        %i = linalg.index {n - 2} : index\n"
            f"        %j = linalg.index {n - 1} : index\n"
            f"        %d = arith.subi %j, %i : index\n"
            f"        %k = arith.index_cast {k} : i64 to index\n"
            f"        %c = arith.cmpi {pred}, %d, %k : index\n"
            f"        %z = arith.constant {zero} : {et}\n"
            f"        %s = arith.select %c, %in, %z : {et}\n"
            f"        linalg.yield %s : {et}\n"
            f"      }} -> {t}{self.loc}")
        return r


def reassociation(shape, new_shape):
    """('collapse'|'expand', groups) when one shape groups the other's dims."""
    shape, new_shape = list(shape), list(new_shape)
    if len(shape) == len(new_shape):
        return None
    big, small = (shape, new_shape) if len(shape) > len(new_shape) else (new_shape, shape)
    kind = "collapse" if len(shape) > len(new_shape) else "expand"
    if len(small) == 0:
        if all(d == 1 for d in big):
            return kind, []
        return None
    groups, i = [], 0
    for d in small:
        grp, prod = [], 1
        while i < len(big):
            if grp and prod == d:
                break
            if grp and prod * big[i] > d:
                return None
            grp.append(i)
            prod *= big[i]
            i += 1
        if prod != d or not grp:
            return None
        groups.append(grp)
    # trailing size-1 dims join the last group
    while i < len(big) and big[i] == 1:
        groups[-1].append(i)
        i += 1
    if i != len(big):
        return None
    return kind, groups
