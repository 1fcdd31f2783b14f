#!/usr/bin/env bash
# The main job: the bundled example through the pipeline that exists today.
#
# Default: a Llama-style transformer block written in JAX with shard_map
# (4-way tensor parallelism; test/Import/jax/programs.py, "llama_block"):
#   JAX lowers it to StableHLO and runs it on 4 host devices
#   -> braid-import-stablehlo (jaxlib's own parser, its own process)
#   -> braid-interp runs the import on the 4 ranks with JAX's inputs and
#      compares every rank's result with JAX's
#   -> inline, raise layer ops (RMSNorm, attention, SwiGLU...), canonicalize,
#      report the work per rank
#   -> overlap pipeline (collective matmuls cut into ring steps where the
#      cost model says it pays, async collectives, schedule, ring coverage and
#      collective order verified), with every decision explained
#   -> the import and the overlapped program run on every rank under several
#      interleavings: replicated results bitwise equal, everything within the
#      f64-relative numerics contract
#   -> predicted step time before and after, and a Perfetto timeline
#   -> measured: the same block at benchmark size on 2 ranks, compiled by
#      braid-compile as written, scheduled, overlapped (the cost model's
#      cuts), decomposed, compute only and communication only, run by
#      braid-run over a shaped 1 Gbit link between two network namespaces
#      (bench/net/shaped-link.sh; loopback where namespaces cannot be
#      made), checked against JAX, with step times, hidden fractions and
#      the cpu-1gbe predictions side by side (bench/overlap/measure.sh) and
#      a measured Perfetto timeline per variant.
#      An IR file (below) is compiled as written and overlapped and run on
#      the ranks of its grid over loopback, checked against the interpreter.
#
# scripts/main-job.sh jax:NAME runs another program of programs.py through
# the same steps: jax:auto_dp_tp_train is an auto-sharded jit training step
# (no shard_map; XLA's partitioned per-device program imported),
# jax:whole_program a jit with two shard_maps and code between them.
# scripts/main-job.sh examples/tp_mlp.mlir runs a Braid IR file instead (no
# import step). Installs and builds first when needed. PROFILE picks the
# hardware profile (h100-sxm-x8, cpu-1gbe, ... in bench/profiles).
set -euo pipefail
cd "$(dirname "$0")/.."

EXAMPLE=${1:-jax:llama_block}
PROFILE=${PROFILE:-h100-sxm-x8}

scripts/install-deps.sh >/dev/null
if [ ! -x build/bin/braid-opt ] || [ ! -x build/bin/braid-interp ]; then
  scripts/build.sh
fi
out=build/examples
mkdir -p "$out"
quiet=--mlir-print-op-on-diagnostic=false

