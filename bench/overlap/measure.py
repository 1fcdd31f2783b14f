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

With --calibrate-on PROGRAMS it also runs braid-calibrate on the same ranks
and link, on the shapes of those programs' variants plus the default sweep,
and adds: the prediction of every variant on the calibrated profile, the
error of both predictions against the measurement (the programs not
calibrated on are the held-out set), and a variant "calibrated" (the
overlap pipeline deciding with the calibrated profile), with its
decomposer's decisions and whether it was the measured-best variant.

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
CALIBRATE = os.path.join(ROOT, "build-runtime/tools/braid-calibrate/braid-calibrate")
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
    # T3 producer fusion wherever it fits: one GEMM computing in the
    # collective's order, releasing a counter per chunk or per tile block.
    "fused-chunk": ("braid-overlap-pipeline{{profile={p} decompose=0 fuse=chunk}}", [], True),
    "fused-tile": ("braid-overlap-pipeline{{profile={p} decompose=0 fuse=tile}}", [], True),
    # Only with --calibrate-on: the overlap pipeline on the calibrated profile.
    "calibrated": ("braid-overlap-pipeline{{profile={c} explain=1}}", [], True),
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


def prepare(work, program, ranks, profile, tiny, calibrated=None, compile_=True):
    """IR and artifacts of every variant; returns {variant: (ir, so)}. The
    "calibrated" variant only when a calibrated profile is given; its
    decomposer's remarks go to <program>.calibrated.decisions.txt."""
    jaxdir = os.path.join(work, f"np{ranks}", program)
    imported = jaxdir + ".imported.mlir"
    canonical = jaxdir + ".written.mlir"
    sh([IMPORT, os.path.join(jaxdir, "program.mlir"), "-o", imported])
    sh([OPT, imported, "-o", canonical, "--pass-pipeline=builtin.module("
        "inline,symbol-dce,braid-raise-layer-ops,canonicalize)"])
    built, skipped = {}, {}
    for variant, (pipeline, flags, _) in VARIANTS.items():
        if variant == "calibrated" and not calibrated:
            continue
        ir = canonical
        if pipeline:
            ir = f"{jaxdir}.{variant}.mlir"
            done = sh([OPT, canonical, "-o", ir, "--mlir-print-op-on-diagnostic=false",
                       "--pass-pipeline=builtin.module("
                       f"{pipeline.format(p=profile, c=calibrated)})"])
            if variant == "calibrated":
                with open(f"{jaxdir}.calibrated.decisions.txt", "w") as f:
                    f.write(done.stderr)
        fused = variant.startswith("fused-")
        if fused:
            with open(ir) as f:
                if "braid.fused_collective" not in f.read():
                    skipped[variant] = "no collective fed by a GEMM fits the trigger"
                    continue
        so = f"{jaxdir}.{variant}.so"
        if compile_:
            if fused:
                # The buffer level refuses some fused forms with a reason.
                done = subprocess.run([COMPILE, ir, "-o", so] + flags,
                                      capture_output=True, text=True)
                if done.returncode != 0:
                    reason = re.search(r"error: (.*)", done.stderr)
                    skipped[variant] = "not compiled: " + (
                        reason.group(1) if reason else done.stderr.strip())
                    continue
            else:
                sh([COMPILE, ir, "-o", so] + flags)
        built[variant] = (ir, so)
    return jaxdir, built, skipped


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


def decisions(jaxdir):
    """What the decomposer chose on the calibrated profile, from its remarks
    (explain=1): each distinct cut and each reason to decline, counted."""
    cuts, declined = {}, {}
    with open(f"{jaxdir}.calibrated.decisions.txt") as f:
        for line in f:
            if "remark: cut into " in line:
                what = line.split("remark: ", 1)[1].split(" (")[0].split(",")[0].strip()
                cuts[what] = cuts.get(what, 0) + 1
            elif "remark: not decomposed: " in line:
                why = line.split("not decomposed: ", 1)[1].split(":")[0].split(" (")[0].strip()
                declined[why] = declined.get(why, 0) + 1
    said = [f"{n} x {what}" for what, n in cuts.items()]
    said += [f"{n} x not cut ({why})" for why, n in declined.items()]
    return "; ".join(said) or "no collective matmul to cut"


