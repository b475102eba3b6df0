#!/usr/bin/env node
// Tokenizer benchmark: gavel (bench/tokenizer_bench.cpp) and the Hugging Face tokenizers library
// (npm `tokenizers`, tools/reference/hf_throughput.js) on the same corpus and tokenizer files, one
// thread and all cores, printing MB/s and gavel's speed-up. Rounds alternate the two libraries and
// the medians are reported, so that a busy machine affects both alike.
//
// Usage: node bench/tokenizer_bench.js --bench BUILD/bench/tokenizer_bench [--work DIR] [--rounds N] [--seconds S]
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');

const REPO = path.resolve(__dirname, '..');
const REFERENCE = path.join(REPO, 'tools', 'reference');
const { prepareInputs } = require(path.join(REFERENCE, 'parity_inputs'));

function parseArgs() {
  const args = { bench: null, work: path.join(REPO, 'build', 'release', 'tokenizer_parity'), rounds: '3', seconds: '3' };
  for (let i = 2; i < process.argv.length; i += 2) {
    const key = process.argv[i].replace(/^--/, '');
    if (!(key in args)) throw new Error(`unknown option ${process.argv[i]}`);
    args[key] = process.argv[i + 1];
  }
  if (!args.bench) throw new Error('usage: tokenizer_bench.js --bench BUILD/bench/tokenizer_bench [--work DIR] [--rounds N] [--seconds S]');
  return args;
}

function jsonLines(cmd, argv, env) {
  const r = spawnSync(cmd, argv, { encoding: 'utf8', maxBuffer: 1 << 28, env: { ...process.env, ...env } });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${cmd} failed (${r.status}): ${r.stderr}`);
  return r.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
}

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor((s.length - 1) / 2)]; };
const fmt = (x) => x.toFixed(2).padStart(8);

function main() {
  const args = parseArgs();
  const inputs = prepareInputs(path.resolve(args.work));
  const corpus = inputs.benchCorpus;
  const mb = fs.readFileSync(corpus, 'utf8').split('\n').filter((l) => l).reduce((n, l) => n + Buffer.byteLength(JSON.parse(l).text), 0) / 1e6;
  const threads = os.cpus().length;
  console.log(`corpus: ${corpus} (${mb.toFixed(2)} MB: arena prompts and answers, judge prompts, gettext messages, source code)`);
  console.log(`machine: ${os.cpus()[0].model}, ${threads} threads, load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}`);
  console.log(`rounds: ${args.rounds}, each pass repeated for ${args.seconds} s (best pass kept)\n`);
  const single = { RAYON_NUM_THREADS: '1', TOKENIZERS_PARALLELISM: 'false' };
  const table = [];
  for (const [name, file] of [['qwen', inputs.qwen], ['xlmr_sequence', inputs.xlmrSequence], ['xlmr_legacy', inputs.xlmrLegacy]]) {
    const rows = [];
    let longLine = [];
    for (let round = 0; round < Number(args.rounds); round++) {
      const g = jsonLines(args.bench, ['--tokenizer', file, '--corpus', corpus, '--seconds', args.seconds,
        '--threads', String(threads), '--long-line-mb', round === 0 ? '10' : '0']);
      const h1 = jsonLines('node', [path.join(REFERENCE, 'hf_throughput.js'), file, corpus, args.seconds], single)[0];
      const hn = jsonLines('node', [path.join(REFERENCE, 'hf_throughput.js'), file, corpus, args.seconds], {})[0];
      const by = (mode) => g.find((r) => r.mode === mode);
      if (round === 0) longLine = g.filter((r) => r.mode === 'long_line');
      rows.push({ g1: by('single'), go: by('single_offsets'), gn: by('multi'), h1, hn });
    }
    const m = (f) => median(rows.map(f));
    const result = {
      name,
      gavel1: m((r) => r.g1.mb_per_s), gavel1cpu: m((r) => r.g1.mb_per_cpu_s), gavelOffsets: m((r) => r.go.mb_per_s),
      gavelN: m((r) => r.gn.mb_per_s), hf1: m((r) => r.h1.mb_per_s), hf1cpu: m((r) => r.h1.mb_per_cpu_s), hfN: m((r) => r.hn.mb_per_s),
      ratio1: m((r) => r.g1.mb_per_s / r.h1.mb_per_s), ratio1cpu: m((r) => r.g1.mb_per_cpu_s / r.h1.mb_per_cpu_s),
      ratioN: m((r) => r.gn.mb_per_s / r.hn.mb_per_s), longLine,
    };
    table.push(result);
    console.log(`${name}: gavel 1 thread ${result.gavel1.toFixed(2)} MB/s (${result.gavel1cpu.toFixed(2)} MB/CPU-s), ` +
      `HF 1 thread ${result.hf1.toFixed(2)} MB/s (${result.hf1cpu.toFixed(2)} MB/CPU-s), ratio ${result.ratio1.toFixed(2)}x ` +
      `(CPU ${result.ratio1cpu.toFixed(2)}x); ${threads} threads: gavel ${result.gavelN.toFixed(2)}, HF ${result.hfN.toFixed(2)} MB/s, ratio ${result.ratioN.toFixed(2)}x`);
  }
  console.log('\n| tokenizer | gavel 1 thread MB/s | HF 1 thread MB/s | ratio | ratio (CPU time) | gavel with offsets, 1 thread | gavel ' + threads + ' threads | HF ' + threads + ' threads | ratio |');
  console.log('|---|---|---|---|---|---|---|---|---|');
  for (const r of table)
    console.log(`| ${r.name} | ${r.gavel1.toFixed(2)} | ${r.hf1.toFixed(2)} | ${r.ratio1.toFixed(2)}x | ${r.ratio1cpu.toFixed(2)}x | ` +
      `${r.gavelOffsets.toFixed(2)} | ${r.gavelN.toFixed(2)} | ${r.hfN.toFixed(2)} | ${r.ratioN.toFixed(2)}x |`);
  console.log('\nOne line without spaces (gavel, encode_ids), seconds per MB at growing lengths:');
  for (const r of table)
    console.log(`  ${r.name.padEnd(14)} ` + r.longLine.map((l) => `${l.mb.toFixed(0)} MB: ${l.seconds_per_mb.toFixed(3)} s/MB`).join(', '));
}

main();
