#!/usr/bin/env bash
# Checks that src/text/unicode/reference_deltas.txt is what the installed reference library gives:
# probes every code point (probe_unicode.js), rewrites the deltas into WORK_DIR and compares.
# Skips (exit 77) when Node.js or the npm peers are missing. Usage: check_unicode_deltas.sh WORK_DIR
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
if ! command -v node >/dev/null 2>&1 || [ ! -d "$here/node_modules/tokenizers" ]; then
  echo "SKIP unicode deltas: node or the npm reference peers are not installed (run tools/setup.sh)"
  exit 77
fi
mkdir -p "$1"
node "$here/probe_unicode.js" "$1/unicode_probe.json"
python3 "$repo/src/text/unicode/generate_tables.py" --write-deltas "$1/unicode_probe.json" --deltas "$1/reference_deltas.txt"
if ! diff -u "$repo/src/text/unicode/reference_deltas.txt" "$1/reference_deltas.txt"; then
  echo "reference_deltas.txt differs from the reference library's classes; regenerate it with:"
  echo "  node tools/reference/probe_unicode.js probe.json && python3 src/text/unicode/generate_tables.py --write-deltas probe.json --deltas src/text/unicode/reference_deltas.txt"
  exit 1
fi
echo "unicode deltas: reference_deltas.txt matches the reference library"
