#!/usr/bin/env bash
# The main job: the bundled example through the pipeline that exists today.
#   parse + verify -> canonicalize -> per-rank work report
#   -> overlap pipeline (collective matmuls cut into ring steps where the
#      cost model says it pays, async collectives, schedule, ring coverage and
#      collective order verified), with every decision explained
#   -> original and overlapped program run on every rank of the grid by the
#      reference interpreter under several interleavings: replicated results
#      bitwise equal, everything within the f64-relative numerics contract
#      (bitwise equal outright unless a T3 ring reassociated a sum)
#   -> predicted step time before and after, and a Perfetto timeline
# Installs and builds first when needed. PROFILE picks the hardware profile.
set -euo pipefail
cd "$(dirname "$0")/.."

EXAMPLE=${1:-examples/tp_mlp.mlir}
PROFILE=${PROFILE:-h100-sxm-x8}

scripts/install-deps.sh >/dev/null
if [ ! -x build/bin/braid-opt ] || [ ! -x build/bin/braid-interp ]; then
  scripts/build.sh
fi
mkdir -p build/examples
name=$(basename "$EXAMPLE" .mlir)
canonical="build/examples/$name.canonical.mlir"
overlapped="build/examples/$name.overlapped.mlir"
trace="build/examples/$name.trace.json"
quiet=--mlir-print-op-on-diagnostic=false

echo "== $EXAMPLE: verify, canonicalize, report work per rank"
build/bin/braid-opt "$EXAMPLE" $quiet -o "$canonical" \
  --pass-pipeline='builtin.module(canonicalize,braid-work-summary{per-op=true})'

echo "== overlap pipeline on $PROFILE (decisions explained)"
build/bin/braid-opt "$canonical" $quiet -o "$overlapped" \
  --pass-pipeline="builtin.module(braid-overlap-pipeline{profile=$PROFILE explain=1})"
echo "== overlapped IR written to $overlapped"

echo "== run original and overlapped program on every rank, 3 interleavings each"
build/bin/braid-interp "$EXAMPLE" --compare="$overlapped" --schedules=3 \
  --output-dir=build/examples/outputs
echo "== per-rank results in build/examples/outputs/rankR/resultN.npy"

echo "== predicted step time on $PROFILE, as written and overlapped"
build/bin/braid-opt "$canonical" $quiet -o /dev/null --braid-estimate="profile=$PROFILE"
build/bin/braid-opt "$overlapped" $quiet -o /dev/null \
  --braid-estimate="profile=$PROFILE trace=$trace"
echo "== timeline for Perfetto (ui.perfetto.dev): $trace"
