"""GPT-2-style and Llama-style decoder blocks built with onnx.helper.

    python blocks.py gpt2|gpt2fused|llama|bert|bert18 OUT.onnx

Small shapes (every dim <= 256); weights are initializers drawn from a fixed
seed, so the block is the same on every run.
"""
import math
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

F = TensorProto.FLOAT


class G:
    def __init__(self, seed):
        self.nodes, self.inits, self.n = [], [], 0
        self.rng = np.random.default_rng(seed)

    def name(self, p):
        self.n += 1
        return f"{p}_{self.n}"

    def op(self, op, ins, n_out=1, name=None, **attrs):
        name = name or self.name(op.lower())
        outs = [f"{name}_out{i}" if n_out > 1 else f"{name}_out" for i in range(n_out)]
        self.nodes.append(helper.make_node(op, ins, outs, name=name, **attrs))
        return outs if n_out > 1 else outs[0]

    def weight(self, name, shape, scale=None):
        fan_in = shape[0]
        scale = scale if scale is not None else 1.0 / np.sqrt(fan_in)
        w = (self.rng.standard_normal(shape) * scale).astype(np.float32)
        self.inits.append(numpy_helper.from_array(w, name))
        return name

    def const(self, arr, name=None):
        name = name or self.name("c")
        self.inits.append(numpy_helper.from_array(np.asarray(arr), name))
        return name


def attention(g, x, B, S, E, H, Hkv, D, bias, rope=None, prefix="attn", fused=False):
    """x [B,S,E] -> [B,S,E] (before the out projection's residual). fused:
    one c_attn projection to 3E split into Q, K, V (as HF GPT-2 exports)."""
    def proj(nm, n_out):
        y = g.op("MatMul", [x, g.weight(f"{prefix}.{nm}.weight", (E, n_out))],
                 name=f"{prefix}/{nm}/MatMul")
        if bias:
            y = g.op("Add", [y, g.weight(f"{prefix}.{nm}.bias", (n_out,), 0.1)],
                     name=f"{prefix}/{nm}/Add")
        return y
    if fused:
        qkv = proj("c_attn", 3 * H * D)
        q, k, v = g.op("Split", [qkv, g.const(np.array([H * D] * 3, np.int64))], n_out=3,
                       axis=-1, name=f"{prefix}/split_qkv")
    else:
        q, k, v = proj("q_proj", H * D), proj("k_proj", Hkv * D), proj("v_proj", Hkv * D)
    # the head split shape computed from Shape(x), as exporters write it
    shp = g.op("Shape", [x])
    b_s = g.op("Slice", [shp, g.const(np.array([0], np.int64)),
                         g.const(np.array([2], np.int64))])

    def heads(t, h):
        s = g.op("Concat", [b_s, g.const(np.array([h, D], np.int64))], axis=0)
        t = g.op("Reshape", [t, s])
        return g.op("Transpose", [t], perm=[0, 2, 1, 3])   # [B,h,S,D]
    q, k, v = heads(q, H), heads(k, Hkv), heads(v, Hkv)
    if rope is not None:
        cos, sin = rope
        def rot(t):
            half = D // 2
            t1 = g.op("Slice", [t, g.const(np.array([0], np.int64)),
                                g.const(np.array([half], np.int64)),
                                g.const(np.array([-1], np.int64))])
            t2 = g.op("Slice", [t, g.const(np.array([half], np.int64)),
                                g.const(np.array([D], np.int64)),
                                g.const(np.array([-1], np.int64))])
            rh = g.op("Concat", [g.op("Neg", [t2]), t1], axis=-1)
            return g.op("Add", [g.op("Mul", [t, cos]), g.op("Mul", [rh, sin])])
        q, k = rot(q), rot(k)
    if Hkv != H:
        rep = H // Hkv
        def expand_kv(t):
            t = g.op("Unsqueeze", [t, g.const(np.array([2], np.int64))])
            t = g.op("Expand", [t, g.const(np.array([B, Hkv, rep, S, D], np.int64))])
            return g.op("Reshape", [t, g.const(np.array([B, H, S, D], np.int64))])
        k, v = expand_kv(k), expand_kv(v)
    kt = g.op("Transpose", [k], perm=[0, 1, 3, 2])
    s = g.op("MatMul", [q, kt], name=f"{prefix}/scores")
    s = g.op("Div", [s, g.const(np.array(np.sqrt(D), np.float32))])
    # causal mask: Trilu of ones == 1, numpy-broadcast [S,S]
    ones = g.op("ConstantOfShape", [g.const(np.array([S, S], np.int64))],
                value=numpy_helper.from_array(np.array([1.0], np.float32)))
    tri = g.op("Trilu", [ones], upper=0)
    keep = g.op("Equal", [tri, g.const(np.array(1.0, np.float32))])
    # masked scores get the lowest finite float (as HF exports write it)
    s = g.op("Where", [keep, s, g.const(np.array(np.finfo(np.float32).min, np.float32))])
    p = g.op("Softmax", [s], axis=-1)
    o = g.op("MatMul", [p, v], name=f"{prefix}/pv")
    o = g.op("Transpose", [o], perm=[0, 2, 1, 3])
    o = g.op("Reshape", [o, g.const(np.array([B, S, H * D], np.int64))])
    o = g.op("MatMul", [o, g.weight(f"{prefix}.o_proj.weight", (H * D, E))],
             name=f"{prefix}/o_proj/MatMul")
    if bias:
        o = g.op("Add", [o, g.weight(f"{prefix}.o_proj.bias", (E,), 0.1)],
                 name=f"{prefix}/o_proj/Add")
    return o


