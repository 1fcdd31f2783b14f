"""Quantized ONNX models, made as a user makes them: a small float model
(embedding Gather -> Reshape -> MatMul + bias -> Relu -> MatMul) quantized by
onnxruntime.quantization.

    python quantized_models.py OUTDIR

writes OUTDIR/
  qmlp_float.onnx        the float model (int64 ids [2, 8] -> float [16, 32])
  qmlp_dynamic.onnx      quantize_dynamic, per tensor: the table uint8 through
                         Gather (+ DequantizeLinear), DynamicQuantizeLinear,
                         MatMulInteger with int8 weights, Cast, Mul by scales
  qmlp_dynamic_pc.onnx   quantize_dynamic, per channel: per-column weight zero
                         points and scales
  qmlp_qdq.onnx          quantize_static in QDQ form, per channel, uint8
                         activations (calibrated on a few random id batches):
                         QuantizeLinear/DequantizeLinear pairs, per-axis
                         DequantizeLinear of int8 weights, a float MatMul
  qmlp_qdq_s8.onnx       the same per tensor with int8 activations
  quant_rules.onnx       the rounding rules on their own, on an input
                         `q_ties` of exact ties and out-of-range values
                         (blocks.feeds): QuantizeLinear to uint8 (per tensor)
                         and int8 (per axis, power-of-two scales), their
                         DequantizeLinear, DynamicQuantizeLinear's three
                         outputs, and MatMulInteger with both zero points
  quant_errors.onnx      element types and forms the importer refuses, one per
                         node: uint8 into Add, a uint16 table into Gather,
                         an int8 MatMul, QuantizeLinear to int16, blocked
                         DequantizeLinear
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from onnxruntime.quantization import (
    CalibrationDataReader,
    QuantFormat,
    QuantType,
    quantize_dynamic,
    quantize_static,
)

V, E, H, B, S = 64, 32, 64, 2, 8


def float_model(path):
    rng = np.random.default_rng(21)
    inits = [
        numpy_helper.from_array(rng.standard_normal((V, E)).astype(np.float32), "emb"),
        numpy_helper.from_array(np.array([B * S, E], np.int64), "rows"),
        numpy_helper.from_array((rng.standard_normal((E, H)) * 0.2).astype(np.float32), "w1"),
        numpy_helper.from_array((rng.standard_normal((H,)) * 0.1).astype(np.float32), "b1"),
        numpy_helper.from_array((rng.standard_normal((H, E)) * 0.2).astype(np.float32), "w2"),
    ]
    nodes = [helper.make_node("Gather", ["emb", "ids"], ["x3"], name="embed"),
             helper.make_node("Reshape", ["x3", "rows"], ["x"], name="flatten"),
             helper.make_node("MatMul", ["x", "w1"], ["h0"], name="fc1"),
             helper.make_node("Add", ["h0", "b1"], ["h1"], name="bias1"),
             helper.make_node("Relu", ["h1"], ["h"], name="relu"),
             helper.make_node("MatMul", ["h", "w2"], ["y"], name="fc2")]
    g = helper.make_graph(
        nodes, "qmlp", [helper.make_tensor_value_info("ids", TensorProto.INT64, [B, S])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [B * S, E])], initializer=inits)
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 20)]), path)


def rules_model(path):
    """Quantization ops on an input of ties ((11 i - 352) / 4, so x / 0.5 is
    a half for odd i) and values past the uint8/int8 range."""
    rng = np.random.default_rng(22)
    R, C, N = 4, 16, 8
    inits = [
        numpy_helper.from_array(np.array(0.5, np.float32), "s"),
        numpy_helper.from_array(np.array(128, np.uint8), "zp_u8"),
        numpy_helper.from_array(np.array([0.25, 0.5, 1.0, 2.0] * (C // 4), np.float32), "s_axis"),
        numpy_helper.from_array(np.array([-3, 0, 5, 127, -128, 1, 2, 3] * (C // 8), np.int8),
                                "zp_axis"),
        numpy_helper.from_array(rng.integers(-128, 128, (C, N)).astype(np.int8), "wq"),
        numpy_helper.from_array(np.array(-3, np.int8), "wq_zp"),
    ]
    nodes = [
        helper.make_node("QuantizeLinear", ["q_ties", "s", "zp_u8"], ["q_u8"]),
        helper.make_node("QuantizeLinear", ["q_ties", "s_axis", "zp_axis"], ["q_s8"], axis=1),
        helper.make_node("DequantizeLinear", ["q_u8", "s", "zp_u8"], ["dq_u8"]),
        helper.make_node("DequantizeLinear", ["q_s8", "s_axis", "zp_axis"], ["dq_s8"], axis=1),
        helper.make_node("DynamicQuantizeLinear", ["q_ties"], ["dy", "dy_scale", "dy_zp"]),
        helper.make_node("MatMulInteger", ["q_u8", "wq", "zp_u8", "wq_zp"], ["mm"]),
    ]
    outs = [("q_u8", TensorProto.UINT8, [R, C]), ("q_s8", TensorProto.INT8, [R, C]),
            ("dq_u8", TensorProto.FLOAT, [R, C]), ("dq_s8", TensorProto.FLOAT, [R, C]),
            ("dy", TensorProto.UINT8, [R, C]), ("dy_scale", TensorProto.FLOAT, []),
            ("dy_zp", TensorProto.UINT8, []), ("mm", TensorProto.INT32, [R, N])]
    g = helper.make_graph(
        nodes, "quant_rules", [helper.make_tensor_value_info("q_ties", TensorProto.FLOAT, [R, C])],
        [helper.make_tensor_value_info(*o) for o in outs], initializer=inits)
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 20)]), path)


def errors_model(path):
    """One refused element type or form per node (every node is reported)."""
    inits = [
        numpy_helper.from_array(np.arange(64, dtype=np.uint16).reshape(8, 8), "table16"),
        numpy_helper.from_array(np.array(1, np.uint8), "one_u8"),
        numpy_helper.from_array(np.ones((8, 8), np.int8), "w8"),
        numpy_helper.from_array(np.array(0.5, np.float32), "s"),
        numpy_helper.from_array(np.array(0, np.int16), "zp16"),
        numpy_helper.from_array(np.full((8, 2), 0.5, np.float32), "s_blocked"),
    ]
    nodes = [
        helper.make_node("Add", ["u8", "one_u8"], ["sum"], name="add_u8"),
        helper.make_node("Gather", ["table16", "ids"], ["rows16"], name="gather_u16"),
        helper.make_node("MatMul", ["i8", "w8"], ["mm"], name="matmul_i8"),
        helper.make_node("QuantizeLinear", ["x", "s", "zp16"], ["q16"], name="quantize_i16"),
        helper.make_node("DequantizeLinear", ["i8", "s_blocked"], ["dq"], name="blocked",
                         axis=1, block_size=4),
    ]
    g = helper.make_graph(
        nodes, "quant_errors",
        [helper.make_tensor_value_info("u8", TensorProto.UINT8, [8, 8]),
         helper.make_tensor_value_info("ids", TensorProto.INT64, [4]),
         helper.make_tensor_value_info("i8", TensorProto.INT8, [8, 8]),
         helper.make_tensor_value_info("x", TensorProto.FLOAT, [8, 8])],
        [helper.make_tensor_value_info("sum", TensorProto.UINT8, [8, 8]),
         helper.make_tensor_value_info("rows16", TensorProto.UINT16, [4, 8]),
         helper.make_tensor_value_info("mm", TensorProto.INT8, [8, 8]),
         helper.make_tensor_value_info("q16", TensorProto.INT16, [8, 8]),
         helper.make_tensor_value_info("dq", TensorProto.FLOAT, [8, 8])], initializer=inits)
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 21)]), path)


class Ids(CalibrationDataReader):
    """A few batches of token ids to calibrate the activation ranges."""

    def __init__(self):
        rng = np.random.default_rng(5)
        self.batches = iter([{"ids": rng.integers(0, V, (B, S)).astype(np.int64)}
                             for _ in range(4)])

    def get_next(self):
        return next(self.batches, None)


def main(out):
    os.makedirs(out, exist_ok=True)
    f = os.path.join(out, "qmlp_float.onnx")
    float_model(f)
    ops = ["MatMul", "Gather"]
    quantize_dynamic(f, os.path.join(out, "qmlp_dynamic.onnx"), weight_type=QuantType.QInt8,
                     op_types_to_quantize=ops)
    quantize_dynamic(f, os.path.join(out, "qmlp_dynamic_pc.onnx"),
                     weight_type=QuantType.QInt8, op_types_to_quantize=ops, per_channel=True)
    quantize_static(f, os.path.join(out, "qmlp_qdq.onnx"), Ids(), quant_format=QuantFormat.QDQ,
                    per_channel=True, weight_type=QuantType.QInt8,
                    activation_type=QuantType.QUInt8)
    quantize_static(f, os.path.join(out, "qmlp_qdq_s8.onnx"), Ids(),
                    quant_format=QuantFormat.QDQ, weight_type=QuantType.QInt8,
                    activation_type=QuantType.QInt8)
    rules_model(os.path.join(out, "quant_rules.onnx"))
    errors_model(os.path.join(out, "quant_errors.onnx"))


if __name__ == "__main__":
    import logging
    logging.disable(logging.WARNING)  # "consider pre-processing" advice
    main(sys.argv[1])
