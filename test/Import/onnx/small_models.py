"""Small ONNX models for the importer's error and conversion tests.

    python small_models.py OUTDIR [--no-blocks]

(--no-blocks: skip the three GPT-2-block models dynamic/heads3/ffn100.)

writes:
  unsupported.onnx   two unsupported ops (TopK, Conv) and a custom-domain op
                     between supported ones
  bad.onnx           not a protobuf
  opset6.onnx        a valid model at opset 6 (older than the importer takes)
  opset99.onnx       a model claiming an opset newer than the onnx package knows
  opset13.onnx       Softmax / ReduceMean(axes attribute) / Split / Unsqueeze
                     at opset 13, which the version converter brings to 18
  heads3.onnx        a GPT-2 block with 3 heads (does not divide by --tp 2)
  ffn100.onnx        a GPT-2 block with FFN width 100 (does not divide by 3)
  lone_linear.onnx   one MatMul + Relu: no row-parallel partner, so it
                     stays replicated at any --tp
  gemm_mlp.onnx      nn.Linear-style Gemm(transB=1) -> Relu -> Gemm(transB=1)
                     on 2-D tokens, alpha/beta != 1 on the second
  embed_mlp.onnx     token ids -> embedding Gather + position embedding ->
                     LayerNorm -> MLP -> residual (int64 ids, [2, 16])
  attn_op.onnx       Q/K/V projections -> ONNX Attention (opset 23, 3-D,
                     4 query / 2 KV heads, causal) -> out projection
  dynamic.onnx       the GPT-2 block with symbolic batch and sequence dims
                     (as exporters write dynamic axes)
  const_subgraph.onnx  ops the importer does not lower (Range, Tile) on
                     constants only: folded at import time
  f16_mlp.onnx       an f16 MatMul -> Relu -> MatMul + bias MLP
  bf16_mlp.onnx      the same MLP in bf16, and bf16_mlp_f32.onnx: its f32
                     twin (the same bf16-representable weights) that
                     onnxruntime, which has no bf16 MatMul on CPU, runs
  clip.onnx          Clip with min only, max only and both (opset 17), and
  clip_opset10.onnx  the same with opset 10's min/max attributes
  clip_int.onnx      an int64 Clip
  softmax_opset11.onnx  Softmax over axis 1 at opset 11 (the converter adds
                     Flatten / Reshape for the old 2-D semantics)
  fused_gather.onnx  a fused [32, 3x16] projection split into q, k, v whose
                     output also feeds an op that needs it whole (Softmax over
                     tokens): forced column-parallel by a plan, the blocked
                     layout is gathered and reordered for it
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import blocks  # noqa: E402

F = TensorProto.FLOAT


def save(nodes, inputs, outputs, path, opset, inits=(), check=True, domains=()):
    g = helper.make_graph(nodes, os.path.basename(path).split(".")[0], inputs, outputs,
                          initializer=list(inits))
    ops = [helper.make_opsetid("", opset)] + [helper.make_opsetid(d, 1) for d in domains]
    m = helper.make_model(g, opset_imports=ops, producer_name="braid-test")
    m.ir_version = 8
    if check:
        onnx.checker.check_model(m)
    onnx.save(m, path)


def main(out, with_blocks=True):
    x = helper.make_tensor_value_info("x", F, [4, 8])
    y = helper.make_tensor_value_info("y", F, [4, 8])
    k = numpy_helper.from_array(np.array([2], np.int64), "k")
    w = numpy_helper.from_array(np.ones((1, 4, 1, 1), np.float32), "w")
    save([helper.make_node("Relu", ["x"], ["a"], name="relu0"),
          helper.make_node("TopK", ["a", "k"], ["tv", "ti"], name="topk1", axis=1),
          helper.make_node("Unsqueeze", ["a", "ax"], ["a4"], name="unsq2"),
          helper.make_node("Conv", ["a4", "w"], ["c"], name="conv3"),
          helper.make_node("FusedThing", ["a"], ["f"], name="custom4", domain="com.example"),
          helper.make_node("Add", ["a", "f"], ["y"], name="add5")],
         [x], [y], os.path.join(out, "unsupported.onnx"), 18,
         inits=[k, w, numpy_helper.from_array(np.array([0, 1], np.int64), "ax")],
         check=False, domains=["com.example"])
    with open(os.path.join(out, "bad.onnx"), "wb") as f:
        f.write(b"this is not an ONNX model\x00\xff\x13")
    save([helper.make_node("Relu", ["x"], ["y"], name="relu")], [x], [y],
         os.path.join(out, "opset6.onnx"), 6)
    save([helper.make_node("Relu", ["x"], ["y"], name="relu")], [x], [y],
         os.path.join(out, "opset99.onnx"), 99, check=False)
    # opset 13: ReduceMean takes axes as an attribute there
    xs = helper.make_tensor_value_info("x", F, [2, 6, 8])
    ys = helper.make_tensor_value_info("y", F, [2, 3, 8])
    save([helper.make_node("Softmax", ["x"], ["s"], axis=-1, name="softmax"),
          helper.make_node("ReduceMean", ["s"], ["m"], axes=[2], keepdims=1, name="mean"),
          helper.make_node("Sub", ["s", "m"], ["d"], name="sub"),
          helper.make_node("Split", ["d", "sp"], ["p0", "p1"], axis=1, name="split"),
          helper.make_node("Mul", ["p0", "p1"], ["y"], name="mul")],
         [xs], [ys], os.path.join(out, "opset13.onnx"), 13,
         inits=[numpy_helper.from_array(np.array([3, 3], np.int64), "sp")])
    rng = np.random.default_rng(7)
    xl = helper.make_tensor_value_info("x", F, [8, 32])
    yl = helper.make_tensor_value_info("y", F, [8, 64])
    save([helper.make_node("MatMul", ["x", "w"], ["h"], name="proj"),
          helper.make_node("Relu", ["h"], ["y"], name="relu")], [xl], [yl],
         os.path.join(out, "lone_linear.onnx"), 18,
         inits=[numpy_helper.from_array(rng.standard_normal((32, 64)).astype(np.float32), "w")])
    xg = helper.make_tensor_value_info("x", F, [16, 32])
    yg = helper.make_tensor_value_info("y", F, [16, 32])
    save([helper.make_node("Gemm", ["x", "fc1.weight", "fc1.bias"], ["h"], transB=1, name="fc1"),
          helper.make_node("Relu", ["h"], ["r"], name="relu"),
          helper.make_node("Gemm", ["r", "fc2.weight", "fc2.bias"], ["y"], transB=1,
                           alpha=0.5, beta=2.0, name="fc2")],
         [xg], [yg], os.path.join(out, "gemm_mlp.onnx"), 18,
         inits=[numpy_helper.from_array(
                    (rng.standard_normal((96, 32)) / 6).astype(np.float32), "fc1.weight"),
                numpy_helper.from_array(rng.standard_normal(96).astype(np.float32), "fc1.bias"),
                numpy_helper.from_array(
                    (rng.standard_normal((32, 96)) / 10).astype(np.float32), "fc2.weight"),
                numpy_helper.from_array(rng.standard_normal(32).astype(np.float32), "fc2.bias")])
    xf = helper.make_tensor_value_info("x", F, [8, 32])
    yf = [helper.make_tensor_value_info(n, F, [8, 16]) for n in ("q", "k", "v")]
    yf.append(helper.make_tensor_value_info("s", F, [8, 48]))
    save([helper.make_node("MatMul", ["x", "w"], ["h"], name="qkv"),
          helper.make_node("Split", ["h", "sizes"], ["q", "k", "v"], axis=1, name="split"),
          helper.make_node("Softmax", ["h"], ["s"], axis=0, name="softmax")],
         [xf], yf, os.path.join(out, "fused_gather.onnx"), 18,
         inits=[numpy_helper.from_array(rng.standard_normal((32, 48)).astype(np.float32), "w"),
                numpy_helper.from_array(np.array([16, 16, 16], np.int64), "sizes")])
    ids = helper.make_tensor_value_info("ids", TensorProto.INT64, [2, 16])
    ye = helper.make_tensor_value_info("y", F, [2, 16, 32])
    save([helper.make_node("Gather", ["wte", "ids"], ["te"], axis=0, name="wte"),
          helper.make_node("Gather", ["wpe", "pos"], ["pe"], axis=0, name="wpe"),
          helper.make_node("Add", ["te", "pe"], ["h"], name="embed_add"),
          helper.make_node("LayerNormalization", ["h", "g", "b"], ["n"], axis=-1, name="ln"),
          helper.make_node("MatMul", ["n", "w1"], ["f"], name="fc1"),
          helper.make_node("Gelu", ["f"], ["a"], name="gelu"),
          helper.make_node("MatMul", ["a", "w2"], ["o"], name="fc2"),
          helper.make_node("Add", ["h", "o"], ["y"], name="residual")],
         [ids], [ye], os.path.join(out, "embed_mlp.onnx"), 20,
         inits=[numpy_helper.from_array(rng.standard_normal((64, 32)).astype(np.float32), "wte"),
                numpy_helper.from_array(
                    (rng.standard_normal((16, 32)) / 4).astype(np.float32), "wpe"),
                numpy_helper.from_array(np.arange(16, dtype=np.int64), "pos"),
                numpy_helper.from_array(rng.standard_normal(32).astype(np.float32), "g"),
                numpy_helper.from_array(rng.standard_normal(32).astype(np.float32), "b"),
                numpy_helper.from_array(
                    (rng.standard_normal((32, 128)) / 6).astype(np.float32), "w1"),
                numpy_helper.from_array(
                    (rng.standard_normal((128, 32)) / 11).astype(np.float32), "w2")])
    xa = helper.make_tensor_value_info("x", F, [1, 16, 64])
    ya = helper.make_tensor_value_info("y", F, [1, 16, 64])
    save([helper.make_node("MatMul", ["x", "wq"], ["q"], name="q_proj"),
          helper.make_node("MatMul", ["x", "wk"], ["k"], name="k_proj"),
          helper.make_node("MatMul", ["x", "wv"], ["v"], name="v_proj"),
          helper.make_node("Attention", ["q", "k", "v"], ["a"], name="attention",
                           q_num_heads=4, kv_num_heads=2, is_causal=1),
          helper.make_node("MatMul", ["a", "wo"], ["o"], name="o_proj"),
          helper.make_node("Add", ["x", "o"], ["y"], name="residual")],
         [xa], [ya], os.path.join(out, "attn_op.onnx"), 23,
         inits=[numpy_helper.from_array((rng.standard_normal(sh) / 8).astype(np.float32), n)
                for n, sh in (("wq", (64, 64)), ("wk", (64, 32)), ("wv", (64, 32)),
                              ("wo", (64, 64)))])
    if with_blocks:
        blocks.gpt2(os.path.join(out, "dynamic.onnx"))
        m = onnx.load(os.path.join(out, "dynamic.onnx"))
        for vi in list(m.graph.input) + list(m.graph.output):
            dims = vi.type.tensor_type.shape.dim
            dims[0].dim_param, dims[1].dim_param = "batch", "sequence"
        onnx.save(m, os.path.join(out, "dynamic.onnx"))
    xc = helper.make_tensor_value_info("x", F, [4, 8])
    yc = helper.make_tensor_value_info("y", F, [4, 8])
    save([helper.make_node("Shape", ["x"], ["s"], name="shape"),
          helper.make_node("Gather", ["s", "one"], ["n"], axis=0, name="cols"),
          helper.make_node("Range", ["zero", "n", "step"], ["r"], name="range"),
          helper.make_node("Cast", ["r"], ["rf"], to=TensorProto.FLOAT, name="cast"),
          helper.make_node("Tile", ["rf", "reps"], ["t"], name="tile"),
          helper.make_node("Reshape", ["t", "shp"], ["t2"], name="reshape"),
          helper.make_node("Mul", ["x", "t2"], ["y"], name="scale")],
         [xc], [yc], os.path.join(out, "const_subgraph.onnx"), 18,
         inits=[numpy_helper.from_array(np.array(1, np.int64), "one"),
                numpy_helper.from_array(np.array(0, np.int64), "zero"),
                numpy_helper.from_array(np.array(1, np.int64), "step"),
                numpy_helper.from_array(np.array([4], np.int64), "reps"),
                numpy_helper.from_array(np.array([4, 8], np.int64), "shp")])
    H16 = TensorProto.FLOAT16
    save([helper.make_node("MatMul", ["x", "w1"], ["h"], name="fc1"),
          helper.make_node("Relu", ["h"], ["r"], name="relu"),
          helper.make_node("MatMul", ["r", "w2"], ["m"], name="fc2"),
          helper.make_node("Add", ["m", "b2"], ["y"], name="fc2_bias")],
         [helper.make_tensor_value_info("x", H16, [16, 32])],
         [helper.make_tensor_value_info("y", H16, [16, 32])],
         os.path.join(out, "f16_mlp.onnx"), 18,
         inits=[numpy_helper.from_array(
                    (rng.standard_normal((32, 64)) / 6).astype(np.float16), "w1"),
                numpy_helper.from_array(
                    (rng.standard_normal((64, 32)) / 8).astype(np.float16), "w2"),
                numpy_helper.from_array(rng.standard_normal(32).astype(np.float16), "b2")])
    import ml_dtypes
    w1 = (rng.standard_normal((32, 64)) / 6).astype(ml_dtypes.bfloat16)
    w2 = (rng.standard_normal((64, 32)) / 8).astype(ml_dtypes.bfloat16)
    b2 = rng.standard_normal(32).astype(ml_dtypes.bfloat16)
    for name, et, cast in (("bf16_mlp", TensorProto.BFLOAT16, lambda a: a),
                           ("bf16_mlp_f32", F, lambda a: a.astype(np.float32))):
        inits = []
        for nm, arr in (("w1", w1), ("w2", w2), ("b2", b2)):
            t = numpy_helper.from_array(np.asarray(cast(arr)), nm)
            inits.append(t)
        save([helper.make_node("MatMul", ["x", "w1"], ["h"], name="fc1"),
              helper.make_node("Relu", ["h"], ["r"], name="relu"),
              helper.make_node("MatMul", ["r", "w2"], ["m"], name="fc2"),
              helper.make_node("Add", ["m", "b2"], ["y"], name="fc2_bias")],
             [helper.make_tensor_value_info("x", et, [16, 32])],
             [helper.make_tensor_value_info("y", et, [16, 32])],
             os.path.join(out, name + ".onnx"), 18, inits=inits)
    # Clip as PyTorch exports clamp: min only (max input empty), max only
    # (min input empty), both; at opset 17, and at opset 10 where the bounds
    # are attributes (brought to inputs by the version converter)
    xk = helper.make_tensor_value_info("x", F, [4, 8])
    yk = [helper.make_tensor_value_info(n, F, [4, 8]) for n in ("lo", "hi", "both")]
    save([helper.make_node("Clip", ["x", "min", ""], ["lo"], name="clamp_min"),
          helper.make_node("Clip", ["x", "", "max"], ["hi"], name="clamp_max"),
          helper.make_node("Clip", ["x", "min", "max"], ["both"], name="clamp")],
         [xk], yk, os.path.join(out, "clip.onnx"), 17,
         inits=[numpy_helper.from_array(np.array(-0.25, np.float32), "min"),
                numpy_helper.from_array(np.array(0.5, np.float32), "max")])
    save([helper.make_node("Clip", ["x"], ["lo"], name="clamp_min", min=-0.25),
          helper.make_node("Clip", ["x"], ["hi"], name="clamp_max", max=0.5),
          helper.make_node("Clip", ["x"], ["both"], name="clamp", min=-0.25, max=0.5)],
         [xk], yk, os.path.join(out, "clip_opset10.onnx"), 10)
    # integer Clip (exact), and Flatten, which the version converter puts
    # around an old Softmax over a non-last axis
    xi = helper.make_tensor_value_info("x", TensorProto.INT64, [4, 8])
    save([helper.make_node("Clip", ["x", "imin", "imax"], ["y"], name="clamp")],
         [xi], [helper.make_tensor_value_info("y", TensorProto.INT64, [4, 8])],
         os.path.join(out, "clip_int.onnx"), 17,
         inits=[numpy_helper.from_array(np.array(10, np.int64), "imin"),
                numpy_helper.from_array(np.array(40, np.int64), "imax")])
    save([helper.make_node("Softmax", ["x"], ["y"], axis=1, name="softmax")],
         [helper.make_tensor_value_info("x", F, [2, 6, 8])],
         [helper.make_tensor_value_info("y", F, [2, 6, 8])],
         os.path.join(out, "softmax_opset11.onnx"), 11)
    if with_blocks:
        blocks.gpt2(os.path.join(out, "heads3.onnx"), E=48, H=3, FF=96)
        blocks.gpt2(os.path.join(out, "ffn100.onnx"), E=48, H=6, FF=100)


if __name__ == "__main__":
    main(sys.argv[1], with_blocks="--no-blocks" not in sys.argv[2:])
