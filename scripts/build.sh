#!/usr/bin/env bash
# Configures and builds Braid (compiler in build/, runtime in build-runtime/).
set -euo pipefail
cd "$(dirname "$0")/.."

LLVM_PREFIX=${LLVM_PREFIX:-/usr/lib/llvm-22}
JOBS=${JOBS:-$(nproc)}

cmake -G Ninja -S . -B build \
  -DCMAKE_BUILD_TYPE=Release \
  -DMLIR_DIR="$LLVM_PREFIX/lib/cmake/mlir" \
  -DLLVM_EXTERNAL_LIT="$LLVM_PREFIX/bin/lit"
cmake --build build -j "$JOBS"

cmake -G Ninja -S runtime -B build-runtime -DCMAKE_BUILD_TYPE=Release
cmake --build build-runtime -j "$JOBS"
