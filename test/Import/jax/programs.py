"""Small JAX shard_map programs the StableHLO importer is checked against.

    programs.py OUTDIR [NAME...]

For every program (all of them unless names are given) this lowers
`jax.jit(jax.shard_map(f, ...))` ONCE on 4 host CPU devices and writes

    OUTDIR/NAME/program.mlir          what `lowered.as_text()` gives (StableHLO, Shardy)
    OUTDIR/NAME/inputs/rankR/argN.npy the per-rank (local) inputs, rank = grid position
    OUTDIR/NAME/expected/rankR/resultN.npy  JAX's own per-rank outputs
    OUTDIR/NAME/meta.json             dtype and the tolerance the comparison uses

and finally OUTDIR/programs.stamp. Rank R is the row-major position R in the
mesh (not the device id), which is what braid-interp calls rank R as long as
the module carries no device order (JAX's text does not); for a mesh
with a permuted device order the shard of mesh position R is read from the
device at that position. bf16 arrays are stored as float32 (braid-interp's
convention; the values are exact bf16 numbers).

Tolerances (checked by compare.py on every rank and every result, as
max|braid - jax| <= tol * max(1, max|jax|)):
  f32 programs: 4e-6 (measured worst: 5.3e-7, the grad step). XLA's CPU
    backend reorders sums (vectorised reductions and dots) and uses its own
    exp/tanh/rsqrt/cos approximations (a few ulp), while braid-interp sums
    sequentially and rounds correctly rounded double results; with K <= 256
    that is ~1e-7 relative. A wrong mapping is O(1). Integer results are
    exact.
  bf16 programs: 2^-6, two bf16 ulps at the largest magnitude (measured
    worst: 0.0061, under one ulp). Every bf16 op rounds to 8 significant
    bits; XLA keeps fused element-wise chains in f32 before one rounding
    where braid-interp rounds after each op, and the summation order
    differs, so single-ulp flips appear and propagate through a few ops.
"""

import json
import os
import sys

os.environ.setdefault("XLA_FLAGS", "")
os.environ["XLA_FLAGS"] += " --xla_force_host_platform_device_count=4"
os.environ.setdefault("JAX_PLATFORMS", "cpu")

# braid.jax_spmd from this checkout (not the one an editable install names)
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..",
                                "python"))

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
from jax.sharding import Mesh, NamedSharding  # noqa: E402
from jax.sharding import PartitionSpec as P

from braid.jax_spmd import partitioned_stablehlo  # noqa: E402

F32_TOL = 4e-6
BF16_TOL = 2.0 ** -6


def _rng(seed):
    return np.random.default_rng(seed)


def _normal(rng, shape, scale=1.0):
    return (rng.standard_normal(shape) * scale).astype(np.float32)


def mesh_1d(name="tp"):
    return jax.make_mesh((4,), (name,))


def mesh_2d(names=("dp", "tp"), permuted=False):
    devs = np.array(jax.devices()[:4])
    if permuted:
        devs = devs[::-1]
    return Mesh(devs.reshape(2, 2), names)


def silu(x):
    return x * jax.nn.sigmoid(x)


def rmsnorm(x, w, eps=1e-5):
    x32 = x.astype(jnp.float32)
    ms = jnp.mean(x32 * x32, axis=-1, keepdims=True)
    return (x32 * jax.lax.rsqrt(ms + eps)).astype(x.dtype) * w


