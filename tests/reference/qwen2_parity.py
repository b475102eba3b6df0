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


def write_numpy_checkpoint(model_dir, seed):
    """Stand-in for `gavel make-model --size tiny` until that command lands: a 2-layer Qwen2 with the
    real vocabulary size, f32 weights drawn from a seeded normal distribution."""
    import struct
    D, F, L, H, KV, V = 64, 128, 2, 4, 2, 151936
    d = D // H
    rng = np.random.default_rng(seed)
    tensors = {}

    def normal(name, shape, std, mean=0.0):
        tensors[name] = (mean + std * rng.standard_normal(shape)).astype(np.float32)

    normal("model.embed_tokens.weight", (V, D), 0.5)
    for layer in range(L):
        p = f"model.layers.{layer}."
        normal(p + "input_layernorm.weight", (D,), 0.1, 1.0)
        normal(p + "post_attention_layernorm.weight", (D,), 0.1, 1.0)
        for proj, rows in (("q", H * d), ("k", KV * d), ("v", KV * d)):
            normal(p + f"self_attn.{proj}_proj.weight", (rows, D), 0.1)
            normal(p + f"self_attn.{proj}_proj.bias", (rows,), 0.1)
        normal(p + "self_attn.o_proj.weight", (D, H * d), 0.1)
        normal(p + "mlp.gate_proj.weight", (F, D), 0.1)
        normal(p + "mlp.up_proj.weight", (F, D), 0.1)
        normal(p + "mlp.down_proj.weight", (D, F), 0.1)
    normal("model.norm.weight", (D,), 0.1, 1.0)
    normal("lm_head.weight", (V, D), 0.1)
    header, offset = {}, 0
    for name, t in tensors.items():
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + t.nbytes]}
        offset += t.nbytes
    header["__metadata__"] = {"format": "pt"}
    raw = json.dumps(header).encode()
    raw += b" " * ((8 - len(raw) % 8) % 8)
    os.makedirs(model_dir, exist_ok=True)
    with open(os.path.join(model_dir, "model.safetensors"), "wb") as f:
        f.write(struct.pack("<Q", len(raw)))
        f.write(raw)
        for t in tensors.values():
            f.write(t.tobytes())
    config = {"architectures": ["Qwen2ForCausalLM"], "model_type": "qwen2", "hidden_size": D,
              "intermediate_size": F, "num_hidden_layers": L, "num_attention_heads": H, "num_key_value_heads": KV,
              "vocab_size": V, "max_position_embeddings": 4096, "rope_theta": 1000000.0, "rms_norm_eps": 1e-6,
              "tie_word_embeddings": False, "hidden_act": "silu", "use_sliding_window": False,
              "bos_token_id": 151643, "eos_token_id": 151645, "torch_dtype": "float32"}
    with open(os.path.join(model_dir, "config.json"), "w") as f:
        json.dump(config, f, indent=2)


def make_checkpoint(args, model_dir):
    """The random-weight checkpoint, from gavel's own test-model writer."""
    probe = subprocess.run([args.gavel, "make-model", "--help"], capture_output=True, text=True)
    if probe.returncode != 0:
        if args.size != "tiny":
            print(f"skipped: this gavel has no make-model command to write a {args.size} checkpoint")
            sys.exit(77)
        write_numpy_checkpoint(model_dir, args.seed)
        return
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
