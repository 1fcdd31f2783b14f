"""MoE routing ops, grouped matmul, top-k, sort, gather and scatter against
numpy references (ties to the lower index, ordered f32 sums)."""
import os
import sys

import numpy as np

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import LAYER, f32, matmul_seq_f32, program, tt  # noqa: E402

rng = np.random.default_rng(17)
cases = []


def case(name, args, results, body, inputs, expected, compare="exact"):
    cases.append((name, program(args, results, body), inputs,
                  lambda r: expected, compare))


def softmax64(x):
    x = np.asarray(x, np.float64)
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def gate_ref(logits, k, normalize):
    p = softmax64(logits)
    order = np.argsort(-p, axis=-1, kind="stable")[:, :k]
    w = np.take_along_axis(p, order, -1)
    if normalize:
        w = w / w.sum(-1, keepdims=True)
    return f32(w), order


T, E = 6, 8
logits = f32(rng.uniform(-3, 3, (T, E)))
logits[1, [2, 5, 6]] = f32(2.5)  # exact ties: lower expert first
logits[1, [0, 1, 3, 4, 7]] = f32(-1.0)
for k, normalize, idx in ((2, False, "i32"), (2, True, "i32"),
                          (3, True, "i64"), (1, False, "i64")):
    w, order = gate_ref(logits, k, normalize)
    norm = ", normalize" if normalize else ""
    case(f"moe_gate_k{k}{'_norm' if normalize else ''}_{idx}",
         [tt((T, E))], [tt((T, k)), tt((T, k), idx)],
         f"%r0, %r1 = braid.moe_gate %a0 {{k = {k} : i64{norm}}} : "
         f"{tt((T, E))} -> {tt((T, k))}, {tt((T, k), idx)}",
         [logits], [w, order.astype(np.dtype(idx.replace("i", "int")))],
         [LAYER, "exact"])


