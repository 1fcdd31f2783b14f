"""scf.for / scf.if / scf.while, func.call, braid.start/await on several streams (equal
to the synchronous form) and braid.rank on a 2-D grid."""
import os
import sys

import numpy as np

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import f32, matmul_seq_f32, ordered_sum_f32, program, tt  # noqa

rng = np.random.default_rng(23)
cases = []


def case(name, text, inputs, expected_fn, compare="exact"):
    cases.append((name, text, inputs, expected_fn, compare))


# scf.for with scalar and tensor iter_args: acc = acc * x + i; the tensor
# carries a running sum of rows written back with insert_slice.
x = f32(rng.uniform(0.5, 1.5, (4,)))
acc = np.zeros(4, np.float32)
for i in range(2, 7):
    acc = f32(f32(acc * x) + np.float32(i))
M = f32(rng.standard_normal((5, 3)))
rows = M.copy()
for i in range(1, 5):
    rows[i] = f32(rows[i] + rows[i - 1])
body = """
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c5 = arith.constant 5 : index
  %c7 = arith.constant 7 : index
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4xf32>
  %init = linalg.fill ins(%z : f32) outs(%e : tensor<4xf32>) -> tensor<4xf32>
  %r0 = scf.for %i = %c2 to %c7 step %c1 iter_args(%acc = %init) -> (tensor<4xf32>) {
    %ii = arith.index_cast %i : index to i32
    %fi = arith.sitofp %ii : i32 to f32
    %m = arith.mulf %acc, %a0 : tensor<4xf32>
    %s = tensor.splat %fi : tensor<4xf32>
    %n = arith.addf %m, %s : tensor<4xf32>
    scf.yield %n : tensor<4xf32>
  }
  %r1, %cnt = scf.for %i = %c1 to %c5 step %c1 iter_args(%t = %a1, %k = %z) -> (tensor<5x3xf32>, f32) {
    %im1 = arith.subi %i, %c1 : index
    %prev = tensor.extract_slice %t[%im1, 0] [1, 3] [1, 1] : tensor<5x3xf32> to tensor<3xf32>
    %cur = tensor.extract_slice %t[%i, 0] [1, 3] [1, 1] : tensor<5x3xf32> to tensor<3xf32>
    %sum = arith.addf %cur, %prev : tensor<3xf32>
    %t2 = tensor.insert_slice %sum into %t[%i, 0] [1, 3] [1, 1] : tensor<3xf32> into tensor<5x3xf32>
    %one = arith.constant 1.0 : f32
    %k2 = arith.addf %k, %one : f32
    scf.yield %t2, %k2 : tensor<5x3xf32>, f32
  }
  %r2 = arith.mulf %cnt, %cnt : f32
"""
case("scf_for_iter_args",
     program([tt((4,)), tt((5, 3))], [tt((4,)), tt((5, 3)), "f32"], body),
     [x, M], lambda r: [acc, rows, f32(16.0)])

# scf.if with results, both branches, and nested in a loop.
body = """
  %r0 = scf.if %a0 -> (tensor<3xf32>) {
    %p = arith.addf %a1, %a2 : tensor<3xf32>
    scf.yield %p : tensor<3xf32>
  } else {
    %m = arith.subf %a1, %a2 : tensor<3xf32>
    scf.yield %m : tensor<3xf32>
  }
  %c0 = arith.constant 0 : i32
  %c1 = arith.constant 1 : i32
  %lb = arith.constant 0 : index
  %ub = arith.constant 6 : index
  %st = arith.constant 1 : index
  %r1 = scf.for %i = %lb to %ub step %st iter_args(%a = %c0) -> (i32) {
    %ii = arith.index_cast %i : index to i32
    %two = arith.constant 2 : i32
    %rem = arith.remsi %ii, %two : i32
    %even = arith.cmpi eq, %rem, %c0 : i32
    %n = scf.if %even -> (i32) {
      %s = arith.addi %a, %ii : i32
      scf.yield %s : i32
    } else {
      %s = arith.subi %a, %c1 : i32
      scf.yield %s : i32
    }
    scf.yield %n : i32
  }
"""
p, q = f32(rng.standard_normal(3)), f32(rng.standard_normal(3))
for flag in (True, False):
    case(f"scf_if_{str(flag).lower()}",
         program(["i1", tt((3,)), tt((3,))], [tt((3,)), "i32"], body),
         [np.array(flag), p, q],
         lambda r, flag=flag: [f32(p + q) if flag else f32(p - q),
                               np.int32(0 + 2 + 4 - 3)])

