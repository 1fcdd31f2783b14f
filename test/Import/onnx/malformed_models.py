"""ONNX models whose protobuf is well-formed but whose content is not: the
importer must name what is wrong and exit 1, never raise a traceback.

    python malformed_models.py OUTDIR

writes NAME.onnx for every NAME in MODELS (one defect each).
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

F = TensorProto.FLOAT


def save(path, nodes, inputs, outputs, inits=()):
    g = helper.make_graph(nodes, os.path.basename(path)[:-5], inputs, outputs,
                          initializer=list(inits))
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 18)],
                          producer_name="braid-test")
    m.ir_version = 8
    onnx.save(m, path)


def tensor(name, data_type, dims, raw=None, floats=None):
    t = TensorProto(name=name, data_type=data_type, dims=dims)
    if raw is not None:
        t.raw_data = raw
    if floats is not None:
        t.float_data.extend(floats)
    return t


def main(out):
    x = helper.make_tensor_value_info("x", F, [4, 8])
    y = helper.make_tensor_value_info("y", F, [4, 8])
    ones = np.ones(32, np.float32).tobytes()

    def add_w(name, w):
        save(os.path.join(out, name + ".onnx"),
             [helper.make_node("Add", ["x", "w"], ["y"], name="add")], [x], [y], [w])

    # initializers whose dims, data and type disagree
    add_w("short_raw", tensor("w", F, [4, 8], raw=ones[:12]))
    add_w("odd_raw", tensor("w", F, [4, 8], raw=b"\0" * 7))
    add_w("few_floats", tensor("w", F, [4, 8], floats=[1.0] * 5))
    add_w("init_type0", tensor("w", 0, [4, 8], raw=ones))
    add_w("init_type99", tensor("w", 99, [4, 8], raw=ones))
    add_w("init_neg_dim", tensor("w", F, [4, -8]))
    add_w("init_huge", tensor("w", F, [2 ** 62, 8]))

    def relu(name, in_type=F, dims=(4, 8), outputs=None):
        xi = helper.make_tensor_value_info("x", in_type, list(dims))
        yi = helper.make_tensor_value_info("y", F, list(dims))
        save(os.path.join(out, name + ".onnx"),
             [helper.make_node("Relu", ["x"], ["y"], name="relu")], [xi], outputs or [yi])

    # a graph output nothing produces
    relu("missing_output", outputs=[y, helper.make_tensor_value_info("z", F, [4, 8])])
    # element types that are no ONNX type
    relu("input_type0", in_type=0)
    relu("input_type99", in_type=99)
    save(os.path.join(out, "cast_to99.onnx"),
         [helper.make_node("Cast", ["x"], ["y"], name="cast", to=99)], [x], [y])
    # sizes: a 2^62 dim, an element count past 2^63 bytes, a negative dim
    relu("huge_dim", dims=(2 ** 62, 8))
    relu("huge_count", dims=(2 ** 31, 2 ** 31, 4))
    relu("neg_dim", dims=(4, -3))
    # a shape computed at import time that is too large to exist
    shp = numpy_helper.from_array(np.array([2 ** 62, 8], np.int64), "shp")
    save(os.path.join(out, "const_of_shape_huge.onnx"),
         [helper.make_node("ConstantOfShape", ["shp"], ["c"], name="fill"),
          helper.make_node("Add", ["c", "x"], ["y"], name="add")],
         [x], [helper.make_tensor_value_info("y", F, None)], [shp])


if __name__ == "__main__":
    main(sys.argv[1])
