#!/usr/bin/env bash
# Compiles PROGRAM with braid-compile FLAGS, runs it with braid-run on NP
# MPI ranks and checks the results: against the interpreter's run of
# PROGRAM under the numerics contract (replicated results bitwise equal
# across their group), and against the producer's outputs when a JAX
# directory is given. With REPEAT=3 the run is repeated and every result
# must be identical. The buffer-level program braid-compile lowered is also
# run in the interpreter against PROGRAM, and the arena braid-compile
# planned must equal the scheduler's estimate of it.
#
# usage: compile-and-check.sh BRAID_RUN WORKDIR PROGRAM NP INPUTS|- JAXDIR|- [FLAGS...]
set -euo pipefail
braid_run=$1 work=$2 program=$3 np=$4 inputs=$5 jax=$6
shift 6
rm -rf "$work"
mkdir -p "$work"
braid-compile "$program" -o "$work/program.so" --emit-buffers "$work/buffers.mlir" \
  "$@" > "$work/compile.log" 2>&1 || { cat "$work/compile.log"; exit 1; }
# The arena braid-compile planned is the one the scheduler's memory budget
# counts: the estimate on the tensor-level program equals it.
grep -q "^braid-compile: @.*: arena " "$work/compile.log" \
  || { echo "no arena reported"; cat "$work/compile.log"; exit 1; }
if grep "^braid-compile: @.*: arena " "$work/compile.log" \
    | grep -v -E "arena ([0-9]+) bytes; scheduler's estimate \1 bytes$"; then
  echo "the arena differs from the scheduler's estimate"; exit 1
fi
# The buffer level equals the tensor level in the interpreter (same random
# inputs, several interleavings of ranks and streams, race detector on).
braid-interp --quiet --schedules=2 --input-seed=3 "$program" \
  --compare="$work/buffers.mlir" > "$work/buffers.log" 2>&1 \
  || { cat "$work/buffers.log"; exit 1; }
input_args=()
[ "$inputs" != - ] && input_args=(--inputs "$inputs")
"$braid_run" "$work/program.so" --np "$np" "${input_args[@]}" \
  --output-dir "$work/run" --iters 1 --warmup 0 --timeout 120
check_inputs=()
[ "$inputs" != - ] && check_inputs=(--inputs="$inputs")
braid-interp --quiet "$program" "${check_inputs[@]}" --check-outputs="$work/run"
if [ "$jax" != - ]; then
  "${VENV_PYTHON:?}" "$(dirname "$0")/../../Import/jax/compare.py" "$jax" "$work/run" | tail -1
fi
for repeat in $(seq 2 "${REPEAT:-1}"); do
  "$braid_run" "$work/program.so" --np "$np" --inputs "${inputs/#-/$work/run}" \
    --output-dir "$work/run$repeat" --iters 1 --warmup 0 --timeout 120 > /dev/null
  for rank in "$work"/run/rank*; do
    for result in "$rank"/result*.npy; do
      cmp "$result" "$work/run$repeat/$(basename "$rank")/$(basename "$result")"
    done
  done
  echo "run $repeat: identical"
done
