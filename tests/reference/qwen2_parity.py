#!/usr/bin/python3
"""Parity of gavel's Qwen2 with llama.cpp on one random-weight checkpoint with the real Qwen vocabulary.

gavel reads the safetensors checkpoint; llama.cpp (node-llama-cpp's prebuilt CPU libraries, through
tests/reference/llama_logits.cpp) reads an f32 GGUF of the same weights written by qwen2_gguf.py. For
each prompt, the logits of every prompt position must agree within --tolerance (max |delta|), and the
greedy continuations (eos ignored, no repetition penalty) must be identical.

usage: qwen2_parity.py --gavel BIN --llama-logits BIN --llama-source DIR --tokenizer tokenizer.json
                       --work DIR [--size tiny|0.5b] [--lengths 20,64,150,300,500] [--greedy 32]
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def run(cmd, **kw):
    result = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if result.returncode != 0:
        sys.stderr.write(f"command failed ({result.returncode}): {' '.join(cmd)}\n{result.stdout}{result.stderr}")
        sys.exit(1)
    return result.stdout


def make_checkpoint(args, model_dir):
    """The random-weight checkpoint (f32), from gavel's own test-model writer."""
    run([args.gavel, "make-model", "--arch", "qwen2", "--size", args.size, "--seed", str(args.seed),
         "--out", model_dir, "--dtype", "f32", "--tokenizer", args.tokenizer])


def prompt_ids(length, seed, n_text):
    """A prompt shaped like a chat turn: <|im_start|> ids around random ordinary-vocabulary ids."""
    rng = np.random.default_rng(seed)
    body = rng.integers(0, n_text, size=max(length - 5, 1)).tolist()
    ids = [151644, 872, 198] + body + [151645, 198]
    return ids[:length]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--gavel", required=True)
    p.add_argument("--llama-logits", required=True)
    p.add_argument("--llama-source", required=True)
    p.add_argument("--tokenizer", required=True)
    p.add_argument("--work", required=True)
    p.add_argument("--size", default="tiny")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--lengths", default="20,64,150,300,500")
    p.add_argument("--greedy", type=int, default=32)
    p.add_argument("--threads", type=int, default=2, help="gavel's threads")
    p.add_argument("--llama-threads", type=int, default=1,
                   help="llama.cpp's threads (its workers spin: more than the free cores slows it down a lot)")
    p.add_argument("--tolerance", type=float, default=1e-2)
    p.add_argument("--keep", action="store_true", help="keep the work folder")
    args = p.parse_args()

    for path, what in [(args.llama_logits, "llama_logits"), (args.tokenizer, "tokenizer.json"),
                       (os.path.join(args.llama_source, "gguf-py"), "llama.cpp gguf-py")]:
        if not os.path.exists(path):
            print(f"skipped: {what} not found at {path}: run tools/setup.sh")
            return 77

    shutil.rmtree(args.work, ignore_errors=True)
    os.makedirs(args.work)
    model_dir = os.path.join(args.work, "model")
    gguf_path = os.path.join(args.work, "model.gguf")
    t0 = time.time()
    make_checkpoint(args, model_dir)
    run([sys.executable, os.path.join(HERE, "qwen2_gguf.py"), model_dir, args.tokenizer, gguf_path, args.llama_source])
    with open(os.path.join(model_dir, "config.json")) as f:
        config = json.load(f)
    print(f"checkpoint: {args.size}, hidden {config['hidden_size']}, layers {config['num_hidden_layers']}, "
          f"heads {config['num_attention_heads']}/{config.get('num_key_value_heads')}, vocab {config['vocab_size']} "
          f"(written in {time.time() - t0:.1f} s)")

    lengths = [int(x) for x in args.lengths.split(",")]
    prompts = [prompt_ids(length, args.seed * 100 + n, 151643) for n, length in enumerate(lengths)]
    llama_cmd = [args.llama_logits, gguf_path, str(args.greedy), str(args.llama_threads)]
    for n, ids in enumerate(prompts):
        with open(os.path.join(args.work, f"prompt{n}.ids"), "w") as f:
            f.write(" ".join(map(str, ids)))
        llama_cmd += [os.path.join(args.work, f"prompt{n}.ids"), os.path.join(args.work, f"llama{n}.npy")]
    t1 = time.time()
    llama_runs = [json.loads(line) for line in run(llama_cmd).splitlines() if line.strip()]
    print(f"llama.cpp: {len(prompts)} prompts in {time.time() - t1:.1f} s")

    failures = 0
    for n, ids in enumerate(prompts):
        gavel_npy = os.path.join(args.work, f"gavel{n}.npy")
        t2 = time.time()
        gavel = json.loads(run([args.gavel, "generate", "--model", model_dir, "--prompt-ids",
                                os.path.join(args.work, f"prompt{n}.ids"), "--greedy", "--repetition-penalty", "1",
                                "--max-new-tokens", str(args.greedy), "--ignore-eos", "--json",
                                "--logits-out", gavel_npy, "--threads", str(args.threads)]))
        t3 = time.time()
        llama = llama_runs[n]
        a, b = np.load(os.path.join(args.work, f"llama{n}.npy")), np.load(gavel_npy)
        if a.shape != b.shape:
            print(f"prompt {n}: logits shapes differ: llama.cpp {a.shape}, gavel {b.shape}")
            failures += 1
            continue
        delta = float(np.max(np.abs(a.astype(np.float64) - b.astype(np.float64))))
        scale = float(np.max(np.abs(a)))
        agree = sum(1 for x, y in zip(llama["greedy"], gavel["generated_ids"]) if x == y)
        first_diff = next((i for i, (x, y) in enumerate(zip(llama["greedy"], gavel["generated_ids"])) if x != y), None)
        ok = delta <= args.tolerance and llama["greedy"] == gavel["generated_ids"]
        failures += 0 if ok else 1
        print(f"prompt {n}: {len(ids)} tokens, max |logit delta| {delta:.3g} (|logits| up to {scale:.3g}), "
              f"greedy {agree}/{args.greedy} identical"
              + ("" if first_diff is None else f" (first difference at {first_diff})")
              + f", gavel {t3 - t2:.1f} s  {'ok' if ok else 'FAILED'}")
    if not args.keep:
        shutil.rmtree(args.work, ignore_errors=True)
    print("parity: " + ("ok" if failures == 0 else f"{failures} prompt(s) FAILED"))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
