#!/usr/bin/env node
// Asks the Hugging Face tokenizers library (npm `tokenizers`) which code points its components put in
// each character class, by running single-purpose tokenizers over every code point. Its Rust standard
// library, Oniguruma and unicode_categories crates each follow their own Unicode version, so the
// classes differ from Debian's UCD 15 for recently added characters. The output (JSON) feeds
// src/text/unicode/generate_tables.py --write-deltas, which records the differences that gavel's
// tables must apply. Usage: node probe_unicode.js OUT.json
'use strict';
const fs = require('fs');
const path = require('path');
const { Tokenizer } = require(path.join(__dirname, 'node_modules', 'tokenizers'));

function tokenizer({ preTokenizer = null, normalizer = null, addedTokens = [] }) {
  return Tokenizer.fromString(JSON.stringify({
    version: '1.0', truncation: null, padding: null, added_tokens: addedTokens, normalizer,
    pre_tokenizer: preTokenizer, post_processor: null, decoder: null,
    model: { type: 'WordLevel', vocab: { '[UNK]': 0, '\u2603': 1 }, unk_token: '[UNK]' },
  }));
}

const codePoints = [];
for (let c = 0; c <= 0x10ffff; c++) if (c < 0xd800 || c > 0xdfff) codePoints.push(c);
const chr = (c) => String.fromCodePoint(c);
const CHUNK = 4096;

// Code points a Removed-behaviour splitter drops: the members of its class.
function removedBy(preTokenizer) {
  const pre = tokenizer({ preTokenizer }).getPreTokenizer();
  const members = [];
  for (let i = 0; i < codePoints.length; i += CHUNK) {
    const chunk = codePoints.slice(i, i + CHUNK);
    const kept = new Set();
    for (const [piece] of pre.preTokenizeString(chunk.map(chr).join(''))) for (const ch of piece) kept.add(ch.codePointAt(0));
    for (const c of chunk) if (!kept.has(c)) members.push(c);
  }
  return members;
}

// Code points an Isolated-behaviour splitter cuts out on their own between 'x' separators.
function isolatedBy(preTokenizer) {
  const pre = tokenizer({ preTokenizer }).getPreTokenizer();
  const members = [];
  for (let i = 0; i < codePoints.length; i += CHUNK) {
    const chunk = codePoints.slice(i, i + CHUNK).filter((c) => c !== 0x78);
    for (const [piece] of pre.preTokenizeString('x' + chunk.map(chr).join('x') + 'x')) {
      const chars = [...piece];
      if (chars.length === 1 && piece !== 'x') members.push(chars[0].codePointAt(0));
    }
  }
  return members;
}

// Rust regex `\w` (used for added tokens with single_word): c is a word character when a
// single-word added token right after it is not matched.
async function regexWordCharacters() {
  const tok = tokenizer({ addedTokens: [{ id: 1, content: '\u2603', single_word: true, lstrip: false, rstrip: false, normalized: false, special: false }] });
  const members = [];
  for (let i = 0; i < codePoints.length; i += CHUNK) {
    const chunk = codePoints.slice(i, i + CHUNK).filter((c) => c !== 0x2603);
    const encodings = await tok.encodeBatch(chunk.map((c) => chr(c) + '\u2603'));
    encodings.forEach((e, k) => { if (!e.getIds().includes(1)) members.push(chunk[k]); });
  }
  return members;
}

// Code points a normalizer removes when it is given them alone.
function removedByNormalizer(normalizer) {
  const n = tokenizer({ normalizer }).getNormalizer();
  return codePoints.filter((c) => n.normalizeString(chr(c)) === '');
}

function lowercaseMappings() {
  const lower = tokenizer({ normalizer: { type: 'Lowercase' } }).getNormalizer();
  const mappings = {};
  for (const c of codePoints) {
    const l = lower.normalizeString(chr(c));
    if (l !== chr(c)) mappings[c] = [...l].map((x) => x.codePointAt(0));
  }
  return mappings;
}

async function main() {
  const out = process.argv[2];
  if (!out) { console.error('usage: probe_unicode.js OUT.json'); process.exit(2); }
  const split = (re) => ({ type: 'Split', pattern: { Regex: re }, behavior: 'Removed', invert: false });
  const result = {
    onig_letter: removedBy(split('\\p{L}')),
    onig_number: removedBy(split('\\p{N}')),
    onig_space: removedBy(split('\\s')),
    onig_word: removedBy(split('\\w')),
    rust_whitespace: removedBy({ type: 'WhitespaceSplit' }),
    rust_numeric: isolatedBy({ type: 'Digits', individual_digits: true }),
    hf_punctuation: isolatedBy({ type: 'Punctuation', behavior: 'Isolated' }),
    regex_word: await regexWordCharacters(),
    hf_mark: removedByNormalizer({ type: 'StripAccents' }),
    hf_bert_control: removedByNormalizer({ type: 'BertNormalizer', clean_text: true, handle_chinese_chars: false,
      strip_accents: false, lowercase: false }),
    // BertNormalizer's accent stripping (NFD, then dropping nonspacing marks); only meaningful for
    // characters that NFD leaves alone, which is how generate_tables.py compares it.
    hf_nonspacing_mark: removedByNormalizer({ type: 'BertNormalizer', clean_text: false, handle_chinese_chars: false,
      strip_accents: true, lowercase: false }),
    lowercase: lowercaseMappings(),
  };
  fs.writeFileSync(out, JSON.stringify(result));
  for (const [k, v] of Object.entries(result)) console.log(`probe_unicode: ${k}: ${Array.isArray(v) ? v.length : Object.keys(v).length}`);
}
main().catch((e) => { console.error(e); process.exit(1); });
