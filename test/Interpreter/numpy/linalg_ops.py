"""linalg contractions (sequential f32 accumulation over K, bitwise), bf16
operands, generic payloads with linalg.index, reduce, transpose, broadcast,
fill and softmax."""
import os
import sys

import numpy as np

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import bf16, f32, matmul_seq_f32, program, tt  # noqa: E402

rng = np.random.default_rng(5)
cases = []


def spread(shape):
    mag = 10.0**rng.uniform(-2, 2, size=shape)
    return f32(rng.standard_normal(shape) * mag)


def case(name, args, results, body, inputs, expected, compare="exact"):
    cases.append((name, program(args, results, body), inputs,
                  lambda r: expected, compare))


def mm(lhs, rhs, out, elems=("f32", "f32", "f32"), op="matmul"):
    return (f"linalg.{op} ins({lhs[0]}, {rhs[0]} : {tt(lhs[1], elems[0])}, "
            f"{tt(rhs[1], elems[1])}) outs({out[0]} : {tt(out[1], elems[2])})"
            f" -> {tt(out[1], elems[2])}")


# f32 matmul: init + sum over K in order, every product and sum in f32.
A, B, C = spread((5, 7)), spread((7, 3)), spread((5, 3))
ref = matmul_seq_f32(A, B, C)
# The emulation is order-sensitive here (reversed K gives other bits).
assert not np.array_equal(ref, matmul_seq_f32(A[:, ::-1], B[::-1], C))
case("matmul_f32_init", [tt((5, 7)), tt((7, 3)), tt((5, 3))], [tt((5, 3))],
     "%r0 = " + mm(("%a0", (5, 7)), ("%a1", (7, 3)), ("%a2", (5, 3))),
     [A, B, C], [ref])
case("matmul_f32_fill_zero", [tt((5, 7)), tt((7, 3))], [tt((5, 3))],
     """%z = arith.constant 0.0 : f32
        %e = tensor.empty() : tensor<5x3xf32>
        %c = linalg.fill ins(%z : f32) outs(%e : tensor<5x3xf32>) -> tensor<5x3xf32>
        %r0 = """ + mm(("%a0", (5, 7)), ("%a1", (7, 3)), ("%c", (5, 3))),
     [A, B], [matmul_seq_f32(A, B, np.zeros((5, 3), np.float32))])
BA, BB, BC = spread((2, 4, 6)), spread((2, 6, 3)), spread((2, 4, 3))
case("batch_matmul_f32", [tt((2, 4, 6)), tt((2, 6, 3)), tt((2, 4, 3))],
     [tt((2, 4, 3))],
     "%r0 = " + mm(("%a0", (2, 4, 6)), ("%a1", (2, 6, 3)),
                   ("%a2", (2, 4, 3)), op="batch_matmul"),
     [BA, BB, BC], [matmul_seq_f32(BA, BB, BC)])
# An explicit generic matmul is a contraction too.
case("generic_matmul_f32", [tt((5, 7)), tt((7, 3)), tt((5, 3))], [tt((5, 3))],
     """%r0 = linalg.generic {indexing_maps = [
            affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>,
            affine_map<(m, n, k) -> (m, n)>],
            iterator_types = ["parallel", "parallel", "reduction"]}
            ins(%a0, %a1 : tensor<5x7xf32>, tensor<7x3xf32>)
            outs(%a2 : tensor<5x3xf32>) {
        ^bb0(%x: f32, %y: f32, %acc: f32):
          %p = arith.mulf %x, %y : f32
          %s = arith.addf %acc, %p : f32
          linalg.yield %s : f32
        } -> tensor<5x3xf32>""",
     [A, B, C], [ref])

# Transposed B through indexing maps; matvec.
BT = np.ascontiguousarray(B.T)
case("matmul_transpose_b_maps", [tt((5, 7)), tt((3, 7)), tt((5, 3))],
     [tt((5, 3))],
     """%r0 = linalg.matmul indexing_maps = [
            affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>,
            affine_map<(m, n, k) -> (m, n)>]
          ins(%a0, %a1 : tensor<5x7xf32>, tensor<3x7xf32>)
          outs(%a2 : tensor<5x3xf32>) -> tensor<5x3xf32>""",
     [A, BT, C], [ref])
vec, vinit = spread((7,)), spread((5,))
case("matvec_f32", [tt((5, 7)), tt((7,)), tt((5,))], [tt((5,))],
     "%r0 = linalg.matvec ins(%a0, %a1 : tensor<5x7xf32>, tensor<7xf32>) "
     "outs(%a2 : tensor<5xf32>) -> tensor<5xf32>",
     [A, vec, vinit], [matmul_seq_f32(A, vec[:, None], vinit[:, None])[:, 0]])

