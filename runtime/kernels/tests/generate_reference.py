#!/usr/bin/env python3
"""Regenerates the kernels' reference data with the Braid interpreter.

For every case it writes, under the output directory (default: data/ beside
this script), `<case>/prog.mlir` (one braid or linalg op), `<case>/case.txt`
(the op, element types and attributes the kernel test reads), the inputs
`<case>/argN.npy` and braid-interp's outputs `<case>/resultN.npy`, plus
`cases.txt`, the list of cases. bf16 has no NumPy dtype: its values are
stored as float32 (already rounded to bf16), as braid-interp reads and
writes them.

The runtime builds and tests without MLIR, so these files are committed;
rerun this script after a change of the interpreter's numerics:

    python3 runtime/kernels/tests/generate_reference.py \
        --interp=build/bin/braid-interp

Needs numpy only. Every dimension stays <= 256.
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np

rng = np.random.default_rng(20240611)
cases = []

NP_DTYPES = {
    "f32": np.float32, "bf16": np.float32, "f16": np.float16,
    "f64": np.float64, "i1": np.bool_, "i8": np.int8, "i16": np.int16,
    "i32": np.int32, "i64": np.int64,
}


def bf16(x):
    """Rounds float32 values to bfloat16 (nearest even), kept as float32."""
    bits = np.asarray(x, np.float32).view(np.uint32).astype(np.uint64)
    nan = np.isnan(np.asarray(x, np.float32))
    bits = (bits + 0x7FFF + ((bits >> 16) & 1)) >> 16 << 16
    out = bits.astype(np.uint32).view(np.float32)
    return np.where(nan, np.float32(np.nan), out).astype(np.float32)


def as_type(x, elem):
    """The array braid-interp reads for an argument of element `elem`."""
    if elem == "bf16":
        return bf16(np.asarray(x, np.float32))
    return np.asarray(x).astype(NP_DTYPES[elem])


def tt(shape, elem):
    return "tensor<" + "".join(f"{d}x" for d in shape) + elem + ">"


def normal(shape, scale=1.0):
    return (rng.standard_normal(shape) * scale).astype(np.float32)


def spread(shape):
    """Magnitudes over four decades: sums depend on their order."""
    mag = 10.0**rng.uniform(-2, 2, size=shape)
    return (rng.standard_normal(shape) * mag).astype(np.float32)


def f32_text(value):
    """A float32 value printed so that MLIR and strtof read it back."""
    return f"{float(np.float32(value)):.9e}"


def case(name, op, args, results, body, params=None):
    """`args`: (array, elem) pairs; `results`: element types; `body`: the
    ops computing %r0, %r1, ... from %a0, %a1, ..."""
    arg_types = [tt(np.shape(a), e) for a, e in args]
    result_types = [t for t in results]
    sig = ", ".join(f"%a{i}: {t}" for i, t in enumerate(arg_types))
    res = ", ".join(result_types)
    names = ", ".join(f"%r{i}" for i in range(len(result_types)))
    lines = [ln.strip() for ln in body.strip().splitlines() if ln.strip()]
    text = f"func.func @main({sig}) -> ({res}) {{\n"
    text += "".join(f"  {ln}\n" for ln in lines)
    text += f"  return {names} : {res}\n}}\n"
    info = {"op": op,
            "args": " ".join(e for _, e in args),
            "results": " ".join(t.rsplit("x", 1)[-1].rstrip(">")
                                for t in result_types)}
    info.update(params or {})
    cases.append((name, text, [as_type(a, e) for a, e in args], info))


# ----------------------------------------------------------------- GEMM --
def mm_body(a, b, c, ta, tb, tc, maps=None, op="matmul", fill=False):
    """linalg.matmul/batch_matmul of %a0, %a1 into %a2 (or a zero fill)."""
    init = "%a2"
    pre = ""
    if fill:
        pre = (f"%z = arith.constant 0.0 : {tc.rsplit('x', 1)[-1][:-1]}\n"
               f"%e = tensor.empty() : {tc}\n"
               f"%c = linalg.fill ins(%z : {tc.rsplit('x', 1)[-1][:-1]}) "
               f"outs(%e : {tc}) -> {tc}\n")
        init = "%c"
    m = ""
    if maps:
        m = (" indexing_maps = [" + ", ".join(
            f"affine_map<(m, n, k) -> ({x})>" for x in maps) + "]")
    return (pre + f"%r0 = linalg.{op}{m} ins({a}, {b} : {ta}, {tb}) "
            f"outs({init} : {tc}) -> {tc}")


def gemm_case(name, m, n, k, elems, trans_a=False, trans_b=False, fill=False,
              batch=None):
    ea, eb, ec = elems
    lead = (batch,) if batch else ()
    a = spread(lead + ((k, m) if trans_a else (m, k)))
    b = spread(lead + ((n, k) if trans_b else (k, n)))
    c = spread(lead + (m, n))
    ta, tb, tc = tt(a.shape, ea), tt(b.shape, eb), tt(c.shape, ec)
    maps = None
    if trans_a or trans_b:
        maps = ["k, m" if trans_a else "m, k", "n, k" if trans_b else "k, n",
                "m, n"]
    body = mm_body("%a0", "%a1", "%a2", ta, tb, tc, maps,
                   "batch_matmul" if batch else "matmul", fill)
    args = [(a, ea), (b, eb)] + ([] if fill else [(c, ec)])
    case(name, "matmul", args, [tc], body,
         {"trans_a": int(trans_a), "trans_b": int(trans_b),
          "accumulate": int(not fill), "c_type": ec})


gemm_case("gemm_f32_init", 48, 40, 256, ("f32", "f32", "f32"))
gemm_case("gemm_f32_fill", 33, 17, 64, ("f32", "f32", "f32"), fill=True)
gemm_case("gemm_f32_trans_b", 16, 24, 96, ("f32", "f32", "f32"),
          trans_b=True)
gemm_case("gemm_f32_trans_a", 20, 12, 80, ("f32", "f32", "f32"),
          trans_a=True)
gemm_case("gemm_bf16_args_f32_out", 24, 32, 128, ("bf16", "bf16", "f32"))
gemm_case("gemm_bf16_out", 24, 32, 128, ("bf16", "bf16", "bf16"))
gemm_case("gemm_f16_out", 16, 8, 64, ("f16", "f16", "f16"))
gemm_case("gemm_f16_args_f32_out_trans_b", 16, 8, 64, ("f16", "f16", "f32"),
          trans_b=True)
gemm_case("gemm_f64", 12, 10, 40, ("f64", "f64", "f64"))
gemm_case("batch_matmul_f32", 16, 24, 64, ("f32", "f32", "f32"), batch=3)
gemm_case("batch_matmul_bf16_f32_out_fill", 8, 16, 32,
          ("bf16", "bf16", "f32"), fill=True, batch=2)


# --------------------------------------------------------------- norms --
def rms_case(name, shape, elem, eps=None, scale=1.0):
    x, w = normal(shape, scale), normal(shape[-1:])
    attr = "" if eps is None else f" {{epsilon = {f32_text(eps)} : f32}}"
    t, tw = tt(shape, elem), tt(shape[-1:], elem)
    case(name, "rmsnorm", [(x, elem), (w, elem)], [t],
         f"%r0 = braid.rmsnorm %a0, %a1{attr} : {t}, {tw} -> {t}",
         {"epsilon": f32_text(1e-6 if eps is None else eps)})


rms_case("rmsnorm_f32", (8, 256), "f32", 1e-5)
rms_case("rmsnorm_f32_3d_default_eps", (2, 3, 64), "f32")
rms_case("rmsnorm_f32_large", (4, 200), "f32", 0.25, scale=1e3)
rms_case("rmsnorm_bf16", (16, 128), "bf16", 1e-5)
rms_case("rmsnorm_f16", (16, 128), "f16", 1e-5)
rms_case("rmsnorm_f64", (4, 32), "f64", 1e-6)


def ln_case(name, shape, elem, eps=None):
    x = normal(shape, 3.0) + np.float32(4.0)
    g, b = normal(shape[-1:]), normal(shape[-1:])
    attr = "" if eps is None else f" {{epsilon = {f32_text(eps)} : f32}}"
    t, tw = tt(shape, elem), tt(shape[-1:], elem)
    case(name, "layernorm", [(x, elem), (g, elem), (b, elem)], [t],
         f"%r0 = braid.layernorm %a0, %a1, %a2{attr} : {t}, {tw}, {tw} -> {t}",
         {"epsilon": f32_text(1e-5 if eps is None else eps)})


ln_case("layernorm_f32", (8, 256), "f32", 0.5)
ln_case("layernorm_f32_default_eps", (5, 96), "f32")
ln_case("layernorm_bf16", (6, 128), "bf16", 1e-5)
ln_case("layernorm_f16", (6, 128), "f16", 1e-5)

# --------------------------------------------------------- activations --
SPECIAL = np.array([0.0, -0.0, 1e-3, -1e-3, 20.0, -20.0, 100.0, -100.0,
                    np.inf, -np.inf, np.nan, 1e-30, -88.0, 88.0, 0.5, -0.5],
                   np.float32)


def act_input(shape, elem):
    x = rng.uniform(-6, 6, shape).astype(np.float32)
    flat = x.reshape(-1)
    flat[:len(SPECIAL)] = SPECIAL
    if elem == "f16":
        flat[6:8] = [60000.0, -60000.0]
    return x


for kind in ("silu", "gelu", "gelu_tanh", "relu", "sigmoid"):
    for elem in ("f32", "bf16", "f16"):
        shape = (8, 64) if elem == "f32" else (4, 32)
        t = tt(shape, elem)
        case(f"activation_{kind}_{elem}", "activation",
             [(act_input(shape, elem), elem)], [t],
             f"%r0 = braid.activation {kind} %a0 : {t}", {"kind": kind})
case("activation_gelu_tanh_f64", "activation",
     [(act_input((4, 16), "f64"), "f64")], [tt((4, 16), "f64")],
     "%r0 = braid.activation gelu_tanh %a0 : tensor<4x16xf64>",
     {"kind": "gelu_tanh"})

for elem in ("f32", "bf16", "f16"):
    shape = (6, 128)
    t = tt(shape, elem)
    case(f"swiglu_{elem}", "swiglu",
         [(act_input(shape, elem), elem), (normal(shape, 2.0), elem)], [t],
         f"%r0 = braid.swiglu %a0, %a1 : {t}")


# -------------------------------------------------------------- softmax --
def softmax_case(name, x, elem, dim):
    t = tt(x.shape, elem)
    case(name, "softmax", [(x, elem)], [t],
         f"""%e = tensor.empty() : {t}
             %r0 = linalg.softmax dimension({dim}) ins(%a0 : {t}) outs(%e : {t}) -> {t}""",
         {"dim": dim})


sm = normal((6, 256), 4.0)
sm[1, :] = -np.inf  # no maximum to subtract: NaN, as the interpreter
sm[2, 5] = np.inf
sm[3, :128] = 80.0
softmax_case("softmax_f32_last", sm, "f32", 1)
softmax_case("softmax_f32_middle", normal((4, 32, 8), 3.0), "f32", 1)
softmax_case("softmax_f32_first", normal((16, 6), 3.0), "f32", 0)
softmax_case("softmax_bf16", normal((8, 64), 3.0), "bf16", 1)
softmax_case("softmax_f16", normal((8, 64), 3.0), "f16", 1)


# ------------------------------------------------------------ attention --
def attn_case(name, B, H, Hkv, Sq, Skv, D, Dv, elem="f32", causal=False,
              scale=None, mask=None, mask_elem="f32"):
    q, k, v = normal((B, H, Sq, D)), normal((B, Hkv, Skv, D)), normal(
        (B, Hkv, Skv, Dv))
    tq, tk, tv = tt(q.shape, elem), tt(k.shape, elem), tt(v.shape, elem)
    to = tt((B, H, Sq, Dv), elem)
    attrs = (["causal"] if causal else []) + (
        [f"scale = {f32_text(scale)} : f32"] if scale is not None else [])
    attr = " {" + ", ".join(attrs) + "}" if attrs else ""
    args = [(q, elem), (k, elem), (v, elem)]
    masked = mask_type = ""
    params = {"causal": int(causal),
              "scale": f32_text(scale) if scale is not None else "0"}
    if mask is not None:
        args.append((mask, mask_elem))
        masked, mask_type = " mask %a3", ", " + tt(mask.shape, mask_elem)
    case(name, "attention", args, [to],
         f"%r0 = braid.attention %a0, %a1, %a2{masked}{attr} : {tq}, {tk}, "
         f"{tv}{mask_type} -> {to}", params)


def padding_mask(B, Skv, pad, value=-10000.0):
    mask = np.zeros((B, 1, 1, Skv), np.float32)
    for b, n in enumerate(pad):
        if n:
            mask[b, 0, 0, Skv - n:] = value
    return mask


attn_case("attention_mha", 1, 2, 2, 8, 8, 16, 16)
attn_case("attention_gqa_dv", 2, 4, 2, 3, 5, 4, 6)
attn_case("attention_gqa3_scale", 1, 6, 2, 4, 7, 8, 8, scale=0.3)
attn_case("attention_mqa", 1, 4, 1, 3, 3, 4, 4)
attn_case("attention_causal", 1, 2, 2, 16, 16, 8, 8, causal=True)
attn_case("attention_causal_cache", 2, 4, 2, 3, 6, 4, 5, causal=True)
attn_case("attention_causal_decode", 1, 4, 2, 1, 6, 8, 8, causal=True)
attn_case("attention_causal_short_kv", 1, 2, 1, 6, 4, 4, 4, causal=True)
attn_case("attention_padding_mask", 2, 2, 2, 5, 5, 4, 4,
          mask=padding_mask(2, 5, [0, 2]))
attn_case("attention_bias_bf16_mask", 2, 4, 2, 3, 6, 4, 5,
          mask=normal((2, 4, 3, 6)), mask_elem="bf16")
attn_case("attention_causal_padding", 2, 2, 1, 4, 4, 8, 8, causal=True,
          mask=padding_mask(2, 4, [1, 0]))
attn_case("attention_query_bias", 1, 2, 2, 3, 4, 4, 4,
          mask=normal((1, 1, 3, 1)))
attn_case("attention_masked_row_nan", 1, 1, 1, 2, 3, 4, 4,
          mask=padding_mask(1, 3, [3], -np.inf))
attn_case("attention_long", 1, 2, 1, 64, 96, 32, 32, causal=True)
attn_case("attention_bf16", 1, 4, 2, 8, 12, 16, 16, elem="bf16",
          causal=True)
attn_case("attention_f16_mask", 2, 2, 2, 4, 6, 8, 8, elem="f16",
          mask=normal((2, 1, 4, 6)), mask_elem="f16")


# ----------------------------------------------------------------- MoE --
def gm_case(name, rows, depth, cols, sizes, elem, out_elem, size_elem):
    lhs, rhs = spread((rows, depth)), normal((len(sizes), depth, cols))
    s = np.array(sizes)
    tl, tr = tt(lhs.shape, elem), tt(rhs.shape, elem)
    ts, to = tt(s.shape, size_elem), tt((rows, cols), out_elem)
    case(name, "grouped_matmul", [(lhs, elem), (rhs, elem), (s, size_elem)],
         [to], f"%r0 = braid.grouped_matmul %a0, %a1, %a2 : {tl}, {tr}, {ts} "
         f"-> {to}")


gm_case("grouped_matmul_f32", 7, 4, 5, [2, 0, 3], "f32", "f32", "i64")
gm_case("grouped_matmul_f32_k128", 40, 128, 24, [10, 5, 0, 20, 5], "f32",
        "f32", "i32")
gm_case("grouped_matmul_bf16_f32_out", 24, 64, 16, [8, 8, 6], "bf16", "f32",
        "i64")
gm_case("grouped_matmul_bf16", 16, 32, 8, [4, 12], "bf16", "bf16", "i32")


def gate_case(name, logits, elem, k, normalize, idx):
    T, E = logits.shape
    norm = ", normalize" if normalize else ""
    tl, tw, te = tt((T, E), elem), tt((T, k), elem), tt((T, k), idx)
    case(name, "moe_gate", [(logits, elem)], [tw, te],
         f"%r0, %r1 = braid.moe_gate %a0 {{k = {k} : i64{norm}}} : {tl} -> "
         f"{tw}, {te}", {"k": k, "normalize": int(normalize)})


gl = rng.uniform(-3, 3, (6, 8)).astype(np.float32)
gl[1, [2, 5, 6]] = 2.5  # exact ties: lower expert first
gl[1, [0, 1, 3, 4, 7]] = -1.0
gate_case("moe_gate_k2_i32", gl, "f32", 2, False, "i32")
gate_case("moe_gate_k2_norm_i32", gl, "f32", 2, True, "i32")
gate_case("moe_gate_k3_norm_i64", gl, "f32", 3, True, "i64")
gate_case("moe_gate_e64_k4_norm", normal((32, 64), 2.0), "f32", 4, True,
          "i32")
gate_case("moe_gate_bf16_k2", normal((16, 8), 2.0), "bf16", 2, True, "i64")
gate_case("moe_gate_f16_k1", normal((16, 8), 2.0), "f16", 1, False, "i32")


def permute_case(name, x, experts, num_experts, elem, e_idx, s_idx, m_idx):
    T, H = x.shape
    k = experts.shape[1]
    tx, te = tt((T, H), elem), tt((T, k), e_idx)
    tp, ts, tm = tt((T * k, H), elem), tt((num_experts,), s_idx), tt(
        (T * k,), m_idx)
    case(name, "moe_permute", [(x, elem), (experts, e_idx)], [tp, ts, tm],
         f"%r0, %r1, %r2 = braid.moe_permute %a0, %a1 {{num_experts = "
         f"{num_experts} : i64}} : {tx}, {te} -> {tp}, {ts}, {tm}",
         {"num_experts": num_experts})


permute_case("moe_permute_i32", normal((5, 3)),
             np.array([[2, 0], [0, 2], [3, 0], [2, 3], [0, 3]]), 4, "f32",
             "i32", "i64", "i32")
permute_case("moe_permute_bf16_i64", normal((32, 16)),
             rng.integers(0, 8, (32, 2)), 8, "bf16", "i64", "i32", "i64")


def unpermute_case(name, T, k, H, elem, w_elem, m_idx):
    rows = T * k
    inp = (rng.standard_normal((rows, H)) * 10.0**rng.uniform(
        -2, 2, (rows, 1))).astype(np.float32)
    row_map = rng.permutation(rows)
    w = rng.uniform(0, 1, (T, k)).astype(np.float32)
    ti, tm, tw = tt((rows, H), elem), tt((rows,), m_idx), tt((T, k), w_elem)
    to = tt((T, H), elem)
    case(name, "moe_unpermute", [(inp, elem), (row_map, m_idx), (w, w_elem)],
         [to], f"%r0 = braid.moe_unpermute %a0, %a1, %a2 : {ti}, {tm}, {tw} "
         f"-> {to}")


unpermute_case("moe_unpermute_f32", 5, 2, 3, "f32", "f32", "i32")
unpermute_case("moe_unpermute_bf16_f32_weights", 16, 4, 32, "bf16", "f32",
               "i64")
unpermute_case("moe_unpermute_f16", 8, 2, 16, "f16", "f16", "i32")


# ---------------------------------------------------------- top-k, sort --
def select_case(name, op, x, elem, k=None, descending=False, idx="i64"):
    R, W = x.shape
    keep = W if op == "sort" else k
    tx, tv, ti = tt((R, W), elem), tt((R, keep), elem), tt((R, keep), idx)
    if op == "topk":
        attr = f" {{k = {k} : i64}}"
        params = {"k": k}
    else:
        attr = " {descending}" if descending else ""
        params = {"descending": int(descending)}
    case(name, op, [(x, elem)], [tv, ti],
         f"%r0, %r1 = braid.{op} %a0{attr} : {tx} -> {tv}, {ti}", params)


sx = rng.integers(-4, 5, (4, 8)).astype(np.float32)  # many exact ties
sx[0] = normal(8)
sx[2, 3] = np.nan
sx[3, [1, 6]] = [0.0, -0.0]
for k in (1, 3, 8):
    select_case(f"topk_k{k}_f32", "topk", sx, "f32", k=k)
select_case("topk_bf16_i32", "topk", normal((8, 200)), "bf16", k=5,
            idx="i32")
select_case("topk_f16_nan", "topk", sx, "f16", k=4)
select_case("topk_i32", "topk", rng.integers(-3, 3, (3, 6)), "i32", k=4,
            idx="i32")
big = np.array([[2**53 + 1, 2**53, 2**53 - 1, -2**62, 2**62, 2**62 + 1]],
               np.int64)
select_case("topk_i64_big", "topk", big, "i64", k=2)
for desc in (False, True):
    d = "desc" if desc else "asc"
    select_case(f"sort_f32_{d}", "sort", sx, "f32", descending=desc,
                idx="i32")
    select_case(f"sort_i32_{d}", "sort", rng.integers(-3, 3, (3, 6)), "i32",
                descending=desc)
    select_case(f"sort_i64_big_{d}", "sort", big, "i64", descending=desc,
                idx="i32")
select_case("sort_bf16_desc", "sort", bf16(normal((4, 64))), "bf16",
            descending=True)
select_case("sort_i8_asc", "sort", rng.integers(-100, 100, (2, 16)), "i8")
select_case("sort_i1_desc", "sort", rng.integers(0, 2, (2, 10)).astype(bool),
            "i1", descending=True, idx="i32")


# ------------------------------------------------------- gather, scatter --
def gather_case(name, src, elem, idx, idx_elem, axis):
    shape = src.shape[:axis] + idx.shape + src.shape[axis + 1:]
    ts, ti, to = tt(src.shape, elem), tt(idx.shape, idx_elem), tt(shape, elem)
    case(name, "gather", [(src, elem), (idx, idx_elem)], [to],
         f"%r0 = braid.gather %a0[%a1] axis = {axis} : {ts}, {ti} -> {to}",
         {"axis": axis})


gather_case("gather_axis1", normal((3, 5, 2)), "f32",
            rng.integers(0, 5, (2, 4)), "i32", 1)
gather_case("gather_embedding_i64", normal((10, 4)), "f32",
            rng.integers(0, 10, (3,)), "i64", 0)
gather_case("gather_bf16_axis0", normal((32, 16)), "bf16",
            rng.integers(0, 32, (4, 5)), "i32", 0)
gather_case("gather_i64_last_axis", rng.integers(-9, 9, (4, 6)), "i64",
            rng.integers(0, 6, (3,)), "i64", 1)


def scatter_case(name, upd, dest, idx, elem, idx_elem, axis, kind):
    tu, td, ti = tt(upd.shape, elem), tt(dest.shape, elem), tt(idx.shape,
                                                               idx_elem)
    case(name, "scatter", [(upd, elem), (dest, elem), (idx, idx_elem)], [td],
         f"%r0 = braid.scatter %a0 into %a1[%a2] axis = {axis} kind = {kind} "
         f": {tu}, {td}, {ti} -> {td}", {"axis": axis, "kind": kind})


upd = (rng.standard_normal((6, 3)) * 10.0**rng.uniform(-3, 3, (6, 3))).astype(
    np.float32)
sidx = np.array([5, 1, 5, 0, 5, 1])
for kind in ("replace", "add"):
    scatter_case(f"scatter_{kind}_axis0", upd, normal((8, 3)), sidx, "f32",
                 "i32", 0, kind)
    scatter_case(f"scatter_{kind}_axis1_i32", rng.integers(-50, 50, (2, 4)),
                 rng.integers(-50, 50, (2, 5)), np.array([4, 0, 4, 2]), "i32",
                 "i64", 1, kind)
scatter_case("scatter_add_bf16", normal((12, 8)), normal((6, 8)),
             rng.integers(0, 6, (12,)), "bf16", "i64", 0, "add")
scatter_case("scatter_add_f16_axis1", normal((2, 9, 4)), normal((2, 3, 4)),
             rng.integers(0, 3, (9,)), "f16", "i32", 1, "add")


# ------------------------------------------------------------------ run --
def run(interp, out_dir):
    names = [c[0] for c in cases]
    if len(set(names)) != len(names):
        sys.exit("duplicate case names")
    if os.path.isdir(out_dir):
        shutil.rmtree(out_dir)
    os.makedirs(out_dir)
    with tempfile.TemporaryDirectory() as tmp:
        for name, text, inputs, info in cases:
            case_dir = os.path.join(out_dir, name)
            os.makedirs(case_dir)
            with open(os.path.join(case_dir, "prog.mlir"), "w") as f:
                f.write(text)
            with open(os.path.join(case_dir, "case.txt"), "w") as f:
                for key, value in info.items():
                    f.write(f"{key} {value}\n")
            for i, array in enumerate(inputs):
                np.save(os.path.join(case_dir, f"arg{i}.npy"), array)
            results = os.path.join(tmp, name)
            proc = subprocess.run(
                [interp, os.path.join(case_dir, "prog.mlir"),
                 f"--inputs={case_dir}", f"--output-dir={results}",
                 "--schedules=1", "--quiet"],
                capture_output=True, text=True, timeout=600)
            if proc.returncode != 0:
                sys.exit(f"{name}: braid-interp failed:\n{proc.stderr}")
            for file in sorted(os.listdir(os.path.join(results, "rank0"))):
                shutil.copy(os.path.join(results, "rank0", file),
                            os.path.join(case_dir, file))
    with open(os.path.join(out_dir, "cases.txt"), "w") as f:
        f.write("".join(f"{name}\n" for name in names))
    print(f"wrote {len(cases)} cases to {out_dir}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--interp", required=True,
                        help="path of braid-interp")
    parser.add_argument("--out", default=os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "data"))
    args = parser.parse_args()
    run(args.interp, args.out)


if __name__ == "__main__":
    main()
