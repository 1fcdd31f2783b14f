"""braid-import-stablehlo: JAX shard_map StableHLO -> Braid IR text.

    braid-import-stablehlo IN.mlir [-o OUT]      (IN may be '-' for stdin)

Parses what `jax.jit(jax.shard_map(f, ...)).lower(...).as_text()` emits with
jaxlib's bundled MLIR bindings (never by hand), takes the body of the
`sdy.manual_computation` (or the whole `main` when no axis is manual) as ONE
per-rank `func.func` with local shapes over a `shard.grid`, and prints Braid
IR in the canonical forms of docs/Rationale.md. Replica groups become grid
axes; a permuted mesh keeps its device order as `braid.device_order`.

Errors name every offending op with its location (file:line:col) and exit
non-zero; no output file is written then. See docs/Import.md.
"""

from __future__ import annotations

import argparse
import importlib.util
import itertools
import math
import re
import sys

from braid.ir_text import Emitter, Val, scalar_literal, tensor_type
from braid.outfile import OutputError, write_text

UNROLL_CAP = 64


class ImportErrors(Exception):
    def __init__(self, errors):
        super().__init__("\n".join(errors))
        self.errors = errors


class OpError(Exception):
    """Raised by an op handler: the op cannot be imported."""


# --------------------------------------------------------------- helpers

def _ints(attr):
    from jax._src.lib.mlir import ir
    for cls in (ir.DenseI64ArrayAttr, ir.DenseI32ArrayAttr, ir.DenseBoolArrayAttr):
        if isinstance(attr, cls):
            return [int(x) for x in cls(attr)]
    if isinstance(attr, ir.DenseIntElementsAttr):
        import numpy as np
        return [int(x) for x in np.array(ir.DenseIntElementsAttr(attr)).reshape(-1)]
    if isinstance(attr, ir.ArrayAttr):
        return [int(ir.IntegerAttr(a).value) for a in ir.ArrayAttr(attr)]
    if isinstance(attr, ir.IntegerAttr):
        return int(ir.IntegerAttr(attr).value)
    raise OpError(f"cannot read integer attribute {attr}")


def _int(attr):
    from jax._src.lib.mlir import ir
    return int(ir.IntegerAttr(attr).value)


def _str(attr):
    from jax._src.lib.mlir import ir
    return ir.StringAttr(attr).value


def _sym(attr):
    from jax._src.lib.mlir import ir
    return ir.FlatSymbolRefAttr(attr).value


def _dense2d(attr):
    import numpy as np
    from jax._src.lib.mlir import ir
    a = np.array(ir.DenseIntElementsAttr(attr))
    if a.size == 0:
        return []
    return a.reshape(a.shape[0], -1).tolist()


def _elt(t):
    """(signless element type, unsigned?) of an MLIR type."""
    s = str(t)
    if s.startswith("ui"):
        return "i" + s[2:], True
    if s.startswith("si"):
        return "i" + s[2:], False
    return s, False


def _val_of_type(name, t):
    from jax._src.lib.mlir import ir
    if not isinstance(t, ir.RankedTensorType):
        try:
            t = ir.RankedTensorType(t)
        except Exception:  # noqa: BLE001
            raise OpError(f"type {t} is not a ranked tensor") from None
    if not t.has_static_shape:
        raise OpError(f"type {t} has a dynamic shape")
    elt, uns = _elt(t.element_type)
    return Val(name, tuple(t.shape), elt, uns)


def _placeholder(t):
    try:
        return _val_of_type("%error", t)
    except OpError:
        return Val("%error", (), "f32")


_LOC_RE = re.compile(r'"([^"]*)":(\d+):(\d+)')


class Mesh:
    def __init__(self, name, axes, device_ids):
        self.name = name
        self.axes = axes                # [(name, size)]
        self.device_ids = device_ids    # list or None
        self.sizes = [s for _, s in axes]
        self.n = math.prod(self.sizes) if self.sizes else 1

    def coords(self, p):
        out = []
        for s in reversed(self.sizes):
            out.append(p % s)
            p //= s
        return list(reversed(out))

    def pos(self, coords):
        p = 0
        for c, s in zip(coords, self.sizes):
            p = p * s + c
        return p

    def groups_for(self, axes):
        """Replica groups (positions) of the group formed by ordered `axes`."""
        others = [i for i in range(len(self.sizes)) if i not in axes]
        groups = []
        for oc in itertools.product(*[range(self.sizes[i]) for i in others]):
            g = []
            for ac in itertools.product(*[range(self.sizes[i]) for i in axes]):
                c = [0] * len(self.sizes)
                for i, v in zip(others, oc):
                    c[i] = v
                for i, v in zip(axes, ac):
                    c[i] = v
                g.append(self.pos(c))
            groups.append(tuple(g))
        return groups

    def candidate_axes(self):
        nontriv = [i for i, s in enumerate(self.sizes) if s > 1]
        triv = [i for i, s in enumerate(self.sizes) if s == 1]
        for k in range(0, len(nontriv) + 1):
            for sub in itertools.permutations(nontriv, k):
                yield list(sub)
        for k in range(1, len(self.sizes) + 1):
            for sub in itertools.permutations(range(len(self.sizes)), k):
                if any(i in triv for i in sub):
                    yield list(sub)

    def axes_for_groups(self, groups):
        if not groups:
            return [i for i, s in enumerate(self.sizes) if s > 1]
        want = sorted(tuple(x for x in g if x >= 0) for g in groups)
        for axes in self.candidate_axes():
            if sorted(self.groups_for(axes)) == want:
                return axes
        raise OpError(f"replica groups {[list(g) for g in groups]} do not form a set of "
                      f"axes of mesh @{self.name} "
                      f"{{{', '.join(f'{n}={s}' for n, s in self.axes)}}}")

    def grid_text(self):
        shape = "x".join(str(s) for s in self.sizes) if self.sizes else "1"
        t = f"shard.grid @{self.name}(shape = {shape})"
        if self.device_ids is not None and self.device_ids != list(range(self.n)):
            ids = ", ".join(str(d) for d in self.device_ids)
            t += f" {{braid.device_order = #braid.device_order<[{ids}]>}}"
        return t


