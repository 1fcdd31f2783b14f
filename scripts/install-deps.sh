#!/usr/bin/env bash
# Installs what Braid needs on Debian 12 (bookworm). Idempotent: skips
# apt-get when everything is already there.
set -euo pipefail

PACKAGES=(
  cmake ninja-build g++ ccache
  libmlir-22-dev mlir-22-tools llvm-22-dev llvm-22-tools
  libgtest-dev python3-psutil python3-numpy
)

missing=()
for pkg in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" \
    || missing+=("$pkg")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all packages present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "install-deps: installing ${missing[*]}"
# A fresh machine's package lists may be empty or stale.
timeout 600 $SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive timeout 900 \
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
