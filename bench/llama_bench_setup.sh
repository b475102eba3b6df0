#!/usr/bin/env bash
# Builds llama.cpp's own `llama-bench` natively (Release, GGML_NATIVE=ON, no CURL, only the
# llama-bench target) from the llama.cpp source that npm `node-llama-cpp` bundles
# (llama/gitRelease.bundle), caches it under ${XDG_CACHE_HOME:-~/.cache}/gavel/llama-bench-<commit>/
# and prints the binary's path. A second run with the build present is instant.
# node-llama-cpp's prebuilt binaries are never used: they are not built for this machine.
#   usage: bench/llama_bench_setup.sh [-j JOBS]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
jobs=2
while [ $# -gt 0 ]; do
  case $1 in
    -j) jobs=$2; shift 2 ;;
    *) echo "llama_bench_setup.sh: unknown argument '$1' (usage: [-j JOBS])" >&2; exit 2 ;;
  esac
done
modules=${GAVEL_NODE_MODULES:-$root/tools/reference/node_modules}
bundle=$modules/node-llama-cpp/llama/gitRelease.bundle
if [ ! -f "$bundle" ]; then
  echo "llama_bench_setup.sh: $bundle not found: run 'npm ci --ignore-scripts --omit=optional' in tools/reference" >&2
  exit 1
fi
commit=$(git ls-remote "$bundle" HEAD | cut -c1-12)
if [ -z "$commit" ]; then
  echo "llama_bench_setup.sh: cannot read HEAD of $bundle" >&2
  exit 1
fi
# On CPUs with AMX, a native build compiles ggml's AMX kernels for quantised weights, and at this
# commit they die of SIGILL at their first tile load when llama-bench runs a Q8_0 prompt here
# (tinygemm_kernel_amx; the tile config is set once per thread and found missing, llama.cpp PR
# #26954). Such CPUs get a native build with AMX switched off (explicit -mno-amx-* outrank
# -march=native), cached apart: llama.cpp as it runs on this machine, on its AVX-512 kernels.
flags=()
suffix=""
if grep -qw amx_tile /proc/cpuinfo 2>/dev/null; then
  flags=(-DCMAKE_C_FLAGS="-mno-amx-tile -mno-amx-int8 -mno-amx-bf16"
         -DCMAKE_CXX_FLAGS="-mno-amx-tile -mno-amx-int8 -mno-amx-bf16")
  suffix="-noamx"
fi
dest=${XDG_CACHE_HOME:-$HOME/.cache}/gavel/llama-bench-$commit$suffix
bin=$dest/build/bin/llama-bench
if [ -x "$bin" ]; then
  echo "$bin"
  exit 0
fi
mkdir -p "$dest"
if [ ! -d "$dest/src/.git" ]; then
  rm -rf "$dest/src.tmp"
  git -c advice.detachedHead=false clone -q "$bundle" "$dest/src.tmp" >&2
  mv "$dest/src.tmp" "$dest/src"
fi
cmake -S "$dest/src" -B "$dest/build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DGGML_NATIVE=ON -DLLAMA_CURL=OFF -DBUILD_SHARED_LIBS=OFF -DGGML_OPENMP=ON \
  -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_SERVER=OFF "${flags[@]}" >&2
cmake --build "$dest/build" --target llama-bench -j "$jobs" >&2
if [ ! -x "$bin" ]; then
  echo "llama_bench_setup.sh: build finished but $bin is missing" >&2
  exit 1
fi
echo "$bin"
