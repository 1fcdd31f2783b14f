"""arith and math ops on tensors and scalars. IEEE-exact ops and integer
ops are bitwise equal to numpy; transcendentals are float64 rounded once."""
import math
import os
import sys

import numpy as np

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import f32, program, tt  # noqa: E402

rng = np.random.default_rng(7)
cases = []
np.seterr(all="ignore")

S = (3, 5)
T = tt(S)
SPECIAL = f32([0.0, -0.0, np.inf, -np.inf, np.nan, 1.0, -1.0, 3.5, 1e-40,
               -2.5, 65504.0, 1e30, -7.0, 0.1, 2.0])


def vals(shape=S, lo=-4.0, hi=4.0):
    return f32(rng.uniform(lo, hi, shape))


def case(name, args, results, body, inputs, expected, compare="exact"):
    cases.append((name, program(args, results, body), inputs,
                  lambda r: expected, compare))


# Binary float ops, bitwise against float32 numpy, specials included.
a = np.concatenate([vals((2, 5)), SPECIAL.reshape(1, 5 * 3)[:, :5]])
b = np.concatenate([vals((2, 5)), SPECIAL.reshape(3, 5)[2:][:, ::-1]])
a[1, 0], b[1, 0] = 0.0, 0.0  # 0 / 0
a[1, 1] = 5.0  # x / 0 -> inf
b[1, 1] = -0.0
binary = {
    "addf": np.add, "subf": np.subtract, "mulf": np.multiply,
    "divf": np.divide, "remf": np.fmod, "maxnumf": np.fmax,
    "minnumf": np.fmin,
}
for op, fn in binary.items():
    case(f"{op}_tensor", [T, T], [T], f"%r0 = arith.{op} %a0, %a1 : {T}",
         [a, b], [f32(fn(a, b))])


def ieee_max(x, y):
    out = np.where(x > y, x, y)
    both_zero = (x == 0) & (y == 0)
    out = np.where(both_zero, np.where(np.signbit(x), y, x), out)
    return f32(np.where(np.isnan(x) | np.isnan(y), np.nan, out))


def ieee_min(x, y):
    out = np.where(x < y, x, y)
    both_zero = (x == 0) & (y == 0)
    out = np.where(both_zero, np.where(np.signbit(x), x, y), out)
    return f32(np.where(np.isnan(x) | np.isnan(y), np.nan, out))


case("maximumf_tensor", [T, T], [T], f"%r0 = arith.maximumf %a0, %a1 : {T}",
     [a, b], [ieee_max(a, b)])
case("minimumf_tensor", [T, T], [T], f"%r0 = arith.minimumf %a0, %a1 : {T}",
     [a, b], [ieee_min(a, b)])
z = f32([0.0, -0.0, -0.0, 0.0])
zz = f32([-0.0, 0.0, -0.0, 0.0])
case("maximumf_minimumf_signed_zero", [tt((4,))] * 2, [tt((4,))] * 2,
     """%r0 = arith.maximumf %a0, %a1 : tensor<4xf32>
        %r1 = arith.minimumf %a0, %a1 : tensor<4xf32>""",
     [z, zz], [f32([0.0, 0.0, -0.0, 0.0]), f32([-0.0, -0.0, -0.0, 0.0])])

# Unary exact ops.
x = np.concatenate([vals((2, 5)), SPECIAL.reshape(3, 5)[:1]])
x[0, :4] = f32([2.5, -2.5, 0.5, -1.5])  # rounding ties
unary = {
    "arith.negf": np.negative, "math.absf": np.abs, "math.sqrt": np.sqrt,
    "math.floor": np.floor, "math.ceil": np.ceil, "math.roundeven": np.rint,
    "math.round": lambda v: f32(np.copysign(np.floor(
        np.abs(v.astype(np.float64)) + 0.5), v)),
}
for op, fn in unary.items():
    case(op.split(".")[1] + "_tensor", [T], [T], f"%r0 = {op} %a0 : {T}",
         [x], [f32(fn(x))])
pos = vals(S, 0, 100)
case("sqrt_positive_exact", [T], [T], f"%r0 = math.sqrt %a0 : {T}",
     [pos], [f32(np.sqrt(pos))])

# Transcendentals: float64 reference rounded to f32.
trans = {
    "exp": np.exp, "exp2": np.exp2, "expm1": np.expm1, "log": np.log,
    "log2": np.log2, "log10": np.log10, "log1p": np.log1p,
    "tanh": np.tanh, "sin": np.sin, "cos": np.cos, "tan": np.tan,
    "rsqrt": lambda v: 1.0 / np.sqrt(v),
    "erf": np.vectorize(math.erf), "erfc": np.vectorize(math.erfc),
    "cbrt": np.cbrt,
}
for op, fn in trans.items():
    positive = op.startswith("log") or op == "rsqrt"
    v = vals(S, 0.05, 6.0) if positive else vals(S, -3.0, 3.0)
    case(f"{op}_tensor", [T], [T], f"%r0 = math.{op} %a0 : {T}", [v],
         [f32(fn(v.astype(np.float64)))], harness.TRANSCENDENTAL)
