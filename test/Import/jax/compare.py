"""Compare braid-interp's per-rank results with JAX's.

    compare.py PROGRAM_DIR ACTUAL_DIR

PROGRAM_DIR is what programs.py wrote for one program (expected/, meta.json);
ACTUAL_DIR is braid-interp's or braid-run's --output-dir. Every rank and every result must
exist on both sides with the same shape, and

    max|actual - expected| <= tol * max(1, max|expected|)

with tol from meta.json (see programs.py for why each tolerance is what it
is). A result JAX gives every rank identically (replicated) must also be
bitwise equal on every rank here. Prints the worst error per result; exits 1
on any mismatch.
"""
import json
import os
import sys

import numpy as np


def check_replicated(exp_root, actual, ranks):
    """Results JAX replicates (the same bits on every rank) must be bitwise
    equal on every rank of the actual run too."""
    ok = True
    for n in sorted(os.listdir(os.path.join(exp_root, ranks[0]))):
        exp = [np.load(os.path.join(exp_root, r, n)) for r in ranks]
        if not all(e.shape == exp[0].shape and e.tobytes() == exp[0].tobytes() for e in exp):
            continue
        paths = [os.path.join(actual, r, n) for r in ranks]
        if not all(os.path.exists(p) for p in paths):
            continue
        got = [np.load(p) for p in paths]
        same = all(g.shape == got[0].shape and g.tobytes() == got[0].tobytes() for g in got)
        verdict = "bitwise equal on every rank" if same else "MISMATCH: differs between ranks"
        print(f"{n}: replicated, {verdict}")
        ok &= same
    return ok


def main(argv):
    prog, actual = argv[1], argv[2]
    meta = json.load(open(os.path.join(prog, "meta.json")))
    tol = float(meta["tolerance"])
    exp_root = os.path.join(prog, "expected")
    ranks = sorted(os.listdir(exp_root))
    if len(ranks) != meta["ranks"]:
        print(f"error: expected {meta['ranks']} ranks, JAX wrote {len(ranks)}")
        return 1
    ok, worst = True, 0.0
    # braid-run also writes timing.json beside the rank directories.
    actual_ranks = sorted(d for d in os.listdir(actual) if d.startswith("rank"))
    if actual_ranks != ranks:
        print(f"error: ranks {actual_ranks} in {actual}, want {ranks}")
        return 1
    for r in ranks:
        names = sorted(os.listdir(os.path.join(exp_root, r)))
        got_names = sorted(os.listdir(os.path.join(actual, r)))
        if names != got_names:
            print(f"error: {r}: results {got_names}, JAX has {names}")
            ok = False
            continue
        for n in names:
            e = np.load(os.path.join(exp_root, r, n)).astype(np.float64)
            a = np.load(os.path.join(actual, r, n)).astype(np.float64)
            if e.shape != a.shape:
                print(f"error: {r}/{n}: shape {a.shape}, JAX {e.shape}")
                ok = False
                continue
            if not np.all(np.isfinite(a) == np.isfinite(e)):
                print(f"error: {r}/{n}: non-finite values differ")
                ok = False
                continue
            fin = np.isfinite(e)
            d = float(np.max(np.abs(a[fin] - e[fin]), initial=0.0))
            scale = max(1.0, float(np.max(np.abs(e[fin]), initial=0.0)))
            err = d / scale
            worst = max(worst, err)
            status = "ok" if err <= tol else "MISMATCH"
            print(f"{r}/{n}: max abs diff {d:.3g}, relative {err:.3g} (tol {tol:.3g}) {status}")
            ok &= err <= tol
    ok &= check_replicated(exp_root, actual, ranks)
    print(f"{'PASS' if ok else 'FAIL'}: worst relative error {worst:.3g} (tol {tol:.3g})")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
