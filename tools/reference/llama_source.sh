#!/usr/bin/env bash
# Prints the path of a checkout of the llama.cpp source that npm `node-llama-cpp` bundles
# (llama/gitRelease.bundle), cloning it once into the cache dir. Test peers (GGUF writers,
# vocab extraction, llama.cpp headers) read from it; gavel itself never does.
#   usage: tools/reference/llama_source.sh [CACHE_DIR]   (default: build/reference-cache)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
modules=${GAVEL_NODE_MODULES:-$root/tools/reference/node_modules}
bundle=$modules/node-llama-cpp/llama/gitRelease.bundle
cache=${1:-$root/build/reference-cache}
dest=$cache/llama.cpp
if [ ! -f "$bundle" ]; then
  echo "llama_source.sh: $bundle not found: run tools/setup.sh (npm ci in tools/reference)" >&2
  exit 1
fi
if [ ! -d "$dest/.git" ]; then
  mkdir -p "$cache"
  rm -rf "$dest.tmp"
  git -c advice.detachedHead=false clone -q "$bundle" "$dest.tmp" >&2
  mv "$dest.tmp" "$dest"
fi
echo "$dest"
