#!/usr/bin/env bash
# Runs COMMAND with MPI ranks on a shaped network link: N network
# namespaces, each joined to one bridge by a veth pair and limited by a
# token bucket (tc tbf) in both directions, like N hosts on a switch with
# NICs of the given rate. MPI launches made through $BRAID_MPIRUN put one
# rank in each namespace and move their data over TCP on those namespaces'
# own addresses. Everything is removed again on exit, failure, Ctrl-C or
# TERM. Where namespaces cannot be created (no root / CAP_NET_ADMIN) it
# says so and runs COMMAND over loopback instead.
#
#   bench/net/shaped-link.sh [--np N] [--rate R] [--burst B] [--latency L]
#                            [--subnet A.B.C.D/P] -- COMMAND [ARGS...]
#
#   --np N        namespaces, one rank each (default 2)
#   --rate R      link rate in tc units: 100mbit, 1gbit (default), 10gbit
#   --burst B     token bucket size (tc size: bytes, 64kb, 1mb); default
#                 2 ms at the rate (1gbit: 250000 bytes)
#   --latency L   longest a packet may wait in a link's queue (tc time,
#                 default 50ms): the queue holds rate x L + burst bytes.
#                 Not a propagation delay (this kernel has no netem).
#   --subnet S    IPv4 subnet of the namespaces (default: the first free
#                 10.77.X.0/24); the bridge takes its last address
#
# COMMAND sees:
#   BRAID_MPIRUN          an mpirun that lands rank i in namespace i (loopback:
#                         plain mpirun); braid-run uses it unless --mpirun
#   BRAID_LINK            shaped:RATE, or loopback where no namespaces could be
#                         made: record it beside every measurement
#   BRAID_NET_TBF         the tbf parameters of every link ("" on loopback)
#   BRAID_NET_NAMESPACES  the namespaces, in rank order ("" on loopback)
#   BRAID_NET_ADDRESSES   their addresses, in the same order
#   BRAID_NET_BRIDGE      the bridge
# The exit status is COMMAND's (128 + signal if stopped by INT or TERM; a
# second signal kills COMMAND), 2 for bad options or a failed set-up.
#
# Example, a compiled 2-rank program at 100 Mbit:
#   bench/net/shaped-link.sh --rate 100mbit -- \
#     build-runtime/tools/braid-run/braid-run prog.so --np 2 --iters 5
set -uo pipefail

prog=shaped-link.sh
die() {
  echo "$prog: $*" >&2
  exit 2
}
usage() {
  sed -n '2,/^set -uo/p' "$0" | grep '^#' | sed 's/^# \{0,1\}//'
  exit 0
}

# A queue of 50 ms drops nothing of 2-rank collectives at 100 Mbit; at
# 10 ms (125 kB) TCP lost 4% of its packets there (same throughput, more
# retransmissions). One TCP flow rarely fills it (by hand: 1-byte round
# trips behind a 1 Gbit stream took 0.9 ms median, 8.5 ms at most).
np=2 rate=1gbit burst='' latency=50ms subnet=''
while [ $# -gt 0 ]; do
  case $1 in
  --np | --rate | --burst | --latency | --subnet)
    [ $# -ge 2 ] || die "$1 needs a value"
    case $1 in
    --np) np=$2 ;;
    --rate) rate=$2 ;;
    --burst) burst=$2 ;;
    --latency) latency=$2 ;;
    --subnet) subnet=$2 ;;
    esac
    shift 2
    ;;
  --) shift; break ;;
  -h | --help) usage ;;
  *) die "unknown option '$1' (the command follows --)" ;;
  esac
done
[ $# -gt 0 ] || die "no command (usage: $prog [options] -- COMMAND...)"
[[ $np =~ ^[1-9][0-9]*$ ]] && [ "$np" -le 250 ] ||
  die "--np needs a number of namespaces from 1 to 250, not '$np'"

# Bits per second of a tc rate (bit, kbit, mbit, gbit, tbit; kbps... are
# bytes); the default burst follows from it.
rate_bits() {
  [[ $1 =~ ^([0-9]+)([a-zA-Z]*)$ ]] || return 1
  local value=${BASH_REMATCH[1]} unit=${BASH_REMATCH[2],,}
  case $unit in
  '' | bit) echo "$value" ;;
  kbit) echo $((value * 1000)) ;;
  mbit) echo $((value * 1000000)) ;;
  gbit) echo $((value * 1000000000)) ;;
  tbit) echo $((value * 1000000000000)) ;;
  bps) echo $((value * 8)) ;;
  kbps) echo $((value * 8000)) ;;
  mbps) echo $((value * 8000000)) ;;
  gbps) echo $((value * 8000000000)) ;;
  *) return 1 ;;
  esac
}
bits=$(rate_bits "$rate") && [ "$bits" -gt 0 ] ||
  die "--rate needs a tc rate such as 100mbit, 1gbit or 10gbit, not '$rate'"
