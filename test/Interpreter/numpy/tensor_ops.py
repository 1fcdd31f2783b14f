"""tensor dialect data movement and arith constants, bitwise against numpy
indexing."""
import os
import sys

import numpy as np

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import f32, program, tt  # noqa: E402

rng = np.random.default_rng(11)
cases = []


def vals(shape):
    return f32(rng.standard_normal(shape))


def case(name, args, results, body, inputs, expected, compare="exact"):
    cases.append((name, program(args, results, body), inputs,
                  lambda r: expected, compare))


a = vals((8, 7))
case("extract_slice_strided", [tt((8, 7))], [tt((3, 2))],
     "%r0 = tensor.extract_slice %a0[1, 0] [3, 2] [2, 3] "
     ": tensor<8x7xf32> to tensor<3x2xf32>",
     [a], [a[1:7:2, 0:6:3]])
case("extract_slice_dynamic_offset", [tt((8, 7)), "index"], [tt((2, 4))],
     "%r0 = tensor.extract_slice %a0[%a1, 2] [2, 4] [3, 1] "
     ": tensor<8x7xf32> to tensor<2x4xf32>",
     [a, np.int64(4)], [a[4:8:3, 2:6]])
b = vals((4, 5, 4))
case("extract_slice_rank_reducing", [tt((4, 5, 4))], [tt((3, 4)), tt((4,))],
     """%r0 = tensor.extract_slice %a0[2, 1, 0] [1, 3, 4] [1, 1, 1]
          : tensor<4x5x4xf32> to tensor<3x4xf32>
        %r1 = tensor.extract_slice %a0[3, 0, 1] [1, 4, 1] [1, 1, 2]
          : tensor<4x5x4xf32> to tensor<4xf32>""".replace("\n          :",
                                                         " :"),
     [b], [b[2, 1:4, :], b[3, 0:4, 1]])

dest, src = vals((6, 6)), vals((2, 3))
exp = dest.copy()
exp[1:5:2, 2:5] = src
case("insert_slice_strided", [tt((6, 6)), tt((2, 3))], [tt((6, 6))],
     "%r0 = tensor.insert_slice %a1 into %a0[1, 2] [2, 3] [2, 1] "
     ": tensor<2x3xf32> into tensor<6x6xf32>",
     [dest, src], [exp])
dest2, row = vals((5, 4)), vals((4,))
exp2 = dest2.copy()
exp2[3, :] = row
case("insert_slice_rank_reduced", [tt((5, 4)), tt((4,))], [tt((5, 4))],
     "%r0 = tensor.insert_slice %a1 into %a0[3, 0] [1, 4] [1, 1] "
     ": tensor<4xf32> into tensor<5x4xf32>",
     [dest2, row], [exp2])

c0, c1, c2 = vals((2, 3)), vals((4, 3)), vals((1, 3))
case("concat_dim0", [tt((2, 3)), tt((4, 3)), tt((1, 3))], [tt((7, 3))],
     "%r0 = tensor.concat dim(0) %a0, %a1, %a2 : (tensor<2x3xf32>, "
     "tensor<4x3xf32>, tensor<1x3xf32>) -> tensor<7x3xf32>",
     [c0, c1, c2], [np.concatenate([c0, c1, c2], 0)])
d0, d1 = rng.integers(-9, 9, (3, 2), dtype=np.int32), rng.integers(
    -9, 9, (3, 5), dtype=np.int32)
case("concat_dim1_i32", [tt((3, 2), "i32"), tt((3, 5), "i32")],
     [tt((3, 7), "i32")],
     "%r0 = tensor.concat dim(1) %a0, %a1 : (tensor<3x2xi32>, "
     "tensor<3x5xi32>) -> tensor<3x7xi32>",
     [d0, d1], [np.concatenate([d0, d1], 1)])

p = vals((3, 4))
case("pad_constant", [tt((3, 4))], [tt((6, 7))],
     """%cst = arith.constant -2.5 : f32
        %r0 = tensor.pad %a0 low[1, 0] high[2, 3] {
        ^bb0(%i: index, %j: index):
          tensor.yield %cst : f32
        } : tensor<3x4xf32> to tensor<6x7xf32>""",
     [p], [np.pad(p, ((1, 2), (0, 3)), constant_values=np.float32(-2.5))])
case("pad_dynamic_low", [tt((3, 4)), "index"], [tt((5, 6))],
     """%cst = arith.constant 0.0 : f32
        %r0 = tensor.pad %a0 low[%a1, 2] high[0, 0] {
        ^bb0(%i: index, %j: index):
          tensor.yield %cst : f32
        } : tensor<3x4xf32> to tensor<5x6xf32>""",
     [p, np.int64(2)], [np.pad(p, ((2, 0), (2, 0)))])

