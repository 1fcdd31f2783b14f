#!/usr/bin/env bash
# Benchmarks of the runtime's MPI engine and CPU streams on this machine:
# collectives' algbw/busbw over shared-memory loopback (next to MPI's own
# collectives), stream hand-over latency, and the communication worker's
# CPU time while it waits. Writes bench/results/runtime-mpi-loopback.txt
# with the machine it ran on.
#
#   bench/runtime/run.sh [build-runtime]
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build-runtime}
bench=$build/bench/braid_rt_bench
[ -x "$bench" ] || { echo "run.sh: build the runtime first ($bench)"; exit 1; }
export OPENBLAS_NUM_THREADS=1
mpirun=(mpirun --allow-run-as-root --oversubscribe)
out=bench/results/runtime-mpi-loopback.txt
mkdir -p bench/results
{
  echo "# braid_rt benchmarks: MPI engine over shared-memory loopback"
  echo "# date:    $(date -u +%Y-%m-%dT%H:%MZ)"
  echo "# commit:  $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
  echo "# cpu:     $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores"
  echo "# memory:  $(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)"
  echo "# kernel:  $(uname -r); $(mpirun --version 2>/dev/null | head -1)"
  echo "# ranks share the cores (--oversubscribe); times are the slowest rank's"
  echo "# mean; busbw as nccl-tests; mpi_* is MPI's own collective on the same"
  echo "# buffers in the same run."
  for ranks in 2 4 8; do
    max=$((64 << 20))
    [ "$ranks" -eq 8 ] && max=$((16 << 20))
    echo
    echo "## collectives, $ranks ranks, f32"
    timeout 900 "${mpirun[@]}" -np "$ranks" "$bench" collectives "$max"
  done
  echo
  echo "## stream hand-over latency (CPU streams, one process)"
  timeout 300 "$bench" latency
  echo
  echo "## communication worker CPU time, 2 ranks"
  timeout 300 "${mpirun[@]}" -np 2 "$bench" worker-cpu
} | tee "$out"
echo "run.sh: wrote $out"