def gpt2(path, E=64, H=4, FF=256, fused=False):
    B, S = 2, 16
    D = E // H
    g = G(1)
    x = "x"
    ln1 = g.op("LayerNormalization", [x, g.weight("ln1.weight", (E,), 0.2),
                                      g.weight("ln1.bias", (E,), 0.1)],
               axis=-1, epsilon=1e-5, name="ln_1")
    a = attention(g, ln1, B, S, E, H, H, D, bias=True, fused=fused)
    h = g.op("Add", [x, a], name="residual_1")
    ln2 = g.op("LayerNormalization", [h, g.weight("ln2.weight", (E,), 0.2),
                                      g.weight("ln2.bias", (E,), 0.1)],
               axis=-1, epsilon=1e-5, name="ln_2")
    f = g.op("MatMul", [ln2, g.weight("mlp.c_fc.weight", (E, FF))], name="mlp/c_fc/MatMul")
    f = g.op("Add", [f, g.weight("mlp.c_fc.bias", (FF,), 0.1)], name="mlp/c_fc/Add")
    f = g.op("Gelu", [f], approximate="tanh", name="mlp/gelu")
    f = g.op("MatMul", [f, g.weight("mlp.c_proj.weight", (FF, E))], name="mlp/c_proj/MatMul")
    f = g.op("Add", [f, g.weight("mlp.c_proj.bias", (E,), 0.1)], name="mlp/c_proj/Add")
    y = g.op("Add", [h, f], name="residual_2")
    graph = helper.make_graph(
        g.nodes, "gpt2_fused_block" if fused else "gpt2_block",
        [helper.make_tensor_value_info("x", F, [B, S, E])],
        [helper.make_tensor_value_info(y, F, [B, S, E])], initializer=g.inits)
    save(graph, path, 20)


def rmsnorm_decomposed(g, x, w, eps, name):
    p = g.op("Pow", [x, g.const(np.array(2.0, np.float32))], name=f"{name}/Pow")
    m = g.op("ReduceMean", [p, g.const(np.array([-1], np.int64))], keepdims=1,
             name=f"{name}/ReduceMean")
    m = g.op("Add", [m, g.const(np.array(eps, np.float32))], name=f"{name}/Add")
    r = g.op("Reciprocal", [g.op("Sqrt", [m], name=f"{name}/Sqrt")], name=f"{name}/Reciprocal")
    return g.op("Mul", [g.op("Mul", [x, r], name=f"{name}/Mul"), w], name=f"{name}/Mul_w")