e = vals((6, 4))
case("expand_collapse_shape", [tt((6, 4))], [tt((2, 3, 4)), tt((24,)),
                                            tt((3, 2, 2, 2))],
     """%r0 = tensor.expand_shape %a0 [[0, 1], [2]] output_shape [2, 3, 4]
          : tensor<6x4xf32> into tensor<2x3x4xf32>
        %r1 = tensor.collapse_shape %r0 [[0, 1, 2]]
          : tensor<2x3x4xf32> into tensor<24xf32>
        %r2 = tensor.expand_shape %a0 [[0, 1], [2, 3]] output_shape [3, 2, 2, 2]
          : tensor<6x4xf32> into tensor<3x2x2x2xf32>""".replace(
         "\n          :", " :"),
     [e], [e.reshape(2, 3, 4), e.reshape(24), e.reshape(3, 2, 2, 2)])

x = vals((3, 4))
s = f32(rng.standard_normal())
ins = x.copy()
ins[2, 1] = s
case("extract_insert", [tt((3, 4)), "f32", "index"], ["f32", tt((3, 4))],
     """%c1 = arith.constant 1 : index
        %c2 = arith.constant 2 : index
        %r0 = tensor.extract %a0[%a2, %c2] : tensor<3x4xf32>
        %r1 = tensor.insert %a1 into %a0[%c2, %c1] : tensor<3x4xf32>""",
     [x, s, np.int64(1)], [x[1, 2], ins])
case("from_elements", ["f32", "f32", "i32"], [tt((2, 2)), tt((3,), "i32")],
     """%c = arith.constant 7.25 : f32
        %k = arith.constant -3 : i32
        %r0 = tensor.from_elements %a0, %c, %a1, %a0 : tensor<2x2xf32>
        %r1 = tensor.from_elements %k, %a2, %k : tensor<3xi32>""",
     [f32(1.5), f32(-0.0), np.int32(99)],
     [f32([[1.5, 7.25], [-0.0, 1.5]]), np.int32([-3, 99, -3])])
case("generate_index_payload", ["f32"], [tt((3, 4))],
     """%r0 = tensor.generate {
        ^bb0(%i: index, %j: index):
          %c10 = arith.constant 10 : index
          %t = arith.muli %i, %c10 : index
          %u = arith.addi %t, %j : index
          %v = arith.index_cast %u : index to i32
          %w = arith.sitofp %v : i32 to f32
          %y = arith.mulf %w, %a0 : f32
          tensor.yield %y : f32
        } : tensor<3x4xf32>""",
     [f32(0.3)],
     [f32(f32(np.add.outer(np.arange(3) * 10, np.arange(4))) * f32(0.3))])
case("splat", ["f32"], [tt((3, 4))],
     "%r0 = tensor.splat %a0 : tensor<3x4xf32>",
     [f32(-1.75)], [np.full((3, 4), -1.75, np.float32)])
case("dim_and_cast", [tt((3, 4))], ["index", tt((3, 4))],
     """%c1 = arith.constant 1 : index
        %r0 = tensor.dim %a0, %c1 : tensor<3x4xf32>
        %d = tensor.cast %a0 : tensor<3x4xf32> to tensor<?x4xf32>
        %r1 = tensor.cast %d : tensor<?x4xf32> to tensor<3x4xf32>""",
     [x], [np.int64(4), x])

# Constants: dense, splat, integers, rounding of a decimal to f32 / bf16.
case("constants", [], [tt((2, 3)), tt((2, 2)), tt((3,), "i32"),
                       tt((4,)), tt((2,))],
     """%r0 = arith.constant dense<[[1.0, -2.5, 0.1], [3.0e10, -0.0, 7.0]]>
          : tensor<2x3xf32>
        %r1 = arith.constant dense<0.7> : tensor<2x2xf32>
        %r2 = arith.constant dense<[2147483647, -2147483648, 5]> : tensor<3xi32>
        %b = arith.constant dense<[0.1, 1.00390625, 3.3, -7.77]> : tensor<4xbf16>
        %r3 = arith.extf %b : tensor<4xbf16> to tensor<4xf32>
        %r4 = arith.constant dense<[1.0e-45, 16777217.0]> : tensor<2xf32>""".replace(
         "\n          :", " :"),
     [],
     [f32([[1.0, -2.5, 0.1], [3.0e10, -0.0, 7.0]]), f32(np.full((2, 2), 0.7)),
      np.int32([2**31 - 1, -2**31, 5]),
      harness.bf16(f32([0.1, 1.00390625, 3.3, -7.77])),
      f32([1e-45, 16777217.0])])

if __name__ == "__main__":
    harness.main(cases)