# A bucket of 2 ms at the rate: the shaper's timer runs late by up to a
# couple of milliseconds when other work holds the cores, and a smaller
# bucket then loses tokens (measured: TCP at 1gbit moved 93 MB/s with a
# 16kb bucket, 109 with 64kb, 119 with 128kb or more). The price: a message that finds the bucket full (the
# link idle for 2 ms) moves up to one bucket faster than the rate.
[ -n "$burst" ] || burst=$(((bits / 8 / 500) > 16384 ? bits / 8 / 500 : 16384))
tbf=(rate "$rate" burst "$burst" latency "$latency")

# Runs COMMAND with INT and TERM forwarded to it (a script's background job
# starts with INT ignored; the subshell restores it), and returns its exit
# status, or 128 + the signal that stopped this script. A second signal
# kills COMMAND, which may ignore the first.
stopped_by=
forward() {
  if [ -n "$stopped_by" ]; then
    kill -KILL "$child" 2> /dev/null
  else
    stopped_by=$1
    kill "-$1" "$child" 2> /dev/null
  fi
}
run_command() {
  (
    trap - INT QUIT
    exec "$@"
  ) &
  child=$!
  trap 'forward 2' INT
  trap 'forward 15' TERM
  local status
  while :; do
    wait "$child"
    status=$?
    kill -0 "$child" 2> /dev/null || break
  done
  trap 'exit 130' INT
  trap 'exit 143' TERM
  [ -n "$stopped_by" ] && status=$((128 + stopped_by))
  return "$status"
}

loopback() {
  echo "$prog: no shaped link ($1); running the command over loopback, unshaped (BRAID_LINK=loopback)" >&2
  shift
  export BRAID_MPIRUN=mpirun BRAID_LINK=loopback BRAID_NET_TBF='' \
    BRAID_NET_NAMESPACES='' BRAID_NET_ADDRESSES='' BRAID_NET_BRIDGE=''
  run_command "$@"
  exit $?
}

command -v ip > /dev/null || loopback "no 'ip' command" "$@"
command -v tc > /dev/null || loopback "no 'tc' command" "$@"

# Names carry this script's PID and a random tag (PIDs repeat across PID
# namespaces that share this network namespace); interface names have at
# most 15 characters, so they carry the tag only. A tag already in use is
# drawn again, under the lock below.
names_for_tag() {
  tag=$1
  bridge=bn${tag}br
  namespaces=() host_veths=()
  for ((i = 0; i < np; ++i)); do
    namespaces+=("braid-net-$$-$tag-$i")
    host_veths+=("bn${tag}v$i")
  done
}
random_tag() { od -An -N4 -tx4 /dev/urandom | tr -d ' \n'; }
names_for_tag "$(random_tag)"
workdir=

# Idempotent: removes whatever of ours exists, first ending the processes
# COMMAND left inside our namespaces (an orted a killed mpirun left behind).
teardown() {
  local ns pids veth
  for ns in "${namespaces[@]}"; do
    [ -e "/run/netns/$ns" ] || continue
    pids=$(ip netns pids "$ns" 2> /dev/null)
    if [ -n "$pids" ]; then
      kill -TERM $pids 2> /dev/null
      for _ in 1 2 3 4 5 6 7 8 9 10; do
        pids=$(ip netns pids "$ns" 2> /dev/null)
        [ -z "$pids" ] && break
        sleep 0.2
      done
      [ -n "$pids" ] && kill -KILL $pids 2> /dev/null
    fi
    ip netns delete "$ns" 2> /dev/null
  done
  # Deleting a namespace deletes its end of the pair, and so the pair, once
  # its last process is gone; delete our end anyway.
  for veth in "${host_veths[@]}"; do
    ip link show "$veth" > /dev/null 2>&1 && ip link delete "$veth" 2> /dev/null
  done
  ip link show "$bridge" > /dev/null 2>&1 && ip link delete "$bridge" 2> /dev/null
  [ -n "$workdir" ] && rm -rf "$workdir"
  return 0
}
# Until COMMAND runs, a signal tears down and stops; the EXIT trap cleans up.
trap 'exit 130' INT
trap 'exit 143' TERM

