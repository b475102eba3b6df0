"""Writes the jina-embeddings-v3 encoder of a checkpoint as a llama.cpp GGUF (architecture
jina-bert-v3), for the encoder parity test against llama.cpp.

usage: PYTHONPATH=<llama.cpp>/gguf-py /usr/bin/python3 jina_gguf.py CHECKPOINT ENCODER_CONFIG OUT.gguf [--task T]
                                                                   [--outtype f32|bf16|q8_0]

How the GGUF makes llama.cpp compute the model's math (the parity test relies on each point):
- Weights are stored (by default, --outtype f32; the benchmarks ask for bf16 or q8_0, see
  gguf_outtype.py) as F32 holding exactly the checkpoint's BF16 values. With BF16 weights
  llama.cpp's CPU matmul would also round the activations to BF16 (its vec_dot type), which the
  reference and gavel do not do; F32 storage keeps the weights bit-identical and the products f32.
- A task's LoRA is merged here, in numpy, into every weight it touches (W + (B @ A) * alpha/r,
  rounded to BF16 like the reference's parametrization), including the token-type embedding.
  llama.cpp's own LoRA-adapter path ignores the adapter on token_type_embeddings (its graph adds
  row 0 of the base table); merging makes llama.cpp see the adapted table.
- GELU: llama.cpp's BERT graphs use ggml_gelu, the tanh approximation; the model uses erf. That
  difference cannot be expressed in a GGUF: the test runs gavel with its tanh GELU instead.
- No vocabulary ("none" tokenizer): the test feeds token ids.
"""
import argparse
import json
import sys

import gguf

from gguf_outtype import OUTTYPES, add_weight, file_type
from jina_checkpoint import Checkpoint, JinaEncoderWeights


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("checkpoint")
    ap.add_argument("config")
    ap.add_argument("out")
    ap.add_argument("--task")
    ap.add_argument("--outtype", choices=OUTTYPES, default="f32")
    args = ap.parse_args()

    with open(args.config) as f:
        cfg = json.load(f)
    w = JinaEncoderWeights(Checkpoint(args.checkpoint), cfg, args.task)
    arch = "jina-bert-v3"
    writer = gguf.GGUFWriter(args.out, arch)
    writer.add_name("gavel test encoder" + (f" ({args.task})" if args.task else ""))
    writer.add_context_length(cfg["max_position_embeddings"])
    writer.add_embedding_length(cfg["hidden_size"])
    writer.add_block_count(cfg["num_hidden_layers"])
    writer.add_feed_forward_length(cfg["intermediate_size"])
    writer.add_head_count(cfg["num_attention_heads"])
    writer.add_head_count_kv(cfg["num_attention_heads"])
    writer.add_layer_norm_eps(cfg.get("layer_norm_eps", 1e-5))
    writer.add_rope_freq_base(cfg.get("rotary_emb_base", 10000.0))
    writer.add_causal_attention(False)
    writer.add_pooling_type(gguf.PoolingType.MEAN)
    writer.add_file_type(file_type(gguf, args.outtype))
    writer.add_tokenizer_model("none")
    writer.add_vocab_size(cfg["vocab_size"])
    writer.add_token_type_count(cfg.get("type_vocab_size", 1))

    names = gguf.TENSOR_NAMES
    T = gguf.MODEL_TENSOR

    def put(name, array):
        add_weight(writer, gguf, name, array, args.outtype, keep_f32=name.startswith(names[T.TOKEN_TYPES]))

    put(names[T.TOKEN_EMBD] + ".weight", w.embedding("roberta.embeddings.word_embeddings"))
    put(names[T.TOKEN_TYPES] + ".weight", w.embedding("roberta.embeddings.token_type_embeddings"))
    g, b = w.norm("roberta.emb_ln")
    put(names[T.TOKEN_EMBD_NORM] + ".weight", g)
    put(names[T.TOKEN_EMBD_NORM] + ".bias", b)
    for i in range(cfg["num_hidden_layers"]):
        p = f"roberta.encoder.layers.{i}."
        for module, tensor in (("mixer.Wqkv", T.ATTN_QKV), ("mixer.out_proj", T.ATTN_OUT),
                               ("mlp.fc1", T.FFN_UP), ("mlp.fc2", T.FFN_DOWN)):
            weight, bias = w.linear(p + module)
            put(names[tensor].format(bid=i) + ".weight", weight)
            put(names[tensor].format(bid=i) + ".bias", bias)
        for module, tensor in (("norm1", T.ATTN_OUT_NORM), ("norm2", T.LAYER_OUT_NORM)):
            g, b = w.norm(p + module)
            put(names[tensor].format(bid=i) + ".weight", g)
            put(names[tensor].format(bid=i) + ".bias", b)

    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


if __name__ == "__main__":
    sys.exit(main())