def _factorizations(n):
    """Ordered factorizations of n into factors >= 2 ([] for 1)."""
    if n == 1:
        return [[]]
    out = []
    for f in range(2, n + 1):
        if n % f == 0:
            out += [[f] + rest for rest in _factorizations(n // f)]
    return out


def _refinements(sizes):
    """Grids whose row-major positions are those of a mesh of `sizes`, each
    axis split into ordered factors; fewest axes first."""
    per_axis = [_factorizations(n) or [[n]] for n in sizes]
    grids = [sum(c, []) for c in itertools.product(*per_axis)]
    return sorted((g for g in grids if g), key=len)


# ---------------------------------------------------------------- importer

ELEMENTWISE_BINARY = {
    # stablehlo op: (float op, signed int op, unsigned int op, i1 op)
    "stablehlo.add": ("arith.addf", "arith.addi", "arith.addi", "arith.ori"),
    "stablehlo.subtract": ("arith.subf", "arith.subi", "arith.subi", None),
    "stablehlo.multiply": ("arith.mulf", "arith.muli", "arith.muli", "arith.andi"),
    "stablehlo.divide": ("arith.divf", "arith.divsi", "arith.divui", None),
    "stablehlo.remainder": ("arith.remf", "arith.remsi", "arith.remui", None),
    "stablehlo.maximum": ("arith.maximumf", "arith.maxsi", "arith.maxui", "arith.ori"),
    "stablehlo.minimum": ("arith.minimumf", "arith.minsi", "arith.minui", "arith.andi"),
    "stablehlo.power": ("math.powf", "math.ipowi", None, None),
    "stablehlo.atan2": ("math.atan2", None, None, None),
    "stablehlo.and": (None, "arith.andi", "arith.andi", "arith.andi"),
    "stablehlo.or": (None, "arith.ori", "arith.ori", "arith.ori"),
    "stablehlo.xor": (None, "arith.xori", "arith.xori", "arith.xori"),
    "stablehlo.shift_left": (None, "arith.shli", "arith.shli", None),
    "stablehlo.shift_right_logical": (None, "arith.shrui", "arith.shrui", None),
    "stablehlo.shift_right_arithmetic": (None, "arith.shrsi", "arith.shrsi", None),
}

ELEMENTWISE_UNARY = {
    # stablehlo op: (float op, int op)
    "stablehlo.exponential": ("math.exp", None),
    "stablehlo.exponential_minus_one": ("math.expm1", None),
    "stablehlo.log": ("math.log", None),
    "stablehlo.log_plus_one": ("math.log1p", None),
    "stablehlo.sqrt": ("math.sqrt", None),
    "stablehlo.rsqrt": ("math.rsqrt", None),
    "stablehlo.cbrt": ("math.cbrt", None),
    "stablehlo.tanh": ("math.tanh", None),
    "stablehlo.sine": ("math.sin", None),
    "stablehlo.cosine": ("math.cos", None),
    "stablehlo.tan": ("math.tan", None),
    "stablehlo.floor": ("math.floor", None),
    "stablehlo.ceil": ("math.ceil", None),
    "stablehlo.round_nearest_even": ("math.roundeven", None),
    "stablehlo.round_nearest_afz": ("math.round", None),
    "stablehlo.abs": ("math.absf", "math.absi"),
    "stablehlo.negate": ("arith.negf", None),
    "chlo.erf": ("math.erf", None),
    "chlo.erfc": ("math.erfc", None),
    "chlo.tan": ("math.tan", None),
}

REDUCTION_KINDS = {
    "stablehlo.add": "sum", "stablehlo.multiply": "prod", "stablehlo.maximum": "max",
    "stablehlo.minimum": "min", "stablehlo.and": "and", "stablehlo.or": "or",
    "stablehlo.xor": "xor",
}

# Element-wise ops (operands and result of one shape): outside a manual
# computation they run on the rank's blocks of operands sharded alike.
BLOCKWISE_OPS = (set(ELEMENTWISE_BINARY) | set(ELEMENTWISE_UNARY) | {
    "stablehlo.not", "stablehlo.logistic", "chlo.square", "stablehlo.sign",
    "stablehlo.convert", "stablehlo.compare", "stablehlo.select", "stablehlo.clamp"})

IDENTITY_CUSTOM_CALLS = {
    "Sharding", "SPMDFullToShardShape", "SPMDShardToFullShape",
    "xla.sdy.GlobalToLocalShape", "xla.sdy.LocalToGlobalShape",
}

FCMP = {"EQ": "oeq", "NE": "une", "LT": "olt", "LE": "ole", "GT": "ogt", "GE": "oge"}
ICMP_S = {"EQ": "eq", "NE": "ne", "LT": "slt", "LE": "sle", "GT": "sgt", "GE": "sge"}
ICMP_U = {"EQ": "eq", "NE": "ne", "LT": "ult", "LE": "ule", "GT": "ugt", "GE": "uge"}


class Importer:
    def __init__(self, module, filename, unroll_cap=UNROLL_CAP):
        self.unroll_cap = unroll_cap
        self.module = module
        self.filename = filename
        self.errors: list[str] = []
        self.remarks: list[str] = []
        self.meshes: dict[str, Mesh] = {}
        self.mesh: Mesh | None = None
        self.funcs = {}          # name -> func op
        self.emitted_funcs = {}  # name -> text
        self.pending = []
        self._made = {}          # gathers and slices made once per value and spec

    # ------------------------------------------------------------ errors
    def loc(self, op):
        s = str(op.location)
        m = _LOC_RE.search(s)
        if m:
            f = m.group(1)
            if f in ("-", "", "<stdin>"):
                f = self.filename
            return f"{f}:{m.group(2)}:{m.group(3)}"
        return f"{self.filename}: {s}"

    def error(self, op, msg):
        self.errors.append(f"{self.loc(op)}: error: '{op.name}': {msg}")

    def remark(self, op, msg):
        self.remarks.append(f"{self.loc(op)}: remark: {msg}")

    # ------------------------------------------------------------- driver
    def run(self) -> str:
        main = None
        for op in self.module.body.operations:
            op = op.operation
            if op.name == "sdy.mesh":
                self._read_mesh(op)
            elif op.name == "func.func":
                name = _str(op.attributes["sym_name"])
                self.funcs[name] = op
                vis = op.attributes["sym_visibility"] if "sym_visibility" in op.attributes else None
                if vis is None or _str(vis) == "public":
                    if main is None or name == "main":
                        main = op
            else:
                self.error(op, "unexpected top-level op")
        if main is None:
            raise ImportErrors([f"{self.filename}: error: no public function to import"])
        body_text = self._import_main(main)
        if self.errors:
            raise ImportErrors(list(dict.fromkeys(self.errors)))
        out = []
        if self.mesh is None:
            self.mesh = Mesh("mesh", [], None)
        grids = [self.mesh] + [m for m in self.meshes.values() if m is not self.mesh]
        for m in grids:
            out.append(m.grid_text())
        out.append("")
        out.append(body_text)
        while self.pending:
            name = self.pending.pop(0)
            out.append("")
            out.append(self.emitted_funcs[name])
        return "\n".join(out) + "\n"

    def _read_mesh(self, op):
        from jax._src.lib.mlir.dialects import sdy
        name = _str(op.attributes["sym_name"])
        m = sdy.MeshAttr(op.attributes["mesh"])
        axes = [(sdy.MeshAxisAttr(a).name, sdy.MeshAxisAttr(a).size) for a in m.axes]
        ids = list(m.device_ids) if len(m.device_ids) else None
        if ids is not None and len(ids) == 1 and math.prod(s for _, s in axes) != 1:
            ids = None  # maximal mesh spelled device_ids=[k]
        self.meshes[name] = Mesh(name, axes, ids)

    def _import_main(self, main):
        blocks = list(main.regions[0].blocks)
        ops = [o.operation for o in blocks[0].operations]
        mc = [o for o in ops if o.name == "sdy.manual_computation"]
        if not mc and not self.meshes and any(
                o.name == "stablehlo.custom_call"
                and _str(o.attributes["call_target_name"]) == "SPMDFullToShardShape"
                for o in ops):
            return self._import_gspmd(main, ops)
        attrs = self.module.operation.attributes
        if ("mhlo.spmd_parameters_shardings" in attrs or "mhlo.spmd_output_sharding" in attrs) \
                and not self._has_manual(main, set()):
            return self._import_partitioned(main)
        if not self._has_manual(main, set()) and self._has_sharded_boundary(main):
            # Auto-sharded (no shard_map) and not partitioned: every rank
            # computes the whole program on its gathered arguments.
            self.remark(main, "no shard_map: every rank computes the whole program (sharded "
                        "arguments gathered, results sliced); braid.jax_spmd."
                        "partitioned_stablehlo gives XLA's partitioned per-device program")
            return self._import_program(main)
        if not self._has_manual(main, set()):
            # No manual axes: the whole function is the per-rank program.
            if self.meshes:
                self.mesh = next(iter(self.meshes.values()))
            return self._function_text("main", main, public=True)
        return self._import_program(main)

    # --------------------------------------------------- whole programs
    # A jitted program around shard_maps: manual computations (in main or in
    # the private functions it calls, which are inlined) and the code between
    # them. Outside a manual computation every value is either held whole
    # (replicated: every rank computes it) or as this rank's block of a
    # sharding, `spec` = per dimension the ordered mesh axes it is split over.
    # Blocks are gathered (braid.all_gather) when code outside needs the whole
    # value, and whole values are sliced at the rank's offset when a manual
    # computation or a result wants a block.

    def _has_sharded_boundary(self, main):
        """Whether an argument or result of main is split by its sdy.sharding."""
        from jax._src.lib.mlir import ir
        for key in ("arg_attrs", "res_attrs"):
            if key not in main.attributes:
                continue
            for i in range(len(ir.ArrayAttr(main.attributes[key]))):
                try:
                    spec = self._attr_spec(main, key, i, f"{key[:3]} #{i}")
                except OpError:
                    return True  # reported when imported
                if spec not in (None, "absent"):
                    return True
        return False

    def _has_manual(self, fop, seen):
        """Whether the function holds a manual computation, itself or in a
        function it calls."""
        name = _str(fop.attributes["sym_name"])
        if name in seen:
            return False
        seen.add(name)
        found = False

        def walk(op):
            nonlocal found
            for r in op.regions:
                for b in r.blocks:
                    for o in b.operations:
                        o = o.operation
                        if o.name == "sdy.manual_computation":
                            found = True
                        elif o.name in ("func.call", "stablehlo.call"):
                            callee = self.funcs.get(_sym(o.attributes["callee"]))
                            if callee is not None and self._has_manual(callee, seen):
                                found = True
                        walk(o)
        walk(fop)
        return found

    def _spec(self, sharding, what, op):
        """The per-dimension mesh axes of a sdy.TensorShardingAttr; None when
        it splits nothing (replicated). Axes of size 1 split nothing."""
        from jax._src.lib.mlir import ir
        from jax._src.lib.mlir.dialects import sdy
        t = sdy.TensorShardingAttr(sharding)
        ref = t.mesh_or_ref
        name = ref.value if isinstance(ref, ir.FlatSymbolRefAttr) else None
        if name is None or name not in self.meshes:
            raise OpError(f"{what}: sharding {t} names no mesh of the module")
        mesh = self.meshes[name]
        if self.mesh is None:
            self.mesh = mesh
        elif mesh is not self.mesh and mesh.sizes != self.mesh.sizes:
            raise OpError(f"{what}: sharding over mesh @{name}, but the program runs on "
                          f"@{self.mesh.name}; one mesh per program is supported")
        names = [n for n, _ in mesh.axes]
        spec = []
        for d in t.dimension_shardings:
            axes = []
            for a in sdy.DimensionShardingAttr(d).axes:
                a = sdy.AxisRefAttr(a)
                if a.sub_axis_info is not None:
                    raise OpError(f"{what}: sharding {t} splits a sub-axis of '{a.name}'; "
                                  "sub-axes are not supported")
                i = names.index(a.name)
                if mesh.sizes[i] > 1:
                    axes.append(i)
            spec.append(tuple(axes))
        return tuple(spec) if any(spec) else None

    def _attr_spec(self, fop, key, i, what):
        """The spec of argument / result i from arg_attrs / res_attrs, or
        the string "absent" when it has no sdy.sharding."""
        from jax._src.lib.mlir import ir
        if key not in fop.attributes:
            return "absent"
        attrs = ir.ArrayAttr(fop.attributes[key])
        if i >= len(attrs):
            return "absent"
        d = ir.DictAttr(attrs[i])
        if "sdy.sharding" not in d:
            return "absent"
        return self._spec(d["sdy.sharding"], what, fop)

    def _local_shape(self, shape, spec, what):
        if spec is None:
            return tuple(shape)
        out = list(shape)
        for d, axes in enumerate(spec):
            n = math.prod(self.mesh.sizes[a] for a in axes)
            if out[d] % n:
                raise OpError(f"{what}: dimension {d} of size {out[d]} does not divide "
                              f"into {n} blocks")
            out[d] //= n
        return tuple(out)

    def _import_program(self, main):
        e = Emitter(indent="  ")
        blk = list(main.regions[0].blocks)[0]
        ops = [o.operation for o in blk.operations]
        for o in ops:
            if o.name == "sdy.manual_computation":
                self._check_manual(o)
        vmap, local, args = {}, {}, []
        for i, a in enumerate(blk.arguments):
            what = f"argument %arg{i}"
            try:
                spec = self._attr_spec(main, "arg_attrs", i, what)
                if spec == "absent":
                    spec = self._implied_arg_spec(a, what)
                v = self._arg_val(main, f"%arg{i}", a.type)
                v = Val(v.name, self._local_shape(v.shape, spec, what), v.elt, v.unsigned)
            except OpError as ex:
                self.error(main, str(ex))
                v, spec = Val(f"%arg{i}", (), "f32"), None
            args.append(v)
            if spec is None:
                vmap[a] = v
            else:
                local[a] = (v, spec)
        outs = self._outside_block(e, blk, vmap, local, "func.return")
        results = []
        for i, (v, spec) in enumerate(outs):
            what = f"result #{i}"
            try:
                want = self._attr_spec(main, "res_attrs", i, what)
                if want == "absent":
                    want = spec
                results.append(self._as_spec(e, v, spec, want))
            except OpError as ex:
                self.error(main, str(ex))
                results.append(v)
        return self._func_text("main", args, results, e, public=True)

    def _implied_arg_spec(self, arg, what):
        """An argument without sdy.sharding (hand-written text) takes the
        in_sharding of the manual computations that read it when they all
        agree, as JAX's propagation would; else it is replicated."""
        specs = set()
        for u in arg.uses:
            owner = u.owner
            if owner.name != "sdy.manual_computation":
                return None
            from jax._src.lib.mlir.dialects import sdy
            per = sdy.TensorShardingPerValueAttr(owner.attributes["in_shardings"])
            specs.add(self._spec(per.shardings[u.operand_number], what, owner))
        return specs.pop() if len(specs) == 1 else None

    def _entry(self, v, vmap, local):
        if v in local:
            return local[v]
        return self._get(vmap, v), None

    def _whole(self, e, v, vmap, local):
        """The whole (replicated) value of v, gathered once when held as blocks."""
        if v not in vmap and v in local:
            x, spec = local[v]
            vmap[v] = self._gather_blocks(e, x, spec)
        return self._get(vmap, v)

    def _once(self, key, make):
        """make(), once per key: a value is gathered or sliced only once."""
        if key not in self._made:
            self._made[key] = make()
        return self._made[key]

    def _gather_blocks(self, e, x, spec):
        return self._once(("gather", x.name, spec),
                          lambda: self._gather_blocks_uncached(e, x, spec))

    def _gather_blocks_uncached(self, e, x, spec):
        mesh = self.mesh
        for d, axes in enumerate(spec):
            if not axes:
                continue
            shape = list(x.shape)
            shape[d] *= math.prod(mesh.sizes[a] for a in axes)
            t = tensor_type(shape, x.elt)
            x = e.op(f"braid.all_gather {x.name} on @{mesh.name} axes = {list(axes)} "
                     f"dim = {d} : {x.type} -> {t}", tuple(shape), x.elt, x.unsigned)
        return x

    def _slice_block(self, e, x, spec):
        """This rank's block of the whole value x: offsets from braid.rank."""
        return self._once(("slice", x.name, spec),
                          lambda: self._slice_block_uncached(e, x, spec))

    def _slice_block_uncached(self, e, x, spec):
        mesh = self.mesh
        offs, sizes = [], []
        for d, axes in enumerate(spec):
            n = x.shape[d]
            if not axes:
                offs.append(0)
                sizes.append(n)
                continue
            parts = math.prod(mesh.sizes[a] for a in axes)
            if n % parts:
                raise OpError(f"dimension {d} of size {n} does not divide into {parts} blocks")
            r = e.entry_op(f"braid.rank on @{mesh.name} axes = {list(axes)} : index", None,
                           "index")
            c = e.const_scalar(str(n // parts), "index")
            offs.append(e.op(f"arith.muli {r.name}, {c.name} : index", None, "index").name)
            sizes.append(n // parts)
        return e.extract_slice(x, offs, sizes)

    def _as_spec(self, e, x, spec, want):
        if spec == want:
            return x
        whole = x if spec is None else self._gather_blocks(e, x, spec)
        return whole if want is None else self._slice_block(e, whole, want)

    def _outside_block(self, e, blk, vmap, local, term):
        """Ops between manual computations; returns (Val, spec) per result."""
        for o in blk.operations:
            o = o.operation
            if o.name == term:
                try:
                    return [self._entry(v, vmap, local) for v in o.operands]
                except OpError as ex:
                    self.error(o, str(ex))
                    return [(_placeholder(v.type), None) for v in o.operands]
            try:
                if o.name == "sdy.manual_computation":
                    self._manual(e, o, vmap, local)
                    continue
                if o.name in ("func.call", "stablehlo.call"):
                    callee = self.funcs.get(_sym(o.attributes["callee"]))
                    if callee is not None and self._has_manual(callee, set()):
                        self._inline_call(e, o, callee, vmap, local)
                        continue
                if o.name in ("sdy.sharding_constraint", "sdy.reshard"):
                    x, spec = self._entry(o.operands[0], vmap, local)
                    if spec is None:
                        vmap[o.results[0]] = x
                    else:
                        local[o.results[0]] = (x, spec)
                    continue
                spec = self._blockwise_spec(o, local)
                if spec is not None:
                    self._blockwise(e, o, spec, vmap, local)
                    continue
                for v in o.operands:
                    self._whole(e, v, vmap, local)
                for v in self._captured(o, local):
                    self._whole(e, v, vmap, local)
            except OpError as ex:
                self.error(o, str(ex))
                for r in o.results:
                    vmap[r] = _placeholder(r.type)
                continue
            self._import_op(e, o, vmap)
        return []

    def _blockwise_spec(self, op, local):
        """The sharding an element-wise op outside the manual computations
        runs on without communication: that of its operands held as blocks
        when they agree (whole operands are sliced locally), else None."""
        if op.name not in BLOCKWISE_OPS or len(op.results) != 1:
            return None
        from jax._src.lib.mlir import ir

        def shape(v):
            return list(ir.RankedTensorType(v.type).shape)
        if any(shape(v) != shape(op.results[0]) for v in op.operands):
            return None
        specs = {local[v][1] for v in op.operands if v in local}
        return specs.pop() if len(specs) == 1 else None

    def _blockwise(self, e, op, spec, vmap, local):
        bm = {}
        for v in op.operands:
            x, s = self._entry(v, vmap, local)
            bm[v] = x if s == spec else self._slice_block(e, x, spec)
        self._import_op(e, op, bm)
        local[op.results[0]] = (bm[op.results[0]], spec)

    def _captured(self, op, local):
        """Block-held values the regions of op (a loop body) read from outside."""
        out = []
        for r in op.regions:
            for b in r.blocks:
                for o in b.operations:
                    o = o.operation
                    out += [v for v in o.operands if v in local]
                    out += self._captured(o, local)
        return out

    def _inline_call(self, e, call, callee, vmap, local):
        """A private function holding a manual computation (a jitted
        shard_map called from another jit, or grad's forward and transposed
        bodies) is inlined: its arguments keep the caller's blocks."""
        cblk = list(callee.regions[0].blocks)[0]
        for a, v in zip(cblk.arguments, call.operands):
            x, spec = self._entry(v, vmap, local)
            if spec is None:
                vmap[a] = x
            else:
                local[a] = (x, spec)
        outs = self._outside_block(e, cblk, vmap, local, "func.return")
        for r, (x, spec) in zip(call.results, outs):
            if spec is None:
                vmap[r] = x
            else:
                local[r] = (x, spec)

    def _manual(self, e, mc, vmap, local):
        from jax._src.lib.mlir.dialects import sdy
        self._check_manual(mc)
        region_blk = list(mc.regions[0].blocks)[0]
        n_extra = len(list(region_blk.arguments)) - len(list(mc.operands))
        if n_extra:
            raise OpError(f"{n_extra} extra region arguments (tokens/dimension variables) "
                          "are not supported")
        ins = sdy.TensorShardingPerValueAttr(mc.attributes["in_shardings"]).shardings
        outs = sdy.TensorShardingPerValueAttr(mc.attributes["out_shardings"]).shardings
        bm = dict(vmap)
        for i, (operand, barg) in enumerate(zip(mc.operands, region_blk.arguments)):
            want = self._spec(ins[i], f"operand #{i}", mc)
            x, spec = self._entry(operand, vmap, local)
            x = self._as_spec(e, x, spec, want)
            bt = _val_of_type("", barg.type)
            if tuple(x.shape) != tuple(bt.shape):
                raise OpError(f"operand #{i}: block of shape {list(x.shape)} for a region "
                              f"argument of shape {list(bt.shape)}")
            bm[barg] = x
        results = self._block(e, region_blk, bm, "sdy.return")
        for i, (r, x) in enumerate(zip(mc.results, results)):
            spec = self._spec(outs[i], f"result #{i}", mc)
            if spec is None:
                vmap[r] = x
            else:
                local[r] = (x, spec)

    # ------------------------------------------- XLA-partitioned programs
    def _import_partitioned(self, main):
        """What XLA's SPMD partitioner made of an auto-sharded jit
        (braid.jax_spmd.partitioned_stablehlo): main is already the
        per-device program, partition p is rank p. Its meshes only spell
        replica groups (`#stablehlo.replica_group_mesh_axes`); the grid is
        inferred like the legacy form's (the fewest axes, factors of
        mhlo.num_partitions, on which every group set is a set of axes),
        other group sets go onto derived grids."""
        self.group_meshes, self.meshes = self.meshes, {}
        counts = {m.n for m in self.group_meshes.values()}
        if "mhlo.num_partitions" in self.module.operation.attributes:
            n = _int(self.module.operation.attributes["mhlo.num_partitions"])
        elif len(counts) == 1:
            n = counts.pop()   # every group mesh spans all partitions
        else:
            n = 1
            self.error(main, "a partitioned module without mhlo.num_partitions (write it "
                       "with braid.jax_spmd.partitioned_stablehlo, which sets it)")
        self.mesh = self._infer_mesh(n)
        return self._function_text("main", main, public=True)

    # ------------------------------------------------------ legacy GSPMD form
    def _import_gspmd(self, main, ops):
        """jax_use_shardy_partitioner=False: Sharding/SPMDFullToShardShape
        custom_calls around `call @shmap_body`. The mesh is not in the module;
        it is inferred as the grid with the fewest axes (factors of
        mhlo.num_partitions) on which every replica group set is an axis set."""
        calls = [o for o in ops if o.name in ("func.call", "stablehlo.call")]
        if len(calls) != 1:
            self.error(main, "legacy GSPMD form: expected one call of the shard_map body")
            return ""
        call = calls[0]
        callee = _sym(call.attributes["callee"])
        main_args = list(list(main.regions[0].blocks)[0].arguments)
        for i, v in enumerate(call.operands):
            src = v
            while (hasattr(src.owner, "name") and src.owner.name == "stablehlo.custom_call"
                   and _str(src.owner.attributes["call_target_name"]) in
                   ("Sharding", "SPMDFullToShardShape")):
                src = src.owner.operands[0]
            if src not in main_args or main_args.index(src) != i:
                self.error(call, f"operand #{i} of the shard_map body is not function "
                           f"argument #{i}")
        n = 1
        if "mhlo.num_partitions" in self.module.operation.attributes:
            n = _int(self.module.operation.attributes["mhlo.num_partitions"])
        body = self.funcs.get(callee)
        if body is None:
            self.error(call, f"call to unknown function @{callee}")
            return ""
        self.mesh = self._infer_mesh(n)
        self.emitted_funcs[callee] = None  # the body is main, never a callee
        return self._function_text("main", body, public=True)

    def _infer_mesh(self, n):
        group_sets = []
        for f in self.funcs.values():
            self._walk_groups(f, group_sets)

        def factorizations(m, minf=2):
            if m == 1:
                yield []
                return
            for f in range(2, m + 1):
                if m % f == 0:
                    for rest in factorizations(m // f):
                        yield [f] + rest
        cands = sorted({tuple(f) for f in factorizations(n)}, key=len) or [()]
        for shape in cands:
            mesh = Mesh("mesh", [(f"a{i}", s) for i, s in enumerate(shape)], None)
            try:
                for g in group_sets:
                    mesh.axes_for_groups(g)
            except OpError:
                continue
            return mesh
        return Mesh("mesh", [("a0", n)], None)

    def _walk_groups(self, op, out):
        for r in op.regions:
            for b in r.blocks:
                for o in b.operations:
                    o = o.operation
                    if "replica_groups" in o.attributes:
                        try:
                            out.append(self._replica_groups(o))
                        except OpError:
                            pass  # reported where the collective is imported
                    self._walk_groups(o, out)

    def _replica_groups(self, op):
        """Replica groups as lists of positions: dense groups, or the
        mesh-axes form XLA's partitioner writes
        (`#stablehlo.replica_group_mesh_axes<mesh = @m, axes = [...]>`: the
        positions varying along those axes of @m)."""
        from jax._src.lib.mlir.dialects import hlo
        attr = op.attributes["replica_groups"]
        if not hlo.ReplicaGroupMeshAxesAttr.isinstance(attr):
            return _dense2d(attr)
        rg = hlo.ReplicaGroupMeshAxesAttr(attr)
        name = rg.mesh.value
        mesh = getattr(self, "group_meshes", {}).get(name) or self.meshes.get(name)
        if mesh is None:
            raise OpError(f"replica groups name mesh @{name}, which the module does not define")
        names = [n for n, _ in mesh.axes]
        axes = []
        for a in rg.axes:
            a = hlo.AxisRefAttr(a)
            if a.sub_axis_info is not None:
                raise OpError(f"replica groups over a sub-axis of '{a.name}' are not supported")
            axes.append(names.index(a.name))
        return [list(g) for g in mesh.groups_for(axes)]

    def _check_manual(self, mc):
        from jax._src.lib.mlir import ir
        from jax._src.lib.mlir.dialects import sdy
        # the mesh: the one every in/out sharding refers to
        names = set()
        for key in ("in_shardings", "out_shardings"):
            per_value = sdy.TensorShardingPerValueAttr(mc.attributes[key])
            for t in per_value.shardings:
                ref = sdy.TensorShardingAttr(t).mesh_or_ref
                if isinstance(ref, ir.FlatSymbolRefAttr):
                    names.add(ref.value)
                else:
                    self.error(mc, "inline meshes in shardings are not supported")
        if len(names) > 1:
            self.error(mc, f"shardings over several meshes {sorted(names)}")
        name = next(iter(names)) if names else next(iter(self.meshes), None)
        if name is None or name not in self.meshes:
            self.error(mc, f"mesh @{name} is not defined")
            self.mesh = Mesh(name or "mesh", [], None)
            return
        if self.mesh is not None and self.mesh.name != name and \
                self.mesh.sizes != self.meshes[name].sizes:
            self.error(mc, f"manual computation over mesh @{name}, but the program runs on "
                       f"@{self.mesh.name}; one mesh per program is supported")
        self.mesh = self.meshes[name]
        manual = sdy.ManualAxesAttr(mc.attributes["manual_axes"])
        manual_names = {str(manual[i]) for i in range(len(manual))}
        missing = [n for n, s in self.mesh.axes if s > 1 and n not in manual_names]
        if missing:
            self.error(mc, f"axes {missing} of mesh @{name} are not manual; only fully "
                       "manual shard_map bodies are supported")

    # ------------------------------------------------------------ functions
    def _function_text(self, name, fop, public=False):
        e = Emitter(indent="  ")
        blk = list(fop.regions[0].blocks)[0]
        vmap, args = {}, []
        for i, a in enumerate(blk.arguments):
            v = self._arg_val(fop, f"%arg{i}", a.type)
            vmap[a] = v
            args.append(v)
        results = self._block(e, blk, vmap, "func.return")
        return self._func_text(name, args, results, e, public)

    def _arg_val(self, op, name, t):
        try:
            return _val_of_type(name, t)
        except OpError as ex:
            self.error(op, f"argument {name}: {ex}")
            return Val(name, (), "f32")

    def _func_text(self, name, args, results, e, public):
        e.dce([r.name for r in results])
        sig = ", ".join(f"{a.name}: {a.type}" for a in args)
        rtypes = ", ".join(r.type for r in results)
        vis = "" if public else "private "
        head = f"func.func {vis}@{name}({sig}) -> ({rtypes}) {{"
        ret = "  return" + (f" {', '.join(r.name for r in results)} : {rtypes}" if results else "")
        return "\n".join([head, e.text(), ret, "}"])

    def _callee(self, name, op):
        if name in self.emitted_funcs:
            return
        if name not in self.funcs:
            self.error(op, f"call to unknown function @{name}")
            return
        self.emitted_funcs[name] = None
        self.emitted_funcs[name] = self._function_text(name, self.funcs[name], public=False)
        self.pending.append(name)

    def _block(self, e, blk, vmap, term):
        results = []
        for o in blk.operations:
            o = o.operation
            if o.name == term:
                results = [self._get(vmap, v) for v in o.operands]
                continue
            self._import_op(e, o, vmap)
        return results

    def _import_op(self, e, o, vmap):
        try:
            outs = self._op(e, o, vmap)
        except OpError as ex:
            self.error(o, str(ex))
            outs = None
        except Exception as ex:  # noqa: BLE001 - report, keep going
            self.error(o, f"cannot import ({type(ex).__name__}: {ex})")
            outs = None
        if outs is None:
            outs = [_placeholder(r.type) for r in o.results]
        for r, v in zip(o.results, outs):
            vmap[r] = v

    def _get(self, vmap, v):
        if v not in vmap:
            raise OpError("operand defined outside the imported region")
        return vmap[v]

    # ------------------------------------------------------------------ ops
    def _op(self, e, op, vmap):
        name = op.name
        ins = [self._get(vmap, v) for v in op.operands]
        outs = [_val_of_type("", r.type) for r in op.results]
        out = outs[0] if outs else None

        if name in ELEMENTWISE_BINARY:
            a, b = ins
            f, si, ui, i1 = ELEMENTWISE_BINARY[name]
            opn = f if a.is_float else (i1 if a.elt == "i1" else (ui if a.unsigned else si))
            if opn is None:
                raise OpError(f"not supported on {a.elt}")
            return [e.binary(opn, a, b)]
        if name in ELEMENTWISE_UNARY:
            (a,) = ins
            f, i = ELEMENTWISE_UNARY[name]
            if a.is_float:
                return [e.unary(f, a)]
            if name == "stablehlo.negate":
                z = e.splat("0", a.shape, a.elt)
                return [e.binary("arith.subi", z, a)]
            if i is None:
                raise OpError(f"not supported on {a.elt}")
            return [e.unary(i, a)]
        if name == "stablehlo.not":
            (a,) = ins
            ones = e.splat("true" if a.elt == "i1" else "-1", a.shape, a.elt)
            return [e.binary("arith.xori", a, ones)]
        if name == "stablehlo.logistic":
            (a,) = ins
            one = e.splat("1.0", a.shape, a.elt)
            ex = e.unary("math.exp", e.unary("arith.negf", a))
            return [e.binary("arith.divf", one, e.binary("arith.addf", one, ex))]
        if name == "chlo.square":
            (a,) = ins
            return [e.binary("arith.mulf" if a.is_float else "arith.muli", a, a)]
        if name == "stablehlo.sign":
            (a,) = ins
            if a.is_float:
                z, one, m1 = (e.splat(x, a.shape, a.elt) for x in ("0.0", "1.0", "-1.0"))
                pos = e.select(e.cmp("arith.cmpf", "ogt", a, z), one, a)
                return [e.select(e.cmp("arith.cmpf", "olt", a, z), m1, pos)]
            z, one, m1 = (e.splat(x, a.shape, a.elt) for x in ("0", "1", "-1"))
            pos = e.select(e.cmp("arith.cmpi", "sgt", a, z), one, z)
            return [e.select(e.cmp("arith.cmpi", "slt", a, z), m1, pos)]
        if name == "stablehlo.reverse":
            (a,) = ins
            dims = _ints(op.attributes["dimensions"])
            if not dims:
                return [a]
            return [e.reverse(a, dims)]
        if name == "stablehlo.convert":
            (a,) = ins
            if a.elt == out.elt:
                return [Val(a.name, a.shape, a.elt, out.unsigned)]
            return [e.convert(a, out.elt, out.unsigned)]
        if name == "stablehlo.compare":
            return [self._compare(e, op, ins)]
        if name == "stablehlo.select":
            c, a, b = ins
            if c.rank == 0 and a.rank > 0:
                c = e.op(f"tensor.extract {c.name}[] : {c.type}", None, "i1")
            return [e.select(c, a, b)]
        if name == "stablehlo.clamp":
            lo, x, hi = ins
            lo = self._bcast_scalar(e, lo, x)
            hi = self._bcast_scalar(e, hi, x)
            mx, mn = (("arith.maximumf", "arith.minimumf") if x.is_float else
                      (("arith.maxui", "arith.minui") if x.unsigned else
                       ("arith.maxsi", "arith.minsi")))
            return [e.binary(mn, e.binary(mx, x, lo), hi)]
        if name == "stablehlo.constant":
            if self._only_folded_uses(op):
                return [Val("%folded", out.shape, out.elt, out.unsigned)]
            return [self._constant(e, op, out)]
        if name == "stablehlo.iota":
            dim = _int(op.attributes["iota_dimension"])
            return [e.iota(out.shape, dim, out.elt, out.unsigned)]
        if name == "stablehlo.broadcast_in_dim":
            return [self._broadcast(e, op, ins[0], out)]
        if name in ("stablehlo.reshape", "stablehlo.bitcast_convert") and (
                name == "stablehlo.reshape" or ins[0].elt == out.elt):
            return [e.reshape(ins[0], out.shape)]
        if name == "stablehlo.transpose":
            return [e.transpose(ins[0], _ints(op.attributes["permutation"]))]
        if name == "stablehlo.slice":
            start = _ints(op.attributes["start_indices"])
            strides = _ints(op.attributes["strides"])
            return [e.extract_slice(ins[0], start, out.shape, strides)]
        if name == "stablehlo.dynamic_slice":
            return [self._dynamic_slice(e, ins[0], ins[1:], out.shape)]
        if name == "stablehlo.dynamic_update_slice":
            x, u = ins[0], ins[1]
            offs = self._clamped_offsets(e, ins[2:], x.shape, u.shape)
            return [e.insert_slice(u, x, offs)]
        if name == "stablehlo.concatenate":
            return [e.concat(ins, _int(op.attributes["dimension"]))]
        if name == "stablehlo.pad":
            x, pv = ins
            lo = _ints(op.attributes["edge_padding_low"])
            hi = _ints(op.attributes["edge_padding_high"])
            interior = _ints(op.attributes["interior_padding"])
            if any(interior) or any(v < 0 for v in lo + hi):
                raise OpError("interior or negative padding is not supported")
            return [e.pad(x, lo, hi, self._scalar(e, pv))]
        if name == "stablehlo.reduce":
            return self._reduce(e, op, ins, outs)
        if name == "stablehlo.dot_general":
            return [self._dot(e, op, ins, out)]
        if name == "stablehlo.reduce_window":
            return self._reduce_window(e, op, ins, outs)
        if name == "stablehlo.dot":
            a, b = ins
            if a.rank != 2 or b.rank != 2:
                raise OpError("stablehlo.dot is only supported on matrices")
            return [e.matmul(a, b, out.elt)]
        if name in ("stablehlo.all_reduce", "stablehlo.all_gather",
                    "stablehlo.reduce_scatter", "stablehlo.all_to_all",
                    "stablehlo.collective_permute"):
            return self._collective(e, op, ins, outs)
        if name == "stablehlo.partition_id":
            return [self._partition_id(e, out)]
        if name == "stablehlo.replica_id":
            return [e.splat("0", (), out.elt, out.unsigned)]
        if name in ("func.call", "stablehlo.call"):
            callee = _sym(op.attributes["callee"])
            self._callee(callee, op)
            names = ", ".join(v.name for v in ins)
            types = ", ".join(v.type for v in ins)
            rtypes = ", ".join(v.type for v in outs)
            if not outs:
                e.emit(f"func.call @{callee}({names}) : ({types}) -> ()")
                return []
            base = e.fresh()
            sfx = f":{len(outs)}" if len(outs) > 1 else ""
            e.emit(f"{base}{sfx} = func.call @{callee}({names}) : ({types}) -> ({rtypes})")
            if len(outs) == 1:
                return [Val(base, outs[0].shape, outs[0].elt, outs[0].unsigned)]
            return [Val(f"{base}#{i}", o.shape, o.elt, o.unsigned) for i, o in enumerate(outs)]
        if name in ("stablehlo.optimization_barrier", "mhlo.copy"):
            return ins  # XLA's partitioner copies values (value semantics: identity)
        if name == "stablehlo.custom_call":
            tgt = _str(op.attributes["call_target_name"])
            if tgt in IDENTITY_CUSTOM_CALLS and len(ins) == len(outs):
                return self._shape_identity(ins, outs)
            raise OpError(f"custom_call @{tgt} is not supported")
        if name == "sdy.sharding_constraint" or name == "sdy.reshard":
            return ins
        if name == "chlo.top_k":
            (x,) = ins
            k = _int(op.attributes["k"])
            v, i = outs
            if x.rank == 0:
                raise OpError("top_k of a scalar")
            base = e.fresh()
            e.emit(f"{base}:2 = braid.topk {x.name} {{k = {k} : i64}} : {x.type} -> "
                   f"{v.type}, {i.type}")
            return [Val(f"{base}#0", v.shape, v.elt), Val(f"{base}#1", i.shape, i.elt)]
        if name == "stablehlo.sort":
            return self._sort(e, op, ins, outs)
        if name == "stablehlo.gather":
            return [self._gather(e, op, ins, out)]
        if name == "stablehlo.scatter":
            return self._scatter(e, op, ins, outs)
        if name == "stablehlo.while":
            return self._while(e, op, ins, outs, vmap)
        if name == "sdy.manual_computation":
            raise OpError("a manual computation (shard_map) nested inside another one, a "
                          "loop or a branch is not supported; call it from the top level "
                          "of the jitted function")
        raise OpError("unsupported op")

    def _shape_identity(self, ins, outs):
        for a, o in zip(ins, outs):
            if a.shape != o.shape:
                raise OpError("a shape-changing sharding custom_call inside the per-rank "
                              "program (jax.export's xla.sdy.* form is not supported)")
        return ins

    # ------------------------------------------------------------ pieces
    def _scalar(self, e, v):
        """The scalar of a rank-0 tensor."""
        return e.op(f"tensor.extract {v.name}[] : {v.type}", None, v.elt)

    def _bcast_scalar(self, e, s, like):
        if s.shape == like.shape:
            return s
        return e.fill(self._scalar(e, s), like.shape, like.elt)

    def _only_folded_uses(self, op):
        """A splat constant used only by broadcasts / as reduce init is folded there."""
        from jax._src.lib.mlir import ir
        if not ir.DenseElementsAttr(op.attributes["value"]).is_splat:
            return False
        uses = list(op.results[0].uses)
        if not uses:
            return True
        for u in uses:
            owner = u.owner
            nm = owner.name
            if nm == "stablehlo.broadcast_in_dim":
                continue
            if nm == "stablehlo.reduce" and u.operand_number >= len(owner.operands) // 2:
                continue
            return False
        return True

    def _constant(self, e, op, out):
        import numpy as np
        from jax._src.lib.mlir import ir
        attr = op.attributes["value"]
        dense = ir.DenseElementsAttr(attr)
        if dense.is_splat:
            sv = dense.get_splat_value()
            lit = self._lit(sv, out.elt)
            return e.splat(lit, out.shape, out.elt, out.unsigned)
        if out.unsigned:
            vals = np.array(ir.DenseIntElementsAttr(attr))
            vals = vals.astype(np.int64)
            if out.elt != "i64":
                bits = int(out.elt[1:])
                vals = np.where(vals >= 2 ** (bits - 1), vals - 2 ** bits, vals)
            body = np.array2string(vals, separator=", ", threshold=10 ** 9).replace("\n", "")
            return e.dense(f"dense<{body}>", out.shape, out.elt)
        text = str(attr)
        body = text.rsplit(" : ", 1)[0]
        return e.dense(body, out.shape, out.elt)

    def _lit(self, sv, elt):
        from jax._src.lib.mlir import ir
        if isinstance(sv, ir.FloatAttr):
            return scalar_literal(ir.FloatAttr(sv).value, elt)
        if isinstance(sv, ir.BoolAttr):
            return "true" if ir.BoolAttr(sv).value else "false"
        if isinstance(sv, ir.IntegerAttr):
            v = ir.IntegerAttr(sv).value
            if elt == "i1":
                return "true" if v else "false"
            bits = int(elt[1:])
            if v >= 2 ** (bits - 1):
                v -= 2 ** bits
            return str(v)
        return str(sv).rsplit(" : ", 1)[0]

    def _broadcast(self, e, op, x, out):
        dims = _ints(op.attributes["broadcast_dimensions"])
        # A splat constant broadcast is a splat constant of the result shape
        # (keeps eps / 1.0 / -inf recognisable for the raising passes).
        src = op.operands[0].owner
        if hasattr(src, "name") and src.name == "stablehlo.constant":
            from jax._src.lib.mlir import ir
            dense = ir.DenseElementsAttr(src.attributes["value"])
            if dense.is_splat:
                return e.splat(self._lit(dense.get_splat_value(), out.elt), out.shape,
                               out.elt, out.unsigned)
        if x.rank == 0:
            return e.fill(self._scalar(e, x), out.shape, out.elt)
        return e.broadcast(x, out.shape, dims)

    def _compare(self, e, op, ins):
        a, b = ins
        from jax._src.lib.mlir.dialects import hlo
        d = hlo.ComparisonDirectionAttr(op.attributes["comparison_direction"]).value
        ctype = None
        if "compare_type" in op.attributes:
            ctype = hlo.ComparisonTypeAttr(op.attributes["compare_type"]).value
        if a.is_float:
            return e.cmp("arith.cmpf", FCMP[d], a, b)
        uns = a.unsigned or ctype == "UNSIGNED" or a.elt == "i1"
        return e.cmp("arith.cmpi", (ICMP_U if uns else ICMP_S)[d], a, b)

    def _index(self, e, v):
        s = self._scalar(e, v)
        return e.convert(s, "index", v.unsigned) if s.elt != "index" else s

    def _clamped_offsets(self, e, idx_vals, shape, sizes):
        offs = []
        zero = e.const_scalar("0", "index")
        for v, d, s in zip(idx_vals, shape, sizes):
            i = self._index(e, v)
            hi = e.const_scalar(str(d - s), "index")
            i = e.op(f"arith.maxsi {i.name}, {zero.name} : index", None, "index")
            i = e.op(f"arith.minsi {i.name}, {hi.name} : index", None, "index")
            offs.append(i.name)
        return offs

    def _dynamic_slice(self, e, x, idx_vals, sizes):
        offs = self._clamped_offsets(e, idx_vals, x.shape, sizes)
        return e.extract_slice(x, offs, sizes)

    def _region_combiner(self, op, region_index=0):
        """The reduction kind of a reduction region (single binary op)."""
        blk = list(op.regions[region_index].blocks)[0]
        body = [o.operation for o in blk.operations]
        args = list(blk.arguments)
        if len(body) != 2 or body[1].name != "stablehlo.return" or len(args) != 2:
            raise OpError("reduction region is not a single binary op")
        inner = body[0]
        if inner.name not in REDUCTION_KINDS or set(inner.operands) != set(args):
            raise OpError(f"reduction region '{inner.name}' is not sum/prod/min/max/and/or/xor")
        return inner.name

    def _reduce(self, e, op, ins, outs):
        n = len(outs)
        if n == 2:
            return self._argminmax(e, op, ins, outs)
        if n != 1:
            raise OpError("variadic reduce of more than two operands is not supported")
        x, init = ins
        comb = self._region_combiner(op)
        dims = _ints(op.attributes["dimensions"])
        f, si, ui, i1 = ELEMENTWISE_BINARY[comb]
        opn = f if x.is_float else (i1 if x.elt == "i1" else (ui if x.unsigned else si))
        if opn is None:
            raise OpError(f"reduction {comb} on {x.elt}")
        # init scalar: a constant when it is one
        src = op.operands[1].owner
        from jax._src.lib.mlir import ir
        if hasattr(src, "name") and src.name == "stablehlo.constant":
            dense = ir.DenseElementsAttr(src.attributes["value"])
            s = e.const_scalar(self._lit(dense.get_splat_value(), x.elt), x.elt)
        else:
            s = self._scalar(e, init)
        return [e.reduce(x, dims, s, opn)]

    def _argminmax(self, e, op, ins, outs):
        """jnp.argmax / argmin: reduce of (x, iota along the reduced dim) whose
        region keeps the greater (GT) or smaller (LT) value, NaN first, ties to
        the lower index -> braid.topk with k = 1 (of -x, or ~x, for argmin)."""
        x, idx = ins[0], ins[1]
        dims = _ints(op.attributes["dimensions"])
        src = op.operands[1].owner
        if (len(dims) != 1 or not hasattr(src, "name") or src.name != "stablehlo.iota"
                or _int(src.attributes["iota_dimension"]) != dims[0]
                or idx.elt not in ("i32", "i64")):
            raise OpError("variadic reduce that is not an argmax/argmin (x, iota) over one "
                          "dimension is not supported")
        blk = list(op.regions[0].blocks)[0]
        args = list(blk.arguments)       # (x_a, idx_a, x_b, idx_b)
        body = [o.operation for o in blk.operations]
        ret = body[-1]
        sel = ret.operands[0].owner
        direction = None
        if hasattr(sel, "name") and sel.name == "stablehlo.select":
            for o in body:
                if (o.name == "stablehlo.compare" and list(o.operands) == [args[0], args[2]]):
                    from jax._src.lib.mlir.dialects import hlo
                    d = hlo.ComparisonDirectionAttr(o.attributes["comparison_direction"]).value
                    if d in ("GT", "LT"):
                        direction = d
        if direction is None:
            raise OpError("variadic reduce region is not JAX's argmax/argmin comparator")
        d = dims[0]
        perm = [i for i in range(x.rank) if i != d] + [d]
        xt = e.transpose(x, perm)
        if direction == "LT":
            if xt.is_float:
                xt = e.unary("arith.negf", xt)
            else:
                xt = e.binary("arith.xori", xt, e.splat("-1", xt.shape, xt.elt))
        kshape = xt.shape[:-1] + (1,)
        base = e.fresh()
        e.emit(f"{base}:2 = braid.topk {xt.name} {{k = 1 : i64}} : {xt.type} -> "
               f"{tensor_type(kshape, xt.elt)}, {tensor_type(kshape, idx.elt)}")
        vals = e.reshape(Val(f"{base}#0", kshape, xt.elt), xt.shape[:-1])
        inds = e.reshape(Val(f"{base}#1", kshape, idx.elt), xt.shape[:-1])
        if direction == "LT":
            if vals.is_float:
                vals = e.unary("arith.negf", vals)
            else:
                vals = e.binary("arith.xori", vals, e.splat("-1", vals.shape, vals.elt))
        return [vals, inds]

    def _reduce_window(self, e, op, ins, outs):
        """Prefix scans (jnp.cumsum / cummax / cummin, forward or reverse):
        a window the size of one dimension, padded by size-1 on one side ->
        linalg.generic with a masked reduction over that dimension."""
        if len(ins) != 2:
            raise OpError("variadic reduce_window is not supported")
        x, init = ins
        win = _ints(op.attributes["window_dimensions"])
        rank = x.rank

        def attr_or(name, default):
            return _ints(op.attributes[name]) if name in op.attributes else default
        strides = attr_or("window_strides", [1] * rank)
        bdil = attr_or("base_dilations", [1] * rank)
        wdil = attr_or("window_dilations", [1] * rank)
        pad = _dense2d(op.attributes["padding"]) if "padding" in op.attributes else \
            [[0, 0]] * rank
        scan = [i for i in range(rank) if win[i] != 1]
        ok = (len(scan) == 1 and all(v == 1 for v in strides + bdil + wdil))
        if ok:
            dd = scan[0]
            n = x.shape[dd]
            ok = win[dd] == n and all(pad[i] == [0, 0] for i in range(rank) if i != dd) \
                and pad[dd] in ([n - 1, 0], [0, n - 1])
        if not ok:
            raise OpError("reduce_window other than a prefix scan along one dimension "
                          "(cumsum/cummax/cummin) is not supported")
        forward = pad[dd] == [n - 1, 0]
        comb = self._region_combiner(op)
        f, si, ui, i1 = ELEMENTWISE_BINARY[comb]
        opn = f if x.is_float else (i1 if x.elt == "i1" else (ui if x.unsigned else si))
        iv = self._const_scalar_of(e, op.operands[1], init, x.elt)
        acc = e.fill(iv, x.shape, x.elt)
        ds = [f"d{i}" for i in range(rank)] + ["k"]
        in_idx = [("k" if i == dd else f"d{i}") for i in range(rank)]
        maps = (f"affine_map<({', '.join(ds)}) -> ({', '.join(in_idx)})>, "
                f"affine_map<({', '.join(ds)}) -> ({', '.join(ds[:-1])})>")
        its = ", ".join(['"parallel"'] * rank + ['"reduction"'])
        a, b, i_, k_, m_, c_, r_ = (e.fresh(h) for h in ("in", "acc", "i", "k", "m", "c", "r"))
        res = e.fresh()
        pred = "ule" if forward else "uge"
        e.emit(f"{res} = linalg.generic {{indexing_maps = [{maps}], iterator_types = [{its}]}} "
               f"ins({x.name} : {x.type}) outs({acc.name} : {acc.type}) {{\n"
               f"^bb0({a}: {x.elt}, {b}: {x.elt}):\n"
               f"  {i_} = linalg.index {dd} : index\n"
               f"  {k_} = linalg.index {rank} : index\n"
               f"  {m_} = arith.cmpi {pred}, {k_}, {i_} : index\n"
               f"  {c_} = {opn} {a}, {b} : {x.elt}\n"
               f"  {r_} = arith.select {m_}, {c_}, {b} : {x.elt}\n"
               f"  linalg.yield {r_} : {x.elt}\n"
               f"}} -> {acc.type}")
        return [Val(res, x.shape, x.elt, x.unsigned)]

    def _const_scalar_of(self, e, value, val, elt):
        src = value.owner
        from jax._src.lib.mlir import ir
        if hasattr(src, "name") and src.name == "stablehlo.constant":
            dense = ir.DenseElementsAttr(src.attributes["value"])
            return e.const_scalar(self._lit(dense.get_splat_value(), elt), elt)
        if (hasattr(src, "name") and src.name == "stablehlo.broadcast_in_dim"
                and val.shape == ()):
            return self._const_scalar_of(e, src.operands[0], val, elt)
        return self._scalar(e, val)

    def _dot(self, e, op, ins, out):
        from jax._src.lib.mlir.dialects import hlo
        a, b = ins
        dn = hlo.DotDimensionNumbers(op.attributes["dot_dimension_numbers"])
        lb, rb = list(dn.lhs_batching_dimensions), list(dn.rhs_batching_dimensions)
        lc, rc = list(dn.lhs_contracting_dimensions), list(dn.rhs_contracting_dimensions)
        if a.elt != b.elt:
            raise OpError(f"dot_general of {a.elt} x {b.elt}")
        if not lb and a.rank == 2 and b.rank == 2 and lc == [1] and rc == [0]:
            return e.matmul(a, b, out.elt)
        if (lb == [0] and rb == [0] and a.rank == 3 and b.rank == 3 and lc == [2]
                and rc == [1]):
            return e.matmul(a, b, out.elt)
        lf = [d for d in range(a.rank) if d not in lb + lc]
        rf = [d for d in range(b.rank) if d not in rb + rc]
        L = e.transpose(a, lb + lf + lc)
        R = e.transpose(b, rb + rc + rf)
        bs = [a.shape[d] for d in lb]
        M = math.prod(a.shape[d] for d in lf)
        K = math.prod(a.shape[d] for d in lc)
        N = math.prod(b.shape[d] for d in rf)
        if lb:
            B = math.prod(bs)
            L = e.reshape(L, [B, M, K])
            R = e.reshape(R, [B, K, N])
        else:
            L = e.reshape(L, [M, K])
            R = e.reshape(R, [K, N])
        r = e.matmul(L, R, out.elt)
        return e.reshape(r, out.shape)

    # --------------------------------------------------------- collectives
    def _collective(self, e, op, ins, outs):
        name = op.name
        mesh = self.mesh
        if mesh is None:
            raise OpError("collective without a mesh")
        if name == "stablehlo.collective_permute":
            pairs = _dense2d(op.attributes["source_target_pairs"])
            axes, gpairs = self._permute_axes(pairs)
            (x,) = ins
            if not axes:
                return [x]
            ptxt = ", ".join(f"[{s}, {t}]" for s, t in gpairs)
            return [e.op(f"braid.collective_permute {x.name} on @{mesh.name} axes = "
                         f"{axes} pairs = [{ptxt}] : {x.type}", x.shape, x.elt, x.unsigned)]
        groups = self._replica_groups(op)
        mesh, axes = self._grid_for_groups(groups)
        size = math.prod(mesh.sizes[i] for i in axes)
        res = []
        if name in ("stablehlo.all_reduce", "stablehlo.reduce_scatter"):
            kind = REDUCTION_KINDS[self._region_combiner(op)]
        for x, o in zip(ins, outs):
            if size == 1:
                res.append(e.reshape(x, o.shape) if x.shape != o.shape else x)
                continue
            pre = f"{x.name} on @{mesh.name} axes = {axes}"
            if name == "stablehlo.all_reduce":
                res.append(e.op(f"braid.all_reduce {pre} reduction = {kind} : {x.type}",
                                x.shape, x.elt, x.unsigned))
            elif name == "stablehlo.all_gather":
                d = _int(op.attributes["all_gather_dim"])
                res.append(e.op(f"braid.all_gather {pre} dim = {d} : {x.type} -> {o.type}",
                                o.shape, x.elt, x.unsigned))
            elif name == "stablehlo.reduce_scatter":
                d = _int(op.attributes["scatter_dimension"])
                res.append(e.op(f"braid.reduce_scatter {pre} dim = {d} reduction = {kind} : "
                                f"{x.type} -> {o.type}", o.shape, x.elt, x.unsigned))
            else:
                sd = _int(op.attributes["split_dimension"])
                cd = _int(op.attributes["concat_dimension"])
                sc = _int(op.attributes["split_count"])
                if sc != size:
                    raise OpError(f"split_count {sc} differs from the group size {size}")
                res.append(e.op(f"braid.all_to_all {pre} split_dim = {sd} concat_dim = {cd} : "
                                f"{x.type} -> {o.type}", o.shape, x.elt, x.unsigned))
        return res

    def _grid_for_groups(self, groups):
        """(grid, ordered axes) whose groups are `groups`: the program's mesh
        when they are groups of its axes, else the coarsest finer grid --
        every mesh axis split into factors, positions unchanged -- on which
        they are (explicit device groups such as all_to_all's
        axis_index_groups [[0, 1], [2, 3]] on a mesh of 4 are axis 1 of a
        2x2 grid), else axis 1 of a (groups x group size) grid whose device
        order lists the groups one after another ([[0, 3], [1, 2]]: order
        [0, 3, 1, 2]). Such grids are declared beside the mesh
        (docs/Rationale.md, "Explicit device groups"). Only groups that
        partition no grid -- unequal sizes, a device in two groups or in
        none -- are an error."""
        mesh = self.mesh
        try:
            return mesh, mesh.axes_for_groups(groups)
        except OpError:
            pass
        for sizes in _refinements(mesh.sizes):
            if len(sizes) == len(mesh.sizes):
                continue
            fine = self._derived_grid(sizes, list(range(mesh.n)))
            try:
                axes = fine.axes_for_groups(groups)
            except OpError:
                continue
            self.meshes[fine.name] = fine
            return fine, axes
        groups = [[p for p in g if p >= 0] for g in groups]   # -1 pads short groups
        self._check_partition(groups)
        grouped = self._derived_grid([len(groups), len(groups[0])],
                                     [p for g in groups for p in g])
        self.meshes[grouped.name] = grouped
        return grouped, [1]

    def _derived_grid(self, sizes, positions):
        """The grid of `sizes` whose position q is the mesh's position
        positions[q] (so it runs on that position's device), named after the
        mesh and its shape; the one already declared when it exists."""
        mesh = self.mesh
        devices = [mesh.device_ids[p] for p in positions] if mesh.device_ids else positions
        if devices == list(range(mesh.n)):
            devices = None
        base = f"{mesh.name}_" + "x".join(str(n) for n in sizes)
        for k in itertools.count():
            name = base if k == 0 else f"{base}_{k}"
            known = self.meshes.get(name)
            if known is None:
                return Mesh(name, [(f"{mesh.name}{i}", n) for i, n in enumerate(sizes)],
                            devices)
            if known.sizes == list(sizes) and (known.device_ids or None) == devices:
                return known

    def _check_partition(self, groups):
        """Explicit device groups are the axis of some grid exactly when they
        partition the mesh's positions into groups of one size."""
        mesh = self.mesh
        shown = [list(g) for g in groups]
        where = (f"mesh @{mesh.name} "
                 f"{{{', '.join(f'{n}={s}' for n, s in mesh.axes)}}} ({mesh.n} devices)")
        if len({len(g) for g in groups}) > 1:
            raise OpError(f"replica groups {shown} have unequal sizes "
                          f"{[len(g) for g in groups]}; they are the axis of no grid over {where}")
        seen = [p for g in groups for p in g]
        twice = sorted({p for p in seen if seen.count(p) > 1})
        if twice:
            raise OpError(f"replica groups {shown} list device(s) {twice} more than once; they "
                          f"are the axis of no grid over {where}")
        outside = sorted(p for p in seen if not 0 <= p < mesh.n)
        if outside:
            raise OpError(f"replica groups {shown} name device(s) {outside} outside {where}")
        missing = sorted(set(range(mesh.n)) - set(seen))
        if missing:
            raise OpError(f"replica groups {shown} leave out device(s) {missing}; they are the "
                          f"axis of no grid over {where}")

    def _permute_axes(self, pairs):
        mesh = self.mesh
        for axes in mesh.candidate_axes():
            others = [i for i in range(len(mesh.sizes)) if i not in axes]
            ok = True
            per_group = {}
            for s, t in pairs:
                cs, ct = mesh.coords(s), mesh.coords(t)
                if any(cs[i] != ct[i] for i in others):
                    ok = False
                    break
                key = tuple(cs[i] for i in others)
                gs = gt = 0
                for i in axes:
                    gs = gs * mesh.sizes[i] + cs[i]
                    gt = gt * mesh.sizes[i] + ct[i]
                per_group.setdefault(key, set()).add((gs, gt))
            if not ok:
                continue
            sets = list(per_group.values())
            if not axes:
                if all(s == t for s, t in pairs):
                    return [], []
                continue
            ngroups = math.prod(mesh.sizes[i] for i in others)
            if len(per_group) == ngroups and all(x == sets[0] for x in sets):
                return axes, sorted(sets[0])
        raise OpError(f"source_target_pairs {pairs} are not the same permutation within "
                      f"the groups of any set of axes of mesh @{mesh.name}")

    def _partition_id(self, e, out):
        mesh = self.mesh
        axes = [i for i in range(len(mesh.sizes))] if mesh and mesh.sizes else []
        if not axes:
            return e.splat("0", (), out.elt, out.unsigned)
        r = e.op(f"braid.rank on @{mesh.name} axes = {axes} : index", None, "index")
        c = e.op(f"arith.index_cast {r.name} : index to {out.elt}", None, out.elt)
        return e.op(f"tensor.from_elements {c.name} : {tensor_type((), out.elt)}", (),
                    out.elt, out.unsigned)

    # ------------------------------------------------------- sort / gather
    def _sort(self, e, op, ins, outs):
        dim = _int(op.attributes["dimension"])
        x = ins[0]
        if dim != x.rank - 1:
            raise OpError(f"sort along dimension {dim}: only the last dimension is supported")
        d = self._sort_direction(op)
        idx_elt = outs[1].elt if len(outs) == 2 else "i32"
        if len(ins) == 2:
            src = op.operands[1].owner
            ok = (hasattr(src, "name") and src.name == "stablehlo.iota"
                  and _int(src.attributes["iota_dimension"]) == dim
                  and outs[1].elt in ("i32", "i64"))
            if not ok:
                raise OpError("sort of a second operand that is not an iota along the sort "
                              "dimension (argsort) is not supported")
        elif len(ins) > 2:
            raise OpError("sort of more than two operands is not supported")
        desc = " {descending}" if d == "GT" else ""
        it = tensor_type(x.shape, idx_elt)
        base = e.fresh()
        e.emit(f"{base}:2 = braid.sort {x.name}{desc} : {x.type} -> {x.type}, {it}")
        res = [Val(f"{base}#0", x.shape, x.elt, x.unsigned), Val(f"{base}#1", x.shape, idx_elt)]
        return res[:len(outs)]

    def _sort_direction(self, op):
        """LT or GT of a comparator that compares operand 0's pair of elements.

        JAX's float comparator canonicalises -0 and NaN with compare/select
        before a TOTALORDER compare; those are accepted as long as the final
        compare's sides depend on exactly the first and the second element.
        """
        from jax._src.lib.mlir.dialects import hlo
        blk = list(op.regions[0].blocks)[0]
        body = [o.operation for o in blk.operations]
        args = list(blk.arguments)
        ret = body[-1]
        final = ret.operands[0].owner if len(ret.operands) == 1 else None
        if final is None or not hasattr(final, "name") or final.name != "stablehlo.compare":
            raise OpError("sort comparator does not end in a compare")

        def reach(v, seen=None):
            if v in args:
                return {args.index(v)}
            o = v.owner
            if not hasattr(o, "name"):
                return set()
            if o.name not in ("stablehlo.select", "stablehlo.compare", "stablehlo.constant"):
                raise OpError(f"sort comparator uses '{o.name}'")
            r = set()
            for x in o.operands:
                r |= reach(x)
            return r
        ls, rs = reach(final.operands[0]), reach(final.operands[1])
        d = hlo.ComparisonDirectionAttr(final.attributes["comparison_direction"]).value
        if d not in ("LT", "GT"):
            raise OpError(f"sort comparator direction {d}")
        if ls == {0} and rs == {1}:
            return d
        if ls == {1} and rs == {0}:
            return "GT" if d == "LT" else "LT"
        raise OpError("sort comparator is not a compare of the first operand's elements "
                      "(several keys are not supported)")

    def _index_vector(self, e, idx, ivd, what):
        """Indices with a trailing index vector of size 1 -> without it."""
        if ivd == idx.rank:
            return idx
        if ivd != idx.rank - 1 or idx.shape[-1] != 1:
            raise OpError(f"{what}: index_vector_dim must be the last dimension of size 1")
        return e.reshape(idx, idx.shape[:-1])

    def _gather(self, e, op, ins, out):
        from jax._src.lib.mlir.dialects import hlo
        src, idx = ins
        dn = hlo.GatherDimensionNumbers(op.attributes["dimension_numbers"])
        sizes = _ints(op.attributes["slice_sizes"])
        coll = list(dn.collapsed_slice_dims)
        sim = list(dn.start_index_map)
        if (len(coll) != 1 or sim != coll or list(dn.operand_batching_dims)
                or list(dn.start_indices_batching_dims)):
            raise OpError("gather: only a gather of whole slices along one axis "
                          "(numpy.take) maps onto braid.gather")
        axis = coll[0]
        if any(s != (1 if i == axis else d) for i, (s, d) in enumerate(zip(sizes, src.shape))):
            raise OpError("gather: slice_sizes must take whole slices")
        ind = self._index_vector(e, idx, int(dn.index_vector_dim), "gather")
        nb = ind.rank
        want_offset = list(range(axis)) + list(range(axis + nb, src.rank - 1 + nb))
        if list(dn.offset_dims) != want_offset:
            raise OpError(f"gather: offset_dims {list(dn.offset_dims)} do not place the "
                          f"batch dims at axis {axis}")
        if ind.elt not in ("i32", "i64"):
            ind = e.convert(ind, "i32", ind.unsigned)
        return e.op(f"braid.gather {src.name}[{ind.name}] axis = {axis} : {src.type}, "
                    f"{ind.type} -> {out.type}", out.shape, out.elt, out.unsigned)

    def _scatter(self, e, op, ins, outs):
        from jax._src.lib.mlir.dialects import hlo
        if len(ins) != 3:
            raise OpError("variadic scatter is not supported")
        dest, idx, upd = ins
        dn = hlo.ScatterDimensionNumbers(op.attributes["scatter_dimension_numbers"])
        ins_w = list(dn.inserted_window_dims)
        sdo = list(dn.scattered_dims_to_operand_dims)
        if (len(ins_w) != 1 or sdo != ins_w or list(dn.input_batching_dims)
                or list(dn.scatter_indices_batching_dims)):
            raise OpError("scatter: only whole slices along one axis map onto braid.scatter")
        axis = ins_w[0]
        ind = self._index_vector(e, idx, int(dn.index_vector_dim), "scatter")
        if ind.rank != 1:
            raise OpError("scatter: indices must be 1-D")
        want = [d for d in range(upd.rank) if d != axis]
        if list(dn.update_window_dims) != want:
            raise OpError("scatter: update_window_dims do not put the scattered dim at the axis")
        blk = list(op.regions[0].blocks)[0]
        body = [o.operation for o in blk.operations]
        args = list(blk.arguments)
        if len(body) == 1 and list(body[0].operands) == [args[1]]:
            kind = "replace"
        elif (len(body) == 2 and body[0].name == "stablehlo.add"
              and set(body[0].operands) == set(args)):
            kind = "add"
        else:
            raise OpError("scatter: update region is neither replace nor add")
        if ind.elt not in ("i32", "i64"):
            ind = e.convert(ind, "i32", ind.unsigned)
        o = outs[0]
        return [e.op(f"braid.scatter {upd.name} into {dest.name}[{ind.name}] axis = {axis} "
                     f"kind = {kind} : {upd.type}, {dest.type}, {ind.type} -> {o.type}",
                     o.shape, o.elt, o.unsigned)]

    def _while(self, e, op, ins, outs, vmap):
        """stablehlo.while: a counted loop (lax.scan / fori_loop) of at most
        `unroll_cap` trips is unrolled (remark on stderr); any other loop is
        an scf.while.

        Counted means JAX's form: the condition is `compare LT, %counter,
        constant N`, the counter starts at a constant and the body returns
        `%counter + 1`. Each unrolled trip's counter is a constant, so
        dynamic slices of the scanned operands get fixed offsets.
        """
        trips, k, c0 = self._counted_trips(op)
        if trips is None or trips > self.unroll_cap:
            why = ("not a counted loop" if trips is None else
                   f"{trips} trips exceed the unroll cap of {self.unroll_cap}")
            self.remark(op, f"emitted as scf.while ({why})")
            return self._scf_while(e, op, ins, vmap)
        body_blk = list(op.regions[1].blocks)[0]
        bargs = list(body_blk.arguments)
        self.remark(op, f"unrolled a counted loop of {trips} trips")
        cnt = ins[k]
        cur = list(ins)
        for i in range(trips):
            bm = dict(vmap)
            for a, v in zip(bargs, cur):
                bm[a] = v
            bm[bargs[k]] = e.splat(str(c0 + i), (), cnt.elt, cnt.unsigned)
            e.emit(f"// trip {i} of the loop at {self.loc(op)}")
            cur = self._block(e, body_blk, bm, "stablehlo.return")
        cur[k] = e.splat(str(c0 + trips), (), cnt.elt, cnt.unsigned)
        return cur

    def _counted_trips(self, op):
        """(trips, counter index, start) of a counted loop, or (None, ...)."""
        from jax._src.lib.mlir.dialects import hlo
        cond_blk = list(op.regions[0].blocks)[0]
        body_blk = list(op.regions[1].blocks)[0]
        cond_ops = [o.operation for o in cond_blk.operations]
        cargs = list(cond_blk.arguments)
        cmp = cond_ops[-1].operands[0].owner
        if (not hasattr(cmp, "name") or cmp.name != "stablehlo.compare"
                or hlo.ComparisonDirectionAttr(cmp.attributes["comparison_direction"]).value
                != "LT" or cmp.operands[0] not in cargs or len(cond_ops) > 3):
            return None, None, None
        k = cargs.index(cmp.operands[0])
        n = self._const_int(cmp.operands[1])
        c0 = self._const_int(op.operands[k])
        bargs = list(body_blk.arguments)
        inc = [o.operation for o in body_blk.operations][-1].operands[k].owner
        if (not hasattr(inc, "name") or inc.name != "stablehlo.add"
                or bargs[k] not in list(inc.operands)):
            return None, None, None
        other = [x for x in inc.operands if x != bargs[k]] or [bargs[k]]
        if self._const_int(other[0]) != 1 or n is None or c0 is None:
            return None, None, None
        return max(0, n - c0), k, c0

    def _scf_while(self, e, op, ins, vmap):
        cond_blk = list(op.regions[0].blocks)[0]
        body_blk = list(op.regions[1].blocks)[0]
        types = ", ".join(v.type for v in ins)
        # cond region
        ce = e.child()
        cm = dict(vmap)
        cargs = []
        for a, v in zip(cond_blk.arguments, ins):
            cargs.append(Val(e.fresh("b"), v.shape, v.elt, v.unsigned))
            cm[a] = cargs[-1]
        (c,) = self._block(ce, cond_blk, cm, "stablehlo.return")
        cs = ce.op(f"tensor.extract {c.name}[] : {c.type}", None, "i1")
        fwd = ", ".join(a.name for a in cargs)
        ce.emit(f"scf.condition({cs.name}) {fwd} : {types}")
        # body region
        be = e.child()
        bm = dict(vmap)
        bargs = []
        for a, v in zip(body_blk.arguments, ins):
            bargs.append(Val(e.fresh("a"), v.shape, v.elt, v.unsigned))
            bm[a] = bargs[-1]
        res = self._block(be, body_blk, bm, "stablehlo.return")
        be.emit(f"scf.yield {', '.join(r.name for r in res)} : {types}")
        base = e.fresh()
        sfx = f":{len(ins)}" if len(ins) > 1 else ""
        # the before block's arguments are named in the header (iter_args
        # style); the after block gets an explicit ^bb0
        head = ", ".join(f"{a.name} = {v.name}" for a, v in zip(cargs, ins))
        ind = e.indent
        e.emit_raw("\n".join(
            [f"{ind}{base}{sfx} = scf.while ({head}) : ({types}) -> ({types}) {{"]
            + ce.lines + [f"{ind}}} do {{",
                          f"{ind}^bb0({', '.join(f'{a.name}: {a.type}' for a in bargs)}):"]
            + be.lines + [f"{ind}}}"]))
        if len(ins) == 1:
            return [Val(base, ins[0].shape, ins[0].elt, ins[0].unsigned)]
        return [Val(f"{base}#{i}", v.shape, v.elt, v.unsigned) for i, v in enumerate(ins)]

    def _const_int(self, v):
        o = v.owner
        if not hasattr(o, "name") or o.name != "stablehlo.constant":
            return None
        from jax._src.lib.mlir import ir
        dense = ir.DenseElementsAttr(o.attributes["value"])
        if not dense.is_splat:
            return None
        sv = dense.get_splat_value()
        if not isinstance(sv, ir.IntegerAttr):
            return None
        return int(sv.value)


# --------------------------------------------------------------------- CLI

def import_text(text: str, filename: str = "<stdin>", unroll_cap: int = UNROLL_CAP) -> str:
    """StableHLO text -> Braid IR text; raises ImportErrors."""
    from jax._src.interpreters import mlir as jmlir
    from jax._src.lib.mlir import ir
    ctx = jmlir.make_ir_context()
    diags = []

    def handler(d):
        diags.append(d)
        return True
    with ctx, ir.Location.unknown():
        h = ctx.attach_diagnostic_handler(handler)
        try:
            module = ir.Module.parse(text)
        except Exception as ex:  # noqa: BLE001
            msgs = [f"{filename}:{_short_loc(str(d.location))}: error: {d.message}"
                    for d in diags]
            for m in re.finditer(r'"[^"]*":(\d+):(\d+): ([^\n]*)', str(ex)):
                msgs.append(f"{filename}:{m.group(1)}:{m.group(2)}: error: {m.group(3)}")
            raise ImportErrors(msgs or [f"{filename}: error: {ex}"]) from None
        finally:
            h.detach()
        imp = Importer(module, filename, unroll_cap)
        out = imp.run()
        for r in imp.remarks:
            print(r, file=sys.stderr)
        return out


def decode_utf8(data: bytes, filename: str) -> str:
    """The input as text; StableHLO text is UTF-8, and anything else is
    reported at its first bad byte instead of reaching the MLIR parser."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as ex:
        line = data.count(b"\n", 0, ex.start) + 1
        col = ex.start - (data.rfind(b"\n", 0, ex.start) + 1) + 1
        raise ImportErrors([f"{filename}:{line}:{col}: error: not UTF-8 text "
                            f"(byte 0x{data[ex.start]:02X}); StableHLO text must "
                            f"be UTF-8"]) from None


def _short_loc(s):
    m = _LOC_RE.search(s)
    return f"{m.group(2)}:{m.group(3)}" if m else s


def main(argv=None) -> int:
    p = argparse.ArgumentParser(
        prog="braid-import-stablehlo",
        description="Import JAX shard_map StableHLO (Shardy) as Braid IR text")
    p.add_argument("input", help="StableHLO text file, or - for stdin")
    p.add_argument("-o", "--output", default="-", help="output file (default stdout)")
    p.add_argument("--unroll-cap", type=int, default=UNROLL_CAP,
                   help="unroll counted while loops (lax.scan, fori_loop) of at most this "
                        f"many trips (default {UNROLL_CAP}); others become scf.while")
    a = p.parse_args(argv)
    if importlib.util.find_spec("jax") is None or importlib.util.find_spec("jaxlib") is None:
        print("braid-import-stablehlo: error: JAX is not installed; install the importers "
              "with their 'jax' extra (pip install './python[jax]')", file=sys.stderr)
        return 1
    fname = "<stdin>" if a.input == "-" else a.input
    try:
        if a.input == "-":
            data = sys.stdin.buffer.read()
        else:
            with open(a.input, "rb") as fh:
                data = fh.read()
    except OSError as ex:
        print(f"braid-import-stablehlo: error: {ex}", file=sys.stderr)
        return 1
    try:
        text = decode_utf8(data, fname)
    except ImportErrors as ex:
        print(ex.errors[0], file=sys.stderr)
        print("braid-import-stablehlo: 1 error(s); nothing written", file=sys.stderr)
        return 1
    try:
        out = import_text(text, fname, a.unroll_cap)
    except (OpError, KeyError, ValueError, TypeError, AttributeError, IndexError) as ex:
        print(f"{fname}: error: cannot import ({type(ex).__name__}: {ex})", file=sys.stderr)
        print("braid-import-stablehlo: 1 error(s); nothing written", file=sys.stderr)
        return 1
    except ImportErrors as ex:
        for m in ex.errors:
            print(m, file=sys.stderr)
        print(f"braid-import-stablehlo: {len(ex.errors)} error(s); nothing written",
              file=sys.stderr)
        return 1
    if a.output == "-":
        sys.stdout.write(out)
        return 0
    try:
        write_text(a.output, out)
    except OutputError as ex:
        print(f"braid-import-stablehlo: error: {ex}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
