#!/usr/bin/env python3
"""Tabulates the --mlir-timing reports bench/compile/measure.sh collected.

  bench/compile/table.py DIR N...

DIR holds MODE-N.RUN.timing (MODE forward or forward-backward): braid-opt's
stderr.
Per mode and N: the total, the time per layer, and the per-layer time of the
passes that take longest at the largest N. Of several runs the fastest
(by total) counts. Standard library only.
"""

import re
import sys
from pathlib import Path

TOP_PASSES = 6
ROW = re.compile(r"^\s+(\d+\.\d+) \(\s*[\d.]+%\)\s+(\S.*?)\s*$")


def parse(path):
    """Seconds per entry of one report; repeated names (nested pipelines of
    the same op) are summed. Pipelines themselves are left out."""
    times = {}
    in_table = False
    for line in path.read_text(errors="replace").splitlines():
        if "----Wall Time----" in line:
            in_table = True
            continue
        match = ROW.match(line) if in_table else None
        if not match:
            continue
        seconds, name = float(match.group(1)), match.group(2)
        if name.endswith("Pipeline"):
            continue
        times[name] = times.get(name, 0.0) + seconds
    if "Total" not in times:
        sys.exit(f"{path}: error: no --mlir-timing report")
    return times


def fastest(directory, mode, layers):
    runs = [parse(p) for p in sorted(directory.glob(f"{mode}-{layers}.*.timing"))]
    if not runs:
        sys.exit(f"{directory}: error: no timing for {mode} N={layers}")
    return min(runs, key=lambda times: times["Total"])


def main(argv):
    if len(argv) < 3:
        sys.exit(f"usage: {argv[0]} DIR N...")
    directory = Path(argv[1])
    layer_counts = [int(n) for n in argv[2:]]
    for mode, title in (("forward", "forward"),
                        ("forward-backward", "forward + backward")):
        reports = {n: fastest(directory, mode, n) for n in layer_counts}
        largest = reports[max(layer_counts)]
        top = sorted((name for name in largest if name not in ("Total", "Rest")),
                     key=lambda name: -largest[name])[:TOP_PASSES]
        print(f"\n{title}: time per layer of the slowest passes at N = "
              f"{max(layer_counts)} (ms/layer)")
        header = f"{'N':>5} {'total s':>9} {'ms/layer':>9}"
        # Pass names without the project prefix keep the table narrow.
        labels = [name.removeprefix("Braid") for name in top]
        header += "".join(f" {label:>{max(len(label), 8)}}" for label in labels)
        print(header)
        for n in layer_counts:
            times = reports[n]
            row = f"{n:>5} {times['Total']:>9.3f} {1e3 * times['Total'] / n:>9.2f}"
            row += "".join(
                f" {1e3 * times.get(name, 0.0) / n:>{max(len(label), 8)}.3f}"
                for name, label in zip(top, labels))
            print(row)


if __name__ == "__main__":
    main(sys.argv)
