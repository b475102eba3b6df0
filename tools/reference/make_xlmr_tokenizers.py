#!/usr/bin/env python3
"""Writes XLM-R Unigram tokenizer.json files from the real XLM-R vocabulary.

The vocabulary (250,002 pieces with their scores) and the SentencePiece precompiled charsmap come
from models/ggml-vocab-nomic-bert-moe.gguf in the llama.cpp source that npm node-llama-cpp bundles
as llama/gitRelease.bundle (a git bundle). Two files are written, one per layout XLM-R files use:

  xlmr_legacy.json    normalizer Precompiled; pre-tokenizer Metaspace(add_prefix_space);
                      post-processor RobertaProcessing (the 2020 converter output)
  xlmr_sequence.json  normalizer Sequence[Precompiled, Strip(right), Replace(" {2,}", "▁")];
                      pre-tokenizer Metaspace(prepend_scheme "always", split);
                      post-processor TemplateProcessing (the current converter output)

Usage: make_xlmr_tokenizers.py --bundle PATH/gitRelease.bundle --out DIR [--cache DIR]
Only Python's standard library and git are needed. Nothing here is used by gavel itself.
"""
import argparse
import base64
import json
import os
import struct
import subprocess
import sys

GGUF_PATH_IN_BUNDLE = "models/ggml-vocab-nomic-bert-moe.gguf"
XLMR_VOCAB_SIZE = 250002  # the GGUF pads the vocabulary to 250048 with [PAD...] pieces


def read_gguf_metadata(data):
    """Returns the key/value metadata of a GGUF file (the tensor infos are not needed)."""
    if data[:4] != b"GGUF":
        sys.exit("make_xlmr_tokenizers: not a GGUF file (bad magic)")
    version, = struct.unpack_from("<I", data, 4)
    if version < 2:
        sys.exit(f"make_xlmr_tokenizers: GGUF version {version} is not supported")
    n_tensors, n_kv = struct.unpack_from("<QQ", data, 8)
    pos = 24
    scalar = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q", 11: "<q", 12: "<d"}

    def read_string(pos):
        n, = struct.unpack_from("<Q", data, pos)
        return data[pos + 8:pos + 8 + n].decode("utf-8"), pos + 8 + n

    def read_value(kind, pos):
        if kind in scalar:
            fmt = scalar[kind]
            return struct.unpack_from(fmt, data, pos)[0], pos + struct.calcsize(fmt)
        if kind == 8:
            return read_string(pos)
        if kind == 9:
            item_kind, count = struct.unpack_from("<IQ", data, pos)
            pos += 12
            if item_kind == 0:  # bytes: keep them as one blob
                return bytes(data[pos:pos + count]), pos + count
            if item_kind in scalar:
                fmt = "<%d%s" % (count, scalar[item_kind][1])
                return list(struct.unpack_from(fmt, data, pos)), pos + struct.calcsize(fmt)
            items = []
            for _ in range(count):
                item, pos = read_value(item_kind, pos)
                items.append(item)
            return items, pos
        sys.exit(f"make_xlmr_tokenizers: unknown GGUF value type {kind}")

    metadata = {}
    for _ in range(n_kv):
        key, pos = read_string(pos)
        kind, = struct.unpack_from("<I", data, pos)
        value, pos = read_value(kind, pos + 4)
        metadata[key] = value
    return metadata


def load_gguf_from_bundle(bundle, cache):
    """Clones the bundle once into `cache` (a bare repository) and returns the GGUF file's bytes."""
    repo = os.path.join(cache, "llama.cpp.git")
    if not os.path.isdir(repo):
        tmp = repo + ".tmp"
        subprocess.run(["rm", "-rf", tmp], check=True)
        subprocess.run(["git", "clone", "--quiet", "--bare", bundle, tmp], check=True)
        os.rename(tmp, repo)
    return subprocess.run(["git", "--git-dir", repo, "show", "HEAD:" + GGUF_PATH_IN_BUNDLE],
                          check=True, stdout=subprocess.PIPE).stdout


