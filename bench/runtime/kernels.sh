#!/usr/bin/env bash
# The CPU kernels compiled programs call, in both numerics, against memcpy
# bandwidth (layer ops) and in GFLOP/s (attention at the overlap benchmark's
# shape): build-runtime/kernels/braid-bench-kernels, recorded with the
# machine it ran on in bench/results/runtime-kernels.txt.
#
# Two sizes: [512, 1024] (2 MiB of f32 per tensor, in cache: the copy runs at
# cache bandwidth) and [4096, 4096] (64 MiB, from memory).
#
#   bench/runtime/kernels.sh [build-runtime]
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build-runtime}
bench=$build/kernels/braid-bench-kernels
[ -x "$bench" ] || { echo "kernels.sh: build the runtime first ($bench)"; exit 1; }
export OPENBLAS_NUM_THREADS=1
out=bench/results/runtime-kernels.txt
mkdir -p bench/results
{
  echo "# braid_rt CPU kernels: sequential (bitwise braid-interp) vs fast numerics"
  echo "# (what compiled programs call), bench/runtime/kernel-throughput.cpp"
  echo "# date:     $(date -u +%Y-%m-%dT%H:%MZ)"
  echo "# commit:   $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
  echo "# cpu:      $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) logical CPUs"
  echo "# memory:   $(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)"
  echo "# kernel:   $(uname -r); compiler: $(c++ --version | head -1)"
  echo "# load:     $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min) when it started"
  echo "# times:    median of the calling thread's CPU time; the library is built"
  echo "#           for baseline x86-64 (SSE2: 4 f32 lanes), OpenBLAS picks its own kernels"
  for args in "--reps=41" "--rows=4096 --width=4096 --reps=5"; do
    echo
    echo "## OPENBLAS_NUM_THREADS=1 $bench $args"
    # shellcheck disable=SC2086 # the arguments are words
    "$bench" $args
  done
} | tee "$out"
echo "kernels.sh: wrote $out"
