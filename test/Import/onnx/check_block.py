"""Import an ONNX decoder block at several --tp, run every rank in
braid-interp and compare each rank's result with onnxruntime.

    python check_block.py MODEL.onnx --importer braid-import-onnx
        --opt braid-opt --interp braid-interp --workdir DIR --tp 1,2,4
        [--sequence-parallel] [--tolerance 1e-4]

Prints one line per --tp with the max abs error over all ranks (relative to
max |reference|); exits non-zero if any exceeds the tolerance, a replicated
result differs between ranks (bitwise), or any step fails.
"""
import argparse
import json
import os
import subprocess
import sys

import numpy as np
import onnx
import onnxruntime as ort

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import blocks  # noqa: E402

from braid.importers.onnx_import import write_rank_args  # noqa: E402


def run(cmd):
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        sys.stderr.write(f"FAILED: {' '.join(cmd)}\n{p.stdout}{p.stderr}")
        sys.exit(1)
    return p


def reference_outputs(model_path, feeds):
    """onnxruntime's outputs of the model (floats as f64) on feeds cast to
    its input types."""
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    sess = ort.InferenceSession(model_path, so, providers=["CPUExecutionProvider"])
    ref_feeds = {i.name: np.asarray(feeds[i.name]).astype(
                     onnx.helper.tensor_dtype_to_np_dtype(i.type.tensor_type.elem_type))
                 for i in onnx.load(model_path).graph.input}
    return [np.asarray(r, np.float64) if r.dtype.kind == "f" else r
            for r in sess.run(None, ref_feeds)]


def check_results(tag, results, refs, out, tp, tolerance, load=None):
    """Compare every rank's results in OUT (rankR/resultK.npy, or what
    load(rank, k) returns) with the reference: a replicated result must be
    bitwise equal on every rank, a split one equal to its slice. Prints a
    line per failure; returns ("ok" or "FAIL", worst relative error, bad)."""
    if load is None:
        def load(r, k):
            return np.load(os.path.join(out, f"rank{r}", f"result{k}.npy"))
    worst = 0.0
    bad = False
    for k, (res, ref) in enumerate(zip(results, refs)):
        scale = max(float(np.max(np.abs(ref))), 1e-30)
        first = None
        for r in range(tp):
            got = load(r, k)
            if res["split"] is None:
                # a replicated result must be bitwise equal on every rank
                if first is None:
                    first = got
                elif got.tobytes() != first.tobytes():
                    print(f"{tag}: FAIL result {k} is replicated but rank {r} "
                          f"differs from rank 0")
                    bad = True
            want = ref
            if want.dtype == np.uint8 and got.dtype == np.int8:
                got = got.view(np.uint8)  # braid's i8 holds uint8 bits
            if res["split"] is not None:
                ax, n = res["split"]["axis"], ref.shape[res["split"]["axis"]] // tp
                sl = [slice(None)] * ref.ndim
                sl[ax] = slice(r * n, (r + 1) * n)
                want = ref[tuple(sl)]
            if got.shape != want.shape:
                print(f"{tag}: FAIL rank {r} result {k}: shape {got.shape} != {want.shape}")
                bad = True
                continue
            err = float(np.max(np.abs(got.astype(np.float64) - want))) / scale
            worst = max(worst, err)
    return ("ok" if worst <= tolerance and not bad else "FAIL"), worst, bad


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("--importer", required=True)
    ap.add_argument("--opt", required=True)
    ap.add_argument("--interp", required=True)
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--tp", default="1,2,4")
    ap.add_argument("--sequence-parallel", action="store_true")
    ap.add_argument("--plan")
    ap.add_argument("--tolerance", type=float, default=1e-4)
    ap.add_argument("--reference",
                    help="run onnxruntime on this model instead (e.g. the f32 twin "
                    "of a bf16 model); inputs are cast to its types")
    ap.add_argument("--compile",
                    help="braid-compile: also compile each import and run it "
                         "with --run on tp MPI ranks, checked the same way")
    ap.add_argument("--run", help="braid-run (with --compile)")
    ap.add_argument("--compile-flag", action="append", default=[],
                    help="an argument for braid-compile (repeatable)")
    ap.add_argument("--rewrite", action="append", default=[],
                    help="OLD=NEW: replace OLD by NEW in the imported IR before running "
                         "it (a test that the comparison catches a wrong lowering)")
    ap.add_argument("--dim", action="append", default=[],
                    help="NAME=N for symbolic input dims (importer and inputs)")
    a = ap.parse_args()
    name = os.path.splitext(os.path.basename(a.model))[0]
    dims = dict((d.split("=")[0], int(d.split("=")[1])) for d in a.dim)
    feeds = blocks.feeds(name, a.model, dims=dims)
    refs = reference_outputs(a.reference or a.model, feeds)
    ok = True
    for tp in [int(t) for t in a.tp.split(",")]:
        tag = f"{name} tp={tp}{' sp' if a.sequence_parallel else ''}"
        d = os.path.join(a.workdir, f"{name}.tp{tp}{'.sp' if a.sequence_parallel else ''}")
        os.makedirs(d, exist_ok=True)
        mlir = os.path.join(d, "prog.mlir")
        cmd = [a.importer, a.model, "-o", mlir, "--tp", str(tp)]
        if a.sequence_parallel:
            cmd.append("--sequence-parallel")
        if a.plan:
            cmd += ["--plan", a.plan]
        for d in a.dim:
            cmd += ["--dim", d]
        run(cmd)
        if a.rewrite:
            text = open(mlir).read()
            for r in a.rewrite:
                old, new = r.split("=", 1)
                text = text.replace(old, new)
            with open(mlir, "w") as f:
                f.write(text)
        run([a.opt, mlir])  # parses and verifies; the printed IR is not needed
        with open(mlir + ".manifest.json") as f:
            man = json.load(f)
        write_rank_args(man, a.model, feeds, os.path.join(d, "in"))
        run([a.interp, "--quiet", mlir, f"--inputs={os.path.join(d, 'in')}",
             f"--output-dir={os.path.join(d, 'out')}"])
        out = os.path.join(d, "out")
        if a.compile:
            # The same inputs through the compiled program on MPI ranks.
            so = os.path.join(d, "prog.so")
            run([a.compile, mlir, "-o", so] + a.compile_flag)
            out = os.path.join(d, "run")
            run([a.run, so, "--np", str(tp), "--inputs", os.path.join(d, "in"),
                 "--output-dir", out, "--iters", "1", "--warmup", "0",
                 "--timeout", "120"])
            tag += " compiled"
        status, worst, _ = check_results(tag, man["results"], refs, out, tp,
                                         a.tolerance)
        ok &= status == "ok"
        ncoll = sum(open(mlir).read().count(f"braid.{c} ")
                    for c in ("all_reduce", "all_gather", "reduce_scatter"))
        print(f"{tag}: {status} max error {worst:.2e} (relative to max |ref|, "
              f"tolerance {a.tolerance:g}), {ncoll} collectives")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
