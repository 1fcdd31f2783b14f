"""Compile and run the small ONNX test models on MPI ranks and compare them
with onnxruntime.

    python compile_models.py --models DIR --workdir DIR --compile braid-compile
        --run braid-run --interp braid-interp [--tp 1,2,4] [--only NAME,...]
        [--compile-flag FLAG ...]

DIR holds the models small_models.py and blocks.py (bert18) write. Each
model is imported at every rank count of its entry in MODELS that --tp
selects (with sequence parallelism where listed), and all imports at one
rank count are compiled and run as one program (merged_program.py): its
buffer level equals its tensor level in the interpreter, its run meets the
numerics contract against the interpreter, and every model's results match
onnxruntime as in check_block.py (replicated results bitwise equal on every
rank). One line per model and rank count; exit status 1 on any failure.
"""
import argparse
import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import blocks  # noqa: E402
from check_block import check_results, reference_outputs  # noqa: E402
from merged_program import Failed, MergedProgram  # noqa: E402

from braid.importers import onnx_import as imp  # noqa: E402

# name: (rank counts, sequence-parallel rank counts, options). Models that
# shard run at 2 and 4 ranks besides 1; those that stay replicated (or
# whose heads or widths do not divide) at the counts their import tests use.
MODELS = {
    "clip": ([1, 2], [], {}),
    "clip_opset10": ([1], [], {}),
    "clip_int": ([1], [], {}),
    "softmax_opset11": ([1], [], {}),
    "const_subgraph": ([1], [], {}),
    "opset13": ([1], [], {}),
    "heads3": ([1], [], {}),
    "ffn100": ([1, 2], [], {}),
    "lone_linear": ([1, 2], [], {}),
    "gemm_mlp": ([1, 2, 4], [], {}),
    "embed_mlp": ([1, 2, 4], [2, 4], {}),
    "attn_op": ([1, 2], [2], {}),
    "dynamic": ([1, 2, 4], [], {"dims": {"batch": 2, "sequence": 16}}),
    "f16_mlp": ([1, 2, 4], [], {"tolerance": 2e-3}),
    "bf16_mlp": ([1, 2, 4], [], {"tolerance": 1e-2,
                                 "reference": "bf16_mlp_f32.onnx"}),
    "fused_gather": ([2, 4], [], {"plan": {"weights": {"w": "column"}}}),
    "bert18": ([1, 2, 4], [2], {}),
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", required=True)
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--compile", required=True)
    ap.add_argument("--run", required=True)
    ap.add_argument("--interp", required=True)
    ap.add_argument("--tp", default="1,2,4")
    ap.add_argument("--only", help="comma-separated model names")
    ap.add_argument("--compile-flag", action="append", default=[],
                    help="an argument for braid-compile (repeatable)")
    a = ap.parse_args()
    names = a.only.split(",") if a.only else list(MODELS)
    ok = True
    for tp in [int(t) for t in a.tp.split(",")]:
        program = MergedProgram(os.path.join(a.workdir, f"tp{tp}"), tp)
        entries = []
        for name in names:
            tps, sp_tps, opts = MODELS[name]
            path = os.path.join(a.models, f"{name}.onnx")
            for sp in (False, True):
                if tp not in (sp_tps if sp else tps):
                    continue
                tag = f"{name} tp={tp}{' sp' if sp else ''}"
                dims = opts.get("dims", {})
                model = imp.load_model(path, dims)
                importer = imp.Importer(model, path, tp=tp, sequence_parallel=sp,
                                        plan=opts.get("plan"))
                text = importer.run()
                feeds = blocks.feeds(name, path, dims=dims)
                indir = os.path.join(a.workdir, "inputs", tag.replace(" ", "."))
                imp.write_rank_args(importer.manifest, path, feeds, indir)
                first = program.add(text, indir)
                refs = reference_outputs(
                    os.path.join(a.models, opts.get("reference", f"{name}.onnx")),
                    feeds)
                entries.append((tag, importer.manifest["results"], refs, first,
                                opts.get("tolerance", 1e-4)))
        if not entries:
            continue
        try:
            out = program.build(a.compile, a.run, a.interp, a.compile_flag)
        except Failed as e:
            sys.stdout.write(f"tp={tp}: {e}\n")
            ok = False
            continue
        for tag, results, refs, first, tolerance in entries:
            def load(r, k, first=first, out=out):
                import numpy as np
                return np.load(os.path.join(out, f"rank{r}", f"result{first + k}.npy"))
            status, worst, _ = check_results(tag, results, refs, out, tp, tolerance,
                                             load)
            ok &= status == "ok"
            print(f"{tag} compiled: {status} max error {worst:.2e} (relative to "
                  f"max |ref|, tolerance {tolerance:g})", flush=True)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
