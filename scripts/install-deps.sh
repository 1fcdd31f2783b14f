#!/usr/bin/env bash
# Installs what Braid needs on Debian 12 (bookworm). Idempotent: skips
# apt-get when everything is already there.
set -euo pipefail

PACKAGES=(
  cmake ninja-build g++ ccache
  libmlir-22-dev mlir-22-tools llvm-22-dev llvm-22-tools
  libgtest-dev python3-psutil python3-numpy python3-venv
  openmpi-bin libopenmpi-dev libopenblas-dev
)

missing=()
for pkg in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" \
    || missing+=("$pkg")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all packages present"
else
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  echo "install-deps: installing ${missing[*]}"
  # A fresh machine's package lists may be empty or stale.
  timeout 600 $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive timeout 900 \
    $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# The importers and their tests run in .venv (Debian's python3, pinned
# versions from python/requirements.txt); reinstalled when that file changes.
cd "$(dirname "$0")/.."
stamp=.venv/.requirements.installed
if [ ! -f "$stamp" ] || ! cmp -s python/requirements.txt "$stamp"; then
  echo "install-deps: creating .venv from python/requirements.txt"
  rm -rf .venv
  /usr/bin/python3 -m venv .venv
  timeout 600 .venv/bin/pip install -q --disable-pip-version-check \
    -r python/requirements.txt
  cp python/requirements.txt "$stamp"
fi
# Editable, so the console scripts always run the checkout's sources.
if [ ! -x .venv/bin/braid-import-stablehlo ]; then
  timeout 300 .venv/bin/pip install -q --disable-pip-version-check \
    --no-build-isolation --no-deps -e python
fi
