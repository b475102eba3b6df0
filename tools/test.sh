#!/usr/bin/env bash
# Builds gavel twice and runs every test: the Release build (g++) runs all of CTest, unit and
# parity tests; the sanitized build (clang, ASan+UBSan) runs the unit tests under CTest and then
# each libFuzzer target for a bounded time (FUZZ_SECONDS, default 30), JOBS targets at a time.
set -euo pipefail
cd "$(dirname "$0")/.."
JOBS=${JOBS:-$(nproc)}
FUZZ_SECONDS=${FUZZ_SECONDS:-30}

cmake --preset release >/dev/null
cmake --build --preset release -j "$JOBS"
ctest --preset release -j "$JOBS"

cmake --preset asan >/dev/null
cmake --build --preset asan -j "$JOBS"
ctest --preset asan -j "$JOBS" -LE slow

# Each target starts from its committed seeds (fuzz/corpus/NAME) and keeps what it finds in
# build/asan/corpus-NAME, so a second local run goes on where the first stopped.
run_fuzz_target() {
  local name=$1 log=build/asan/fuzz-$1.log
  mkdir -p "build/asan/corpus-$name"
  local seeds=()
  if [ -d "fuzz/corpus/$name" ]; then seeds=("fuzz/corpus/$name"); fi
  if build/asan/fuzz/"$name" -max_total_time="$FUZZ_SECONDS" -timeout=10 -rss_limit_mb=2048 \
       "build/asan/corpus-$name" "${seeds[@]}" >"$log" 2>&1; then
    echo "fuzz: $name: $(grep -E '^Done|#[0-9]+.*DONE' "$log" | tail -1)"
  else
    echo "fuzz: $name FAILED; the end of $log:"
    tail -40 "$log"
    return 1
  fi
}
failed=0
running=0
for src in fuzz/*.cpp; do
  name=$(basename "$src" .cpp)
  echo "fuzz: $name for ${FUZZ_SECONDS}s"
  run_fuzz_target "$name" &
  running=$((running + 1))
  if [ "$running" -ge "$JOBS" ]; then
    wait -n || failed=1
    running=$((running - 1))
  fi
done
while [ "$running" -gt 0 ]; do
  wait -n || failed=1
  running=$((running - 1))
done
exit $failed