def permute_ref(x, experts, num_experts):
    k = experts.shape[1]
    pairs = np.argsort(experts.reshape(-1), kind="stable")
    permuted = x[pairs // k]
    row_map = np.empty(len(pairs), np.int64)
    row_map[pairs] = np.arange(len(pairs))
    sizes = np.bincount(experts.reshape(-1), minlength=num_experts)
    return permuted, sizes, row_map


Tp, H, K, NE = 5, 3, 2, 4
xp = f32(rng.standard_normal((Tp, H)))
ep = np.array([[2, 0], [0, 2], [3, 0], [2, 3], [0, 3]], np.int32)  # no 1
perm, sizes, rmap = permute_ref(xp, ep, NE)
case("moe_permute", [tt((Tp, H)), tt((Tp, K), "i32")],
     [tt((Tp * K, H)), tt((NE,), "i64"), tt((Tp * K,), "i32")],
     f"%r0, %r1, %r2 = braid.moe_permute %a0, %a1 {{num_experts = {NE} : "
     f"i64}} : {tt((Tp, H))}, {tt((Tp, K), 'i32')} -> {tt((Tp * K, H))}, "
     f"{tt((NE,), 'i64')}, {tt((Tp * K,), 'i32')}",
     [xp, ep], [perm, sizes.astype(np.int64), rmap.astype(np.int32)])

# moe_unpermute: out[t] = sum_j w[t, j] * in[row_map[t*k + j]], in order,
# every product and sum rounded to f32.
up_in = f32(rng.standard_normal((Tp * K, H)) * 10.0**rng.uniform(
    -2, 2, (Tp * K, 1)))
wts = f32(rng.uniform(0, 1, (Tp, K)))
out = np.zeros((Tp, H), np.float32)
for j in range(K):
    out = f32(out + f32(wts[:, j:j + 1] * up_in[rmap.reshape(Tp, K)[:, j]]))
case("moe_unpermute", [tt((Tp * K, H)), tt((Tp * K,), "i32"), tt((Tp, K))],
     [tt((Tp, H))],
     f"%r0 = braid.moe_unpermute %a0, %a1, %a2 : {tt((Tp * K, H))}, "
     f"{tt((Tp * K,), 'i32')}, {tt((Tp, K))} -> {tt((Tp, H))}",
     [up_in, rmap.astype(np.int32), wts], [out])

# grouped_matmul: contiguous row groups, rows past sum(group_sizes) zero.
GL = f32(rng.standard_normal((7, 4)) * 10.0**rng.uniform(-2, 2, (7, 4)))
GW = f32(rng.standard_normal((3, 4, 5)))
gsizes = np.array([2, 0, 3], np.int64)
gref = np.zeros((7, 5), np.float32)
start = 0
for e, n in enumerate(gsizes):
    gref[start:start + n] = matmul_seq_f32(GL[start:start + n], GW[e],
                                           np.zeros((n, 5), np.float32))
    start += n
case("grouped_matmul", [tt((7, 4)), tt((3, 4, 5)), tt((3,), "i64")],
     [tt((7, 5))],
     "%r0 = braid.grouped_matmul %a0, %a1, %a2 : tensor<7x4xf32>, "
     "tensor<3x4x5xf32>, tensor<3xi64> -> tensor<7x5xf32>",
     [GL, GW, gsizes], [gref])

# A whole MoE layer: gate, permute, grouped matmul, unpermute vs float64.
Tm, Hm, Em, km, Nm = 6, 4, 4, 2, 3
xm = f32(rng.standard_normal((Tm, Hm)))
lm = f32(rng.standard_normal((Tm, Em)))
wm = f32(rng.standard_normal((Em, Hm, Nm)))
gw, ge = gate_ref(lm, km, True)
moe = np.zeros((Tm, Nm))
for t in range(Tm):
    for j in range(km):
        moe[t] += np.float64(gw[t, j]) * (xm[t].astype(np.float64)
                                          @ wm[ge[t, j]].astype(np.float64))
case("moe_pipeline", [tt((Tm, Hm)), tt((Tm, Em)), tt((Em, Hm, Nm))],
     [tt((Tm, Nm))],
     f"""%w, %e = braid.moe_gate %a1 {{k = {km} : i64, normalize}} : {tt((Tm, Em))} -> {tt((Tm, km))}, {tt((Tm, km), 'i32')}
         %p, %s, %m = braid.moe_permute %a0, %e {{num_experts = {Em} : i64}} : {tt((Tm, Hm))}, {tt((Tm, km), 'i32')} -> {tt((Tm * km, Hm))}, {tt((Em,), 'i64')}, {tt((Tm * km,), 'i32')}
         %y = braid.grouped_matmul %p, %a2, %s : {tt((Tm * km, Hm))}, {tt((Em, Hm, Nm))}, {tt((Em,), 'i64')} -> {tt((Tm * km, Nm))}
         %r0 = braid.moe_unpermute %y, %m, %w : {tt((Tm * km, Nm))}, {tt((Tm * km,), 'i32')}, {tt((Tm, km))} -> {tt((Tm, Nm))}""",
     [xm, lm, wm], [f32(moe)], LAYER)


def order_of(row, descending):
    """Stable order; NaN above every number (first descending, last
    ascending); ties keep the lower index first."""
    idx = list(range(len(row)))
    nan = [i for i in idx if np.isnan(row[i])]
    num = [i for i in idx if not np.isnan(row[i])]
    num.sort(key=lambda i: -row[i] if descending else row[i])  # stable
    return nan + num if descending else num + nan


def select_ref(x, keep, descending):
    order = np.array([order_of(r, descending)[:keep] for r in x])
    return np.take_along_axis(x, order, -1), order


sx = f32(rng.integers(-4, 5, (4, 8)))  # many exact ties
sx[0] = f32(rng.standard_normal(8))
sx[2, 3] = np.nan
for k in (1, 3, 8):
    v, i = select_ref(sx, k, True)
    case(f"topk_k{k}_f32", [tt((4, 8))], [tt((4, k)), tt((4, k), "i64")],
         f"%r0, %r1 = braid.topk %a0 {{k = {k} : i64}} : tensor<4x8xf32> "
         f"-> {tt((4, k))}, {tt((4, k), 'i64')}",
         [sx], [v, i.astype(np.int64)])
ix = rng.integers(-3, 3, (3, 6), dtype=np.int32)
v, i = select_ref(ix, 4, True)
case("topk_i32", [tt((3, 6), "i32")], [tt((3, 4), "i32"), tt((3, 4), "i32")],
     "%r0, %r1 = braid.topk %a0 {k = 4 : i64} : tensor<3x6xi32> -> "
     "tensor<3x4xi32>, tensor<3x4xi32>",
     [ix], [v, i.astype(np.int32)])
for desc in (False, True):
    v, i = select_ref(sx, 8, desc)
    attr = " {descending}" if desc else ""
    case(f"sort_f32_{'desc' if desc else 'asc'}", [tt((4, 8))],
         [tt((4, 8)), tt((4, 8), "i32")],
         f"%r0, %r1 = braid.sort %a0{attr} : tensor<4x8xf32> -> "
         "tensor<4x8xf32>, tensor<4x8xi32>",
         [sx], [v, i.astype(np.int32)])
    v, i = select_ref(ix, 6, desc)
    case(f"sort_i32_{'desc' if desc else 'asc'}", [tt((3, 6), "i32")],
         [tt((3, 6), "i32"), tt((3, 6), "i64")],
         f"%r0, %r1 = braid.sort %a0{attr} : tensor<3x6xi32> -> "
         "tensor<3x6xi32>, tensor<3x6xi64>",
         [ix], [v, i.astype(np.int64)])

# i64 keys beyond 2**53 must compare exactly (not through f64).
big = np.array([[2**53 + 1, 2**53, 2**53 - 1, -2**62, 2**62, 2**62 + 1]],
               np.int64)
for desc in (False, True):
    v, i = select_ref(big, 6, desc)
    attr = " {descending}" if desc else ""
    case(f"sort_i64_big_{'desc' if desc else 'asc'}", [tt((1, 6), "i64")],
         [tt((1, 6), "i64"), tt((1, 6), "i32")],
         f"%r0, %r1 = braid.sort %a0{attr} : tensor<1x6xi64> -> "
         "tensor<1x6xi64>, tensor<1x6xi32>",
         [big], [v, i.astype(np.int32)])
v, i = select_ref(big, 2, True)
case("topk_i64_big", [tt((1, 6), "i64")], [tt((1, 2), "i64"),
                                           tt((1, 2), "i64")],
     "%r0, %r1 = braid.topk %a0 {k = 2 : i64} : tensor<1x6xi64> -> "
     "tensor<1x2xi64>, tensor<1x2xi64>",
     [big], [v, i.astype(np.int64)])

# gather = numpy.take; scatter replace (last write wins) / add (in order).
src = f32(rng.standard_normal((3, 5, 2)))
gidx = rng.integers(0, 5, (2, 4), dtype=np.int32)
case("gather_axis1", [tt((3, 5, 2)), tt((2, 4), "i32")], [tt((3, 2, 4, 2))],
     "%r0 = braid.gather %a0[%a1] axis = 1 : tensor<3x5x2xf32>, "
     "tensor<2x4xi32> -> tensor<3x2x4x2xf32>",
     [src, gidx], [np.take(src, gidx, axis=1)])
table = f32(rng.standard_normal((10, 4)))
ids = rng.integers(0, 10, (3,), dtype=np.int64)
case("gather_embedding_i64", [tt((10, 4)), tt((3,), "i64")], [tt((3, 4))],
     "%r0 = braid.gather %a0[%a1] axis = 0 : tensor<10x4xf32>, "
     "tensor<3xi64> -> tensor<3x4xf32>",
     [table, ids], [np.take(table, ids, axis=0)])
dest = f32(rng.standard_normal((8, 3)))
upd = f32(rng.standard_normal((6, 3)) * 10.0**rng.uniform(-3, 3, (6, 3)))
sidx = np.array([5, 1, 5, 0, 5, 1], np.int32)
rep, acc = dest.copy(), dest.copy()
for i, t in enumerate(sidx):
    rep[t] = upd[i]
    acc[t] = f32(acc[t] + upd[i])
for kind, ref in (("replace", rep), ("add", acc)):
    case(f"scatter_{kind}_axis0", [tt((6, 3)), tt((8, 3)), tt((6,), "i32")],
         [tt((8, 3))],
         f"%r0 = braid.scatter %a0 into %a1[%a2] axis = 0 kind = {kind} : "
         "tensor<6x3xf32>, tensor<8x3xf32>, tensor<6xi32> -> tensor<8x3xf32>",
         [upd, dest, sidx], [ref])
dest1 = rng.integers(-50, 50, (2, 5), dtype=np.int32)
upd1 = rng.integers(-50, 50, (2, 4), dtype=np.int32)
sidx1 = np.array([4, 0, 4, 2], np.int64)
rep1, acc1 = dest1.copy(), dest1.copy()
for i, t in enumerate(sidx1):
    rep1[:, t] = upd1[:, i]
    acc1[:, t] += upd1[:, i]
for kind, ref in (("replace", rep1), ("add", acc1)):
    case(f"scatter_{kind}_axis1_i32", [tt((2, 4), "i32"), tt((2, 5), "i32"),
                                       tt((4,), "i64")], [tt((2, 5), "i32")],
         f"%r0 = braid.scatter %a0 into %a1[%a2] axis = 1 kind = {kind} : "
         "tensor<2x4xi32>, tensor<2x5xi32>, tensor<4xi64> -> tensor<2x5xi32>",
         [upd1, dest1, sidx1], [ref])

if __name__ == "__main__":
    harness.main(cases)