if [[ "$EXAMPLE" == jax:* ]]; then
  name=${EXAMPLE#jax:}
  jaxdir="$out/jax/$name"
  if [[ "$name" == auto_* ]]; then
    echo "== $name: jax.jit with NamedShardings (no shard_map) on 4 host devices, partitioned by XLA's SPMD partitioner, run it in JAX"
  else
    echo "== $name: lower with jax.jit(shard_map(...)).lower on 4 host devices, run it in JAX"
  fi
  .venv/bin/python test/Import/jax/programs.py "$out/jax" "$name" >/dev/null
  echo "== import the StableHLO ($jaxdir/program.mlir)"
  source="$out/$name.mlir"
  .venv/bin/braid-import-stablehlo "$jaxdir/program.mlir" -o "$source"
  echo "== run the import on every rank with JAX's inputs; compare with JAX's outputs"
  rm -rf "$out/$name.imported-outputs"
  build/bin/braid-interp --quiet "$source" --inputs="$jaxdir/inputs" \
    --output-dir="$out/$name.imported-outputs"
  .venv/bin/python test/Import/jax/compare.py "$jaxdir" "$out/$name.imported-outputs" | tail -1
  inputs=(--inputs="$jaxdir/inputs")
else
  source=$EXAMPLE
  name=$(basename "$EXAMPLE" .mlir)
  inputs=()
fi
canonical="$out/$name.canonical.mlir"
overlapped="$out/$name.overlapped.mlir"
trace="$out/$name.trace.json"

echo "== inline, raise layer ops, canonicalize, report work per rank"
build/bin/braid-opt "$source" $quiet -o "$canonical" -braid-explain \
  --pass-pipeline='builtin.module(inline,symbol-dce,braid-raise-layer-ops,canonicalize,braid-work-summary)' \
  2>&1 | grep -E "remark: (raised|work per rank)" || true

echo "== overlap pipeline on $PROFILE (decisions explained)"
build/bin/braid-opt "$canonical" $quiet -o "$overlapped" \
  --pass-pipeline="builtin.module(braid-overlap-pipeline{profile=$PROFILE explain=1})"
echo "== overlapped IR written to $overlapped"

echo "== run the original and the overlapped program on every rank, 3 interleavings each"
build/bin/braid-interp "$source" --compare="$overlapped" --schedules=3 --quiet \
  "${inputs[@]}" --output-dir="$out/$name.outputs"
echo "== per-rank results in $out/$name.outputs/rankR/resultN.npy"

echo "== predicted step time on $PROFILE, as written and overlapped"
build/bin/braid-opt "$canonical" $quiet --braid-set-target="profile=$PROFILE" \
  --braid-estimate > /dev/null
# The overlapped program carries its target (#braid.target) already.
build/bin/braid-opt "$overlapped" $quiet --braid-estimate="trace=$trace" > /dev/null
echo "== timeline for Perfetto (ui.perfetto.dev): $trace"

if [[ "$EXAMPLE" == jax:llama_block ]]; then
  # Measured on real ranks: the same block at benchmark size (2 ranks,
  # bench/overlap/programs.py) over a shaped 1 Gbit link between two network
  # namespaces (bench/net/shaped-link.sh; loopback, said so, where they
  # cannot be made). Every variant is compiled with braid-compile and run
  # with braid-run; each computing variant is checked against JAX.
  echo "== compile (braid-compile) as written / scheduled / overlap / decomposed /"
  echo "   fused with the chunk and the tile trigger (T3) / compute only /"
  echo "   communication only; run on 2 MPI ranks (braid-run) over"
  echo "   a shaped 1 Gbit link; check against JAX; measured beside predicted (cpu-1gbe)"
  bench/net/shaped-link.sh --np 2 --rate 1gbit -- \
    bench/overlap/measure.sh --programs llama_block,tp_mlp_train --ranks 2 --repeat 1 \
    --iters 5 --warmup 1 --work "$out/measured"
  echo "== measured timelines for Perfetto: $out/measured/np2/{llama_block,tp_mlp_train}.<variant>.measured.json"
  exit 0
fi

echo "== compile for the CPU target (braid-compile) and run on MPI ranks (braid-run)"
# The ranks: the device count of the program's largest grid.
ranks=$(.venv/bin/python - "$source" <<'PY'
import math, re, sys
text = open(sys.argv[1]).read()
grids = [math.prod(int(d) for d in shape.split("x"))
         for shape in re.findall(r"shard\.grid @[\w.$-]+\(shape = ([0-9x]+)", text)]
print(max(grids, default=1))
PY
)
run_inputs=()
[[ "$EXAMPLE" == jax:* ]] && run_inputs=(--inputs "$jaxdir/inputs")
braid_run=build-runtime/tools/braid-run/braid-run
for variant in canonical overlapped; do
  program="$out/$name.$variant.mlir"
  build/bin/braid-compile "$program" -o "$out/$name.$variant.so" 2> /dev/null
  run="$out/$name.$variant.run"
  rm -rf "$run"
  "$braid_run" "$out/$name.$variant.so" --np "$ranks" "${run_inputs[@]}" \
    --output-dir "$run" --iters 20 --warmup 3 --timeout 300 \
    --trace "$out/$name.$variant.measured.json" | sed "s/^/   $variant: /"
  if [[ "$EXAMPLE" == jax:* ]]; then
    echo "   $variant vs JAX: $(.venv/bin/python test/Import/jax/compare.py "$jaxdir" "$run" | tail -1)"
  else
    build/bin/braid-interp --quiet "$source" --check-outputs="$run" > /dev/null
    echo "   $variant vs the interpreter: within the numerics contract"
  fi
done

echo "== measured (this machine, $ranks MPI ranks on one host) beside predicted (cpu-1gbe)"
for variant in canonical overlapped; do
  predicted=$(build/bin/braid-opt "$out/$name.$variant.mlir" $quiet \
    --braid-set-target="profile=cpu-1gbe" --braid-estimate 2>&1 > /dev/null \
    | grep -o "scheduled [0-9.]* us" | head -1)
  measured=$(.venv/bin/python -c "import json,sys; t=json.load(open(sys.argv[1])); print('%.1f us' % (t['median_ms']*1000))" "$out/$name.$variant.run/timing.json")
  printf '   %-11s measured median %s, predicted %s\n' "$variant" "$measured" "${predicted#scheduled }"
done
echo "== measured timelines for Perfetto: $out/$name.canonical.measured.json, $out/$name.overlapped.measured.json"

