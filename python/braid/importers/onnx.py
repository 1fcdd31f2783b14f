"""braid-import-onnx: ONNX model -> Braid IR text (one func.func per rank).

    braid-import-onnx model.onnx [-o out.mlir] [--tp N] [--sequence-parallel]
                      [--plan plan.json] [--manifest out.json]
                      [--weights-dir DIR] [--dim NAME=N ...]

See docs/Import-ONNX.md.
"""
from __future__ import annotations

import argparse
import json
import os
import sys

from braid.outfile import OutputError, is_regular_or_new, write_text


def main(argv=None) -> int:
    p = argparse.ArgumentParser(
        prog="braid-import-onnx",
        description="Import an ONNX model as Braid IR (what one rank runs).")
    p.add_argument("model", help="the .onnx file")
    p.add_argument("-o", dest="output", help="write the IR here (default: stdout)")
    p.add_argument("--tp", type=int, default=1, help="tensor-parallel ranks (default 1)")
    p.add_argument("--sequence-parallel", action="store_true",
                   help="Megatron sequence parallelism: tokens split across ranks")
    p.add_argument("--plan", help="JSON sharding plan overriding the inferred one")
    p.add_argument("--manifest", help="write the argument/result manifest (JSON) here "
                   "(default with -o: OUTPUT.manifest.json)")
    p.add_argument("--weights-dir", help="write every weight argument's per-rank "
                   "slice as DIR/rankR/argN.npy")
    p.add_argument("--func-name", default="main", help="name of the emitted function")
    p.add_argument("--dim", action="append", default=[], metavar="NAME=N",
                   help="size of a symbolic input dimension (repeatable)")
    args = p.parse_args(argv)

    from . import onnx_import as imp  # heavy imports after argument parsing

    if args.tp < 1:
        print("braid-import-onnx: error: --tp must be at least 1", file=sys.stderr)
        return 1
    plan = None
    if args.plan:
        try:
            with open(args.plan) as f:
                plan = json.load(f)
            if not isinstance(plan, dict):
                raise ValueError("the plan must be a JSON object")
        except (OSError, ValueError) as e:
            print(f"{args.plan}: error: cannot read plan: {e}", file=sys.stderr)
            return 1
    if not os.path.exists(args.model):
        print(f"{args.model}: error: no such file", file=sys.stderr)
        return 1
    dims = {}
    for spec in args.dim:
        name, _, val = spec.partition("=")
        if not name or not val.isdigit() or int(val) < 1:
            print(f"braid-import-onnx: error: --dim wants NAME=N with N >= 1, not "
                  f"'{spec}'", file=sys.stderr)
            return 1
        dims[name] = int(val)
    try:
        model = imp.load_model(args.model, dims)
        importer = imp.Importer(model, args.model, tp=args.tp,
                                sequence_parallel=args.sequence_parallel,
                                plan=plan, func_name=args.func_name,
                                plan_path=args.plan or "plan")
        text = importer.run()
    except imp.ImportError_ as e:
        print(str(e), file=sys.stderr)
        return 1
    manifest = importer.manifest
    try:
        # The default manifest sits next to a regular output file only: never
        # beside a device or a pipe (/dev/stdout.manifest.json).
        mpath = args.manifest or (args.output + ".manifest.json"
                                  if args.output and is_regular_or_new(args.output)
                                  else None)
        if args.output:
            write_text(args.output, text)
        else:
            sys.stdout.write(text)
        if mpath:
            write_text(mpath, json.dumps(manifest, indent=1) + "\n")
        if args.weights_dir:
            imp.write_weight_slices(manifest, model, args.weights_dir)
    except OutputError as e:
        print(f"braid-import-onnx: error: {e}", file=sys.stderr)
        return 1
    except OSError as e:
        where = os.path.dirname(str(e.filename)) if e.filename else ""
        print(f"braid-import-onnx: error: cannot write output: {e.strerror}"
              + (f" ({where})" if where else ""), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
