#!/usr/bin/env bash
# Runs braid_rt_fault_probe under mpiexec with one rank killed or stopped
# and checks the failure model (docs/Runtime.md, "Failure model"):
#  - the job exits non-zero, within the watchdog timeout plus a margin of
#    the fault;
#  - every other rank says which operation it was stuck in and names the
#    victim among the ranks that did not arrive;
#  - no rank completed.
#
#   fault_test.sh PROBE NP KILL|STOP before|during world|row TIMEOUT_S MPIEXEC [FLAGS...]
set -u
probe=$1 np=$2 signal=$3 when=$4 group=$5 timeout_s=$6 mpiexec=$7
shift 7
margin_s=10 # start-up of the abort, the launcher's kill, slow CI

log=$(mktemp)
trap 'rm -f "$log"' EXIT
BRAID_RT_TIMEOUT_S=$timeout_s timeout $((timeout_s + 60)) \
  "$mpiexec" "$@" -np "$np" "$probe" "$signal" "$when" "$group" >"$log" 2>&1
rc=$?
end=$(date +%s.%N)

fail() {
  echo "FAIL: $*"
  echo "---- output of the job (exit $rc) ----"
  cat "$log"
  exit 1
}

[ "$rc" -ne 0 ] || fail "the job exited 0"
[ "$rc" -ne 124 ] || fail "the job hung until timeout(1) ended it"
grep -qE "^probe: rank [0-9]+ completed" "$log" && fail "a rank completed the collective"

victim=$((np - 1))
fault=$(sed -n "s/^probe: rank $victim raises $signal at \([0-9.]*\)$/\1/p" "$log")
[ -n "$fault" ] || fail "the victim never raised the signal"
elapsed=$(echo "$end - $fault" | bc)
bound=$((timeout_s + margin_s))
if [ "$(echo "$elapsed > $bound" | bc)" -eq 1 ]; then
  fail "the job took ${elapsed} s after the fault (bound ${bound} s)"
fi

# "ranks that did not arrive: 1, 3 (world rank 7)" names the victim either
# as itself (world) or by its world rank (a row).
names_victim="did not arrive: ([^;]*, )?($victim|[0-9]+ \\(world rank $victim\\))(,|;| |\$)"
for ((r = 0; r < np; ++r)); do
  [ "$r" -eq "$victim" ] && continue
  line=$(grep -E "^(braid_rt|probe): rank $r: " "$log" | grep -E "$names_victim" | head -1)
  [ -n "$line" ] || fail "rank $r did not report the stuck operation naming rank $victim"
  echo "$line" | grep -qE "(all_reduce|barrier) #[0-9]+ " ||
    fail "rank $r's report names no operation: $line"
done
echo "PASS: $np ranks, $signal $when the collective on the $group: exit $rc, ${elapsed} s after the fault"
grep -E "^(braid_rt|probe): rank " "$log"
