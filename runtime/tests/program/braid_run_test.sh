#!/bin/sh
# braid-run end to end on the hand-written artifact. One case per call:
#   braid_run_test.sh CASE WORKDIR BRAID_RUN ARTIFACT_DIR PYTHON MPIEXEC [FLAGS...]
# Every launch is bounded (braid-run's --timeout, `timeout` around mpirun).
set -u
case_name=$1 work=$2 braid_run=$3 artifacts=$4 python=$5 mpiexec=$6
shift 6
here=$(cd "$(dirname "$0")" && pwd)
check="$python $here/check_run.py"
np2=$artifacts/braid_test_program_np2.so
np4=$artifacts/braid_test_program_np4.so
np2_other=$artifacts/braid_test_program_np2_other_hash.so
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OPENBLAS_NUM_THREADS=1 BRAID_RT_TIMEOUT_S=20

rm -rf "$work" && mkdir -p "$work" && cd "$work" || exit 1

die() { echo "FAIL: $*"; exit 1; }
# A launcher that only records that it was started.
printf '#!/bin/sh\ntouch %s/launched\nexit 3\n' "$work" > fake-mpirun
chmod +x fake-mpirun

# Runs braid-run, keeping its exit status and its output.
run() { "$braid_run" "$@" --timeout 60 > log 2>&1; echo $? > rc; cat log; }
expect_failure() { # MESSAGE: exit status 1 and MESSAGE in the output
  [ "$(cat rc)" = 1 ] || die "exit status $(cat rc), expected 1"
  grep -qF -- "$1" log || die "no '$1' in the output"
}
expect_no_outputs() {
  [ ! -e out ] || die "out/ exists after a failed run"
  ! ls -d out.tmp-* > /dev/null 2>&1 || die "a staging directory is left"
}

case $case_name in
np2|np4)
  ranks=${case_name#np}
  art=$np2; [ "$ranks" = 4 ] && art=$np4
  run "$art" --np "$ranks" --output-dir out --iters 3 --trace trace.json
  [ "$(cat rc)" = 0 ] || die "braid-run failed"
  grep -q "braid-run: $ranks ranks, step time min .* ms, median .* ms over 3 steps" log ||
    die "no timing line"
  $check out "$ranks" --trace trace.json || die "wrong results or trace"
  # The generated inputs read back give bitwise the same results.
  run "$art" --np "$ranks" --inputs out --output-dir again --iters 1 --warmup 0
  [ "$(cat rc)" = 0 ] || die "braid-run --inputs failed"
  $check again "$ranks" --same-as out || die "results differ on the same inputs"
  ;;
bad_inputs)
  run "$np2" --np 2 --output-dir gen --iters 1
  [ "$(cat rc)" = 0 ] || die "generating inputs failed"
  rm gen/rank1/arg2.npy
  run "$np2" --np 2 --inputs gen --output-dir out --mpirun ./fake-mpirun
  expect_failure "gen/rank1/arg2.npy: missing (argument 2 of rank 1, expected i32 [6] (stored as '<i4'))"
  [ ! -e launched ] || die "ranks were started"
  expect_no_outputs
  $python -c "import numpy as np; np.save('gen/rank1/arg2.npy', np.zeros(6, np.float32))"
  run "$np2" --np 2 --inputs gen --output-dir out --mpirun ./fake-mpirun
  expect_failure "gen/rank1/arg2.npy: expected i32 [6] (stored as '<i4'), found '<f4' [6]"
  $python -c "import numpy as np; np.save('gen/rank1/arg2.npy', np.zeros(5, np.int32))"
  run "$np2" --np 2 --inputs gen --output-dir out --mpirun ./fake-mpirun
  expect_failure "found '<i4' [5]"
  [ ! -e launched ] || die "ranks were started"
  expect_no_outputs
  # bf16 arguments are f32 files (the interpreter's choice), not '<f2'.
  $python -c "import numpy as np; np.save('gen/rank0/arg3.npy', np.zeros(8, np.float16))"
  $python -c "import numpy as np; np.save('gen/rank1/arg2.npy', np.zeros(6, np.int32))"
  run "$np2" --np 2 --inputs gen --output-dir out --mpirun ./fake-mpirun
  expect_failure "gen/rank0/arg3.npy: expected bf16 [8] (stored as '<f4'), found '<f2' [8]"
  run "$np4" --np 2 --mpirun ./fake-mpirun
  expect_failure "runs on 4 ranks, not --np 2"
  [ ! -e launched ] || die "ranks were started"
  ;;
rank_failure)
  BRAID_TEST_FAIL_RANK=1 run "$np2" --np 2 --output-dir out --iters 2
  expect_failure "braid-run: rank 1: test.mlir:11:3 matmul: "
  expect_no_outputs
  ;;
timeout)
  # Rank 0 sleeps 100 s in its step; the run is stopped after 3.
  BRAID_TEST_SLEEP_S=100 "$braid_run" "$np2" --np 2 --output-dir out \
    --timeout 3 > log 2>&1
  echo $? > rc; cat log
  expect_failure "braid-run: the ranks did not finish within 3 s (--timeout); stopped"
  expect_no_outputs
  ;;
hash_mismatch)
  timeout --kill-after=10 60 "$mpiexec" "$@" -np 1 "$braid_run" "$np2" : \
    -np 1 "$braid_run" "$np2_other" > log 2>&1
  echo $? > rc; cat log
  [ "$(cat rc)" != 0 ] || die "the run succeeded"
  grep -qF "rank 1 loaded a program whose collective sequence differs (hash 0x000000005678ef01, rank 0 has 0x000000001234abcd)" log ||
    die "no hash message"
  ;;
world_size)
  timeout --kill-after=10 60 "$mpiexec" "$@" -np 2 "$braid_run" "$np4" > log 2>&1
  echo $? > rc; cat log
  [ "$(cat rc)" != 0 ] || die "the run succeeded"
  grep -qF "program 'test_step' needs 4 ranks, launched on 2" log ||
    die "no world size message"
  ;;
*)
  die "unknown case $case_name"
  ;;
esac
echo "PASS: $case_name"
