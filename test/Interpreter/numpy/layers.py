"""Layer-level braid ops (rmsnorm, layernorm, activations, swiglu,
attention with causal masks and grouped KV heads) against float64 numpy."""
import math
import os
import sys

import numpy as np

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import LAYER, bf16, f32, program, tt  # noqa: E402

rng = np.random.default_rng(3)
cases = []
erf = np.vectorize(math.erf)
BF16_CLOSE = ("close", 2.0**-8, 1e-6)


def vals(shape, scale=1.0):
    return f32(rng.standard_normal(shape) * scale)


def d(x):
    return np.asarray(x, np.float64)


def case(name, args, results, body, inputs, expected, compare=LAYER):
    cases.append((name, program(args, results, body), inputs,
                  lambda r: expected, compare))


def rmsnorm(x, w, eps):
    x = d(x)
    return x / np.sqrt((x * x).mean(-1, keepdims=True) + eps) * d(w)


def layernorm(x, g, b, eps):
    x = d(x)
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu)**2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * d(g) + d(b)


x, w = vals((4, 8), 2.0), vals((8,))
case("rmsnorm_eps", [tt((4, 8)), tt((8,))], [tt((4, 8))],
     "%r0 = braid.rmsnorm %a0, %a1 {epsilon = 0.25 : f32} : "
     "tensor<4x8xf32>, tensor<8xf32> -> tensor<4x8xf32>",
     [x, w], [f32(rmsnorm(x, w, np.float64(np.float32(0.25))))])
x3 = vals((2, 3, 16), 0.5)
w16 = vals((16,))
case("rmsnorm_default_eps_3d", [tt((2, 3, 16)), tt((16,))], [tt((2, 3, 16))],
     "%r0 = braid.rmsnorm %a0, %a1 : tensor<2x3x16xf32>, tensor<16xf32> -> "
     "tensor<2x3x16xf32>",
     [x3, w16], [f32(rmsnorm(x3, w16, np.float64(np.float32(1e-6))))])
case("rmsnorm_bf16", [tt((4, 8), "bf16"), tt((8,), "bf16")],
     [tt((4, 8), "bf16")],
     "%r0 = braid.rmsnorm %a0, %a1 {epsilon = 1.0e-05 : f32} : "
     "tensor<4x8xbf16>, tensor<8xbf16> -> tensor<4x8xbf16>",
     [x, w], [f32(rmsnorm(bf16(x), bf16(w), 1e-5))], BF16_CLOSE)
g, b = vals((8,)), vals((8,))
xl = vals((5, 8), 3.0) + f32(4.0)
case("layernorm_eps", [tt((5, 8)), tt((8,)), tt((8,))], [tt((5, 8))],
     "%r0 = braid.layernorm %a0, %a1, %a2 {epsilon = 0.5 : f32} : "
     "tensor<5x8xf32>, tensor<8xf32>, tensor<8xf32> -> tensor<5x8xf32>",
     [xl, g, b], [f32(layernorm(xl, g, b, 0.5))])
case("layernorm_default_eps", [tt((5, 8)), tt((8,)), tt((8,))], [tt((5, 8))],
     "%r0 = braid.layernorm %a0, %a1, %a2 : "
     "tensor<5x8xf32>, tensor<8xf32>, tensor<8xf32> -> tensor<5x8xf32>",
     [xl, g, b], [f32(layernorm(xl, g, b, np.float64(np.float32(1e-5))))])

ACT = {
    "silu": lambda v: v / (1 + np.exp(-v)),
    "gelu": lambda v: 0.5 * v * (1 + erf(v / math.sqrt(2))),
    "gelu_tanh": lambda v: 0.5 * v * (1 + np.tanh(
        math.sqrt(2 / math.pi) * (v + 0.044715 * v**3))),
    "relu": lambda v: np.maximum(v, 0.0),
    "sigmoid": lambda v: 1 / (1 + np.exp(-v)),
}
xa = f32(rng.uniform(-6, 6, (4, 8)))
xa[0, :4] = f32([0.0, -1e-3, 20.0, -20.0])
for kind, fn in ACT.items():
    case(f"activation_{kind}", [tt((4, 8))], [tt((4, 8))],
         f"%r0 = braid.activation {kind} %a0 : tensor<4x8xf32>",
         [xa], [f32(fn(d(xa)))])
case("activation_relu_exact", [tt((4, 8))], [tt((4, 8))],
     "%r0 = braid.activation relu %a0 : tensor<4x8xf32>",
     [xa], [f32(np.where(xa > 0, xa, np.float32(0)))], "exact")
case("activation_gelu_tanh_bf16", [tt((4, 8), "bf16")], [tt((4, 8), "bf16")],
     "%r0 = braid.activation gelu_tanh %a0 : tensor<4x8xbf16>",
     [xa], [f32(ACT["gelu_tanh"](d(bf16(xa))))], BF16_CLOSE)