def llama(path):
    B, S, E, H, Hkv, FF = 1, 32, 64, 8, 4, 128
    D = E // H
    g = G(2)
    x = "x"
    cos, sin = "cos", "sin"
    n1 = rmsnorm_decomposed(g, x, g.weight("input_layernorm.weight", (E,), 0.2), 1e-6,
                            "input_layernorm")
    a = attention(g, n1, B, S, E, H, Hkv, D, bias=False, rope=(cos, sin), prefix="self_attn")
    h = g.op("Add", [x, a], name="residual_1")
    n2 = g.op("RMSNormalization", [h, g.weight("post_attention_layernorm.weight", (E,), 0.2)],
              axis=-1, epsilon=1e-6, name="post_attention_layernorm")
    gate = g.op("MatMul", [n2, g.weight("mlp.gate_proj.weight", (E, FF))], name="mlp/gate_proj")
    up = g.op("MatMul", [n2, g.weight("mlp.up_proj.weight", (E, FF))], name="mlp/up_proj")
    silu = g.op("Mul", [gate, g.op("Sigmoid", [gate], name="mlp/act/Sigmoid")], name="mlp/act/Mul")
    m = g.op("Mul", [silu, up], name="mlp/Mul")
    d = g.op("MatMul", [m, g.weight("mlp.down_proj.weight", (FF, E))], name="mlp/down_proj")
    y = g.op("Add", [h, d], name="residual_2")
    graph = helper.make_graph(
        g.nodes, "llama_block",
        [helper.make_tensor_value_info("x", F, [B, S, E]),
         helper.make_tensor_value_info("cos", F, [S, D]),
         helper.make_tensor_value_info("sin", F, [S, D])],
        [helper.make_tensor_value_info(y, F, [B, S, E])], initializer=g.inits)
    save(graph, path, 23)


