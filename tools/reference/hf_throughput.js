#!/usr/bin/env node
// The Hugging Face tokenizers library's side of bench/tokenizer_bench.js: throughput of encodeBatch
// over a JSON-lines corpus (ids with special tokens, as gavel's encode_ids), by wall time and by the
// process's CPU time (meaningful for one thread). The thread count comes
// from the environment: RAYON_NUM_THREADS=1 TOKENIZERS_PARALLELISM=false gives one thread.
// Usage: node hf_throughput.js TOKENIZER CORPUS SECONDS   (prints one JSON object)
'use strict';
const fs = require('fs');
const path = require('path');
const { Tokenizer } = require(path.join(__dirname, 'node_modules', 'tokenizers'));

async function main() {
  const [file, corpus, budgetArg] = process.argv.slice(2);
  const budget = Number(budgetArg || 3);
  const loadStart = process.hrtime.bigint();
  const tok = Tokenizer.fromFile(file);
  const loadSeconds = Number(process.hrtime.bigint() - loadStart) / 1e9;
  const texts = fs.readFileSync(corpus, 'utf8').split('\n').filter((l) => l.length > 0).map((l) => JSON.parse(l).text);
  const bytes = texts.reduce((n, t) => n + Buffer.byteLength(t, 'utf8'), 0);
  const pass = async () => {
    let tokens = 0;
    for (let i = 0; i < texts.length; i += 256) {
      const encodings = await tok.encodeBatch(texts.slice(i, i + 256), { addSpecialTokens: true });
      for (const e of encodings) tokens += e.getLength();
    }
    return tokens;
  };
  await pass();  // warm-up
  let best = Infinity, bestCpu = Infinity, total = 0, runs = 0, tokens = 0;
  while (runs < 2 || total < budget) {
    const start = process.hrtime.bigint();
    const cpuStart = process.cpuUsage();
    tokens = await pass();
    const s = Number(process.hrtime.bigint() - start) / 1e9;
    const cpu = process.cpuUsage(cpuStart);
    best = Math.min(best, s);
    bestCpu = Math.min(bestCpu, (cpu.user + cpu.system) / 1e6);
    total += s;
    runs++;
  }
  const mb = bytes / 1e6;
  console.log(JSON.stringify({ load_seconds: loadSeconds, mb, seconds: best, mb_per_s: mb / best, cpu_seconds: bestCpu,
    mb_per_cpu_s: mb / bestCpu, tokens }));
}
main().catch((e) => { console.error(e); process.exit(1); });
