#!/usr/bin/env python3
"""Writes tokenizer.json variants built from the real Qwen and XLM-R vocabularies, so that the parity
test reaches the components the three real files do not use: merges as "a b" strings, byte
fallback, ignore_merges, unk, Metaspace prepend_scheme first/never, Whitespace, WhitespaceSplit,
Digits, Punctuation, Bert and CharDelimiterSplit pre-tokenizers, the normalizers Lowercase, NFD, NFKC,
NFKD, Strip, Replace, Prepend, BertNormalizer, Nmt, StripAccents, added tokens with
lstrip/rstrip/single_word/normalized, truncation, padding and the ByteFallback, Fuse, Strip, Replace,
WordPiece and BPEDecoder decoders. Also writes small "stage" tokenizers whose normalizer or pre-tokenizer output the parity
test compares over every code point.

Usage: make_variant_tokenizers.py --qwen QWEN.json --xlmr XLMR_SEQUENCE.json --out DIR
Writes DIR/*.json and DIR/variants.json listing them. Only Python's standard library is needed.
"""
import argparse
import copy
import json
import os

QWEN_SPLIT = ("(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*"
              "|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+")
CL100K_SPLIT = QWEN_SPLIT.replace("\\p{N}|", "\\p{N}{1,3}|")


def added(token_id, content, special, **flags):
    token = {"id": token_id, "content": content, "single_word": False, "lstrip": False, "rstrip": False,
             "normalized": not special, "special": special}
    token.update(flags)
    return token


def template(single):
    pieces, specials = [], {}
    for item in single.split():
        if item == "$A":
            pieces.append({"Sequence": {"id": "A", "type_id": 0}})
        else:
            name, token_id = item.split("=")
            pieces.append({"SpecialToken": {"id": name, "type_id": 0}})
            specials[name] = {"id": name, "ids": [int(token_id)], "tokens": [name]}
    return {"type": "TemplateProcessing", "single": pieces, "pair": pieces, "special_tokens": specials}


def byte_level_decoder_table():
    printable = [b for b in range(256) if 0x21 <= b <= 0x7E or 0xA1 <= b <= 0xAC or 0xAE <= b <= 0xFF]
    table, extra = {}, 0
    for b in range(256):
        if b in printable:
            table[chr(b)] = b
        else:
            table[chr(256 + extra)] = b
            extra += 1
    return table


def llama_style(qwen, byte_fallback):
    """A SentencePiece-style BPE (tokens spell ▁ for spaces, <0xXX> byte tokens) derived from Qwen's."""
    to_byte = byte_level_decoder_table()
    text_of = {}
    for token in qwen["model"]["vocab"]:
        try:
            text = bytes(to_byte[c] for c in token).decode("utf-8")
        except (KeyError, UnicodeDecodeError):
            continue
        text_of[token] = text.replace(" ", "\u2581")
    vocab = {"<unk>": 0, "<s>": 1, "</s>": 2}
    if byte_fallback:
        for b in range(256):
            vocab["<0x%02X>" % b] = len(vocab)
    for token in sorted(qwen["model"]["vocab"], key=lambda t: qwen["model"]["vocab"][t]):
        if token in text_of and text_of[token] not in vocab:
            vocab[text_of[token]] = len(vocab)
    merges = []
    for a, b in qwen["model"]["merges"]:
        if a in text_of and b in text_of and (a + b) in text_of:
            merges.append(text_of[a] + " " + text_of[b])  # the legacy "a b" string form
    return {
        "version": "1.0", "truncation": None, "padding": None,
        "added_tokens": [added(0, "<unk>", True), added(1, "<s>", True), added(2, "</s>", True)],
        "normalizer": {"type": "Sequence", "normalizers": [
            {"type": "Prepend", "prepend": "\u2581"},
            {"type": "Replace", "pattern": {"String": " "}, "content": "\u2581"}]},
        "pre_tokenizer": None,
        "post_processor": template("<s>=1 $A"),
        "decoder": {"type": "Sequence", "decoders": [
            {"type": "Replace", "pattern": {"String": "\u2581"}, "content": " "},
            {"type": "ByteFallback"}, {"type": "Fuse"},
            {"type": "Strip", "content": " ", "start": 1, "stop": 0}]},
        "model": {"type": "BPE", "dropout": None, "unk_token": "<unk>", "continuing_subword_prefix": None,
                  "end_of_word_suffix": None, "fuse_unk": byte_fallback, "byte_fallback": byte_fallback,
                  "ignore_merges": False, "vocab": vocab, "merges": merges},
    }