def bert(path, opset=17):
    """A BERT-style encoder as PyTorch's exporter writes one (HF BertModel,
    SDPA attention, then sentence-transformers mean pooling) at opset 17/18:
    token + token-type + position embeddings (Gather) and LayerNormalization;
    the padding mask made additive (Unsqueeze, Expand, Cast, Sub, Cast to
    bool, Where with the lowest float); one encoder layer whose attention
    scales q and k by Sqrt(1/Sqrt(D)) computed from Shape, GELU as the erf
    form (Div, Erf, Add, Mul, Mul); the pooler (Gather of token 0, Tanh); and
    mean pooling over the real tokens with the token count clamped by
    Clip(min=1e-9)."""
    B, S, E, H, FF, V, P = 2, 16, 64, 4, 128, 64, 32
    D = E // H
    g = G(4)
    i64 = lambda v: g.const(np.array(v, np.int64))  # noqa: E731
    f32 = lambda v: g.const(np.array(v, np.float32))  # noqa: E731
    ids, mask, types = "input_ids", "attention_mask", "token_type_ids"
    # embeddings: the position ids are a buffer sliced to the sequence length
    pos_buf = g.const(np.arange(P, dtype=np.int64).reshape(1, P), "position_ids")
    seq = g.op("Gather", [g.op("Shape", [ids]), i64(1)], axis=0)
    seq1 = g.op("Unsqueeze", [seq, i64([0])])
    pos = g.op("Slice", [pos_buf, i64([0]), seq1, i64([1])])
    emb = g.op("Gather", [g.weight("embeddings.word_embeddings.weight", (V, E), 0.5), ids],
               name="embeddings/word_embeddings/Gather")
    emb = g.op("Add", [emb, g.op("Gather", [g.weight(
        "embeddings.token_type_embeddings.weight", (2, E), 0.5), types])])
    emb = g.op("Add", [emb, g.op("Gather", [g.weight(
        "embeddings.position_embeddings.weight", (P, E), 0.5), pos])])
    x = g.op("LayerNormalization", [emb, g.weight("embeddings.LayerNorm.weight", (E,), 0.2),
                                    g.weight("embeddings.LayerNorm.bias", (E,), 0.1)],
             axis=-1, epsilon=1e-12, name="embeddings/LayerNorm")
    # the additive mask: mask[:, None, None, :].expand(B, 1, S, S), inverted,
    # masked_fill(inverted.bool(), finfo.min)
    m4 = g.op("Unsqueeze", [mask, i64([1, 2])])
    shp = g.op("Concat", [g.op("Slice", [g.op("Shape", [ids]), i64([0]), i64([1])]),
                          i64([1]), seq1, seq1], axis=0)
    m4 = g.op("Cast", [g.op("Expand", [m4, shp])], to=F)
    inv = g.op("Sub", [f32(1.0), m4])
    add_mask = g.op("Where", [g.op("Cast", [inv], to=TensorProto.BOOL),
                              f32(np.finfo(np.float32).min), inv], name="mask/masked_fill")

    def linear(t, name, n_in, n_out):
        y = g.op("MatMul", [t, g.weight(f"{name}.weight", (n_in, n_out))],
                 name=f"{name}/MatMul")
        return g.op("Add", [y, g.weight(f"{name}.bias", (n_out,), 0.1)], name=f"{name}/Add")

    def heads(t):
        bs = g.op("Slice", [g.op("Shape", [t]), i64([0]), i64([2])])
        t = g.op("Reshape", [t, g.op("Concat", [bs, i64([H, D])], axis=0)])
        return g.op("Transpose", [t], perm=[0, 2, 1, 3])
    pre = "encoder.layer.0.attention"
    q = heads(linear(x, f"{pre}.self.query", E, E))
    k = heads(linear(x, f"{pre}.self.key", E, E))
    v = heads(linear(x, f"{pre}.self.value", E, E))
    # scaled_dot_product_attention: scale = 1 / sqrt(D) from q's shape,
    # applied as sqrt(scale) to q and to k^T
    d = g.op("Cast", [g.op("Slice", [g.op("Shape", [q]), i64([-1]), i64([2 ** 62])])], to=F)
    scale = g.op("Div", [f32(1.0), g.op("Sqrt", [d])])
    sq = g.op("Sqrt", [scale])
    kt = g.op("Transpose", [k], perm=[0, 1, 3, 2])
    s = g.op("MatMul", [g.op("Mul", [q, sq]), g.op("Mul", [kt, sq])], name=f"{pre}/scores")
    p = g.op("Softmax", [g.op("Add", [s, add_mask])], axis=-1)
    o = g.op("Transpose", [g.op("MatMul", [p, v], name=f"{pre}/pv")], perm=[0, 2, 1, 3])
    o = g.op("Reshape", [o, i64([B, S, E])])
    o = linear(o, f"{pre}.output.dense", E, E)
    x = g.op("LayerNormalization", [g.op("Add", [o, x]),
                                    g.weight(f"{pre}.output.LayerNorm.weight", (E,), 0.2),
                                    g.weight(f"{pre}.output.LayerNorm.bias", (E,), 0.1)],
             axis=-1, epsilon=1e-12, name=f"{pre}/output/LayerNorm")
    f = linear(x, "encoder.layer.0.intermediate.dense", E, FF)
    erf = g.op("Erf", [g.op("Div", [f, f32(1.4142135)])])
    f = g.op("Mul", [g.op("Mul", [f, g.op("Add", [erf, f32(1.0)])]), f32(0.5)])
    f = linear(f, "encoder.layer.0.output.dense", FF, E)
    hidden = g.op("LayerNormalization", [g.op("Add", [f, x]),
                                         g.weight("encoder.layer.0.output.LayerNorm.weight",
                                                  (E,), 0.2),
                                         g.weight("encoder.layer.0.output.LayerNorm.bias",
                                                  (E,), 0.1)],
                  axis=-1, epsilon=1e-12, name="encoder/layer.0/output/LayerNorm")
    # pooler: tanh(dense(hidden[:, 0]))
    first = g.op("Gather", [hidden, i64(0)], axis=1)
    pooled = g.op("Tanh", [linear(first, "pooler.dense", E, E)], name="pooler_output")
    # mean pooling: sum(hidden * mask) / clamp(sum(mask), min=1e-9)
    me = g.op("Cast", [g.op("Expand", [g.op("Unsqueeze", [mask, i64([-1])]),
                                       g.op("Shape", [hidden])])], to=F)
    total = g.op("ReduceSum", [g.op("Mul", [hidden, me]), i64([1])], keepdims=0)
    count = g.op("ReduceSum", [me, i64([1])], keepdims=0)
    count = g.op("Clip", [count, f32(1e-9), ""], name="pooling/clamp")
    emb_out = g.op("Div", [total, count], name="sentence_embedding")
    graph = helper.make_graph(
        g.nodes, "bert_encoder",
        [helper.make_tensor_value_info(n, TensorProto.INT64, [B, S]) for n in (ids, mask, types)],
        [helper.make_tensor_value_info(emb_out, F, [B, E]),
         helper.make_tensor_value_info(pooled, F, [B, E]),
         helper.make_tensor_value_info(hidden, F, [B, S, E])],
        initializer=g.inits)
    save(graph, path, opset)


