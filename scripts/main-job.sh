#!/usr/bin/env bash
# The main job: the bundled example through the pipeline that exists today.
#   parse + verify -> canonicalize -> per-rank work and communication report
#   -> run original and result on every rank of the grid, bitwise compared
#   -> predicted step time on an H100 profile and its Perfetto timeline
# Installs and builds first when needed.
set -euo pipefail
cd "$(dirname "$0")/.."

EXAMPLE=${1:-examples/tp_mlp.mlir}

scripts/install-deps.sh >/dev/null
if [ ! -x build/bin/braid-opt ] || [ ! -x build/bin/braid-interp ]; then
  scripts/build.sh
fi
mkdir -p build/examples
out="build/examples/$(basename "$EXAMPLE" .mlir).canonical.mlir"

echo "== $EXAMPLE: verify, canonicalize, report work per rank"
build/bin/braid-opt "$EXAMPLE" \
  --pass-pipeline='builtin.module(canonicalize,braid-work-summary{per-op=true})' \
  --mlir-print-op-on-diagnostic=false -o "$out"
echo "== canonical IR written to $out"

echo "== run both on every rank (reference interpreter), 2 interleavings each"
build/bin/braid-interp "$EXAMPLE" --compare="$out" --exact --schedules=2 \
  --output-dir=build/examples/outputs
echo "== per-rank results in build/examples/outputs/rankR/resultN.npy"

PROFILE=${PROFILE:-h100-sxm-x8}
trace="build/examples/$(basename "$EXAMPLE" .mlir).trace.json"
echo "== predicted step time on $PROFILE"
build/bin/braid-opt "$out" --mlir-print-op-on-diagnostic=false -o /dev/null \
  --braid-estimate="profile=$PROFILE trace=$trace"
echo "== timeline for Perfetto (ui.perfetto.dev): $trace"