# bf16 operands: fed as f32 (rounded to nearest even on reading); products
# of bf16 values are exact in f32.
Ab, Bb = f32(rng.standard_normal((5, 7))), f32(rng.standard_normal((7, 3)))
Cb = f32(rng.standard_normal((5, 3)))
assert not np.array_equal(bf16(Ab), Ab)
bf_ref = matmul_seq_f32(bf16(Ab), bf16(Bb), Cb)
case("matmul_bf16_args_f32_init", [tt((5, 7), "bf16"), tt((7, 3), "bf16"),
                                   tt((5, 3))], [tt((5, 3))],
     "%r0 = " + mm(("%a0", (5, 7)), ("%a1", (7, 3)), ("%a2", (5, 3)),
                   ("bf16", "bf16", "f32")),
     [Ab, Bb, Cb], [bf_ref])
case("matmul_truncf_bf16_f32_init", [tt((5, 7)), tt((7, 3)), tt((5, 3))],
     [tt((5, 3))],
     """%x = arith.truncf %a0 : tensor<5x7xf32> to tensor<5x7xbf16>
        %y = arith.truncf %a1 : tensor<7x3xf32> to tensor<7x3xbf16>
        %r0 = """ + mm(("%x", (5, 7)), ("%y", (7, 3)), ("%a2", (5, 3)),
                       ("bf16", "bf16", "f32")),
     [Ab, Bb, Cb], [bf_ref])
# A bf16 result: f32 accumulation, one rounding to bf16 at the end.
case("matmul_bf16_out", [tt((5, 7), "bf16"), tt((7, 3), "bf16"),
                         tt((5, 3), "bf16")], [tt((5, 3), "bf16")],
     "%r0 = " + mm(("%a0", (5, 7)), ("%a1", (7, 3)), ("%a2", (5, 3)),
                   ("bf16", "bf16", "bf16")),
     [Ab, Bb, Cb], [bf16(matmul_seq_f32(bf16(Ab), bf16(Bb), bf16(Cb)))])
# Integer matmul: wrapping i32 arithmetic.
IA = rng.integers(-2**20, 2**20, (3, 4), dtype=np.int32)
IB = rng.integers(-2**20, 2**20, (4, 2), dtype=np.int32)
IC = rng.integers(-5, 5, (3, 2), dtype=np.int32)
iref = (IC.astype(np.int64) + IA.astype(np.int64) @ IB.astype(np.int64))
case("matmul_i32_wrap", [tt((3, 4), "i32"), tt((4, 2), "i32"),
                         tt((3, 2), "i32")], [tt((3, 2), "i32")],
     "%r0 = " + mm(("%a0", (3, 4)), ("%a1", (4, 2)), ("%a2", (3, 2)),
                   ("i32", "i32", "i32")),
     [IA, IB, IC], [(iref & 0xFFFFFFFF).astype(np.uint32).view(np.int32)])
# int8 x int8 -> int32 (linalg.matmul's signed cast), K = 256 at the extremes
# of int8: exact in i32 (what quantized ONNX's MatMulInteger becomes).
QA = rng.integers(-128, 128, (3, 256), dtype=np.int8)
QA[0] = -128
QB = rng.integers(-128, 128, (256, 2), dtype=np.int8)
QB[:, 0] = -128
QC = np.zeros((3, 2), np.int32)
case("matmul_i8_i32", [tt((3, 256), "i8"), tt((256, 2), "i8"), tt((3, 2), "i32")],
     [tt((3, 2), "i32")],
     "%r0 = " + mm(("%a0", (3, 256)), ("%a1", (256, 2)), ("%a2", (3, 2)),
                   ("i8", "i8", "i32")),
     [QA, QB, QC], [(QA.astype(np.int64) @ QB.astype(np.int64)).astype(np.int32)])

# linalg.generic: a payload reading linalg.index, transposed and broadcast
# indexing maps.
G, v = f32(rng.standard_normal((4, 3))), f32(rng.standard_normal((4,)))
ii, jj = np.meshgrid(np.arange(3), np.arange(4), indexing="ij")
gen_ref = f32(f32(G.T * f32(ii)) + f32(jj)) - v[None, :]
case("generic_index_payload", [tt((4, 3)), tt((4,))], [tt((3, 4))],
     """%e = tensor.empty() : tensor<3x4xf32>
        %r0 = linalg.generic {indexing_maps = [
            affine_map<(i, j) -> (j, i)>, affine_map<(i, j) -> (j)>,
            affine_map<(i, j) -> (i, j)>],
            iterator_types = ["parallel", "parallel"]}
            ins(%a0, %a1 : tensor<4x3xf32>, tensor<4xf32>)
            outs(%e : tensor<3x4xf32>) {
        ^bb0(%x: f32, %w: f32, %o: f32):
          %i = linalg.index 0 : index
          %j = linalg.index 1 : index
          %ii = arith.index_cast %i : index to i32
          %jj = arith.index_cast %j : index to i32
          %fi = arith.sitofp %ii : i32 to f32
          %fj = arith.sitofp %jj : i32 to f32
          %m = arith.mulf %x, %fi : f32
          %s = arith.addf %m, %fj : f32
          %d = arith.subf %s, %w : f32
          linalg.yield %d : f32
        } -> tensor<3x4xf32>""",
     [G, v], [f32(gen_ref)])
