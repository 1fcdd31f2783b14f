"""Shared helpers of the numpy reference checks of braid-interp.

Each group file builds a list of cases and calls `main(cases)`. A case is a
tuple `(name, program_text, inputs, expected_fn, compare)`:

* `inputs`: a list of numpy arrays (every rank gets the same), or a list
  with one such list per rank;
* `expected_fn(rank)`: the list of expected results of that rank;
* `compare`: 'exact' (same dtype and shape, bitwise equal, any NaN equals
  any NaN), ('close', rtol, atol), or a list of those, one per result.
"""
import argparse
import os
import re
import subprocess
import sys
import traceback

import numpy as np

# Transcendentals are computed in double and rounded once to f32.
TRANSCENDENTAL = ("close", 2.0**-22, 0.0)
# Layer ops against float64 references.
LAYER = ("close", 1e-5, 1e-5)


def num_ranks(program):
    """Device count of the program's shard.grid (1 without one)."""
    match = re.search(r"shard\.grid\s+@[\w.$-]+\s*\(\s*shape\s*=\s*([0-9x]+)",
                      program)
    if not match:
        return 1
    return int(np.prod([int(d) for d in match.group(1).split("x")]))


def bf16(x):
    """Rounds float32 values to bfloat16 (nearest even); returns float32."""
    bits = np.asarray(x, np.float32).view(np.uint32).astype(np.uint64)
    bits = (bits + 0x7FFF + ((bits >> 16) & 1)) >> 16 << 16
    return bits.astype(np.uint32).view(np.float32)


def f32(x):
    return np.asarray(x, dtype=np.float32)


def ordered_sum_f32(parts):
    """Sum of float32 arrays in list order, rounded after each add."""
    acc = f32(parts[0]).copy()
    for part in parts[1:]:
        acc = f32(acc + f32(part))
    return acc


def matmul_seq_f32(a, b, init):
    """init + a @ b summed over K in order, each product and sum in f32."""
    acc = f32(init).copy()
    for k in range(a.shape[-1]):
        prod = f32(f32(a[..., :, k:k + 1]) * f32(b[..., k:k + 1, :]))
        acc = f32(acc + prod)
    return acc


def tt(shape, elem="f32"):
    """MLIR ranked tensor type of `shape` (a tuple) and element `elem`."""
    return "tensor<" + "".join(f"{d}x" for d in shape) + elem + ">"


def program(arg_types, result_types, body, grid=None, prelude=""):
    """A module with `func.func @main(%a0, %a1, ...)` returning %r0, %r1...

    `body` holds the ops (one per line); `grid` is a shape string such as
    "4" or "2x4" for a `shard.grid @g`; `prelude` goes before @main.
    """
    args = ", ".join(f"%a{i}: {t}" for i, t in enumerate(arg_types))
    results = ", ".join(result_types)
    names = ", ".join(f"%r{i}" for i in range(len(result_types)))
    lines = [ln.strip() for ln in body.strip().splitlines()]
    text = f"shard.grid @g(shape = {grid})\n" if grid else ""
    text += prelude
    text += f"func.func @main({args}) -> ({results}) {{\n"
    text += "".join(f"  {ln}\n" for ln in lines if ln)
    text += f"  return {names} : {results}\n}}\n"
    return text


def _is_per_rank(inputs):
    return len(inputs) > 0 and isinstance(inputs[0], (list, tuple))


def _write_inputs(directory, inputs, ranks):
    if _is_per_rank(inputs):
        if len(inputs) != ranks:
            raise ValueError(f"{len(inputs)} per-rank input lists for "
                             f"{ranks} ranks")
        for rank, arrays in enumerate(inputs):
            sub = os.path.join(directory, f"rank{rank}")
            os.makedirs(sub, exist_ok=True)
            for i, array in enumerate(arrays):
                np.save(os.path.join(sub, f"arg{i}.npy"), np.asarray(array))
    else:
        os.makedirs(directory, exist_ok=True)
        for i, array in enumerate(inputs):
            np.save(os.path.join(directory, f"arg{i}.npy"), np.asarray(array))


