#!/usr/bin/env bash
# Full-shape parity check for JinaJudge (benchmark side, run by hand: tens of minutes, ~12 GB of
# disk, ~8 GB of memory). Runs the jina parity tests on `gavel make-model --arch jina-judge`
# checkpoints of the real shapes instead of the tiny one:
#   - full (the original 4-block, 1024-wide judge, 614M parameters): encoder vs llama.cpp (no
#     task, a task adapter, scaled weights) and head vs PyTorch;
#   - full-512 (the later 5-block, 512-wide variant with its projection): head vs PyTorch.
# usage: tests/reference/jina_full_parity.sh [BUILD_DIR] [WORK_DIR]
#   (GAVEL_PEER_THREADS=N gives llama.cpp N threads; default 1)
#   BUILD_DIR: a release build configured with the llama.cpp peers (default build/release)
#   WORK_DIR:  where the checkpoints go (default: a new folder under /tmp, removed at the end)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$root/build/release}
if [ -n "${2:-}" ]; then
  work=$2
  mkdir -p "$work"
else
  work=$(mktemp -d /tmp/gavel-jina-full.XXXXXX)
  trap 'rm -rf "$work"' EXIT
fi
[ -x "$build/tests/reference/llama_embed" ] || {
  echo "jina_full_parity.sh: $build has no llama.cpp peer (configure with node-llama-cpp installed)" >&2
  exit 1
}

"$build/gavel" make-model --arch jina-judge --size full --seed 1 --out "$work/full"
# Both shapes run even when one fails; the exit status says whether all passed.
status=0
GAVEL_JINA_TEST_MODEL="$work/full" "$build/tests/reference/jina_parity_tests" \
  --gtest_filter='JinaLlamaParity.*:JinaHeadTorchParity.TestModel' || status=1
rm -rf "$work/full"

"$build/gavel" make-model --arch jina-judge --size full-512 --seed 2 --out "$work/full-512"
GAVEL_JINA_TEST_MODEL="$work/full-512" "$build/tests/reference/jina_parity_tests" --gtest_filter='JinaHeadTorchParity.TestModel' || status=1
exit $status
