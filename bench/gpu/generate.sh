#!/usr/bin/env bash
# Regenerates the GPU end-to-end programs under bench/gpu/programs/ (run
# here, where braid-compile and braid-interp are; the GPU machine has no
# LLVM): for each programs/NAME.mlir, programs/NAME/ holds the emitted CUDA
# project (braid-compile --target=cuda --emit-sources) and reference/, the
# interpreter's inputs and outputs (rank0/argN.npy, rank0/resultN.npy;
# seed 1). Each listed "NAME.mlir FLAGS" line compiles once per variant.
#
# usage: bench/gpu/generate.sh [BUILD_DIR]   (default: build)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${1:-$root/build}
bin=$build/bin
# name  source  flags
variants=(
  "tp_mlp_1rank tp_mlp_1rank.mlir"
  "reductions reductions.mlir"
)
for variant in "${variants[@]}"; do
  read -r name source flags <<< "$variant"
  out=$here/programs/$name
  rm -rf "$out"
  # shellcheck disable=SC2086
  "$bin/braid-compile" "$here/programs/$source" --target=cuda \
    --emit-sources "$out" $flags 2> "$out.log" || { cat "$out.log"; exit 1; }
  rm -f "$out.log"
  "$bin/braid-interp" --quiet --input-seed 1 "$here/programs/$source" \
    --output-dir "$out/reference"
  echo "$name: $(cat "$out/metadata.json")"
done
