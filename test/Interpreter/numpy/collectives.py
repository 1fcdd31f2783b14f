"""braid collectives on 1, 2, 3, 4 and 8 ranks and over axes of a 2-D grid,
checked bitwise against explicit float32/integer emulations."""
import os
import sys

import numpy as np

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

rng = np.random.default_rng(20240611)
cases = []


def spread(shape):
    """float32 values of mixed magnitudes, so that summation order shows."""
    mag = 10.0**rng.uniform(-3, 3, size=shape)
    return harness.f32(rng.standard_normal(shape) * mag)


def group(rank, shape, axes):
    """(members in group order, position of rank) for `axes` of a grid."""
    coords = np.unravel_index(rank, shape)
    members = []
    for sub in np.ndindex(*[shape[a] for a in axes]):
        c = list(coords)
        for a, v in zip(axes, sub):
            c[a] = v
        members.append(int(np.ravel_multi_index(c, shape)))
    return members, members.index(rank)


def ty(shape, elem):
    return "tensor<" + "x".join(str(d) for d in shape) + f"x{elem}>"


def program(grid, arg, res, body):
    return (f"shard.grid @g(shape = {'x'.join(map(str, grid))})\n"
            f"func.func @main(%x: {arg}) -> {res} {{\n"
            f"  {body}\n  return %r : {res}\n}}\n")


def add(name, grid, arg, res, body, inputs, expected):
    cases.append((name, program(grid, arg, res, body), inputs, expected,
                  "exact"))


def reduce_ref(kind, parts):
    acc = parts[0].copy()
    for p in parts[1:]:
        if kind == "sum":
            acc = acc + p
        elif kind == "prod":
            acc = acc * p
        elif kind == "max":
            acc = np.maximum(acc, p)
        elif kind == "min":
            acc = np.minimum(acc, p)
        elif kind == "and":
            acc = acc & p
        elif kind == "or":
            acc = acc | p
        elif kind == "xor":
            acc = acc ^ p
        acc = acc.astype(parts[0].dtype)
    return acc


def all_reduce(name, grid, axes, kind, xs, elem="f32"):
    t = ty(xs[0].shape, elem)
    body = (f"%r = braid.all_reduce %x on @g axes = {list(axes)} "
            f"reduction = {kind} : {t}")

    def expected(rank):
        members, _ = group(rank, grid, axes)
        return [reduce_ref(kind, [xs[m] for m in members])]
    add(name, grid, t, t, body, [[x] for x in xs], expected)


# all_reduce sum: group order 0..P-1, f32 rounding after every add.
for P in (1, 2, 3, 4, 8):
    xs = [spread((4, 5)) for _ in range(P)]
    all_reduce(f"all_reduce_sum_p{P}", (P,), [0], "sum", xs)
    # The emulation really is order-sensitive for P >= 3.
    if P >= 3:
        assert not np.array_equal(harness.ordered_sum_f32(xs),
                                  harness.ordered_sum_f32(xs[::-1]))
for kind in ("max", "min", "prod"):
    xs = [harness.f32(rng.uniform(-2, 2, (3, 4))) for _ in range(4)]
    all_reduce(f"all_reduce_{kind}_p4", (4,), [0], kind, xs)
xs = [harness.f32(rng.uniform(0.5, 1.7, (6,))) for _ in range(8)]
all_reduce("all_reduce_prod_p8", (8,), [0], "prod", xs)
# Integers: i32 sums wrap around; bitwise reductions.
xs = [rng.integers(2**30, 2**31 - 1, (5,), dtype=np.int32) for _ in range(3)]
all_reduce("all_reduce_sum_i32_wrap_p3", (3,), [0], "sum", xs, "i32")
for kind in ("and", "or", "xor", "max", "min"):
    xs = [rng.integers(-2**31, 2**31 - 1, (2, 3), dtype=np.int32)
          for _ in range(4)]
    all_reduce(f"all_reduce_{kind}_i32_p4", (4,), [0], kind, xs, "i32")
xs = [rng.integers(-100, 100, (4,), dtype=np.int64) for _ in range(2)]
all_reduce("all_reduce_prod_i64_p2", (2,), [0], "prod", xs, "i64")

# all_gather: concatenation in group order, per-rank sizes 3 and 5.
for P in (2, 3, 4, 8):
    for rows in (3, 5):
        xs = [spread((rows, 2)) for _ in range(P)]
        body = (f"%r = braid.all_gather %x on @g axes = [0] dim = 0 : "
                f"{ty((rows, 2), 'f32')} -> {ty((rows * P, 2), 'f32')}")
        add(f"all_gather_d0_r{rows}_p{P}", (P,), ty((rows, 2), "f32"),
            ty((rows * P, 2), "f32"), body, [[x] for x in xs],
            lambda r, xs=xs: [np.concatenate(xs, 0)])