def calibrate(work, ranks, programs, profile, args):
    """braid-calibrate on the shapes of `programs` (every variant) on `ranks`
    ranks, under the same launcher as the runs; returns the profile path."""
    shapes = os.path.join(work, f"np{ranks}", "calibration-shapes.txt")
    lines = []
    for program in programs:
        _, built, _ = prepare(work, program, ranks, profile, args.tiny, compile_=False)
        for variant in ("written", "overlap", "decomposed"):
            listed = sh([OPT, built[variant][0], "--mlir-print-op-on-diagnostic=false",
                         "--braid-calibration-shapes=output=-"]).stdout
            lines += [line for line in listed.splitlines() if line.startswith("--")]
    with open(shapes, "w") as f:
        f.write("\n".join(dict.fromkeys(lines)) + "\n")
    out = os.path.join(work, f"np{ranks}", "calibrated.json")
    link = os.environ.get("BRAID_LINK", "loopback")
    cmd = [CALIBRATE, "--np", str(ranks), "--shapes", shapes, "--out", out,
           "--base", profile, "--name", f"calibrated-np{ranks}",
           "--machine", f"{platform.machine()}, {os.cpu_count()} CPUs, {ranks} ranks over {link}",
           "--sweep", "tiny" if args.tiny else "default", "--timeout", "1800"]
    started = time.time()
    report = sh(cmd).stdout
    with open(os.path.join(work, f"np{ranks}", "calibration-report.txt"), "w") as f:
        f.write(report)
    print(f"# calibrated on {','.join(programs)} at {ranks} ranks in "
          f"{time.time() - started:.0f} s: {out}", flush=True)
    return out


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
    parser.add_argument("--calibrate-on", default="",
                        help="calibrate on these programs' shapes and compare predictions "
                             "before and after (comma-separated; the rest are held out)")
    args = parser.parse_args()
    programs = args.programs.split(",")
    calibrate_on = [p for p in args.calibrate_on.split(",") if p]
    for name in programs + calibrate_on:
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
        "# fused-chunk / fused-tile: braid-fuse-producer-collective with the chunk / tile "
        "trigger wherever it fits (no decomposition), compiled to the chunked GEMM + "
        "triggered collectives.",
    ]
    if calibrate_on:
        header.append(
            f"# calibrated: braid-calibrate on this link and rank count, on the shapes of "
            f"{','.join(calibrate_on)} (their written/overlap/decomposed variants) + the default "
            "sweep; error = predicted / measured - 1; the other programs are held out.")
    lines = list(header)
    errors = []
    print("\n".join(header), flush=True)
    for ranks in rank_counts:
        gen = [PYTHON, os.path.join(ROOT, "bench/overlap/programs.py")]
        if args.tiny:
            gen.append("--tiny")
        sh(gen + [os.path.join(args.work, f"np{ranks}"), str(ranks)]
           + list(dict.fromkeys(programs + calibrate_on)))
        calibrated = (calibrate(args.work, ranks, calibrate_on, args.profile, args)
                      if calibrate_on else None)
        for program in programs:
            jaxdir, built, skipped = prepare(args.work, program, ranks, args.profile,
                                             args.tiny, calibrated)
            times = {v: [] for v in built}
            for rep in range(args.repeat):
                for variant, (_ir, so) in built.items():
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
                   "every computing variant match JAX",
                   f"{'variant':<11} {'median ms':>10} {'spread ms':>17} {'hidden':>7} "
                   f"{'predicted ms':>13}"
                   + (f" {'error':>7} {'calibrated ms':>14} {'error':>7}" if calibrated else "")]
            shown = [v for v in ("written", "scheduled", "overlap", "decomposed",
                                 "fused-chunk", "fused-tile", "calibrated") if v in built]
            for variant in shown:
                hidden = (t["written"] - t[variant]) / hideable if hideable > 0 else float("nan")
                base = predicted_us(built[variant][0], args.profile) / 1000
                line = (f"{variant:<11} {t[variant]:>10.2f} "
                        f"{min(times[variant]):>8.2f}..{max(times[variant]):<8.2f} "
                        f"{hidden:>7.2f} {base:>13.2f}")
                if calibrated:
                    after = predicted_us(built[variant][0], calibrated) / 1000
                    line += (f" {base / t[variant] - 1:>+7.0%} {after:>14.2f} "
                             f"{after / t[variant] - 1:>+7.0%}")
                    errors.append((program, ranks, program in calibrate_on,
                                   base / t[variant] - 1, after / t[variant] - 1))
                row.append(line)
            for variant, reason in skipped.items():
                row.append(f"{variant:<11} {'-':>10} ({reason})")
            if calibrated:
                best = min(shown, key=lambda v: t[v])
                row.append(f"calibrated decisions: {decisions(jaxdir)}; measured-best "
                           f"variant: {best}" + (" (the calibrated choice)" if best == "calibrated"
                                                 else f", {t['calibrated'] / t[best] - 1:+.0%} "
                                                 "from it"))
            print("\n".join(row), flush=True)
            lines += row
    if errors:
        summary = ["\n## Prediction error, |predicted / measured - 1| over every variant"]
        for held_out in (False, True):
            chosen = [e for e in errors if (not e[2]) == held_out]
            if not chosen:
                continue
            mean = [sum(abs(e[k]) for e in chosen) / len(chosen) for k in (3, 4)]
            worst = [max(abs(e[k]) for e in chosen) for k in (3, 4)]
            within = sum(1 for e in chosen if abs(e[4]) <= 0.10)
            summary.append(
                f"{'held out' if held_out else 'calibrated on'}: {len(chosen)} runs; "
                f"{args.profile} mean {mean[0]:.0%} (worst {worst[0]:.0%}); calibrated mean "
                f"{mean[1]:.0%} (worst {worst[1]:.0%}); {within} of {len(chosen)} within 10%")
        print("\n".join(summary), flush=True)
        lines += summary
    if args.out:
        with open(args.out, "w") as f:
            f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
