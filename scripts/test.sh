#!/usr/bin/env bash
# The one test command: installs what is missing, lints the Python, builds,
# and runs every test (lit + GoogleTest via check-braid, then the runtime's
# own tests).
# Prints minutes per phase.
set -euo pipefail
cd "$(dirname "$0")/.."
export OPENBLAS_NUM_THREADS=1

phase_start=$(date +%s)
phase() {
  local now; now=$(date +%s)
  printf '== %s: %d.%02d min\n' "$1" $(( (now - phase_start) / 60 )) \
    $(( ((now - phase_start) % 60) * 100 / 60 ))
  phase_start=$now
}

scripts/install-deps.sh
phase "install"

# Python lint (rules and ruff's pinned version: python/pyproject.toml,
# python/requirements.txt); the importers and their tests.
.venv/bin/ruff check --config python/pyproject.toml python test/Import
phase "lint"

scripts/build.sh
phase "configure + build"

# lit has its own per-test timeout (--timeout in BRAID_LIT_ARGS); this one
# bounds the whole suite.
timeout 1800 cmake --build build --target check-braid
# The runtime's suites run under mpirun at 1-8 ranks and bound each run
# themselves (runtime/tests/CMakeLists.txt).
timeout 600 ctest --test-dir build-runtime --output-on-failure --timeout 60
phase "tests"