gate, up = vals((3, 8), 2.0), vals((3, 8))
case("swiglu", [tt((3, 8)), tt((3, 8))], [tt((3, 8))],
     "%r0 = braid.swiglu %a0, %a1 : tensor<3x8xf32>",
     [gate, up], [f32(ACT["silu"](d(gate)) * d(up))])


def attention(q, k, v, causal=False, scale=None, mask=None):
    q, k, v = d(q), d(k), d(v)
    B, H, Sq, D = q.shape
    Hkv, Skv = k.shape[1], k.shape[2]
    scale = 1 / math.sqrt(D) if scale is None else scale
    out = np.zeros((B, H, Sq, v.shape[3]))
    for bb in range(B):
        for h in range(H):
            hk = h // (H // Hkv)
            s = q[bb, h] @ k[bb, hk].T * scale
            if mask is not None:
                # numpy broadcasting of the mask's size-1 dims
                s = s + d(mask)[min(bb, mask.shape[0] - 1),
                                min(h, mask.shape[1] - 1)]
            if causal:
                i = np.arange(Sq)[:, None]
                j = np.arange(Skv)[None, :]
                s = np.where(j <= i + (Skv - Sq), s, -np.inf)
            p = np.exp(s - s.max(-1, keepdims=True))
            p /= p.sum(-1, keepdims=True)
            out[bb, h] = p @ v[bb, hk]
    return f32(out)


def attn_case(name, B, H, Hkv, Sq, Skv, D, Dv, causal=False, scale=None,
              mask=None):
    q, k, v = vals((B, H, Sq, D)), vals((B, Hkv, Skv, D)), vals(
        (B, Hkv, Skv, Dv))
    tq, tk, tv = tt((B, H, Sq, D)), tt((B, Hkv, Skv, D)), tt((B, Hkv, Skv, Dv))
    to = tt((B, H, Sq, Dv))
    attrs = []
    if causal:
        attrs.append("causal")
    if scale is not None:
        attrs.append(f"scale = {scale!r} : f32")
    attr = " {" + ", ".join(attrs) + "}" if attrs else ""
    args, inputs = [tq, tk, tv], [q, k, v]
    masked, mask_type = "", ""
    if mask is not None:
        args.append(tt(mask.shape))
        inputs.append(mask)
        masked, mask_type = " mask %a3", f", {args[3]}"
    body = (f"%r0 = braid.attention %a0, %a1, %a2{masked}{attr} : {tq}, {tk}, "
            f"{tv}{mask_type} -> {to}")
    sc = None if scale is None else float(np.float32(scale))
    case(name, args, [to], body, inputs,
         [attention(q, k, v, causal, sc, mask)])


def padding_mask(B, Skv, pad):
    """BERT's additive padding mask [B, 1, 1, Skv]: 0 for the first
    Skv - pad[b] keys of batch b, -10000 for the padding after them."""
    mask = np.zeros((B, 1, 1, Skv), np.float32)
    for bb, n in enumerate(pad):
        mask[bb, 0, 0, Skv - n:] = -10000.0
    return mask


attn_case("attention_mha", 1, 2, 2, 4, 4, 8, 8)
attn_case("attention_gqa_group2_dv", 2, 4, 2, 3, 5, 4, 6)
attn_case("attention_gqa_group3_scale", 1, 6, 2, 4, 7, 8, 8, scale=0.3)
attn_case("attention_mqa", 1, 4, 1, 3, 3, 4, 4)
attn_case("attention_causal_square", 1, 2, 2, 5, 5, 4, 4, causal=True)
attn_case("attention_causal_gqa_cache", 2, 4, 2, 3, 6, 4, 5, causal=True)
attn_case("attention_causal_decode", 1, 4, 2, 1, 6, 8, 8, causal=True)
attn_case("attention_causal_gqa_scale", 1, 6, 3, 4, 8, 4, 4, causal=True,
          scale=0.7)
# Additive masks: BERT's padding mask broadcast over heads and queries, a
# full per-head bias, and a padding mask on top of the causal one.
attn_case("attention_padding_mask", 2, 2, 2, 5, 5, 4, 4,
          mask=padding_mask(2, 5, [0, 2]))
attn_case("attention_full_bias_gqa", 2, 4, 2, 3, 6, 4, 5,
          mask=vals((2, 4, 3, 6)))
attn_case("attention_causal_padding", 2, 2, 1, 4, 4, 8, 8, causal=True,
          mask=padding_mask(2, 4, [1, 0]))
attn_case("attention_query_bias", 1, 2, 2, 3, 4, 4, 4,
          mask=vals((1, 1, 3, 1)))

if __name__ == "__main__":
    harness.main(cases)