def stage(normalizer=None, pre_tokenizer=None):
    return {"version": "1.0", "truncation": None, "padding": None, "added_tokens": [], "normalizer": normalizer,
            "pre_tokenizer": pre_tokenizer, "post_processor": None, "decoder": None,
            "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": None,
                      "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": False, "ignore_merges": False,
                      "vocab": {"a": 0}, "merges": []}}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--qwen", required=True)
    parser.add_argument("--xlmr", required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    with open(args.qwen, encoding="utf-8") as f:
        qwen = json.load(f)
    with open(args.xlmr, encoding="utf-8") as f:
        xlmr = json.load(f)
    os.makedirs(args.out, exist_ok=True)
    files = {}

    # GPT-2 style: ByteLevel with its own regex and a prefix space, merges as strings, NFKC.
    v = copy.deepcopy(qwen)
    v["model"]["merges"] = [a + " " + b for a, b in v["model"]["merges"]]
    v["normalizer"] = {"type": "NFKC"}
    v["pre_tokenizer"] = {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True}
    v["post_processor"] = {"type": "Sequence", "processors": [
        {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
        template("<|im_start|>=151644 $A <|im_end|>=151645")]}
    files["qwen_gpt2_style"] = v

    # Many small features on the Qwen vocabulary.
    v = copy.deepcopy(qwen)
    v["model"]["ignore_merges"] = True
    v["normalizer"] = {"type": "Sequence", "normalizers": [
        {"type": "NFKD"}, {"type": "Lowercase"}, {"type": "Strip", "strip_left": True, "strip_right": True},
        {"type": "Replace", "pattern": {"String": "  "}, "content": " "}, {"type": "NFC"}]}
    v["pre_tokenizer"] = {"type": "Sequence", "pretokenizers": [
        {"type": "Digits", "individual_digits": False},
        {"type": "Punctuation", "behavior": "Contiguous"},
        {"type": "Split", "pattern": {"Regex": CL100K_SPLIT}, "behavior": "Isolated", "invert": False},
        {"type": "Split", "pattern": {"Regex": "[,;]\\s*"}, "behavior": "MergedWithPrevious", "invert": False},
        {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": False}]}
    v["added_tokens"] = v["added_tokens"] + [
        added(0, "hello", False, lstrip=True, rstrip=True),
        added(0, "wörld", False, single_word=True),
        added(0, "Мир", False, normalized=True),
        added(0, "<sep>", True, lstrip=True, rstrip=False),
    ]
    v["truncation"] = {"direction": "Left", "max_length": 48, "strategy": "LongestFirst", "stride": 0}
    v["padding"] = {"strategy": {"Fixed": 50}, "direction": "Left", "pad_to_multiple_of": 8, "pad_id": 151643,
                    "pad_type_id": 0, "pad_token": "<|endoftext|>"}
    v["post_processor"] = template("<|im_start|>=151644 $A <|im_end|>=151645")
    files["qwen_features"] = v

    files["llama_byte_fallback"] = llama_style(qwen, True)
    files["llama_unk"] = llama_style(qwen, False)

    # Unigram with byte fallback, Metaspace "first", WhitespaceSplit, normalizers.
    v = copy.deepcopy(xlmr)
    for b in range(256):
        v["model"]["vocab"].append(["<0x%02X>" % b, -30.0])
    v["model"]["byte_fallback"] = True
    v["normalizer"] = {"type": "Sequence", "normalizers": [
        {"type": "NFKC"}, {"type": "Replace", "pattern": {"Regex": "\\s+"}, "content": " "}]}
    v["pre_tokenizer"] = {"type": "Sequence", "pretokenizers": [
        {"type": "WhitespaceSplit"},
        {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "first", "split": False}]}
    v["added_tokens"] = v["added_tokens"] + [added(0, "hello", False, rstrip=True)]
    v["decoder"] = {"type": "Sequence", "decoders": [
        {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "first", "split": False},
        {"type": "ByteFallback"}, {"type": "Fuse"}]}
    files["xlmr_byte_fallback"] = v

    v = copy.deepcopy(xlmr)
    v["normalizer"] = {"type": "Sequence", "normalizers": [{"type": "NFD"}, {"type": "Lowercase"}]}
    v["pre_tokenizer"] = {"type": "Sequence", "pretokenizers": [
        {"type": "Whitespace"},
        {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "never", "split": True}]}
    v["decoder"] = {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "never", "split": True}
    files["xlmr_whitespace"] = v

    v = copy.deepcopy(xlmr)
    v["normalizer"] = v["normalizer"]["normalizers"][0]  # Precompiled alone
    v["pre_tokenizer"] = {"type": "Sequence", "pretokenizers": [
        {"type": "Punctuation", "behavior": "Isolated"},
        {"type": "Digits", "individual_digits": True},
        {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "always", "split": True}]}
    files["xlmr_punctuation"] = v

    # BERT-style normalization and pre-tokenization on the Qwen vocabulary; BPEDecoder after ByteLevel.
    v = copy.deepcopy(qwen)
    v["normalizer"] = {"type": "BertNormalizer", "clean_text": True, "handle_chinese_chars": True,
                       "strip_accents": None, "lowercase": True}
    v["pre_tokenizer"] = {"type": "Sequence", "pretokenizers": [
        {"type": "BertPreTokenizer"},
        {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": False}]}
    v["decoder"] = {"type": "Sequence", "decoders": [
        {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": False},
        {"type": "BPEDecoder", "suffix": "!"}]}
    files["qwen_bert"] = v

    # NMT-style cleaning, accent stripping, CharDelimiterSplit; WordPiece and Replace decoders.
    v = copy.deepcopy(xlmr)
    v["normalizer"] = {"type": "Sequence", "normalizers": [
        {"type": "Nmt"}, {"type": "NFKD"}, {"type": "StripAccents"}, {"type": "Lowercase"}]}
    v["pre_tokenizer"] = {"type": "Sequence", "pretokenizers": [
        {"type": "CharDelimiterSplit", "delimiter": " "},
        {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "always", "split": True}]}
    v["decoder"] = {"type": "Sequence", "decoders": [
        {"type": "Replace", "pattern": {"Regex": "\u2581+"}, "content": " "},
        {"type": "WordPiece", "prefix": "\u2581", "cleanup": True}]}
    files["xlmr_nmt"] = v

    stages = {
        "stage_qwen_split": stage(pre_tokenizer=qwen["pre_tokenizer"]["pretokenizers"][0]),
        "stage_cl100k_split": stage(pre_tokenizer={"type": "Split", "pattern": {"Regex": CL100K_SPLIT},
                                                   "behavior": "Isolated", "invert": False}),
        "stage_gpt2_byte_level": stage(pre_tokenizer={"type": "ByteLevel", "add_prefix_space": False,
                                                      "trim_offsets": False, "use_regex": True}),
        "stage_nfc": stage(normalizer={"type": "NFC"}),
        "stage_nfd": stage(normalizer={"type": "NFD"}),
        "stage_nfkc": stage(normalizer={"type": "NFKC"}),
        "stage_nfkd": stage(normalizer={"type": "NFKD"}),
        "stage_lowercase": stage(normalizer={"type": "Lowercase"}),
        "stage_precompiled": stage(normalizer=xlmr["normalizer"]),
        "stage_whitespace": stage(pre_tokenizer={"type": "Whitespace"}),
        "stage_whitespace_split": stage(pre_tokenizer={"type": "WhitespaceSplit"}),
        "stage_digits_punctuation": stage(pre_tokenizer={"type": "Sequence", "pretokenizers": [
            {"type": "Digits", "individual_digits": False}, {"type": "Punctuation", "behavior": "Isolated"}]}),
        "stage_bert": stage(normalizer={"type": "BertNormalizer", "clean_text": True, "handle_chinese_chars": True,
                                        "strip_accents": True, "lowercase": False},
                            pre_tokenizer={"type": "BertPreTokenizer"}),
        "stage_nmt_strip_accents": stage(normalizer={"type": "Sequence", "normalizers": [
            {"type": "Nmt"}, {"type": "NFD"}, {"type": "StripAccents"}]}),
    }
    listing = {"tokenizers": [], "stages": []}
    for kind, group in (("tokenizers", files), ("stages", stages)):
        for name, content in group.items():
            with open(os.path.join(args.out, name + ".json"), "w", encoding="utf-8") as f:
                json.dump(content, f, ensure_ascii=False)
            listing[kind].append({"name": name, "file": name + ".json"})
    with open(os.path.join(args.out, "variants.json"), "w", encoding="utf-8") as f:
        json.dump(listing, f, indent=1)
    print(f"make_variant_tokenizers: wrote {len(files)} tokenizers and {len(stages)} stage files to {args.out}")


if __name__ == "__main__":
    main()