def save(graph, path, opset):
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)],
                              producer_name="braid-test")
    model.ir_version = 10
    onnx.checker.check_model(model, full_check=True)
    onnx.save(model, path)


def feeds(name, model_path, seed=3, dims=None):
    """Inputs for a block: x uniform in [-1, 1); RoPE tables for llama;
    symbolic dims sized from dims (name -> size)."""
    m = onnx.load(model_path)
    rng = np.random.default_rng(seed)
    out = {}
    dims = dims or {}
    for inp in m.graph.input:
        shape = [d.dim_value if d.HasField("dim_value") else dims[d.dim_param]
                 for d in inp.type.tensor_type.shape.dim]
        if inp.name in ("cos", "sin"):
            S, D = shape
            inv = 1.0 / (10000 ** (np.arange(0, D, 2) / D))
            ang = np.outer(np.arange(S), inv)
            ang = np.concatenate([ang, ang], axis=-1)
            out[inp.name] = (np.cos(ang) if inp.name == "cos" else np.sin(ang)).astype(np.float32)
        else:
            dt = np.dtype(helper.tensor_dtype_to_np_dtype(inp.type.tensor_type.elem_type))
            if inp.name == "attention_mask":   # row b: its last 3b tokens are padding
                B, S = shape
                out[inp.name] = (np.arange(S)[None, :] < S - 3 * np.arange(B)[:, None]
                                 ).astype(dt)
            elif inp.name == "token_type_ids":   # segment A, then segment B
                out[inp.name] = (np.arange(shape[-1]) >= shape[-1] // 2).astype(dt) * \
                    np.ones(shape, dt)
            elif inp.name == "q_ties":   # quantization ties and out-of-range values
                k = np.arange(math.prod(shape)) * 11 - 352
                out[inp.name] = (rng.permutation(k) / 4).reshape(shape).astype(dt)
            elif dt.kind == "i":   # token ids: in range of any table of >= 64 rows
                out[inp.name] = rng.integers(0, 64, shape).astype(dt)
            else:
                out[inp.name] = rng.uniform(-1, 1, shape).astype(dt)
    return out


if __name__ == "__main__":
    {"gpt2": gpt2, "llama": llama, "bert": bert, "bert18": lambda p: bert(p, 18),
     "gpt2fused": lambda p: gpt2(p, fused=True)}[sys.argv[1]](sys.argv[2])
