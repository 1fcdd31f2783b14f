#!/usr/bin/env bash
# Measures the shaped link of bench/net/shaped-link.sh and records
# bench/results/shaped-link.txt with the machine it ran on: for 1 Gbit,
# 100 Mbit and 10 Gbit, the raw link (link-probe.py: TCP rate, round trip,
# queueing delay), MPI ping-pong and 2-rank collectives (braid_rt_bench), a
# compiled 2-rank program end to end (braid-run) and the bytes each shaper
# carried; then the MPI settings the wrapper chooses, each against
# OpenMPI's default; the defaults of --burst and --latency against other
# values; the same program over loopback; and a 4-rank example on 4
# namespaces. About 15 minutes.
#
#   bench/net/run.sh [build-runtime] [build]
set -euo pipefail
cd "$(dirname "$0")/../.."
runtime=${1:-build-runtime} compiler=${2:-build}
bench=$PWD/$runtime/bench/braid_rt_bench
braid_run=$PWD/$runtime/tools/braid-run/braid-run
braid_compile=$PWD/$compiler/bin/braid-compile
for tool in "$bench" "$braid_run" "$braid_compile"; do
  [ -x "$tool" ] || { echo "run.sh: build first (scripts/build.sh): no $tool" >&2; exit 1; }
done
export OPENBLAS_NUM_THREADS=1
link=bench/net/shaped-link.sh
out=bench/results/shaped-link.txt
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The test's 2-rank TP MLP with 8x the tokens (1024 per rank): each rank
# sends 768 KiB in the all_gather and 768 KiB in the reduce_scatter per
# step, 13.2 ms on a 1 Gbit link (119.6 MB/s of TCP payload each way).
sed 's/128x/1024x/g; s/256x/2048x/g' test/Integration/compile-run/Inputs/tp2_mlp.mlir \
  > "$work/tp2_mlp_1024.mlir"
"$braid_compile" "$work/tp2_mlp_1024.mlir" -o "$work/tp2_mlp_1024.so" > "$work/compile.log" 2>&1
"$braid_compile" examples/tp_mlp.mlir -o "$work/tp_mlp.so" >> "$work/compile.log" 2>&1
export BENCH=$bench BRAID_RUN=$braid_run PROGRAM=$work/tp2_mlp_1024.so

# Inside shaped-link.sh: everything measured on one link.
measure_link='
max=$1
echo "# BRAID_LINK=$BRAID_LINK; every link: tbf $BRAID_NET_TBF, both ways"
echo
echo "### raw link, no MPI (bench/net/link-probe.py)"
bench/net/link-probe.py --seconds 3
echo
echo "### MPI ping-pong, 2 ranks (braid_rt_bench pingpong)"
"$BRAID_MPIRUN" -np 2 "$BENCH" pingpong "$max"
echo
echo "### collectives, 2 ranks, f32 (braid_rt_bench collectives)"
"$BRAID_MPIRUN" -np 2 "$BENCH" collectives "$max"
echo
echo "### compiled program: tp2_mlp at 1024 tokens per rank, braid-run"
"$BRAID_RUN" "$PROGRAM" --np 2 --iters 10 --warmup 2
echo
echo "### bytes each shaper carried in all of the above"
for ns in $BRAID_NET_NAMESPACES; do
  ip netns exec "$ns" tc -s qdisc show dev eth0 | sed -n "s/^ *Sent/$ns eth0 (what it sent):/p"
done'

{
  echo "# Shaped link (bench/net/shaped-link.sh): measured by bench/net/run.sh"
  echo "# date:    $(date -u +%Y-%m-%dT%H:%MZ)"
  echo "# commit:  $(git rev-parse --short HEAD 2> /dev/null || echo unknown)"
  echo "# cpu:     $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), nproc $(nproc)"
  echo "# memory:  $(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)"
  echo "# kernel:  $(uname -r); $(mpirun --version 2> /dev/null | head -1); $(tc -V)"
  echo "# load:    $(cut -d' ' -f1-3 /proc/loadavg) at the start (the machine is shared)"
  echo "# Ranks run one per network namespace, over TCP through veth pairs and a"
  echo "# bridge; each namespace's link is shaped by tc tbf both ways. The MPI"
  echo "# settings are the wrapper's (shaped-link.sh). Times are the slowest rank's"
  echo "# mean; busbw as nccl-tests; mpi_* is MPI's own operation in the same run."
  for rate in 1gbit 100mbit 10gbit; do
    case $rate in
    100mbit) max=$((4 << 20)) ;;
    *) max=$((16 << 20)) ;;
    esac
    echo
    echo "## $rate"
    timeout 1200 "$link" --rate "$rate" -- bash -c "$measure_link" measure "$max" 2>&1
  done

  echo
  echo "## MPI settings of the wrapper against OpenMPI's defaults, 1gbit"
  timeout 900 "$link" -- bash -c '
    echo "### btl_tcp_flags with put (OpenMPI default): collectives, 2 ranks"
    "$BRAID_MPIRUN" --mca btl_tcp_flags send,put,inplace,need-ack,need-csum,hetero-rdma \
      -np 2 "$BENCH" collectives $((4 << 20)) | awk "NR == 1 || \$2 >= 1048576"
    echo
    echo "### mpi_yield_when_idle 0 (OpenMPI default): small messages, 2 ranks"
    "$BRAID_MPIRUN" --mca mpi_yield_when_idle 0 -np 2 "$BENCH" collectives 1024 |
      awk "NR == 1 || \$1 == \"all_reduce\""
    "$BRAID_MPIRUN" --mca mpi_yield_when_idle 0 -np 2 "$BENCH" pingpong 1024' 2>&1

  echo
  echo "## the token bucket (--burst) at 1gbit: TCP one way"
  for burst in 16kb 64kb 128kb 250000; do
    echo "### --burst $burst"
    timeout 300 "$link" --burst "$burst" -- bench/net/link-probe.py --tests one-way,one-way,one-way 2>&1
  done

  echo
  echo "## the queue (--latency) at 100mbit (burst 25000 = 2 ms): a datagram's"
  echo "## wait in the full queue, and what 2-rank collectives up to 1 MiB lost"
  for latency in 2ms 10ms 50ms; do
    echo "### --latency $latency"
    timeout 300 "$link" --rate 100mbit --latency "$latency" -- \
      bench/net/link-probe.py --tests queueing 2>&1
    timeout 600 "$link" --rate 100mbit --latency "$latency" -- bash -c '
      "$BRAID_MPIRUN" -np 2 "$BENCH" collectives $((1 << 20)) > /dev/null
      for ns in $BRAID_NET_NAMESPACES; do
        ip netns exec "$ns" tc -s qdisc show dev eth0 | sed -n "s/^ *Sent/collectives: $ns eth0 sent/p"
      done' 2>&1
  done

  echo
  echo "## the same program over loopback (plain mpirun, shared memory)"
  "$braid_run" "$PROGRAM" --np 2 --iters 10 --warmup 2 --mpirun mpirun 2>&1

  echo
  echo "## examples/tp_mlp.mlir (4 ranks, bf16) on 4 namespaces, 1gbit"
  timeout 600 "$link" --np 4 -- "$braid_run" "$work/tp_mlp.so" --np 4 --iters 10 --warmup 2 2>&1
  echo
  echo "# load:    $(cut -d' ' -f1-3 /proc/loadavg) at the end"
} | tee "$out"
echo "run.sh: wrote $out"