p, q = vals(S, 0.1, 3.0), vals(S, -2.0, 2.0)
case("powf_tensor", [T, T], [T], f"%r0 = math.powf %a0, %a1 : {T}", [p, q],
     [f32(np.power(p.astype(np.float64), q.astype(np.float64)))],
     harness.TRANSCENDENTAL)

case("atan2_tensor", [T, T], [T], f"%r0 = math.atan2 %a0, %a1 : {T}", [q, p],
     [f32(np.arctan2(q.astype(np.float64), p.astype(np.float64)))],
     harness.TRANSCENDENTAL)

# Scalars: f32 arguments and results, constants, transcendental.
sa, sb = f32(rng.uniform(-3, 3)), f32(rng.uniform(0.5, 3))
case("scalar_f32_ops", ["f32", "f32"], ["f32", "f32", "f32", "f32"],
     """%c = arith.constant 0.3 : f32
        %s = arith.addf %a0, %c : f32
        %r0 = arith.mulf %s, %a1 : f32
        %r1 = arith.divf %a0, %a1 : f32
        %r2 = math.exp %a0 : f32
        %r3 = arith.subf %a1, %a0 : f32""",
     [sa, sb],
     [f32((sa + np.float32(0.3)) * sb), f32(sa / sb),
      f32(np.exp(np.float64(sa))), f32(sb - sa)],
     ["exact", "exact", harness.TRANSCENDENTAL, "exact"])

# Comparisons (i1 results) and select.
preds = {"oeq": np.equal, "olt": np.less, "oge": np.greater_equal,
         "one": lambda u, v: (u != v) & ~np.isnan(u) & ~np.isnan(v),
         "une": np.not_equal,
         "ueq": lambda u, v: (u == v) | np.isnan(u) | np.isnan(v),
         "ult": lambda u, v: (u < v) | np.isnan(u) | np.isnan(v),
         "ord": lambda u, v: ~np.isnan(u) & ~np.isnan(v),
         "uno": lambda u, v: np.isnan(u) | np.isnan(v)}
c1 = a.copy()
c1[0, :3] = b[0, :3]  # some equal pairs
for pred, fn in preds.items():
    case(f"cmpf_{pred}", [T, T], [tt(S, "i1")],
         f"%r0 = arith.cmpf {pred}, %a0, %a1 : {T}", [c1, b], [fn(c1, b)])
case("select_tensor_cond", [T, T], [T],
     f"""%m = arith.cmpf olt, %a0, %a1 : {T}
         %r0 = arith.select %m, %a0, %a1 : {tt(S, 'i1')}, {T}""",
     [c1, b], [f32(np.where(c1 < b, c1, b))])
# A scalar condition choosing between whole tensors.
case("select_scalar_cond_tensors", ["i1", T, T], [T, T],
     f"""%t = arith.constant true
         %r0 = arith.select %a0, %a1, %a2 : {T}
         %r1 = arith.select %t, %a2, %a1 : {T}""",
     [np.array(False), c1, b], [b, b])

# Integer ops on i32: wraparound and C (truncating) division.
ia = rng.integers(-2**31, 2**31, S, dtype=np.int64).astype(np.int32)
ib = rng.integers(-2**31, 2**31, S, dtype=np.int64).astype(np.int32)
ia[0, :3] = [2**31 - 1, -2**31, -7]
ib[0, :3] = [1, -1, 2]
I = tt(S, "i32")
i64a, i64b = ia.astype(np.int64), ib.astype(np.int64)


def wrap(v):
    return (np.asarray(v, np.int64) & 0xFFFFFFFF).astype(np.uint32).view(
        np.int32)


iops = {
    "addi": i64a + i64b, "subi": i64a - i64b, "muli": i64a * i64b,
    "andi": ia & ib, "ori": ia | ib, "xori": ia ^ ib,
    "maxsi": np.maximum(ia, ib), "minsi": np.minimum(ia, ib),
    "maxui": np.where(ia.view(np.uint32) >= ib.view(np.uint32), ia, ib),
    "minui": np.where(ia.view(np.uint32) <= ib.view(np.uint32), ia, ib),
}
for op, ref in iops.items():
    case(f"{op}_i32", [I, I], [I], f"%r0 = arith.{op} %a0, %a1 : {I}",
         [ia, ib], [wrap(ref)])
da = rng.integers(-1000, 1000, S, dtype=np.int32)
db = rng.integers(1, 30, S, dtype=np.int32) * rng.choice([-1, 1], S).astype(
    np.int32)
