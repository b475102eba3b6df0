#!/usr/bin/env node
// Tokenizer parity: runs `gavel tokenize` and the Hugging Face tokenizers library (npm `tokenizers`,
// the Rust library's native binary) over the same corpus and requires identical ids on every line,
// with and without special tokens, and identical decoded text (skip_special_tokens off and on).
// Stage checks compare normalizer and pre-tokenizer output over every Unicode code point.
//
// Usage: node tokenizer_parity.js --gavel BUILD/gavel --work DIR [--only NAME]
// DIR caches the generated corpus and tokenizer files (parity_inputs.js). Exit status 0 only when
// everything matches.
'use strict';
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');

const HERE = __dirname;
const { Tokenizer } = require(path.join(HERE, 'node_modules', 'tokenizers'));
const { prepareInputs, run } = require('./parity_inputs');

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

// One long line without spaces (a single huge word for every pre-tokenizer): same ids.
async function checkLongLine(report, gavel, work, name, file) {
  const t0 = Date.now();
  let seed = 7;
  const random = () => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648; };
  const letters = 'abcdefghijklmnopqrstuvwxyzабвгдежзиклмнопрстуфхцчшщыэюя';
  const chars = [];
  let bytes = 0;
  while (bytes < 1000000) {
    const c = letters[Math.floor(random() * letters.length)];
    chars.push(c);
    bytes += c.charCodeAt(0) < 128 ? 1 : 2;
  }
  const text = chars.join('');
  const file1 = path.join(work, `${name}.long.jsonl`);
  fs.writeFileSync(file1, JSON.stringify({ text }) + '\n');
  const tok = Tokenizer.fromFile(file);
  const expected = (await tok.encode(text, null, { addSpecialTokens: true })).getIds();
  const actual = gavelLines(gavel, ['--tokenizer', file, '--add-special-tokens'], file1)[0].ids;
  report.check(name, 'ids of one 1 MB line without spaces', [expected], [actual],
    (i, e, a) => `first difference at token ${firstDifference(e, a || [])} of ${e.length}`);
  console.log(`tokenizer_parity: long line of ${name} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

async function main() {
  const args = parseArgs();
  const work = path.resolve(args.work);
  fs.mkdirSync(work, { recursive: true });
  const inputs = prepareInputs(work);
  const { corpus, codepoints, smallCorpus, qwen, xlmrLegacy, xlmrSequence, variantsDir, variants } = inputs;

  const report = new Report();
  const want = (name) => !args.only || name === args.only;
  const main3 = [['qwen', qwen], ['xlmr_legacy', xlmrLegacy], ['xlmr_sequence', xlmrSequence]];
  for (const [name, file] of main3) if (want(name)) await checkTokenizer(report, args.gavel, work, name, file, corpus);
  for (const [name, file] of [main3[0], main3[2]]) if (want(name)) await checkLongLine(report, args.gavel, work, name, file);
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