# Whether namespaces can be made at all: add one and remove it again.
probe=braid-net-$$-$tag-probe
trap 'ip netns delete "$probe" 2> /dev/null' EXIT
probe_error=$(ip netns add "$probe" 2>&1) ||
  loopback "ip netns add: ${probe_error:-failed}" "$@"
ip netns delete "$probe"
trap - EXIT

fail() {
  echo "$prog: cannot set up the shaped link: $*" >&2
  exit 2
}
run() {
  local out
  out=$("$@" 2>&1) || fail "'$*': $out"
}

# IPv4 arithmetic for the subnet.
to_int() {
  local IFS=. a b c d
  read -r a b c d <<< "$1"
  echo $(((a << 24) | (b << 16) | (c << 8) | d))
}
to_dotted() {
  echo "$((($1 >> 24) & 255)).$((($1 >> 16) & 255)).$((($1 >> 8) & 255)).$(($1 & 255))"
}
valid_subnet() {
  [[ $1 =~ ^([0-9]{1,3}\.){3}[0-9]{1,3}/([0-9]{1,2})$ ]] &&
    [ "${BASH_REMATCH[2]}" -ge 8 ] && [ "${BASH_REMATCH[2]}" -le 30 ]
}
# Whether SUBNET overlaps an IPv4 address (with its prefix) of this
# namespace: the bridge's route would then take or lose that traffic.
subnet_in_use() {
  local net prefix=${1#*/} address other_prefix shorter mask
  net=$(to_int "${1%/*}")
  while read -r address; do
    other_prefix=${address#*/}
    shorter=$((prefix < other_prefix ? prefix : other_prefix))
    mask=$(((0xffffffff << (32 - shorter)) & 0xffffffff))
    [ $((net & mask)) -eq $(($(to_int "${address%/*}") & mask)) ] && return 0
  done < <(ip -4 -o addr show | awk '{print $4}')
  return 1
}

# Choosing a subnet and taking it (the bridge's address) is one step for all
# runs on this machine.
lockfile=/run/lock/braid-shaped-link.lock
[ -d /run/lock ] || lockfile=/tmp/braid-shaped-link.lock
exec {lock}> "$lockfile" || fail "cannot open $lockfile"
flock "$lock"
if [ -n "$subnet" ]; then
  valid_subnet "$subnet" || fail "--subnet needs A.B.C.D/P with P from 8 to 30, not '$subnet'"
  subnet_in_use "$subnet" && fail "subnet $subnet overlaps an address already on this machine (ip -4 addr)"
else
  for ((third = 0; third < 256; ++third)); do
    subnet=10.77.$third.0/24
    subnet_in_use "$subnet" || break
  done
  [ "$third" -lt 256 ] || fail "every 10.77.X.0/24 is in use; give --subnet"
fi
prefix=${subnet#*/}
mask=$(((0xffffffff << (32 - prefix)) & 0xffffffff))
network=$(($(to_int "${subnet%/*}") & mask))
last=$((network | (~mask & 0xffffffff)))
[ $((last - network - 2)) -ge "$np" ] || fail "subnet $subnet has no room for $np namespaces and the bridge"
subnet=$(to_dotted "$network")/$prefix
gateway=$(to_dotted $((last - 1)))

tag_in_use() {
  ip link show "$bridge" > /dev/null 2>&1 && return 0
  ip netns list | grep -q -- "-$tag-" && return 0
  return 1
}
while tag_in_use; do names_for_tag "$(random_tag)"; done
trap teardown EXIT
run ip link add "$bridge" type bridge
run ip addr add "$gateway/$prefix" dev "$bridge"
run ip link set "$bridge" up
flock -u "$lock"
exec {lock}>&-

workdir=$(mktemp -d "${TMPDIR:-/tmp}/braid-net.$$.XXXXXX") || fail "cannot make a work directory"
addresses=()
agent_cases=
for ((i = 0; i < np; ++i)); do
  ns=${namespaces[i]} veth=${host_veths[i]}
  address=$(to_dotted $((network + 1 + i)))
  addresses+=("$address")
  run ip netns add "$ns"
  # The namespace's end is its only interface besides lo: a rank there can
  # reach the others through this link and nothing else.
  run ip link add "$veth" type veth peer name eth0 netns "$ns"
  run ip link set "$veth" master "$bridge" up
  run ip -n "$ns" addr add "$address/$prefix" dev eth0
  run ip -n "$ns" link set eth0 up
  run ip -n "$ns" link set lo up
  # Both directions of the host's link: eth0's egress is what the host
  # sends, the bridge end's egress is what it receives, so N-1 senders to
  # one host share its rate as on a real switch port. (The receive side
  # needs no ifb: the bridge end's egress is the namespace's ingress.)
  run ip netns exec "$ns" tc qdisc add dev eth0 root tbf "${tbf[@]}"
  run tc qdisc add dev "$veth" root tbf "${tbf[@]}"
  mkdir -p "$workdir/tmp$i"
  agent_cases+="  $address) ns=$ns tmp=$workdir/tmp$i ;;"$'\n'
done

# OpenMPI starts its daemon on each "host" of the hostfile through this
# agent instead of ssh; it hands over one shell command line, as to sshd.
# Each namespace gets its own TMPDIR: the daemons share a hostname, and
# OpenMPI's session directories (PMIx's shared-memory store among them)
# are named by hostname.
cat > "$workdir/rsh-agent" << EOF
#!/bin/sh
# plm_rsh_agent of $prog (pid $$): "ssh HOST COMMAND" into a namespace.
host=\$1
shift
case \$host in
$agent_cases  *) echo "$prog: no namespace has address \$host" >&2; exit 255 ;;
esac
TMPDIR=\$tmp
export TMPDIR
exec ip netns exec "\$ns" /bin/sh -c "\$*"
EOF
printf '%s slots=1\n' "${addresses[@]}" > "$workdir/hostfile"

# MCA settings, each measured on this machine (bench/results/shaped-link.txt);
# a caller's own --mca NAME replaces the one of the same name here:
#  pml ob1, btl tcp,self: UCX or shared memory would bypass the link;
#  *_if_include: data and launch traffic on the namespaces' subnet only;
#  rtc_hwloc_vmhole none: else orted may crash;
#  plm_rsh_no_tree_spawn: daemons started from here, not from each other;
#  mpi_yield_when_idle 1: a blocked rank yields its core; without it MPI's
#    small messages took 1.3-4 ms one way instead of 17 us on 2 cores;
#  btl_tcp_flags without put: with put (OpenMPI's default), messages both
#    ways at once each moved at half the rate (2-rank all_gather of 4 MiB
#    on 1 Gbit: busbw 0.063 GB/s, 0.09-0.11 without; by hand, a 16 MiB
#    MPI_Sendrecv: 64 against 118 MB/s each way); one way, 119 either.
# shellcheck disable=SC2054 # commas belong to the values
mca=(
  plm_rsh_agent "$workdir/rsh-agent"
  plm_rsh_no_tree_spawn 1
  pml ob1
  btl tcp,self
  btl_tcp_if_include "$subnet"
  oob_tcp_if_include "$subnet"
  rtc_hwloc_vmhole none
  mpi_yield_when_idle 1
  btl_tcp_flags send,inplace,need-ack,need-csum
)
real_mpirun=$(command -v mpirun || echo mpirun)
{
  echo '#!/usr/bin/env bash'
  echo "# mpirun of $prog (pid $$): one rank per namespace on $subnet."
  if [ "$(id -u)" -eq 0 ]; then
    echo 'export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1'
  fi
  echo "defaults=($(printf '%q ' "${mca[@]}"))"
  cat << 'EOF'
# mpirun refuses an MCA parameter given twice: the caller's wins.
declare -A given
args=("$@")
for ((i = 0; i + 1 < ${#args[@]}; ++i)); do
  case ${args[i]} in --mca | -mca) given[${args[i + 1]}]=1 ;; esac
done
mca=()
for ((i = 0; i < ${#defaults[@]}; i += 2)); do
  [ -n "${given[${defaults[i]}]:-}" ] || mca+=(--mca "${defaults[i]}" "${defaults[i + 1]}")
done
EOF
  echo "exec $(printf '%q' "$real_mpirun") --hostfile $(printf '%q' "$workdir/hostfile") \"\${mca[@]}\" \"\$@\""
} > "$workdir/mpirun"
chmod +x "$workdir/rsh-agent" "$workdir/mpirun"

export BRAID_MPIRUN=$workdir/mpirun BRAID_LINK=shaped:$rate \
  BRAID_NET_TBF="${tbf[*]}" BRAID_NET_NAMESPACES="${namespaces[*]}" \
  BRAID_NET_ADDRESSES="${addresses[*]}" BRAID_NET_BRIDGE=$bridge
echo "$prog: $np namespaces on $subnet, each link tbf ${tbf[*]} both ways (BRAID_LINK=$BRAID_LINK)" >&2
run_command "$@"
exit $?
