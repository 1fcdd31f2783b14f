"""The measured-overlap benchmark (docs/Performance.md).

For each program of bench/overlap/programs.py and each rank count: lower it
with JAX once, import it, compile every variant with braid-compile, run each
with braid-run (over the shaped link when bench/net/shaped-link.sh launched
this script: $BRAID_MPIRUN, $BRAID_LINK), repeat, and print

  step time: as written (every collective synchronous), scheduled (overlap
  pipeline, no decomposition), overlap (the cost model's choice of
  decomposition), decomposed (every collective matmul cut: rings/chunks),
  compute only and communication only (braid-compile --keep-only)
  hidden fraction of each variant: (T_written - T_variant) / min(T_compute, T_comm)
  the prediction of each variant on the profile (braid-estimate)

Every variant that computes is checked against JAX's results once. Medians
over the repeats (each repeat's value is braid-run's median over --iters
steps, each step the slowest rank's), spread = min..max over the repeats.
"""
import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OPT = os.path.join(ROOT, "build/bin/braid-opt")
COMPILE = os.path.join(ROOT, "build/bin/braid-compile")
RUN = os.path.join(ROOT, "build-runtime/tools/braid-run/braid-run")
PYTHON = os.path.join(ROOT, ".venv/bin/python")
IMPORT = os.path.join(ROOT, ".venv/bin/braid-import-stablehlo")
COMPARE = os.path.join(ROOT, "test/Import/jax/compare.py")
PROGRAMS = ["tp_mlp_train", "sp_mlp", "attention", "moe", "llama_block"]

# name -> (tensor-level pipeline or None, braid-compile extra flags, checked)
VARIANTS = {
    "written": (None, [], True),
    "scheduled": ("braid-overlap-pipeline{{profile={p} decompose=0}}", [], True),
    "overlap": ("braid-overlap-pipeline{{profile={p}}}", [], True),
    "decomposed": ("braid-overlap-pipeline{{profile={p} force-decompose=1}}", [], True),
    "compute": (None, ["--keep-only=compute"], False),
    "comm": (None, ["--keep-only=communication"], False),
}


def sh(cmd, **kw):
    result = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if result.returncode != 0:
        sys.stderr.write(f"measure: command failed ({result.returncode}): {' '.join(cmd)}\n"
                         f"{result.stdout}{result.stderr}")
        sys.exit(1)
    return result


def predicted_us(ir, profile):
    out = subprocess.run([OPT, ir, f"--braid-set-target=profile={profile}",
                          "--braid-estimate", "--mlir-print-op-on-diagnostic=false"],
                         capture_output=True, text=True)
    match = re.search(r"scheduled ([0-9.]+) us", out.stderr)
    return float(match.group(1)) if match else float("nan")


def prepare(work, program, ranks, profile, tiny):
    """IR and artifacts of every variant; returns {variant: (ir, so)}."""
    jaxdir = os.path.join(work, f"np{ranks}", program)
    imported = jaxdir + ".imported.mlir"
    canonical = jaxdir + ".written.mlir"
    sh([IMPORT, os.path.join(jaxdir, "program.mlir"), "-o", imported])
    sh([OPT, imported, "-o", canonical, "--pass-pipeline=builtin.module("
        "inline,symbol-dce,braid-raise-layer-ops,canonicalize)"])
    built = {}
    for variant, (pipeline, flags, _) in VARIANTS.items():
        ir = canonical
        if pipeline:
            ir = f"{jaxdir}.{variant}.mlir"
            sh([OPT, canonical, "-o", ir, "--mlir-print-op-on-diagnostic=false",
                f"--pass-pipeline=builtin.module({pipeline.format(p=profile)})"])
        so = f"{jaxdir}.{variant}.so"
        sh([COMPILE, ir, "-o", so] + flags)
        built[variant] = (ir, so)
    return jaxdir, built


def run(so, ranks, jaxdir, rundir, iters, warmup, trace=None):
    shutil.rmtree(rundir, ignore_errors=True)
    cmd = [RUN, so, "--np", str(ranks), "--inputs", os.path.join(jaxdir, "inputs"),
           "--output-dir", rundir, "--iters", str(iters), "--warmup", str(warmup),
           "--timeout", "600"]
    if os.environ.get("BRAID_MPIRUN"):
        cmd += ["--mpirun", os.environ["BRAID_MPIRUN"]]
    if trace:
        cmd += ["--trace", trace]
    sh(cmd)
    with open(os.path.join(rundir, "timing.json")) as f:
        return json.load(f)["median_ms"]


