#!/usr/bin/python3
"""Second opinion on gavel's Qwen2 from PyTorch in float64: a one-layer Qwen2 with BF16 weights (GQA,
q/k/v biases, NeoX RoPE, tied embeddings) is written as safetensors, gavel computes the logits of
every prompt position (`gavel generate --logits-out`), and PyTorch recomputes them from the same
stored weights with torch ops in float64. Max |delta| must stay below --tolerance.

usage: qwen2_torch_layer.py --gavel BIN --work DIR
"""
import argparse
import json
import os
import shutil
import struct
import subprocess
import sys

import numpy as np
import torch


def to_bf16_bits(x):
    bits = x.astype(np.float32).view(np.uint32)
    rounded = bits + 0x7FFF + ((bits >> 16) & 1)  # round to nearest even
    return (rounded >> 16).astype(np.uint16)


def write_checkpoint(model_dir, cfg, seed):
    rng = np.random.default_rng(seed)
    D, F, H, KV, V = cfg["hidden_size"], cfg["intermediate_size"], cfg["num_attention_heads"], \
        cfg["num_key_value_heads"], cfg["vocab_size"]
    d = D // H
    shapes = {
        "model.embed_tokens.weight": ((V, D), 0.5, 0.0),
        "model.layers.0.input_layernorm.weight": ((D,), 0.1, 1.0),
        "model.layers.0.self_attn.q_proj.weight": ((H * d, D), 0.15, 0.0),
        "model.layers.0.self_attn.q_proj.bias": ((H * d,), 0.2, 0.0),
        "model.layers.0.self_attn.k_proj.weight": ((KV * d, D), 0.15, 0.0),
        "model.layers.0.self_attn.k_proj.bias": ((KV * d,), 0.2, 0.0),
        "model.layers.0.self_attn.v_proj.weight": ((KV * d, D), 0.15, 0.0),
        "model.layers.0.self_attn.v_proj.bias": ((KV * d,), 0.2, 0.0),
        "model.layers.0.self_attn.o_proj.weight": ((D, H * d), 0.15, 0.0),
        "model.layers.0.post_attention_layernorm.weight": ((D,), 0.1, 1.0),
        "model.layers.0.mlp.gate_proj.weight": ((F, D), 0.15, 0.0),
        "model.layers.0.mlp.up_proj.weight": ((F, D), 0.15, 0.0),
        "model.layers.0.mlp.down_proj.weight": ((D, F), 0.15, 0.0),
        "model.norm.weight": ((D,), 0.1, 1.0),
    }
    bits, header, offset = {}, {}, 0
    for name, (shape, std, mean) in shapes.items():
        b = to_bf16_bits(mean + std * rng.standard_normal(shape))
        bits[name] = b
        header[name] = {"dtype": "BF16", "shape": list(shape), "data_offsets": [offset, offset + b.nbytes]}
        offset += b.nbytes
    header["__metadata__"] = {"format": "pt"}
    raw = json.dumps(header).encode()
    raw += b" " * ((8 - len(raw) % 8) % 8)
    os.makedirs(model_dir, exist_ok=True)
    with open(os.path.join(model_dir, "model.safetensors"), "wb") as f:
        f.write(struct.pack("<Q", len(raw)))
        f.write(raw)
        for b in bits.values():
            f.write(b.tobytes())
    with open(os.path.join(model_dir, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
    return {name: torch.from_numpy((b.astype(np.uint32) << 16).view(np.float32).astype(np.float64))
            for name, b in bits.items()}


def torch_logits(w, cfg, ids):
    """HF Qwen2 (models.md §1.4) with torch ops in float64."""
    D, H, KV = cfg["hidden_size"], cfg["num_attention_heads"], cfg["num_key_value_heads"]
    d, eps, T = D // H, cfg["rms_norm_eps"], len(ids)

    def rms(x, g):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * g

    def rotate_half(x):
        return torch.cat((-x[..., d // 2:], x[..., : d // 2]), dim=-1)

    p = "model.layers.0."
    h = w["model.embed_tokens.weight"][torch.tensor(ids)]
    a = rms(h, w[p + "input_layernorm.weight"])
    q = torch.nn.functional.linear(a, w[p + "self_attn.q_proj.weight"], w[p + "self_attn.q_proj.bias"])
    k = torch.nn.functional.linear(a, w[p + "self_attn.k_proj.weight"], w[p + "self_attn.k_proj.bias"])
    v = torch.nn.functional.linear(a, w[p + "self_attn.v_proj.weight"], w[p + "self_attn.v_proj.bias"])
    q, k, v = (x.view(T, -1, d).transpose(0, 1) for x in (q, k, v))  # [heads, T, d]
    inv_freq = 1.0 / (cfg["rope_theta"] ** (torch.arange(0, d, 2, dtype=torch.float64) / d))
    angles = torch.outer(torch.arange(T, dtype=torch.float64), inv_freq)
    cos, sin = torch.cat((angles, angles), -1).cos(), torch.cat((angles, angles), -1).sin()
    q, k = q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin
    k, v = k.repeat_interleave(H // KV, 0), v.repeat_interleave(H // KV, 0)
    scores = q @ k.transpose(-1, -2) / d ** 0.5
    scores = scores.masked_fill(torch.ones(T, T, dtype=torch.bool).triu(1), float("-inf"))
    attn = torch.softmax(scores, dim=-1) @ v
    h = h + torch.nn.functional.linear(attn.transpose(0, 1).reshape(T, H * d), w[p + "self_attn.o_proj.weight"])
    m = rms(h, w[p + "post_attention_layernorm.weight"])
    gate = torch.nn.functional.linear(m, w[p + "mlp.gate_proj.weight"])
    up = torch.nn.functional.linear(m, w[p + "mlp.up_proj.weight"])
    h = h + torch.nn.functional.linear(torch.nn.functional.silu(gate) * up, w[p + "mlp.down_proj.weight"])
    return torch.nn.functional.linear(rms(h, w["model.norm.weight"]), w["model.embed_tokens.weight"])  # tied


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gavel", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--tolerance", type=float, default=1e-4)
    args = ap.parse_args()
    cfg = {"architectures": ["Qwen2ForCausalLM"], "model_type": "qwen2", "hidden_size": 96, "intermediate_size": 160,
           "num_hidden_layers": 1, "num_attention_heads": 6, "num_key_value_heads": 2, "vocab_size": 1000,
           "max_position_embeddings": 1024, "rope_theta": 1000000.0, "rms_norm_eps": 1e-6,
           "tie_word_embeddings": True, "hidden_act": "silu", "eos_token_id": 1, "torch_dtype": "bfloat16"}
    shutil.rmtree(args.work, ignore_errors=True)
    model_dir = os.path.join(args.work, "model")
    w = write_checkpoint(model_dir, cfg, seed=3)
    ids = np.random.default_rng(4).integers(0, cfg["vocab_size"], size=200).tolist()
    ids_file, npy = os.path.join(args.work, "prompt.ids"), os.path.join(args.work, "gavel.npy")
    with open(ids_file, "w") as f:
        f.write(" ".join(map(str, ids)))
    r = subprocess.run([args.gavel, "generate", "--model", model_dir, "--prompt-ids", ids_file, "--greedy",
                        "--max-new-tokens", "1", "--json", "--logits-out", npy, "--threads", "2"],
                       capture_output=True, text=True)
    if r.returncode != 0:
        sys.stderr.write(r.stdout + r.stderr)
        return 1
    expected = torch_logits(w, cfg, ids).numpy()
    got = np.load(npy).astype(np.float64)
    delta = float(np.max(np.abs(expected - got)))
    print(f"one Qwen2 layer, BF16 weights, {len(ids)} tokens: max |logit delta| vs PyTorch float64 {delta:.3g} "
          f"(|logits| up to {np.max(np.abs(expected)):.3g}), tolerance {args.tolerance}")
    shutil.rmtree(args.work, ignore_errors=True)
    return 0 if delta <= args.tolerance else 1


if __name__ == "__main__":
    sys.exit(main())