for P in (3, 4):
    xs = [rng.integers(-9, 9, (2, 5), dtype=np.int32) for _ in range(P)]
    body = (f"%r = braid.all_gather %x on @g axes = [0] dim = 1 : "
            f"tensor<2x5xi32> -> tensor<2x{5 * P}xi32>")
    add(f"all_gather_d1_i32_p{P}", (P,), "tensor<2x5xi32>",
        f"tensor<2x{5 * P}xi32>", body, [[x] for x in xs],
        lambda r, xs=xs: [np.concatenate(xs, 1)])

# reduce_scatter: reduce in group order, rank p keeps chunk p.
for P in (2, 3, 4, 8):
    for per in (3, 5):
        xs = [spread((per * P, 2)) for _ in range(P)]
        body = (f"%r = braid.reduce_scatter %x on @g axes = [0] dim = 0 "
                f"reduction = sum : {ty((per * P, 2), 'f32')} -> "
                f"{ty((per, 2), 'f32')}")
        add(f"reduce_scatter_sum_d0_{per}p_p{P}", (P,),
            ty((per * P, 2), "f32"), ty((per, 2), "f32"), body,
            [[x] for x in xs],
            lambda r, xs=xs, per=per: [
                harness.ordered_sum_f32(xs)[r * per:(r + 1) * per]])
for P in (3, 4):
    xs = [harness.f32(rng.uniform(-5, 5, (2, 5 * P))) for _ in range(P)]
    body = (f"%r = braid.reduce_scatter %x on @g axes = [0] dim = 1 "
            f"reduction = max : tensor<2x{5 * P}xf32> -> tensor<2x5xf32>")
    add(f"reduce_scatter_max_d1_p{P}", (P,), f"tensor<2x{5 * P}xf32>",
        "tensor<2x5xf32>", body, [[x] for x in xs],
        lambda r, xs=xs: [reduce_ref("max", xs)[:, r * 5:(r + 1) * 5]])

# all_to_all: chunk j of every rank goes to rank j, concatenated in order.
for P in (2, 3, 4, 8):
    xs = [spread((3 * P, 2)) for _ in range(P)]
    body = (f"%r = braid.all_to_all %x on @g axes = [0] split_dim = 0 "
            f"concat_dim = 0 : {ty((3 * P, 2), 'f32')} -> "
            f"{ty((3 * P, 2), 'f32')}")
    add(f"all_to_all_00_p{P}", (P,), ty((3 * P, 2), "f32"),
        ty((3 * P, 2), "f32"), body, [[x] for x in xs],
        lambda r, xs=xs: [np.concatenate([x[3 * r:3 * r + 3] for x in xs])])
    xs = [spread((2, 5 * P)) for _ in range(P)]
    body = (f"%r = braid.all_to_all %x on @g axes = [0] split_dim = 1 "
            f"concat_dim = 0 : {ty((2, 5 * P), 'f32')} -> "
            f"{ty((2 * P, 5), 'f32')}")
    add(f"all_to_all_10_p{P}", (P,), ty((2, 5 * P), "f32"),
        ty((2 * P, 5), "f32"), body, [[x] for x in xs],
        lambda r, xs=xs: [np.concatenate([x[:, 5 * r:5 * r + 5]
                                          for x in xs], 0)])


# collective_permute: ranks that receive nothing get zeros.
def permute(name, P, pairs, xs):
    t = ty(xs[0].shape, "f32")
    text = ", ".join(f"[{s}, {d}]" for s, d in pairs)
    body = (f"%r = braid.collective_permute %x on @g axes = [0] "
            f"pairs = [{text}] : {t}")
    src = {d: s for s, d in pairs}

    def expected(rank):
        if rank in src:
            return [xs[src[rank]]]
        return [np.zeros_like(xs[0])]
    add(name, (P,), t, t, body, [[x] for x in xs], expected)


permute("permute_ring_p4", 4, [(i, (i + 1) % 4) for i in range(4)],
        [spread((3, 2)) for _ in range(4)])
permute("permute_ring_back_p8", 8, [(i, (i - 1) % 8) for i in range(8)],
        [spread((5,)) for _ in range(8)])
permute("permute_partial_p4", 4, [(0, 2), (3, 1)],
        [spread((3, 2)) for _ in range(4)])