def median(values):
    ordered = sorted(values)
    n = len(ordered)
    return ordered[n // 2] if n % 2 else (ordered[n // 2 - 1] + ordered[n // 2]) / 2


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--programs", default=",".join(PROGRAMS))
    parser.add_argument("--ranks", default="2,4")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--iters", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--profile", default="cpu-1gbe")
    parser.add_argument("--tiny", action="store_true", help="small shapes (CI smoke test)")
    parser.add_argument("--work", default=os.path.join(ROOT, "build/bench-overlap"))
    parser.add_argument("--out", default="", help="also write the table to FILE")
    args = parser.parse_args()
    programs = args.programs.split(",")
    for name in programs:
        if name not in PROGRAMS:
            parser.error(f"unknown program {name!r}; known: {', '.join(PROGRAMS)}")
    rank_counts = [int(r) for r in args.ranks.split(",")]

    link = os.environ.get("BRAID_LINK", "loopback (not shaped: run under bench/net/shaped-link.sh)")
    header = [
        "# Measured overlap: bench/overlap/measure.sh " + " ".join(sys.argv[1:]),
        f"# Date: {time.strftime('%Y-%m-%dT%H:%MZ', time.gmtime())}; commit "
        + subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"],
                         capture_output=True, text=True).stdout.strip(),
        f"# Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} logical CPUs, "
        f"Linux {platform.release()}; load average at start "
        + " ".join(f"{x:.2f}" for x in os.getloadavg()),
        f"# Link: {link}",
        f"# Each value: median over {args.repeat} repeats of braid-run's median over "
        f"{args.iters} steps ({args.warmup} warm-up), a step = the slowest rank; "
        "spread = min..max over the repeats.",
        "# hidden = (T_written - T_variant) / min(T_compute, T_comm); predicted = "
        f"braid-estimate on {args.profile}.",
        "# fused (T3 tile/chunk triggers): not measured, the producer-fusion issue is open.",
    ]
    lines = list(header)
    print("\n".join(header), flush=True)
    for ranks in rank_counts:
        gen = [PYTHON, os.path.join(ROOT, "bench/overlap/programs.py")]
        if args.tiny:
            gen.append("--tiny")
        sh(gen + [os.path.join(args.work, f"np{ranks}"), str(ranks)] + programs)
        for program in programs:
            jaxdir, built = prepare(args.work, program, ranks, args.profile, args.tiny)
            times = {v: [] for v in VARIANTS}
            for rep in range(args.repeat):
                for variant, (ir, so) in built.items():
                    rundir = f"{jaxdir}.{variant}.run"
                    trace = f"{jaxdir}.{variant}.measured.json" if rep == 0 else None
                    times[variant].append(run(so, ranks, jaxdir, rundir, args.iters,
                                              args.warmup, trace))
                    if rep == 0 and VARIANTS[variant][2]:
                        sh([PYTHON, COMPARE, jaxdir, rundir])
            t = {v: median(x) for v, x in times.items()}
            hideable = min(t["compute"], t["comm"])
            row = [f"\n## {program}, {ranks} ranks: compute only {t['compute']:.2f} ms "
                   f"({min(times['compute']):.2f}..{max(times['compute']):.2f}), "
                   f"communication only {t['comm']:.2f} ms "
                   f"({min(times['comm']):.2f}..{max(times['comm']):.2f}); results of "
                   "written/scheduled/overlap/decomposed match JAX",
                   f"{'variant':<11} {'median ms':>10} {'spread ms':>17} {'hidden':>7} "
                   f"{'predicted ms':>13}"]
            for variant in ("written", "scheduled", "overlap", "decomposed"):
                hidden = (t["written"] - t[variant]) / hideable if hideable > 0 else float("nan")
                row.append(f"{variant:<11} {t[variant]:>10.2f} "
                           f"{min(times[variant]):>8.2f}..{max(times[variant]):<8.2f} "
                           f"{hidden:>7.2f} "
                           f"{predicted_us(built[variant][0], args.profile) / 1000:>13.2f}")
            print("\n".join(row), flush=True)
            lines += row
    if args.out:
        with open(args.out, "w") as f:
            f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
