#!/usr/bin/env bash
# Builds gavel (Release, and Debug with ASan+UBSan) and runs every test: unit and parity tests
# under CTest in both builds, then each fuzz target for a bounded time.
set -euo pipefail
cd "$(dirname "$0")/.."
JOBS=${JOBS:-$(nproc)}

cmake --preset release >/dev/null
cmake --build --preset release -j "$JOBS"
ctest --preset release -j "$JOBS"

cmake --preset asan >/dev/null
cmake --build --preset asan -j "$JOBS"
ctest --preset asan -j "$JOBS" -LE slow

if [ -d fuzz ] && ls fuzz/*.cpp >/dev/null 2>&1; then
  cmake --preset fuzz >/dev/null
  targets=$(for f in fuzz/*.cpp; do basename "$f" .cpp; done)
  # Only the fuzz targets (and the libraries they use), not the whole tree a second time.
  cmake --build --preset fuzz -j "$JOBS" --target $targets
  for name in $targets; do
    target=build/fuzz/fuzz/$name
    corpus=fuzz/corpus/$name
    mkdir -p "build/fuzz/corpus-$name"
    echo "fuzz: $name for ${FUZZ_SECONDS:-30}s"
    "$target" -max_total_time="${FUZZ_SECONDS:-30}" -timeout=10 -rss_limit_mb=2048 \
      "build/fuzz/corpus-$name" $( [ -d "$corpus" ] && echo "$corpus" ) 2>&1 | tail -3
  done
fi
