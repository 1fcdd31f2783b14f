#!/usr/bin/env bash
# Predicted step time of the bundled model-shaped programs before and after
# the overlap pipeline, with and without collective-matmul decomposition and
# producer fusion (fuse=auto),
# side by side per hardware profile (the cost model's timeline; no GPU).
#   bench/overlap/predict.sh [profile ...]
# Prints one row per program and profile; docs/Overlap.md records the table.
set -euo pipefail
cd "$(dirname "$0")/../.."
OPT=build/bin/braid-opt
PROFILES=("$@")
[ ${#PROFILES[@]} -eq 0 ] && PROFILES=(h100-sxm-x8 h100-sxm-2x8-ib)
PROGRAMS=(examples/llama70b_tp8_layer.mlir examples/llama70b_tp8_mlp_backward.mlir
          examples/gpt3_175b_tp8_mlp.mlir examples/gpt3_175b_tp16_mlp.mlir)

estimate() { # program pipeline-or-empty profile -> "scheduled exposed"
  local spec="braid-set-target{profile=$3},${2:+$2,}braid-estimate"
  "$OPT" "$1" --pass-pipeline="builtin.module($spec)" 2>&1 >/dev/null |
    sed -n 's/.*scheduled \([0-9.]*\) us;.*exposed \([0-9.]*\) us,.*/\1 \2/p'
}

printf '%-34s %-16s %12s %12s %12s %9s %12s %12s %9s %12s\n' program profile \
  "as written" "overlapped" "+decomposed" speedup "exposed" "+fused" \
  speedup "exposed"
for profile in "${PROFILES[@]}"; do
  for program in "${PROGRAMS[@]}"; do
    read -r before _ < <(estimate "$program" "" "$profile")
    read -r sync _ < <(estimate "$program" \
      "braid-overlap-pipeline{profile=$profile decompose=0}" "$profile")
    read -r cut exposed < <(estimate "$program" \
      "braid-overlap-pipeline{profile=$profile}" "$profile")
    # Producer fusion (T3) where the cost model says it pays, then the
    # decomposition of what is left.
    read -r fused fusedExposed < <(estimate "$program" \
      "braid-overlap-pipeline{profile=$profile fuse=auto}" "$profile")
    printf '%-34s %-16s %9.1f us %9.1f us %9.1f us %8.3fx %9.1f us %9.1f us %8.3fx %9.1f us\n' \
      "$(basename "$program" .mlir)" "$profile" "$before" "$sync" "$cut" \
      "$(echo "$before / $cut" | bc -l)" "$exposed" "$fused" \
      "$(echo "$before / $fused" | bc -l)" "$fusedExposed"
  done
done
