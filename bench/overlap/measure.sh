#!/usr/bin/env bash
# Measured overlap of compiled programs on real ranks (docs/Performance.md).
#   bench/overlap/measure.sh [--programs a,b] [--ranks 2,4] [--repeat R]
#       [--iters K] [--warmup W] [--profile NAME] [--tiny] [--out FILE]
# Over a shaped 1 Gbit link (what bench/results/measured-overlap.txt holds):
#   bench/net/shaped-link.sh --np 4 -- bench/overlap/measure.sh --out bench/results/measured-overlap.txt
# Alone it runs over loopback. Needs scripts/build.sh (compiler and runtime).
set -euo pipefail
cd "$(dirname "$0")/../.."
export OPENBLAS_NUM_THREADS=1
exec .venv/bin/python bench/overlap/measure.py "$@"