def _matches(actual, expected, spec):
    """Element-wise: does `actual` match `expected` under `spec`?"""
    both_nan = np.zeros(actual.shape, bool)
    if actual.dtype.kind == "f":
        both_nan = np.isnan(actual) & np.isnan(expected)
    if spec == "exact":
        if actual.dtype.kind == "f":
            uint = np.dtype(f"u{actual.dtype.itemsize}")
            return (actual.view(uint) == expected.view(uint)) | both_nan
        return actual == expected
    _, rtol, atol = spec
    a = actual.astype(np.float64)
    e = expected.astype(np.float64)
    with np.errstate(invalid="ignore"):
        return np.isclose(a, e, rtol=rtol, atol=atol) | both_nan


def _compare(actual, expected, spec):
    """None when `actual` matches, else a reason."""
    expected = np.asarray(expected)
    if actual.dtype != expected.dtype:
        return f"dtype {actual.dtype}, expected {expected.dtype}"
    if actual.shape != expected.shape:
        return f"shape {actual.shape}, expected {expected.shape}"
    ok = _matches(actual, expected, spec)
    if np.all(ok):
        return None
    bad = np.argwhere(~ok)
    first = tuple(bad[0])
    return (f"{spec} mismatch at {len(bad)} element(s), first {first}: "
            f"got {actual[first]!r} expected {expected[first]!r}\n"
            f"  got      {actual.tolist()}\n  expected {expected.tolist()}")


def run_case(interp, workdir, name, program_text, inputs, expected_fn,
             compare):
    """Runs one case; returns None on success or a failure reason."""
    case_dir = os.path.join(workdir, name)
    os.makedirs(case_dir, exist_ok=True)
    program = os.path.join(case_dir, "prog.mlir")
    with open(program, "w") as f:
        f.write(program_text)
    ranks = num_ranks(program_text)
    input_dir = os.path.join(case_dir, "inputs")
    out_dir = os.path.join(case_dir, "out")
    _write_inputs(input_dir, inputs, ranks)
    cmd = [interp, program, f"--inputs={input_dir}", f"--output-dir={out_dir}",
           "--quiet"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    if proc.returncode != 0:
        return (f"braid-interp exited with {proc.returncode}:\n"
                f"{proc.stderr}{proc.stdout}")
    for rank in range(ranks):
        expected = [np.asarray(e) for e in expected_fn(rank)]
        specs = compare if isinstance(compare, list) else [compare] * len(
            expected)
        for index, (want, spec) in enumerate(zip(expected, specs)):
            path = os.path.join(out_dir, f"rank{rank}", f"result{index}.npy")
            if not os.path.exists(path):
                return f"missing {path}"
            reason = _compare(np.load(path), want, spec)
            if reason:
                return f"rank {rank} result #{index}: {reason}"
        extra = os.path.join(out_dir, f"rank{rank}",
                             f"result{len(expected)}.npy")
        if os.path.exists(extra):
            return f"rank {rank} has more results than expected"
    return None


def main(cases):
    parser = argparse.ArgumentParser()
    parser.add_argument("--interp", required=True)
    parser.add_argument("--workdir", required=True)
    parser.add_argument("--only", default=None,
                        help="run the cases whose name contains this")
    args = parser.parse_args()
    names = [case[0] for case in cases]
    duplicates = {n for n in names if names.count(n) > 1}
    if duplicates:
        sys.exit(f"duplicate case names: {sorted(duplicates)}")
    failures = ran = 0
    for name, program, inputs, expected_fn, compare in cases:
        if args.only and args.only not in name:
            continue
        ran += 1
        try:
            reason = run_case(args.interp, args.workdir, name, program, inputs,
                              expected_fn, compare)
        except Exception:  # a broken reference is a failure too
            reason = "exception:\n" + traceback.format_exc()
        if reason:
            failures += 1
            print(f"FAIL {name}: {reason}")
        else:
            print(f"PASS {name}")
    print(f"{ran - failures} passed, {failures} failed")
    sys.exit(1 if failures else 0)