da[0, 0], db[0, 0] = -7, 2
trunc_div = (np.sign(da) * np.sign(db) * (np.abs(da) // np.abs(db))).astype(
    np.int32)
divs = {"divsi": trunc_div, "remsi": (da - trunc_div * db).astype(np.int32),
        "floordivsi": (da // db).astype(np.int32),
        "ceildivsi": (-((-da) // db)).astype(np.int32),
        "divui": (da.view(np.uint32) // db.view(np.uint32)).view(np.int32),
        "remui": (da.view(np.uint32) % db.view(np.uint32)).view(np.int32)}
for op, ref in divs.items():
    case(f"{op}_i32", [I, I], [I], f"%r0 = arith.{op} %a0, %a1 : {I}",
         [da, db], [ref])
sh = rng.integers(0, 32, S, dtype=np.int32)
shifts = {"shli": (ia.view(np.uint32) << sh.view(np.uint32)).view(np.int32),
          "shrsi": ia >> sh,
          "shrui": (ia.view(np.uint32) >> sh.view(np.uint32)).view(np.int32)}
for op, ref in shifts.items():
    case(f"{op}_i32", [I, I], [I], f"%r0 = arith.{op} %a0, %a1 : {I}",
         [ia, sh], [ref])
for pred, fn in {"slt": np.less, "sge": np.greater_equal, "eq": np.equal,
                 "ult": lambda u, v: u.view(np.uint32) < v.view(np.uint32),
                 "ugt": lambda u, v: u.view(np.uint32) > v.view(np.uint32)
                 }.items():
    case(f"cmpi_{pred}", [I, I], [tt(S, "i1")],
         f"%r0 = arith.cmpi {pred}, %a0, %a1 : {I}", [ia, ib], [fn(ia, ib)])
case("scalar_i32_wrap", ["i32", "i32"], ["i32", "i32"],
     """%r0 = arith.addi %a0, %a1 : i32
        %r1 = arith.muli %a0, %a1 : i32""",
     [np.int32(2**31 - 5), np.int32(100)],
     [wrap(2**31 - 5 + 100), wrap((2**31 - 5) * 100)])

# Casts.
big = rng.integers(-2**31, 2**31, S, dtype=np.int64).astype(np.int32)
case("sitofp_i32_f32", [I], [T], f"%r0 = arith.sitofp %a0 : {I} to {T}",
     [big], [big.astype(np.float32)])
case("uitofp_i32_f32", [I], [T], f"%r0 = arith.uitofp %a0 : {I} to {T}",
     [big], [big.view(np.uint32).astype(np.float32)])
# i64 -> f32 must round once (to nearest even), not through f64: these
# values lie just above a halfway point of f32 and would tie through f64.
wide = np.array([2**60 + 2**36 + 1, -(2**60 + 2**36 + 1), 2**53 + 1,
                 (1 << 62) + (1 << 38) + 1, 12345, -7], np.int64)
uwide = np.array([2**63 + 2**39 + 1, 2**64 - 1, 5], np.uint64)
assert wide[0].astype(np.float32) == np.float32(2**60 + 2**37)
case("sitofp_uitofp_i64_f32", [tt((6,), "i64"), tt((3,), "i64")],
     [tt((6,)), tt((3,))],
     """%r0 = arith.sitofp %a0 : tensor<6xi64> to tensor<6xf32>
        %r1 = arith.uitofp %a1 : tensor<3xi64> to tensor<3xf32>""",
     [wide, uwide.view(np.int64)],
     [wide.astype(np.float32), uwide.astype(np.float32)])
fv = vals(S, -1e6, 1e6)
case("fptosi_f32_i32", [T], [I], f"%r0 = arith.fptosi %a0 : {T} to {I}",
     [fv], [np.trunc(fv).astype(np.int32)])
d64 = rng.standard_normal(S) * 1e3
case("extf_truncf_f64", [T, tt(S, "f64")], [tt(S, "f64"), T],
     f"""%r0 = arith.extf %a0 : {T} to {tt(S, 'f64')}
         %r1 = arith.truncf %a1 : {tt(S, 'f64')} to {T}""",
     [fv, d64], [fv.astype(np.float64), f32(d64)])
bx = f32(rng.standard_normal(S))
bx[0, :3] = f32([1.00390625, 1.01171875, -1.00390625])  # bf16 ties
case("truncf_bf16_extf", [T], [T],
     f"""%h = arith.truncf %a0 : {T} to {tt(S, 'bf16')}
         %r0 = arith.extf %h : {tt(S, 'bf16')} to {T}""",
     [bx], [harness.bf16(bx)])
i8 = rng.integers(-128, 128, S, dtype=np.int8)
case("extsi_extui_trunci", [tt(S, "i8"), I], [I, I, tt(S, "i8")],
     f"""%r0 = arith.extsi %a0 : {tt(S, 'i8')} to {I}
         %r1 = arith.extui %a0 : {tt(S, 'i8')} to {I}
         %r2 = arith.trunci %a1 : {I} to {tt(S, 'i8')}""",
     [i8, ia],
     [i8.astype(np.int32), i8.view(np.uint8).astype(np.int32),
      ia.astype(np.int8)])
case("index_cast_scalar", ["i32", "index"], ["index", "i64", "i32"],
     """%r0 = arith.index_cast %a0 : i32 to index
        %r1 = arith.index_cast %a1 : index to i64
        %r2 = arith.index_cast %a1 : index to i32""",
     [np.int32(-42), np.int64(2**33 + 5)],
     [np.int64(-42), np.int64(2**33 + 5), np.int32(5)])

if __name__ == "__main__":
    harness.main(cases)