def special(token_id, content, lstrip=False):
    return {"id": token_id, "content": content, "single_word": False, "lstrip": lstrip, "rstrip": False,
            "normalized": False, "special": True}


def build_files(metadata):
    tokens = metadata["tokenizer.ggml.tokens"]
    scores = metadata["tokenizer.ggml.scores"]
    charsmap = metadata["tokenizer.ggml.precompiled_charsmap"]
    if metadata.get("tokenizer.ggml.model") != "t5" or len(tokens) < XLMR_VOCAB_SIZE:
        sys.exit("make_xlmr_tokenizers: the GGUF does not hold the XLM-R Unigram vocabulary")
    expected = {0: "<s>", 1: "<pad>", 2: "</s>", 3: "<unk>", XLMR_VOCAB_SIZE - 1: "<mask>"}
    for token_id, content in expected.items():
        if tokens[token_id] != content:
            sys.exit(f"make_xlmr_tokenizers: token {token_id} is {tokens[token_id]!r}, expected {content!r}")
    vocab = [[tokens[i], float(scores[i])] for i in range(XLMR_VOCAB_SIZE)]
    model = {"type": "Unigram", "unk_id": 3, "vocab": vocab, "byte_fallback": False}
    added = [special(0, "<s>"), special(1, "<pad>"), special(2, "</s>"), special(3, "<unk>"),
             special(XLMR_VOCAB_SIZE - 1, "<mask>", lstrip=True)]
    precompiled = {"type": "Precompiled", "precompiled_charsmap": base64.b64encode(charsmap).decode("ascii")}

    legacy = {
        "version": "1.0", "truncation": None, "padding": None, "added_tokens": added,
        "normalizer": precompiled,
        "pre_tokenizer": {"type": "Metaspace", "replacement": "\u2581", "add_prefix_space": True},
        "post_processor": {"type": "RobertaProcessing", "sep": ["</s>", 2], "cls": ["<s>", 0],
                           "trim_offsets": True, "add_prefix_space": True},
        "decoder": {"type": "Metaspace", "replacement": "\u2581", "add_prefix_space": True},
        "model": model,
    }

    def piece(kind, name):
        return {kind: {"id": name, "type_id": 0}}

    sequence = {
        "version": "1.0", "truncation": None, "padding": None, "added_tokens": added,
        "normalizer": {"type": "Sequence", "normalizers": [
            precompiled,
            {"type": "Strip", "strip_left": False, "strip_right": True},
            {"type": "Replace", "pattern": {"Regex": " {2,}"}, "content": "\u2581"},
        ]},
        "pre_tokenizer": {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "always", "split": True},
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [piece("SpecialToken", "<s>"), piece("Sequence", "A"), piece("SpecialToken", "</s>")],
            "pair": [piece("SpecialToken", "<s>"), piece("Sequence", "A"), piece("SpecialToken", "</s>"),
                     piece("SpecialToken", "</s>"), piece("Sequence", "B"), piece("SpecialToken", "</s>")],
            "special_tokens": {"<s>": {"id": "<s>", "ids": [0], "tokens": ["<s>"]},
                               "</s>": {"id": "</s>", "ids": [2], "tokens": ["</s>"]}},
        },
        "decoder": {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "always", "split": True},
        "model": model,
    }
    return {"xlmr_legacy.json": legacy, "xlmr_sequence.json": sequence}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bundle", required=True, help="node-llama-cpp's llama/gitRelease.bundle")
    parser.add_argument("--out", required=True, help="directory for the tokenizer.json files")
    parser.add_argument("--cache", help="where the bundle is cloned (default: OUT/cache)")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    cache = args.cache or os.path.join(args.out, "cache")
    os.makedirs(cache, exist_ok=True)
    metadata = read_gguf_metadata(load_gguf_from_bundle(args.bundle, cache))
    for name, content in build_files(metadata).items():
        path = os.path.join(args.out, name)
        with open(path + ".tmp", "w", encoding="utf-8") as f:
            json.dump(content, f, ensure_ascii=False)
        os.replace(path + ".tmp", path)
        print(f"make_xlmr_tokenizers: wrote {path}")


if __name__ == "__main__":
    main()