# scf.while (what the StableHLO importer emits for loops it does not unroll):
# a tensor<i32> counter compared in the before region, a tensor carried
# through the after region, and a data-dependent trip count (halve until
# the sum drops below a bound); zero trips return the inits.
body = """
  %r0, %r1 = scf.while (%k = %a1, %t = %a0) : (tensor<i32>, tensor<3xf32>) -> (tensor<i32>, tensor<3xf32>) {
    %n = arith.constant dense<5> : tensor<i32>
    %lt = arith.cmpi slt, %k, %n : tensor<i32>
    %c = tensor.extract %lt[] : tensor<i1>
    scf.condition(%c) %k, %t : tensor<i32>, tensor<3xf32>
  } do {
  ^bb0(%kk: tensor<i32>, %tt: tensor<3xf32>):
    %one = arith.constant dense<1> : tensor<i32>
    %k2 = arith.addi %kk, %one : tensor<i32>
    %kf = arith.sitofp %kk : tensor<i32> to tensor<f32>
    %s = tensor.extract %kf[] : tensor<f32>
    %sp = tensor.splat %s : tensor<3xf32>
    %t2 = arith.mulf %tt, %tt : tensor<3xf32>
    %t3 = arith.addf %t2, %sp : tensor<3xf32>
    scf.yield %k2, %t3 : tensor<i32>, tensor<3xf32>
  }
  %r2 = scf.while (%v = %a2) : (f32) -> f32 {
    %b = arith.constant 1.0 : f32
    %go = arith.cmpf ogt, %v, %b : f32
    scf.condition(%go) %v : f32
  } do {
  ^bb0(%w: f32):
    %h = arith.constant 0.5 : f32
    %w2 = arith.mulf %w, %h : f32
    scf.yield %w2 : f32
  }
"""
wt = f32(rng.uniform(-1, 1, 3))
for start in (2, 7):
    def expect(r, start=start):
        t = wt.copy()
        k = start
        while k < 5:
            t = f32(f32(t * t) + np.float32(k))
            k += 1
        v = np.float32(37.0)
        while v > 1.0:
            v = np.float32(v * np.float32(0.5))
        return [np.int32(max(start, 5)), t, f32(v)]
    case(f"scf_while_from_{start}",
         program([tt((3,)), tt((), "i32"), "f32"], [tt((), "i32"), tt((3,)), "f32"], body),
         [wt, np.array(start, np.int32), f32(37.0)], expect)

# func.call of a private function (called twice, two results).
prelude = """func.func private @affine(%x: tensor<2x3xf32>, %s: f32) -> (tensor<2x3xf32>, f32) {
  %t = tensor.splat %s : tensor<2x3xf32>
  %y = arith.mulf %x, %t : tensor<2x3xf32>
  %e = math.exp %s : f32
  return %y, %e : tensor<2x3xf32>, f32
}
"""
body = """
  %y, %e = func.call @affine(%a0, %a1) : (tensor<2x3xf32>, f32) -> (tensor<2x3xf32>, f32)
  %r0, %r1 = func.call @affine(%y, %a1) : (tensor<2x3xf32>, f32) -> (tensor<2x3xf32>, f32)
"""
cx, cs = f32(rng.standard_normal((2, 3))), f32(0.75)
# A call inside a loop with an i32 induction variable.
loop_body = """
  %lb = arith.constant -2 : i32
  %ub = arith.constant 7 : i32
  %st = arith.constant 3 : i32
  %r0, %r1 = scf.for %i = %lb to %ub step %st iter_args(%t = %a0, %s = %a1) -> (tensor<2x3xf32>, f32) : i32 {
    %fi = arith.sitofp %i : i32 to f32
    %y, %e = func.call @affine(%t, %fi) : (tensor<2x3xf32>, f32) -> (tensor<2x3xf32>, f32)
    %s2 = arith.addf %s, %fi : f32
    scf.yield %y, %s2 : tensor<2x3xf32>, f32
  }
"""
loop_t = cx
for i in (-2, 1, 4):
    loop_t = f32(loop_t * np.float32(i))
case("func_call_in_i32_loop",
     program([tt((2, 3)), "f32"], [tt((2, 3)), "f32"], loop_body,
             prelude=prelude),
     [cx, cs], lambda r: [loop_t, f32(f32(f32(cs - 2) + 1) + 4)])
case("func_call_private",
     program([tt((2, 3)), "f32"], [tt((2, 3)), "f32"], body, prelude=prelude),
     [cx, cs], lambda r: [f32(f32(cx * cs) * cs), f32(np.exp(0.75))],
     ["exact", harness.TRANSCENDENTAL])

# braid.start/await on several streams, and the same ops synchronously:
# both must equal the numpy emulation bitwise on every rank. Collectives on
# different streams use different communicators (grids @g, @h, @k), as
# collectives of one communicator are matched in issue order.
P = 4
xs = [f32(rng.standard_normal((4, 3)) * 10.0**rng.uniform(-3, 3, (4, 3)))
      for _ in range(P)]
