#!/usr/bin/env bash
# Compile time of the whole overlap pipeline (and the estimate, as
# bench/overlap/predict.sh runs it) on a Llama-3-70B TP8 program of N layers
# written out in one function, forward and forward + backward, per layer and
# per pass (braid-opt --mlir-timing). Linear passes keep the time per layer
# flat as N grows.
#   bench/compile/measure.sh [N ...]        (default: 1 10 40 80 160)
# Environment: OPT (default build/bin/braid-opt), REPEAT (runs per point,
# the fastest is kept; default 3), PROFILE (default h100-sxm-x8), RESULTS
# (default bench/results/compile-time.txt; empty: print only).
set -euo pipefail
cd "$(dirname "$0")/../.."
OPT=${OPT:-build/bin/braid-opt}
LAYERS=("$@")
[ ${#LAYERS[@]} -eq 0 ] && LAYERS=(1 10 40 80 160)
REPEAT=${REPEAT:-3}
PROFILE=${PROFILE:-h100-sxm-x8}
RESULTS=${RESULTS-bench/results/compile-time.txt}
PIPELINE="builtin.module(braid-overlap-pipeline{profile=$PROFILE},braid-estimate)"

CACHE=$(dirname "$OPT")/../CMakeCache.txt
[ -x "$OPT" ] || { echo "$0: error: $OPT not built (scripts/build.sh)" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

for mode in forward forward-backward; do
  for n in "${LAYERS[@]}"; do
    program="$work/$mode-$n.mlir"
    python3 bench/compile/generate.py "$n" "$mode" "$program"
    for ((run = 0; run < REPEAT; ++run)); do
      # The IR goes to a file in the temp dir, remarks and timing to another.
      "$OPT" "$program" --pass-pipeline="$PIPELINE" --mlir-timing \
        > "$work/out.mlir" 2> "$work/$mode-$n.$run.timing" ||
        { echo "$0: error: braid-opt failed on $mode N=$n:" >&2;
          grep -m5 'error' "$work/$mode-$n.$run.timing" >&2; exit 1; }
    done
  done
done

{
  echo "# Compile time: braid-opt, overlap pipeline + estimate ($PROFILE)"
  echo "# $(git log -1 --format='commit %h %s' 2>/dev/null || echo 'commit unknown')"
  echo "# build: $OPT, $(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$CACHE" 2>/dev/null ||
       echo 'build type unknown')"
  echo "# machine: $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)," \
       "$(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo)," \
       "load average $(cut -d' ' -f1-3 /proc/loadavg) at the end"
  echo "# fastest of $REPEAT runs per point; total = --mlir-timing's (parse, passes, print)"
  python3 bench/compile/table.py "$work" "${LAYERS[@]}"
} | if [ -n "$RESULTS" ]; then tee "$RESULTS"; else cat; fi
