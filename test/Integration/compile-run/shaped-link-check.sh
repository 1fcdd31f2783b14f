#!/usr/bin/env bash
# Drives bench/net/shaped-link.sh for shaped-link.test and prints what it
# found, for FileCheck. Every mode ends by checking that nothing of the link
# is left: none of the namespaces COMMAND saw, nor the bridge, nor the
# wrapper's directory, nor a process of the launch.
#
# usage: shaped-link-check.sh MODE SHAPED_LINK BRAID_RUN WORKDIR
#   run       the 2-rank program WORKDIR/program.so through braid-run, which
#             takes its launcher from $BRAID_MPIRUN; then whether the
#             program's collectives went through every namespace's shaper
#   loopback  the same run with CAP_NET_ADMIN and CAP_SYS_ADMIN dropped, so
#             that no namespace can be made
#   fail      a COMMAND whose launch fails and which exits 7
#   INT       Ctrl-C (INT to the whole process group) during a launch
#   TERM      TERM to shaped-link.sh alone during a launch
set -uo pipefail
mode=$1 shaped_link=$2 braid_run=$3 work=$4
mkdir -p "$work"
rm -f "$work"/link "$work"/namespaces "$work"/bridge "$work"/mpirun "$work"/rank*.pid

# What COMMAND saw, for the checks afterwards.
record='echo "$BRAID_LINK" > '"$work"'/link
echo "$BRAID_NET_NAMESPACES" > '"$work"'/namespaces
echo "$BRAID_NET_BRIDGE" > '"$work"'/bridge
echo "$BRAID_MPIRUN" > '"$work"'/mpirun'

left_behind() {
  local left=() ns pid
  for ns in $(cat "$work/namespaces"); do
    ip netns list 2> /dev/null | grep -qw -- "$ns" && left+=("namespace $ns")
  done
  local bridge wrapper
  bridge=$(cat "$work/bridge")
  [ -n "$bridge" ] && ip link show "$bridge" > /dev/null 2>&1 && left+=("bridge $bridge")
  wrapper=$(cat "$work/mpirun")
  [ "$wrapper" != mpirun ] && [ -e "$wrapper" ] && left+=("$(dirname "$wrapper")")
  # A rank killed a moment ago may not have been reaped yet: a zombie is
  # gone; a live process gets a few seconds.
  alive() { [ -e "/proc/$1" ] && ! grep -q '^State:.*zombie' "/proc/$1/status" 2> /dev/null; }
  for pid in $(cat "$work"/rank*.pid 2> /dev/null); do
    for _ in $(seq 50); do
      alive "$pid" || break
      sleep 0.1
    done
    alive "$pid" && left+=("process $pid")
  done
  echo "left behind: ${left[*]:-none}"
}

run_program() {
  "$shaped_link" --np 2 --rate 1gbit -- sh -c "$record"'
    "$0" "$1/program.so" --np 2 --output-dir "$1/run" --iters 2 --warmup 1 --timeout 120 || exit
    for ns in $BRAID_NET_NAMESPACES; do
      ip netns exec "$ns" tc -s qdisc show dev eth0
    done > "$1/qdiscs"' "$braid_run" "$work"
  echo "exit status $?"
  echo "link: $(cat "$work/link")"
}

case $mode in
run)
  run_program
  if [ "$(cat "$work/link")" = loopback ]; then
    echo "shapers: none (loopback)"
  else
    # 3 steps x 192 KiB each rank sends: every shaper carried at least that.
    sent=$(awk '/Sent/ {print $2}' "$work/qdiscs" | sort -n | head -1)
    shapers=$(grep -c '^qdisc tbf' "$work/qdiscs")
    if [ "$shapers" -eq 2 ] && [ "${sent:-0}" -ge 589824 ]; then
      echo "shapers: the program's data passed both"
    else
      echo "shapers: $shapers, the least carried ${sent:-0} bytes"
    fi
  fi
  ;;
loopback)
  if [ "$(id -u)" -eq 0 ]; then
    # shellcheck disable=SC2054 # commas belong to the values
    drop=(setpriv --bounding-set=-net_admin,-sys_admin
      --inh-caps=-net_admin,-sys_admin --)
  else
    drop=()
  fi
  "${drop[@]}" "$shaped_link" --np 2 -- sh -c "$record"'
    "$0" "$1/program.so" --np 2 --output-dir "$1/run-loopback" --iters 1 --warmup 0 --timeout 120' \
    "$braid_run" "$work"
  echo "exit status $?"
  echo "link: $(cat "$work/link") mpirun: $(cat "$work/mpirun")"
  ;;
fail)
  "$shaped_link" --np 2 -- sh -c "$record"'
    "$BRAID_MPIRUN" -np 2 false
    echo "launch exit status $?"
    exit 7'
  echo "exit status $?"
  ;;
INT | TERM)
  # Job control gives shaped-link.sh its own process group, where INT is not
  # ignored as in a script's background job.
  set -m
  "$shaped_link" --np 2 -- sh -c "$record"'
    exec "$BRAID_MPIRUN" -np 2 sh -c "echo \$\$ > $0/rank\$OMPI_COMM_WORLD_RANK.pid; exec sleep 300"' \
    "$work" &
  pid=$!
  for _ in $(seq 300); do
    [ -s "$work/rank0.pid" ] && [ -s "$work/rank1.pid" ] && break
    sleep 0.1
  done
  [ -s "$work/rank1.pid" ] && echo "ranks running"
  if [ "$mode" = INT ]; then
    kill -INT -- "-$pid"
  else
    kill -TERM "$pid"
  fi
  wait "$pid"
  echo "exit status $?"
  ;;
*)
  echo "unknown mode $mode" >&2
  exit 2
  ;;
esac
left_behind