permute("permute_partial_p3", 3, [(2, 0)], [spread((4,)) for _ in range(3)])

# broadcast from a non-zero root.
for P, root in ((2, 1), (4, 2), (8, 5)):
    xs = [spread((3, 3)) for _ in range(P)]
    body = (f"%r = braid.broadcast %x on @g axes = [0] root = {root} : "
            f"tensor<3x3xf32>")
    add(f"broadcast_root{root}_p{P}", (P,), "tensor<3x3xf32>",
        "tensor<3x3xf32>", body, [[x] for x in xs],
        lambda r, xs=xs, root=root: [xs[root]])

# Collectives over axes of a 2x4 grid.
G = (2, 4)
xs = [spread((3, 2)) for _ in range(8)]
for axes in ([1], [0], [0, 1], [1, 0]):
    all_reduce("grid_all_reduce_axes" + "".join(map(str, axes)), G, axes,
               "sum", xs)
for axes in ([1], [0], [1, 0], [0, 1]):
    n = int(np.prod([G[a] for a in axes]))
    body = (f"%r = braid.all_gather %x on @g axes = {axes} dim = 0 : "
            f"tensor<3x2xf32> -> tensor<{3 * n}x2xf32>")
    add("grid_all_gather_axes" + "".join(map(str, axes)), G,
        "tensor<3x2xf32>", f"tensor<{3 * n}x2xf32>", body,
        [[x] for x in xs],
        lambda r, axes=axes: [np.concatenate(
            [xs[m] for m in group(r, G, axes)[0]])])
for axes in ([1], [0], [1, 0]):
    n = int(np.prod([G[a] for a in axes]))
    ys = [spread((3 * n, 2)) for _ in range(8)]
    body = (f"%r = braid.reduce_scatter %x on @g axes = {axes} dim = 0 "
            f"reduction = sum : tensor<{3 * n}x2xf32> -> tensor<3x2xf32>")

    def rs_expected(r, axes=axes, ys=ys):
        members, pos = group(r, G, axes)
        total = harness.ordered_sum_f32([ys[m] for m in members])
        return [total[3 * pos:3 * pos + 3]]
    add("grid_reduce_scatter_axes" + "".join(map(str, axes)), G,
        f"tensor<{3 * n}x2xf32>", "tensor<3x2xf32>", body,
        [[y] for y in ys], rs_expected)
ys = [spread((8, 2)) for _ in range(8)]
body = ("%r = braid.all_to_all %x on @g axes = [1] split_dim = 0 "
        "concat_dim = 1 : tensor<8x2xf32> -> tensor<2x8xf32>")


def a2a_expected(r):
    members, pos = group(r, G, [1])
    return [np.concatenate([ys[m][2 * pos:2 * pos + 2] for m in members], 1)]


add("grid_all_to_all_axes1", G, "tensor<8x2xf32>", "tensor<2x8xf32>", body,
    [[y] for y in ys], a2a_expected)
body = ("%r = braid.broadcast %x on @g axes = [1, 0] root = 3 : "
        "tensor<3x2xf32>")
add("grid_broadcast_axes10_root3", G, "tensor<3x2xf32>", "tensor<3x2xf32>",
    body, [[x] for x in xs], lambda r: [xs[group(r, G, [1, 0])[0][3]]])
body = ("%r = braid.collective_permute %x on @g axes = [1] "
        "pairs = [[0, 1], [1, 2], [2, 3], [3, 0]] : tensor<3x2xf32>")


def perm_expected(r):
    members, pos = group(r, G, [1])
    return [xs[members[(pos - 1) % 4]]]


add("grid_permute_axes1_ring", G, "tensor<3x2xf32>", "tensor<3x2xf32>", body,
    [[x] for x in xs], perm_expected)
body = ("%r = braid.collective_permute %x on @g axes = [0] "
        "pairs = [[1, 0]] : tensor<3x2xf32>")
add("grid_permute_axes0_partial", G, "tensor<3x2xf32>", "tensor<3x2xf32>",
    body, [[x] for x in xs],
    lambda r: [xs[r + 4] if r < 4 else np.zeros_like(xs[0])])

# Sanity of the group helper against the documented orders.
assert group(5, G, [1]) == ([4, 5, 6, 7], 1)
assert group(5, G, [0]) == ([1, 5], 1)
assert group(5, G, [1, 0]) == ([0, 4, 1, 5, 2, 6, 3, 7], 3)

if __name__ == "__main__":
    harness.main(cases)
