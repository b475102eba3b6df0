#!/usr/bin/python3
"""Test peer: writes a Hugging Face Qwen2 checkpoint (config.json, model.safetensors or sharded, and a
tokenizer.json) as a GGUF that llama.cpp loads, with the gguf package of the llama.cpp source that
node-llama-cpp bundles. Weights are read with numpy from the safetensors bytes (no safetensors package)
and widened to f32, so llama.cpp and gavel compute with the very same numbers (the parity tests); the
benchmarks write --outtype bf16 or q8_0 instead (see gguf_outtype.py).

Qwen2's q/k rows need no permutation: llama.cpp runs its qwen2 graph with NeoX (rotate-half) RoPE,
the layout of the Hugging Face weights.

usage: qwen2_gguf.py MODEL_DIR TOKENIZER_JSON OUT.gguf LLAMA_SOURCE_DIR [--outtype f32|bf16|q8_0]
"""
import json
import os
import struct
import sys

import numpy as np

from gguf_outtype import OUTTYPES, add_weight, file_type


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = np.memmap(path, dtype=np.uint8, mode="r", offset=8 + n)
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        begin, end = info["data_offsets"]
        raw = np.asarray(data[begin:end])
        shape = info["shape"]
        if info["dtype"] == "F32":
            t = raw.view("<f4")
        elif info["dtype"] == "F16":
            t = raw.view("<f2").astype(np.float32)
        elif info["dtype"] == "BF16":
            t = (raw.view("<u2").astype(np.uint32) << 16).view(np.float32)
        else:
            raise SystemExit(f"{path}: tensor {name} has dtype {info['dtype']}, expected F32/F16/BF16")
        tensors[name] = t.reshape(shape)
    return tensors


def read_checkpoint(model_dir):
    index = os.path.join(model_dir, "model.safetensors.index.json")
    single = os.path.join(model_dir, "model.safetensors")
    if os.path.exists(single):
        return read_safetensors(single)
    with open(index) as f:
        shards = sorted(set(json.load(f)["weight_map"].values()))
    tensors = {}
    for shard in shards:
        tensors.update(read_safetensors(os.path.join(model_dir, shard)))
    return tensors


def main():
    args = sys.argv[1:]
    outtype = "f32"
    if "--outtype" in args:
        i = args.index("--outtype")
        if i + 1 >= len(args) or args[i + 1] not in OUTTYPES:
            raise SystemExit(f"qwen2_gguf.py: --outtype must be one of {', '.join(OUTTYPES)}")
        outtype = args[i + 1]
        del args[i:i + 2]
    if len(args) != 4:
        raise SystemExit("usage: qwen2_gguf.py MODEL_DIR TOKENIZER_JSON OUT.gguf LLAMA_SOURCE_DIR [--outtype f32|bf16|q8_0]")
    model_dir, tokenizer_path, out_path, llama_dir = args
    sys.path.insert(0, os.path.join(llama_dir, "gguf-py"))
    import gguf

    with open(os.path.join(model_dir, "config.json")) as f:
        config = json.load(f)
    with open(tokenizer_path, encoding="utf-8") as f:
        tokenizer = json.load(f)
    tensors = read_checkpoint(model_dir)

    writer = gguf.GGUFWriter(out_path, "qwen2")
    writer.add_name("gavel-parity-qwen2")
    writer.add_context_length(config.get("max_position_embeddings", 32768))
    writer.add_embedding_length(config["hidden_size"])
    writer.add_block_count(config["num_hidden_layers"])
    writer.add_feed_forward_length(config["intermediate_size"])
    writer.add_head_count(config["num_attention_heads"])
    writer.add_head_count_kv(config.get("num_key_value_heads", config["num_attention_heads"]))
    writer.add_rope_freq_base(float(config.get("rope_theta", 10000.0)))
    writer.add_layer_norm_rms_eps(float(config.get("rms_norm_eps", 1e-6)))
    writer.add_file_type(file_type(gguf, outtype))

    # The vocabulary as convert_hf_to_gguf lays it out: every id up to vocab_size, ids the tokenizer
    # does not define as unused "[PAD{id}]" tokens.
    vocab_size = config["vocab_size"]
    tokens = [f"[PAD{i}]" for i in range(vocab_size)]
    types = [gguf.TokenType.UNUSED] * vocab_size
    for text, i in tokenizer["model"]["vocab"].items():
        if i < vocab_size:
            tokens[i], types[i] = text, gguf.TokenType.NORMAL
    for added in tokenizer.get("added_tokens", []):
        i = added["id"]
        if i < vocab_size:
            tokens[i] = added["content"]
            types[i] = gguf.TokenType.CONTROL if added.get("special") else gguf.TokenType.USER_DEFINED
    merges = [m if isinstance(m, str) else " ".join(m) for m in tokenizer["model"]["merges"]]
    writer.add_tokenizer_model("gpt2")
    writer.add_tokenizer_pre("qwen2")
    writer.add_token_list(tokens)
    writer.add_token_types(types)
    writer.add_token_merges(merges)
    specials = {a["content"]: a["id"] for a in tokenizer.get("added_tokens", [])}
    writer.add_bos_token_id(specials.get("<|endoftext|>", 0))
    writer.add_eos_token_id(specials.get("<|im_end|>", specials.get("<|endoftext|>", 0)))
    writer.add_pad_token_id(specials.get("<|endoftext|>", 0))
    writer.add_add_bos_token(False)

    prefix = "model." if "model.embed_tokens.weight" in tensors else ""
    names = {"embed_tokens.weight": "token_embd.weight", "norm.weight": "output_norm.weight"}
    per_layer = {
        "input_layernorm.weight": "attn_norm.weight",
        "self_attn.q_proj.weight": "attn_q.weight", "self_attn.q_proj.bias": "attn_q.bias",
        "self_attn.k_proj.weight": "attn_k.weight", "self_attn.k_proj.bias": "attn_k.bias",
        "self_attn.v_proj.weight": "attn_v.weight", "self_attn.v_proj.bias": "attn_v.bias",
        "self_attn.o_proj.weight": "attn_output.weight",
        "post_attention_layernorm.weight": "ffn_norm.weight",
        "mlp.gate_proj.weight": "ffn_gate.weight", "mlp.up_proj.weight": "ffn_up.weight",
        "mlp.down_proj.weight": "ffn_down.weight",
    }
    for hf, gg in names.items():
        add_weight(writer, gguf, gg, tensors[prefix + hf], outtype)
    if "lm_head.weight" in tensors and not config.get("tie_word_embeddings", False):
        add_weight(writer, gguf, "output.weight", tensors["lm_head.weight"], outtype)
    for layer in range(config["num_hidden_layers"]):
        for hf, gg in per_layer.items():
            t = tensors[f"{prefix}layers.{layer}.{hf}"]
            add_weight(writer, gguf, f"blk.{layer}.{gg}", t, outtype)

    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


if __name__ == "__main__":
    main()