def rope(x, positions):
    # x: [..., S, H, hd]; rotate-half RoPE computed inline (iota/cos/sin).
    hd = x.shape[-1]
    freqs = 1.0 / (10000.0 ** (jnp.arange(0, hd, 2, dtype=jnp.float32) / hd))
    ang = positions[:, None].astype(jnp.float32) * freqs[None, :]
    cos = jnp.concatenate([jnp.cos(ang), jnp.cos(ang)], axis=-1)[:, None, :]
    sin = jnp.concatenate([jnp.sin(ang), jnp.sin(ang)], axis=-1)[:, None, :]
    x1, x2 = x[..., : hd // 2], x[..., hd // 2:]
    rot = jnp.concatenate([-x2, x1], axis=-1)
    return (x.astype(jnp.float32) * cos + rot.astype(jnp.float32) * sin).astype(x.dtype)


def attention(x, wq, wk, wv, wo, hd):
    # x: [B, S, D]; wq/wk/wv: [D, Hl*hd] (this rank's heads); wo: [Hl*hd, D].
    B, S, _ = x.shape
    q = (x @ wq).reshape(B, S, -1, hd)
    k = (x @ wk).reshape(B, S, -1, hd)
    v = (x @ wv).reshape(B, S, -1, hd)
    pos = jnp.arange(S)
    q, k = rope(q, pos), rope(k, pos)
    scores = jnp.einsum("bqhd,bkhd->bhqk", q, k,
                        preferred_element_type=jnp.float32) / np.sqrt(hd)
    qi = jax.lax.broadcasted_iota(jnp.int32, (S, S), 0)
    ki = jax.lax.broadcasted_iota(jnp.int32, (S, S), 1)
    scores = jnp.where(qi >= ki, scores, -jnp.inf)
    p = jax.nn.softmax(scores, axis=-1).astype(x.dtype)
    o = jnp.einsum("bhqk,bkhd->bqhd", p, v).reshape(B, S, -1)
    return jax.lax.psum(o @ wo, "tp")


# ---------------------------------------------------------------- programs
# Each returns (mesh, f, in_specs, out_specs, global input arrays, dtype);
# f is a shard_map body, or a jitted whole program (out_specs None).


def prog_tp_mlp():
    r = _rng(1)
    x, w1, w2 = _normal(r, (16, 32)), _normal(r, (32, 64), 0.2), _normal(r, (64, 32), 0.2)

    def f(x, w1, w2):
        return jax.lax.psum(silu(x @ w1) @ w2, "tp")
    return (mesh_1d(), f, (P(), P(None, "tp"), P("tp", None)), P(),
            [x, w1, w2], "f32")


def prog_gpt_mlp():
    # GPT-2-style MLP block (f32): LayerNorm with closed-over gamma/beta
    # (JAX hoists them out of the body as manual_computation operands), fc1
    # column-parallel with a sharded bias, exact GELU (chlo.erfc) and the
    # tanh approximation, fc2 row-parallel, psum, bias, residual.
    r = _rng(10)
    x = _normal(r, (16, 32))
    gamma = 1 + _normal(r, (32,), 0.1)
    beta = _normal(r, (32,), 0.1)
    w1, b1 = _normal(r, (32, 128), 0.2), _normal(r, (128,), 0.1)
    w2, b2 = _normal(r, (128, 32), 0.1), _normal(r, (32,), 0.1)

    def f(x, w1, b1, w2, b2):
        mu = jnp.mean(x, axis=-1, keepdims=True)
        var = jnp.mean((x - mu) ** 2, axis=-1, keepdims=True)
        h = (x - mu) * jax.lax.rsqrt(var + 1e-5) * gamma + beta
        a = h @ w1 + b1
        g = jax.nn.gelu(a, approximate=False) + 0.5 * jax.nn.gelu(a, approximate=True)
        return x + jax.lax.psum(g @ w2, "tp") + b2
    return (mesh_1d(), f, (P(), P(None, "tp"), P("tp"), P("tp", None), P()), P(),
            [x, w1, b1, w2, b2], "f32")


def prog_sp_mlp():
    r = _rng(2)
    bf = jnp.bfloat16
    x = _normal(r, (64, 64))
    wg, wu = _normal(r, (64, 128), 0.15), _normal(r, (64, 128), 0.15)
    wd = _normal(r, (128, 64), 0.1)

    def f(x, wg, wu, wd):
        t = jax.lax.all_gather(x, "tp", axis=0, tiled=True)
        h = silu(t @ wg) * (t @ wu)
        y = jax.lax.psum_scatter(h @ wd, "tp", scatter_dimension=0, tiled=True)
        return x + y
    args = [jnp.asarray(a, bf) for a in (x, wg, wu, wd)]
    return (mesh_1d(), f, (P("tp", None), P(None, "tp"), P(None, "tp"), P("tp", None)),
            P("tp", None), args, "bf16")


def _attn_weights(r, D, H, hd, dtype):
    return [jnp.asarray(_normal(r, s, 1 / np.sqrt(s[0])), dtype)
            for s in ((D, H * hd), (D, H * hd), (D, H * hd), (H * hd, D))]


ATTN_SPECS = (P(None, "tp"), P(None, "tp"), P(None, "tp"), P("tp", None))


def prog_attention():
    r = _rng(3)
    B, S, D, H, hd = 2, 16, 32, 8, 8
    x = _normal(r, (B, S, D))
    ws = _attn_weights(r, D, H, hd, jnp.float32)

    def f(x, wq, wk, wv, wo):
        return attention(x, wq, wk, wv, wo, hd)
    return (mesh_1d(), f, (P(),) + ATTN_SPECS, P(), [x] + ws, "f32")


def prog_llama_block():
    r = _rng(4)
    bf = jnp.bfloat16
    B, S, D, H, hd, F = 2, 16, 64, 8, 8, 128
    x = jnp.asarray(_normal(r, (B, S, D)), bf)
    n1 = jnp.asarray(1 + _normal(r, (D,), 0.1), bf)
    n2 = jnp.asarray(1 + _normal(r, (D,), 0.1), bf)
    ws = _attn_weights(r, D, H, hd, bf)
    wg = jnp.asarray(_normal(r, (D, F), 1 / 8), bf)
    wu = jnp.asarray(_normal(r, (D, F), 1 / 8), bf)
    wd = jnp.asarray(_normal(r, (F, D), 1 / 11), bf)

    def f(x, n1, wq, wk, wv, wo, n2, wg, wu, wd):
        h = x + attention(rmsnorm(x, n1), wq, wk, wv, wo, hd)
        t = rmsnorm(h, n2)
        m = jax.nn.silu(t @ wg) * (t @ wu)
        return h + jax.lax.psum(m @ wd, "tp")
    specs = (P(), P()) + ATTN_SPECS + (P(), P(None, "tp"), P(None, "tp"), P("tp", None))
    return mesh_1d(), f, specs, P(), [x, n1] + ws + [n2, wg, wu, wd], "bf16"


def _moe_inputs(r, T, D, E, F):
    """Tokens of 4 ranks, router and per-expert MLP weights (in draw order)."""
    x = _normal(r, (4 * T, D))
    wr = _normal(r, (D, E), 0.5)
    w1 = _normal(r, (E, D, F), 0.2)
    w2 = _normal(r, (E, F, D), 0.2)
    return x, wr, w1, w2


def prog_moe():
    # Mixtral-style block with expert parallelism: 4 experts, one per rank,
    # top-2 routing; one-hot dispatch through all_to_all, expert MLP, and a
    # gather/scatter-add combine of each token's two expert outputs.
    T, D, E, F, K = 16, 32, 4, 64, 2
    x, wr, w1, w2 = _moe_inputs(_rng(5), T, D, E, F)

    def f(x, wr, w1, w2):
        logits = x @ wr                                       # [T, E]
        vals, idx = jax.lax.top_k(logits, K)                  # [T, K]
        gates = jax.nn.softmax(vals, axis=-1)
        onehot = (idx[..., None] == jnp.arange(E)[None, None, :]).astype(x.dtype)
        mask = jnp.sum(onehot, axis=1)                        # [T, E]
        dispatch = jnp.transpose(mask)[:, :, None] * x[None, :, :]    # [E, T, D]
        recv = jax.lax.all_to_all(dispatch, "ep", 0, 0, tiled=True)  # [src, T, D]
        h = silu(jnp.einsum("std,df->stf", recv, w1[0]))
        out = jnp.einsum("stf,fd->std", h, w2[0])
        back = jax.lax.all_to_all(out, "ep", 0, 0, tiled=True)       # [E, T, D]
        flat = back.reshape(E * T, D)
        rows = (idx * T + jnp.arange(T)[:, None]).reshape(-1)         # [T*K]
        picked = flat.at[rows].get(mode="promise_in_bounds")
        weighted = picked * gates.reshape(-1, 1)
        tok = jnp.repeat(jnp.arange(T), K)
        return jnp.zeros((T, D), x.dtype).at[tok].add(weighted, mode="promise_in_bounds")
    return (jax.make_mesh((4,), ("ep",)), f,
            (P("ep", None), P(), P("ep", None, None), P("ep", None, None)),
            P("ep", None), [x, wr, w1, w2], "f32")


def prog_moe_capacity():
    # Switch/GShard-style MoE with expert parallelism: top-1 (argmax)
    # routing, capacity C per expert from a cumsum of the one-hot, dispatch
    # and combine einsums, all_to_all there and back.
    T, D, E, F, C = 16, 32, 4, 64, 6
    x, wr, w1, w2 = _moe_inputs(_rng(9), T, D, E, F)

    def f(x, wr, w1, w2):
        probs = jax.nn.softmax(x @ wr, axis=-1)              # [T, E]
        e_idx = jnp.argmax(probs, axis=-1)                   # [T]
        gate = jnp.max(probs, axis=-1)                       # [T]
        onehot = (e_idx[:, None] == jnp.arange(E)[None, :]).astype(x.dtype)
        pos = jnp.cumsum(onehot, axis=0) * onehot - 1.0      # slot in its expert
        slots = jnp.arange(C, dtype=x.dtype)
        dispatch = (pos[:, :, None] == slots[None, None, :]).astype(x.dtype)  # [T, E, C]
        xin = jnp.einsum("tec,td->ecd", dispatch, x)
        recv = jax.lax.all_to_all(xin, "ep", 0, 0, tiled=True)   # [src, C, D]
        h = silu(jnp.einsum("scd,df->scf", recv, w1[0]))
        out = jnp.einsum("scf,fd->scd", h, w2[0])
        back = jax.lax.all_to_all(out, "ep", 0, 0, tiled=True)   # [E, C, D]
        return jnp.einsum("tec,ecd->td", dispatch * gate[:, None, None], back)
    return (jax.make_mesh((4,), ("ep",)), f,
            (P("ep", None), P(), P("ep", None, None), P("ep", None, None)),
            P("ep", None), [x, wr, w1, w2], "f32")


def prog_ops_misc():
    # A grab bag of the mappings the blocks above do not reach, each checked
    # against JAX's numbers: broadcasts of unit dims, einsums in odd layouts,
    # integer and unsigned arithmetic, clamp/pad/dynamic slices at a
    # rank-dependent offset, reverse cumsum, argmin, sorts, math functions,
    # and a data-dependent while_loop (scf.while).
    r = _rng(11)
    x = _normal(r, (4, 8))
    y = _normal(r, (2, 4, 8))
    n = r.integers(-50, 50, size=(4, 8)).astype(np.int32)

    def f(x, y, n):
        rk = jax.lax.axis_index("tp")
        out = []
        out.append(jnp.broadcast_to(x[:1, :1], (4, 8)) + x.T.reshape(4, 8))
        out.append(jnp.einsum("ij,kj->ik", x, x))
        out.append(jnp.einsum("bij,bkj->bik", y, y))
        out.append(jnp.einsum("bij,bij->j", y, y))
        out.append(jnp.einsum("bij,jk->bik", y, x.T))
        q = n // 7 + n % 5 - (n >> 2) + (n << 1) + jnp.abs(n) + jnp.maximum(n, 3)
        u = n.astype(jnp.uint32)
        out.append(q + (u // 3 + u % 7).astype(jnp.int32) + (u > 20).astype(jnp.int32))
        out.append(jnp.clip(x, -0.5, 0.5) + jnp.pad(x[:, 2:], ((0, 0), (1, 1))))
        start = rk * 2
        ds = jax.lax.dynamic_slice(x, (start, 0), (2, 8))
        out.append(jax.lax.dynamic_update_slice(jnp.zeros((4, 8)), ds, (rk % 3, 0)))
        out.append(jnp.cumsum(x[:, ::-1], axis=1)[:, ::-1] + jnp.cumsum(x, axis=0)
                   + jax.lax.cummax(x, axis=1))
        out.append(jnp.argmin(x, axis=0) + jnp.argmax(n, axis=1).sum())
        out.append(jnp.sort(x, axis=-1)[:, ::-1] + jnp.sort(-x, axis=-1))
        out.append(jnp.sign(x) + jnp.floor(3 * x) + jnp.round(3 * x) + jnp.expm1(x)
                   + jnp.log1p(x * x) + jax.nn.sigmoid(x) + jax.lax.erf(x) + x ** 3
                   + jnp.power(jnp.abs(x) + 1, 0.7) + jnp.arctan2(x, 1 + x * x))
        out.append(jnp.where(x > 0, x, 0.1 * x).mean(axis=(0, 1)) + rk.astype(jnp.float32))
        out.append(jnp.concatenate([x, jnp.arange(8, dtype=jnp.float32)[None]], axis=0))
        # a data-dependent while_loop (not a counted loop): an scf.while
        halve = jax.lax.while_loop(lambda c: c[0] > 0.01,
                                   lambda c: (c[0] * 0.5, c[1] + 1),
                                   (jnp.sum(x * x) * (1.0 + rk), jnp.int32(0)))
        out.append(halve[0] + halve[1].astype(jnp.float32))
        # every result gets a leading rank axis: rank-dependent ones differ
        return tuple(jnp.asarray(o)[None] for o in out)
    return (mesh_1d(), f, (P(), P(), P()), tuple(P("tp") for _ in range(15)),
            [x, y, n], "f32")


def prog_ulysses():
    # Ulysses-style sequence-parallel attention (f32): tokens sharded, an
    # all_to_all trades the sequence split for a head split (split_dim !=
    # concat_dim) before attention and back after it.
    r = _rng(12)
    S, H, hd = 32, 8, 8
    q, k, v = (_normal(r, (S, H, hd)) for _ in range(3))

    def f(q, k, v):
        def seq_to_heads(t):   # [S/4, H, hd] -> [S, H/4, hd]
            return jax.lax.all_to_all(t, "sp", 1, 0, tiled=True)

        def heads_to_seq(t):   # [S, H/4, hd] -> [S/4, H, hd]
            return jax.lax.all_to_all(t, "sp", 0, 1, tiled=True)
        q, k, v = seq_to_heads(q), seq_to_heads(k), seq_to_heads(v)
        s = jnp.einsum("qhd,khd->hqk", q, k) / np.sqrt(hd)
        o = jnp.einsum("hqk,khd->qhd", jax.nn.softmax(s, axis=-1), v)
        return heads_to_seq(o)
    spec = P("sp", None, None)
    return jax.make_mesh((4,), ("sp",)), f, (spec, spec, spec), spec, [q, k, v], "f32"


def prog_pipeline_2d():
    # Two pipeline stages x 2-way TP on a 2x2 mesh (f32): stage 0's TP MLP
    # output goes to stage 1 with a one-way ppermute along pp (stage 0
    # receives zeros), then stage 1 applies its own layer.
    r = _rng(13)
    x = _normal(r, (8, 32))
    w1, w2 = _normal(r, (2, 32, 64), 0.2), _normal(r, (2, 64, 32), 0.2)

    def f(x, w1, w2):
        h = jax.lax.psum(jnp.tanh(x @ w1[0]) @ w2[0], "tp")
        recv = jax.lax.ppermute(h, "pp", [(0, 1)])
        stage = jax.lax.axis_index("pp")
        inp = jnp.where(stage == 0, x, recv)
        out = jax.lax.psum(jnp.tanh(inp @ w1[0]) @ w2[0], "tp")
        return out[None, None]
    mesh = mesh_2d(("pp", "tp"))
    return (mesh, f, (P(), P("pp", None, "tp"), P("pp", "tp", None)),
            P("pp", "tp"), [x, w1, w2], "f32")


def _mesh2d_prog(permuted):
    r = _rng(6)
    x = _normal(r, (16, 32))
    w1, w2 = _normal(r, (32, 64), 0.2), _normal(r, (64, 32), 0.2)

    def f(x, w1, w2):
        y = jax.lax.psum(jnp.tanh(x @ w1) @ w2, "tp")
        sq = jax.lax.psum(jnp.sum(y * y), "dp") / 16.0
        return y, sq
    return (mesh_2d(permuted=permuted), f,
            (P("dp", None), P(None, "tp"), P("tp", None)), (P("dp", None), P()),
            [x, w1, w2], "f32")


def prog_mesh2d():
    return _mesh2d_prog(False)


def prog_mesh2d_permuted():
    return _mesh2d_prog(True)


def prog_mesh2d_gspmd():
    # The same program lowered in JAX's legacy GSPMD form
    # (jax_use_shardy_partitioner=False): custom_call @SPMDFullToShardShape
    # around `call @shmap_body`, no sdy.mesh in the module.
    return _mesh2d_prog(False)


def prog_grad():
    r = _rng(7)
    x, y = _normal(r, (16, 32)), _normal(r, (16, 32))
    w1, w2 = _normal(r, (32, 64), 0.2), _normal(r, (64, 32), 0.2)

    def f(x, y, w1, w2):
        def loss(w1, w2):
            out = jax.lax.psum(silu(x @ w1) @ w2, "tp")
            return jnp.mean((out - y) ** 2)
        value, (g1, g2) = jax.value_and_grad(loss, argnums=(0, 1))(w1, w2)
        return value, w1 - 0.1 * g1, w2 - 0.1 * g2
    return (mesh_1d(), f, (P(), P(), P(None, "tp"), P("tp", None)),
            (P(), P(None, "tp"), P("tp", None)), [x, y, w1, w2], "f32")


def prog_scan_ring():
    # lax.scan over layers (a counted while loop the importer unrolls), a ring
    # step (ppermute), axis_index, argsort and pmax.
    r = _rng(8)
    x = _normal(r, (8, 16))
    ws = _normal(r, (3, 16, 16), 0.3)

    def f(x, ws):
        def layer(h, w):
            return jax.lax.all_gather(jnp.tanh(h @ w), "tp", axis=1, tiled=True), None
        h, _ = jax.lax.scan(layer, jax.lax.pcast(x, ("tp",), to="varying"), ws)
        h = h * (1.0 + jax.lax.axis_index("tp").astype(jnp.float32))
        y = jax.lax.ppermute(h, "tp", [(i, (i + 1) % 4) for i in range(4)])
        return y, jnp.argsort(y, axis=-1), jax.lax.pmax(y, "tp")
    return (mesh_1d(), f, (P(), P(None, None, "tp")),
            (P("tp", None), P("tp", None), P()), [x, ws], "f32")


# ------------------------------------------------- whole jitted programs
# These return the jitted function itself (not a shard_map body): the
# program is what a user jits -- shard_maps (in main or in jitted callees)
# with ordinary code between them.


def prog_whole_program():
    # Two manual computations, the first in a jitted callee (a jitted
    # shard_map called from another jit: a private function holding it),
    # with code between them: element-wise code on the column-split output
    # of the first (runs on the rank's block, the replicated bias sliced),
    # a row sum of it (needs the whole value: gathered), and results both
    # replicated and sharded (out_shardings).
    r = _rng(14)
    x = _normal(r, (16, 32))
    w1, w2 = _normal(r, (32, 64), 0.2), _normal(r, (64, 32), 0.2)
    b = _normal(r, (64,), 0.1)
    mesh = mesh_1d()
    up = jax.jit(jax.shard_map(lambda x, w: x @ w, mesh=mesh,
                               in_specs=(P(), P(None, "tp")), out_specs=P(None, "tp")))
    down = jax.shard_map(lambda h, w: jax.lax.psum(h @ w, "tp"), mesh=mesh,
                         in_specs=(P(None, "tp"), P("tp", None)), out_specs=P())

    def f(x, w1, w2, b):
        h = jnp.tanh(up(x, w1) + b)          # outside, on the rank's block of h
        y = down(h, w2)                      # h's blocks go in as they are
        z = y * 2.0 + x + jnp.sum(h, axis=1, keepdims=True)  # whole h: gathered
        return z, jnp.sum(z * z), h
    out_sh = (NamedSharding(mesh, P()), NamedSharding(mesh, P()),
              NamedSharding(mesh, P("tp", None)))
    return (mesh, jax.jit(f, out_shardings=out_sh), (P(), P(None, "tp"), P("tp", None), P()),
            None, [x, w1, w2, b], "f32")


def prog_grad_shard_map():
    # jit(value_and_grad(loss)) where the loss calls a TP shard_map: JAX
    # writes the forward manual computation and the transposed one (with the
    # residuals passed between them as blocks), the loss and its cotangent
    # outside; then an SGD update of the sharded weights outside too.
    r = _rng(15)
    x, y = _normal(r, (16, 32)), _normal(r, (16, 32))
    w1, w2 = _normal(r, (32, 64), 0.2), _normal(r, (64, 32), 0.2)
    mesh = mesh_1d()
    mlp = jax.shard_map(lambda x, w1, w2: jax.lax.psum(silu(x @ w1) @ w2, "tp"), mesh=mesh,
                        in_specs=(P(), P(None, "tp"), P("tp", None)), out_specs=P())

    def step(x, y, w1, w2):
        def loss(w1, w2):
            return jnp.mean((mlp(x, w1, w2) - y) ** 2)
        value, (g1, g2) = jax.value_and_grad(loss, argnums=(0, 1))(w1, w2)
        return value, w1 - 0.1 * g1, w2 - 0.1 * g2
    out_sh = (NamedSharding(mesh, P()), NamedSharding(mesh, P(None, "tp")),
              NamedSharding(mesh, P("tp", None)))
    return (mesh, jax.jit(step, out_shardings=out_sh), (P(), P(), P(None, "tp"), P("tp", None)),
            None, [x, y, w1, w2], "f32")


def _a2a_within_groups(groups, seed):
    """all_to_all within explicit device groups, then a psum over the mesh."""
    r = _rng(seed)
    x = _normal(r, (16, 8))
    mesh = mesh_1d()

    def f(x):
        y = jax.lax.all_to_all(x, "tp", 0, 0, tiled=True, axis_index_groups=groups)
        return jax.lax.psum(y * y, "tp") + y
    g = jax.jit(jax.shard_map(f, mesh=mesh, in_specs=P("tp", None), out_specs=P("tp", None)))
    return mesh, g, (P("tp", None),), None, [x], "f32"


def prog_a2a_groups():
    # axis_index_groups [[0, 1], [2, 3]] on a mesh of 4: no mesh axis, axis 1
    # of a derived 2x2 grid.
    return _a2a_within_groups([[0, 1], [2, 3]], 16)


def prog_a2a_groups_permuted():
    # [[0, 3], [1, 2]]: groups that split no mesh axis, axis 1 of a 2x2 grid
    # with device order [0, 3, 1, 2].
    return _a2a_within_groups([[0, 3], [1, 2]], 21)


# ------------------------------------------------ auto-sharded programs
# jit with NamedSharding arguments and sharding constraints, no shard_map:
# XLA partitions them. program.mlir is what its SPMD partitioner makes of
# them (braid.jax_spmd.partitioned_stablehlo), lowered.mlir JAX's own
# lowering (Shardy annotations). Names start with "auto_".


def auto_mesh(shape, names):
    """A mesh of Auto axes (jax.sharding.Mesh's default): XLA decides."""
    return Mesh(np.array(jax.devices()[:4]).reshape(shape), names)


def prog_auto_fsdp_mlp():
    # An MLP with FSDP-style parameter sharding: batch and both weights
    # split along their first dimension over the same axis; XLA gathers the
    # weights where they are used.
    r = _rng(17)
    x = _normal(r, (16, 32))
    w1, w2 = _normal(r, (32, 64), 0.2), _normal(r, (64, 32), 0.2)
    mesh = auto_mesh((4,), ("fsdp",))

    def f(x, w1, w2):
        h = jax.lax.with_sharding_constraint(jnp.tanh(x @ w1), NamedSharding(mesh, P("fsdp")))
        return h @ w2
    spec = P("fsdp", None)
    g = jax.jit(f, out_shardings=NamedSharding(mesh, spec))
    return mesh, g, (spec, spec, spec), None, [x, w1, w2], "f32"


def prog_auto_tp_attention():
    # Tensor-parallel causal attention written without shard_map: Q/K/V
    # column-split, heads constrained onto tp, the out projection row-split.
    r = _rng(18)
    B, S, D, H, hd = 2, 16, 32, 8, 8
    x = _normal(r, (B, S, D))
    ws = _attn_weights(r, D, H, hd, jnp.float32)
    mesh = auto_mesh((4,), ("tp",))
    heads = NamedSharding(mesh, P(None, None, "tp", None))

    def f(x, wq, wk, wv, wo):
        q = jax.lax.with_sharding_constraint((x @ wq).reshape(B, S, H, hd), heads)
        k = jax.lax.with_sharding_constraint((x @ wk).reshape(B, S, H, hd), heads)
        v = jax.lax.with_sharding_constraint((x @ wv).reshape(B, S, H, hd), heads)
        s = jnp.einsum("bqhd,bkhd->bhqk", q, k) / np.sqrt(hd)
        causal = jnp.tril(jnp.ones((S, S), bool))
        p = jax.nn.softmax(jnp.where(causal, s, -jnp.inf), axis=-1)
        o = jnp.einsum("bhqk,bkhd->bqhd", p, v).reshape(B, S, H * hd)
        return o @ wo
    g = jax.jit(f, out_shardings=NamedSharding(mesh, P()))
    return mesh, g, (P(),) + ATTN_SPECS, None, [x] + ws, "f32"


def prog_auto_dp_tp_train():
    # A 2-D data x tensor-parallel training step: value_and_grad of an MLP's
    # MSE loss, then an SGD update; batch over dp, weights over tp.
    r = _rng(19)
    x, y = _normal(r, (16, 32)), _normal(r, (16, 32))
    w1, w2 = _normal(r, (32, 64), 0.2), _normal(r, (64, 32), 0.2)
    mesh = auto_mesh((2, 2), ("dp", "tp"))

    def step(x, y, w1, w2):
        def loss(w1, w2):
            return jnp.mean((jnp.tanh(x @ w1) @ w2 - y) ** 2)
        value, (g1, g2) = jax.value_and_grad(loss, argnums=(0, 1))(w1, w2)
        return value, w1 - 0.1 * g1, w2 - 0.1 * g2
    specs = (P("dp", None), P("dp", None), P(None, "tp"), P("tp", None))
    out = tuple(NamedSharding(mesh, s) for s in (P(), P(None, "tp"), P("tp", None)))
    return mesh, jax.jit(step, out_shardings=out), specs, None, [x, y, w1, w2], "f32"


PROGRAMS = {
    "tp_mlp": prog_tp_mlp,
    "sp_mlp": prog_sp_mlp,
    "gpt_mlp": prog_gpt_mlp,
    "attention": prog_attention,
    "llama_block": prog_llama_block,
    "moe": prog_moe,
    "moe_capacity": prog_moe_capacity,
    "ops_misc": prog_ops_misc,
    "ulysses": prog_ulysses,
    "pipeline_2d": prog_pipeline_2d,
    "mesh2d": prog_mesh2d,
    "mesh2d_permuted": prog_mesh2d_permuted,
    "mesh2d_gspmd": prog_mesh2d_gspmd,
    "grad": prog_grad,
    "scan_ring": prog_scan_ring,
    "whole_program": prog_whole_program,
    "grad_shard_map": prog_grad_shard_map,
    "a2a_groups": prog_a2a_groups,
    "a2a_groups_permuted": prog_a2a_groups_permuted,
    "auto_fsdp_mlp": prog_auto_fsdp_mlp,
    "auto_tp_attention": prog_auto_tp_attention,
    "auto_dp_tp_train": prog_auto_dp_tp_train,
}


def _atomic_write(path, write):
    """Write through a temporary file and rename: a lit run that reads while
    another build regenerates sees the old or the new file, never half."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "wb") as fh:
        write(fh)
    os.replace(tmp, path)


def _save(path, arr):
    a = np.asarray(arr)
    if a.dtype not in (np.float32, np.float64, np.int32, np.int64, np.bool_):
        a = a.astype(np.float32)  # bf16 / f16 -> exact float32
    _atomic_write(path, lambda fh: np.save(fh, a))


def _per_rank(mesh, arr):
    """The local shard of `arr` at every mesh position (row-major)."""
    by_dev = {s.device: s.data for s in arr.addressable_shards}
    return [by_dev[d] for d in mesh.devices.flat]


def build(name, outdir):
    mesh, f, in_specs, out_specs, args, dtype = PROGRAMS[name]()
    d = os.path.join(outdir, name)
    os.makedirs(d, exist_ok=True)
    placed = [jax.device_put(a, NamedSharding(mesh, s)) for a, s in zip(args, in_specs)]
    if hasattr(f, "lower"):
        g = f  # a whole jitted program (in_specs place its arguments)
    else:
        g = jax.jit(jax.shard_map(f, mesh=mesh, in_specs=in_specs, out_specs=out_specs))
    gspmd = name.endswith("_gspmd")
    if gspmd:
        jax.config.update("jax_use_shardy_partitioner", False)
    try:
        lowered = g.lower(*placed)
        text = lowered.as_text()
        if name.startswith("auto_"):
            _atomic_write(os.path.join(d, "lowered.mlir"), lambda fh: fh.write(text.encode()))
            text = partitioned_stablehlo(lowered)
        _atomic_write(os.path.join(d, "program.mlir"), lambda fh: fh.write(text.encode()))
    finally:
        if gspmd:
            jax.config.update("jax_use_shardy_partitioner", True)
    outs = g(*placed)
    if not isinstance(outs, (tuple, list)):
        outs = [outs]
    for n, a in enumerate(placed):
        for rank, shard in enumerate(_per_rank(mesh, a)):
            _save(os.path.join(d, "inputs", f"rank{rank}", f"arg{n}.npy"), shard)
    for n, o in enumerate(outs):
        for rank, shard in enumerate(_per_rank(mesh, o)):
            _save(os.path.join(d, "expected", f"rank{rank}", f"result{n}.npy"), shard)
    meta = json.dumps({"dtype": dtype,
                       "tolerance": BF16_TOL if dtype == "bf16" else F32_TOL,
                       "ranks": int(mesh.devices.size)}, indent=1)
    _atomic_write(os.path.join(d, "meta.json"), lambda fh: fh.write(meta.encode()))


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    outdir = argv[1]
    names = argv[2:] or list(PROGRAMS)
    for n in names:
        build(n, outdir)
    if not argv[2:]:
        stamp = "\n".join(names) + "\n"
        _atomic_write(os.path.join(outdir, "programs.stamp"), lambda fh: fh.write(stamp.encode()))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
