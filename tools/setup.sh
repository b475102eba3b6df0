#!/usr/bin/env bash
# Installs everything gavel's build and tests need on Debian 12 (run as root, or with sudo).
# Safe to run again: it installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi

# Build: compiler, CMake/Ninja, libraries. Tests: GoogleTest, clang for libFuzzer,
# Debian's Python with numpy/torch/sklearn/scipy for reference checks, Node.js for the HF
# tokenizers library and llama.cpp (test peers, from npm); unicode-data and the translations
# (iso-codes ... libpam-runtime) that tools/reference/make_tokenizer_corpus.py reads.
PACKAGES=(
  g++ cmake ninja-build pkg-config git ca-certificates
  nlohmann-json3-dev libfmt-dev zlib1g-dev libcurl4-openssl-dev libonig-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  clang libclang-rt-14-dev
  python3 python3-numpy python3-torch python3-sklearn python3-scipy python3-demjson
  unicode-data
  iso-codes libglib2.0-data libc-l10n libpam-runtime
)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Node.js may come from another source (nodesource's nodejs ships its own npm and conflicts with
# Debian's npm package): install Debian's only when no npm is there at all.
if ! command -v npm >/dev/null 2>&1; then missing+=(nodejs npm); fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# Reference implementations used by the parity tests (never by gavel itself).
if [ -f tools/reference/package.json ]; then
  (cd tools/reference && npm ci --ignore-scripts --omit=optional --no-audit --no-fund --loglevel=error)
fi
echo "setup: done"
