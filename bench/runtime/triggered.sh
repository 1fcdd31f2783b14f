#!/usr/bin/env bash
# Producer fusion on this machine: GEMM then reduce_scatter against the
# chunked GEMM triggering reduce_scatter in ring order (2, 4, 8 chunks), on
# 2 ranks over shared-memory loopback and, where network namespaces can be
# made (root), over a shaped 1 Gbit link (bench/net/shaped-link.sh).
# Writes bench/results/triggered-overlap.txt with the machine and its load.
#
#   bench/runtime/triggered.sh [build-runtime] [M N K] [iters]
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build-runtime}
shift || true
bench=$build/bench/braid-bench-triggered
[ -x "$bench" ] || { echo "triggered.sh: build the runtime first ($bench)"; exit 1; }
export OPENBLAS_NUM_THREADS=1
out=bench/results/triggered-overlap.txt
mkdir -p bench/results
{
  echo "# braid_rt producer fusion: GEMM -> reduce_scatter, monolithic vs triggered"
  echo "# date:    $(date -u +%Y-%m-%dT%H:%MZ)"
  echo "# commit:  $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
  echo "# cpu:     $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores"
  echo "# load:    $(cut -d' ' -f1-3 /proc/loadavg) (1/5/15 min, before the run; other jobs share the cores)"
  echo "# ranks share the cores (--oversubscribe); hidden = (gemm + rs - t) / min(gemm, rs)"
  echo
  echo "## loopback (shared memory)"
  timeout 900 mpirun --allow-run-as-root --oversubscribe -np 2 "$bench" "$@"
  echo
  echo "## shaped link (bench/net/shaped-link.sh --np 2, 1 Gbit)"
  timeout 900 bench/net/shaped-link.sh --np 2 -- bash -c \
    'echo "# link: $BRAID_LINK $BRAID_NET_TBF"; $BRAID_MPIRUN -np 2 -x OPENBLAS_NUM_THREADS '"$bench $*"
} | tee "$out"
echo "triggered.sh: wrote $out"