R = spread((4, 6))
row_sum = np.zeros(4, np.float32)
for j in range(6):
    row_sum = f32(row_sum + R[:, j])
case("generic_row_sum_reduction", [tt((4, 6))], [tt((4,))],
     """%z = arith.constant 0.0 : f32
        %e = tensor.empty() : tensor<4xf32>
        %c = linalg.fill ins(%z : f32) outs(%e : tensor<4xf32>) -> tensor<4xf32>
        %r0 = linalg.generic {indexing_maps = [
            affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i)>],
            iterator_types = ["parallel", "reduction"]}
            ins(%a0 : tensor<4x6xf32>) outs(%c : tensor<4xf32>) {
        ^bb0(%x: f32, %acc: f32):
          %s = arith.addf %acc, %x : f32
          linalg.yield %s : f32
        } -> tensor<4xf32>""",
     [R], [row_sum])
red_init = spread((4,))
red_sum = red_init.copy()
for j in range(6):
    red_sum = f32(R[:, j] + red_sum)
case("reduce_sum_dim1_and_max_dim0", [tt((4, 6)), tt((4,))],
     [tt((4,)), tt((6,))],
     """%r0 = linalg.reduce ins(%a0 : tensor<4x6xf32>) outs(%a1 : tensor<4xf32>)
          dimensions = [1]
          (%in: f32, %acc: f32) {
            %s = arith.addf %in, %acc : f32
            linalg.yield %s : f32
          }
        %ninf = arith.constant 0xFF800000 : f32
        %e = tensor.empty() : tensor<6xf32>
        %m = linalg.fill ins(%ninf : f32) outs(%e : tensor<6xf32>) -> tensor<6xf32>
        %r1 = linalg.reduce ins(%a0 : tensor<4x6xf32>) outs(%m : tensor<6xf32>)
          dimensions = [0]
          (%in: f32, %acc: f32) {
            %s = arith.maximumf %in, %acc : f32
            linalg.yield %s : f32
          }""",
     [R, red_init], [red_sum, R.max(axis=0)])
X3 = spread((3, 4, 5))
case("transpose_broadcast_fill", [tt((3, 4, 5)), tt((4,))],
     [tt((5, 3, 4)), tt((3, 4)), tt((2, 2), "i32")],
     """%e = tensor.empty() : tensor<5x3x4xf32>
        %r0 = linalg.transpose ins(%a0 : tensor<3x4x5xf32>)
          outs(%e : tensor<5x3x4xf32>) permutation = [2, 0, 1]
        %e2 = tensor.empty() : tensor<3x4xf32>
        %r1 = linalg.broadcast ins(%a1 : tensor<4xf32>)
          outs(%e2 : tensor<3x4xf32>) dimensions = [0]
        %k = arith.constant -9 : i32
        %e3 = tensor.empty() : tensor<2x2xi32>
        %r2 = linalg.fill ins(%k : i32) outs(%e3 : tensor<2x2xi32>) -> tensor<2x2xi32>""",
     [X3, v], [np.transpose(X3, (2, 0, 1)), np.broadcast_to(v, (3, 4)),
               np.full((2, 2), -9, np.int32)])


def softmax64(x, axis):
    x = x.astype(np.float64)
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


S = f32(rng.uniform(-5, 5, (4, 6)))
case("softmax_dims", [tt((4, 6))], [tt((4, 6)), tt((4, 6))],
     """%e = tensor.empty() : tensor<4x6xf32>
        %r0 = linalg.softmax dimension(1) ins(%a0 : tensor<4x6xf32>)
          outs(%e : tensor<4x6xf32>) -> tensor<4x6xf32>
        %r1 = linalg.softmax dimension(0) ins(%a0 : tensor<4x6xf32>)
          outs(%e : tensor<4x6xf32>) -> tensor<4x6xf32>""",
     [S], [f32(softmax64(S, 1)), f32(softmax64(S, 0))], harness.LAYER)

if __name__ == "__main__":
    harness.main(cases)