W = f32(rng.standard_normal((3, 3)))
ops = {
    "ar": "%ar = braid.all_reduce %a0 on @g axes = [0] reduction = sum : "
          "tensor<4x3xf32>",
    "ag": "%ag = braid.all_gather %a0 on @h axes = [0] dim = 0 : "
          "tensor<4x3xf32> -> tensor<16x3xf32>",
    "mm": """%z = arith.constant 0.0 : f32
             %e = tensor.empty() : tensor<4x3xf32>
             %c = linalg.fill ins(%z : f32) outs(%e : tensor<4x3xf32>) -> tensor<4x3xf32>
             %mm = linalg.matmul ins(%a0, %a1 : tensor<4x3xf32>, tensor<3x3xf32>) outs(%c : tensor<4x3xf32>) -> tensor<4x3xf32>""",
    "pm": "%pm = braid.collective_permute %a0 on @k axes = [0] "
          "pairs = [[0, 1], [1, 2], [2, 3], [3, 0]] : tensor<4x3xf32>",
}
types = {"ar": "tensor<4x3xf32>", "ag": "tensor<16x3xf32>",
         "mm": "tensor<4x3xf32>", "pm": "tensor<4x3xf32>"}
tail = """%r0 = arith.addf %ar, %mm : tensor<4x3xf32>
          %r1 = arith.addf %ag, %ag : tensor<16x3xf32>
          %r2 = arith.subf %pm, %ar : tensor<4x3xf32>"""
streams = {"ar": "stream = 1 priority = 2", "ag": "stream = 2",
           "mm": "stream = 4 priority = 3", "pm": "stream = 3 priority = 1"}
sync = "\n".join(ops[n] for n in ("ar", "ag", "mm", "pm")) + "\n" + tail
async_body = ""
for n in ("ar", "ag", "mm", "pm"):
    async_body += (f"%f{n} = braid.start {streams[n]} {{\n{ops[n]}\n"
                   f"braid.yield %{n} : {types[n]}\n}} : "
                   f"!braid.future<{types[n]}>\n")
for n in ("pm", "mm", "ag", "ar"):
    async_body += f"%{n} = braid.await %f{n} : !braid.future<{types[n]}>\n"
async_body += tail
results = [tt((4, 3)), tt((16, 3)), tt((4, 3))]
total = ordered_sum_f32(xs)


def async_expected(r):
    mm = matmul_seq_f32(xs[r], W, np.zeros((4, 3), np.float32))
    gathered = np.concatenate(xs)
    return [f32(total + mm), f32(gathered + gathered),
            f32(xs[(r - 1) % P] - total)]


for name, body in (("sync", sync), ("async", async_body)):
    case(f"streams_{name}",
         program([tt((4, 3)), tt((3, 3))], results, body, grid=str(P),
                 prelude=f"shard.grid @h(shape = {P})\n"
                 f"shard.grid @k(shape = {P})\n"),
         [[xi, W] for xi in xs], async_expected)

# A start inside a loop captures the loop's values when it is issued.
body = """
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  %r0 = scf.for %i = %c0 to %c3 step %c1 iter_args(%t = %a0) -> (tensor<4x3xf32>) {
    %f = braid.start stream = 1 {
      %s = braid.all_reduce %t on @g axes = [0] reduction = sum : tensor<4x3xf32>
      braid.yield %s : tensor<4x3xf32>
    } : !braid.future<tensor<4x3xf32>>
    %h = arith.mulf %t, %t : tensor<4x3xf32>
    %s = braid.await %f : !braid.future<tensor<4x3xf32>>
    %n = arith.subf %s, %h : tensor<4x3xf32>
    scf.yield %n : tensor<4x3xf32>
  }
"""
ys = [f32(rng.uniform(-1, 1, (4, 3))) for _ in range(P)]
cur = list(ys)
for _ in range(3):
    tot = ordered_sum_f32(cur)
    cur = [f32(tot - f32(c * c)) for c in cur]
case("start_in_loop", program([tt((4, 3))], [tt((4, 3))], body, grid=str(P)),
     [[y] for y in ys], lambda r: [cur[r]])

# braid.rank on a 2x4 grid: row-major positions within each group, and a
# rank-dependent slice of a shared input.
body = """
  %r0 = braid.rank on @g axes = [0] : index
  %r1 = braid.rank on @g axes = [1] : index
  %r2 = braid.rank on @g axes = [0, 1] : index
  %r3 = braid.rank on @g axes = [1, 0] : index
  %c2 = arith.constant 2 : index
  %off = arith.muli %r1, %c2 : index
  %r4 = tensor.extract_slice %a0[%off, %r0] [2, 3] [1, 1] : tensor<8x4xf32> to tensor<2x3xf32>
"""
shared = f32(rng.standard_normal((8, 4)))


def rank_expected(r):
    i, j = divmod(r, 4)
    return [np.int64(i), np.int64(j), np.int64(r), np.int64(2 * j + i),
            shared[2 * j:2 * j + 2, i:i + 3]]


case("rank_2d_grid",
     program([tt((8, 4))], ["index"] * 4 + [tt((2, 3))], body, grid="2x4"),
     [shared], rank_expected)

if __name__ == "__main__":
    harness.main(cases)
