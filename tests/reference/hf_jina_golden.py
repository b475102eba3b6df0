"""Golden outputs of Hugging Face transformers' own jina-embeddings-v3 (JinaEmbeddingsV3Model) and
PyTorch's nn.TransformerDecoder head, for tests/models/jina_hf_golden_test.cpp.

Run where transformers >= 5 (which has JinaEmbeddingsV3Model) and a CUDA GPU are, e.g. the lent
GPU machine (tests/reference/hf_jina_golden.sh); not part of CI. CI checks gavel against what this
wrote, forever, with no Python at all.

usage: python3 hf_jina_golden.py JUDGE_DIR OUT_DIR
  JUDGE_DIR  `gavel make-model --arch jina-judge --size tiny --seed 7` (encoder config in encoder/)
  OUT_DIR    receives manifest.json and values.f32 (every array, little-endian f32, back to back)

The encoder weights go into transformers' model by module role (the checkpoint's
roberta.encoder.layers.N.mixer.Wqkv -> the model's layers.N.self_attn.{q,k,v}_proj, and so on); a task's
LoRA is merged by jina_checkpoint.py (W + B@A * alpha/rank, rounded back to BF16), since
transformers leaves adapters to PEFT. Everything runs in float32 on the GPU with TF32 off.
Cases: the weights as generated, with and without a task adapter; the same with encoder and head
weights scaled up (jina_checkpoint.ScaledCheckpoint), where attention is sharp and the head's
logits depend on the input.
"""
import json
import os
import re
import sys

import numpy as np
import torch

from jina_checkpoint import Checkpoint, JinaEncoderWeights, ScaledCheckpoint
from torch_jina_head import TorchJinaHead

LENGTHS = [7, 61, 200]  # padded into one batch: the key-padding mask matters
TASK = "text-matching"
HEAD_SCALE = 25.0  # at width 64, as tests/reference/torch_jina_head_test.cpp
SEED = 20261204


def token_ids(vocab):
    """<s> + random ordinary ids + </s> per length (ids 3 .. vocab-2, as the C++ tests draw them)."""
    rng = np.random.RandomState(SEED)
    return [[0] + rng.randint(3, vocab - 1, size=n - 2).tolist() + [2] for n in LENGTHS]


def hf_model(cfg, device):
    from transformers import JinaEmbeddingsV3Config, JinaEmbeddingsV3Model

    hf_cfg = JinaEmbeddingsV3Config(
        vocab_size=cfg["vocab_size"], hidden_size=cfg["hidden_size"],
        num_hidden_layers=cfg["num_hidden_layers"], num_attention_heads=cfg["num_attention_heads"],
        intermediate_size=cfg["intermediate_size"], hidden_act="gelu",  # exact erf GELU
        max_position_embeddings=cfg["max_position_embeddings"], type_vocab_size=cfg.get("type_vocab_size", 1),
        layer_norm_eps=cfg.get("layer_norm_eps", 1e-5), pad_token_id=cfg.get("pad_token_id", 1),
        rope_parameters={"rope_type": "default", "rope_theta": float(cfg.get("rotary_emb_base", 10000.0))},
        lora_rank=cfg.get("lora_rank", 4), lora_alpha=cfg.get("lora_alpha", 1),
        lora_adaptations=cfg["lora_adaptations"])
    hf_cfg._attn_implementation = "eager"  # the plain softmax(QK^T)V path
    model = JinaEmbeddingsV3Model(hf_cfg, add_pooling_layer=False)
    return model.to(device=device, dtype=torch.float32).eval()


# The model's parameter -> the checkpoint module it comes from, by role whatever the prefixes:
# transformers 5.x names them layers.N.self_attn.{q,k,v,o}_proj, post_attention_layernorm, mlp.fc1/fc2,
# post_mlp_layernorm (q/k/v are the three row blocks of the fused Wqkv); earlier drafts of the port
# kept the XLM-R names (encoder.layer.N.attention...Wqkv, attention.output.dense, ...).
LAYER_ROLES = [
    (re.compile(r"\.Wqkv\.(weight|bias)$"), "linear", "mixer.Wqkv", None),
    (re.compile(r"self_attn\.q_proj\.(weight|bias)$"), "linear", "mixer.Wqkv", 0),
    (re.compile(r"self_attn\.k_proj\.(weight|bias)$"), "linear", "mixer.Wqkv", 1),
    (re.compile(r"self_attn\.v_proj\.(weight|bias)$"), "linear", "mixer.Wqkv", 2),
    (re.compile(r"self_attn\.o_proj\.(weight|bias)$"), "linear", "mixer.out_proj", None),
    (re.compile(r"attention\.output\.dense\.(weight|bias)$"), "linear", "mixer.out_proj", None),
    (re.compile(r"post_attention_layernorm\.(weight|bias)$"), "norm", "norm1", None),
    (re.compile(r"attention\.output\.LayerNorm\.(weight|bias)$"), "norm", "norm1", None),
    (re.compile(r"mlp\.fc1\.(weight|bias)$"), "linear", "mlp.fc1", None),
    (re.compile(r"intermediate\.dense\.(weight|bias)$"), "linear", "mlp.fc1", None),
    (re.compile(r"mlp\.fc2\.(weight|bias)$"), "linear", "mlp.fc2", None),
    (re.compile(r"layer\.\d+\.output\.dense\.(weight|bias)$"), "linear", "mlp.fc2", None),
    (re.compile(r"post_mlp_layernorm\.(weight|bias)$"), "norm", "norm2", None),
    (re.compile(r"layer\.\d+\.output\.LayerNorm\.(weight|bias)$"), "norm", "norm2", None),
]


def load_encoder(model, weights):
    hidden = model.config.hidden_size
    state = {}
    for key in model.state_dict():
        layer = re.search(r"(?:^|\.)layers?\.(\d+)\.", key)
        value = None
        if key.endswith("word_embeddings.weight"):
            value = weights.embedding("roberta.embeddings.word_embeddings")
        elif key.endswith("token_type_embeddings.weight"):
            value = weights.embedding("roberta.embeddings.token_type_embeddings")
        elif re.search(r"embeddings\.LayerNorm\.(weight|bias)$", key):
            value = weights.norm("roberta.emb_ln")[0 if key.endswith("weight") else 1]
        elif layer:
            prefix = f"roberta.encoder.layers.{layer.group(1)}."
            for pattern, kind, module, block in LAYER_ROLES:
                if pattern.search(key):
                    pair = weights.linear(prefix + module) if kind == "linear" else weights.norm(prefix + module)
                    value = pair[0 if key.endswith("weight") else 1]
                    if block is not None:  # one of q, k, v: rows [block * hidden, (block + 1) * hidden)
                        value = value[block * hidden:(block + 1) * hidden]
                    break
        if value is None:
            raise SystemExit(f"hf_jina_golden.py: no checkpoint tensor for the model's {key}; "
                             f"model keys: {sorted(model.state_dict())}")
        state[key] = torch.from_numpy(np.ascontiguousarray(value, dtype=np.float32))
    model.load_state_dict(state, strict=True)


def main():
    judge_dir, out_dir = sys.argv[1:3]
    os.makedirs(out_dir, exist_ok=True)
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    torch.set_float32_matmul_precision("highest")
    device = "cuda" if torch.cuda.is_available() else "cpu"

    with open(os.path.join(judge_dir, "encoder", "config.json")) as f:
        cfg = json.load(f)
    with open(os.path.join(judge_dir, "config.json")) as f:
        judge_cfg = json.load(f)
    base = Checkpoint(judge_dir)
    ids = token_ids(cfg["vocab_size"])
    batch, seq = len(ids), max(LENGTHS)
    pad = cfg.get("pad_token_id", 1)
    input_ids = torch.full((batch, seq), pad, dtype=torch.long)
    mask = torch.zeros((batch, seq), dtype=torch.long)
    for b, seq_ids in enumerate(ids):
        input_ids[b, : len(seq_ids)] = torch.tensor(seq_ids)
        mask[b, : len(seq_ids)] = 1
    input_ids, mask = input_ids.to(device), mask.to(device)

    values, cases = [], []

    def put(array):
        flat = np.ascontiguousarray(array, dtype=np.float32).ravel()
        offset = sum(v.size for v in values)
        values.append(flat)
        return {"offset": int(offset), "count": int(flat.size), "shape": list(array.shape)}

    model = hf_model(cfg, device)
    for name, scaled, task, with_logits in (("as-generated", False, None, True),
                                            ("as-generated-task", False, TASK, False),
                                            ("scaled", True, None, True),
                                            ("scaled-task", True, TASK, False)):
        ckpt = ScaledCheckpoint(base, cfg["hidden_size"], HEAD_SCALE) if scaled else base
        load_encoder(model, JinaEncoderWeights(ckpt, cfg, task))
        with torch.no_grad():
            states = model(input_ids=input_ids, attention_mask=mask).last_hidden_state  # [B, S, H]
            m = mask.unsqueeze(-1).to(states.dtype)
            pooled = (states * m).sum(1) / m.sum(1).clamp(min=1e-9)
        case = {"name": name, "scaled": scaled, "task": task,
                # the states of each sequence's own tokens, concatenated: [sum(lengths), hidden]
                "states": put(torch.cat([states[b, : len(s)] for b, s in enumerate(ids)]).cpu().numpy()),
                "pooled": put(pooled.cpu().numpy())}
        if with_logits:
            head = TorchJinaHead(ckpt, int(judge_cfg["nhead"]), device)
            logits = head.logits(states, mask)
            case["logits"] = put(logits.cpu().numpy())
            spread = (logits - logits[0:1]).abs().max().item()
            print(f"{name}: logits {logits.cpu().numpy().round(5).tolist()} (spread across inputs {spread:.3g})")
        cases.append(case)
        print(f"{name}: states |max| {states.abs().max().item():.3g}, pooled[0][:4] "
              f"{pooled[0, :4].cpu().numpy().round(5).tolist()}")

    import transformers

    manifest = {
        "about": "Hugging Face transformers' JinaEmbeddingsV3Model and PyTorch's nn.TransformerDecoder "
                 "head on gavel's tiny random-weight JinaJudge; written by tests/reference/hf_jina_golden.py",
        "checkpoint": "gavel make-model --arch jina-judge --size tiny --seed 7",
        "device": torch.cuda.get_device_name(0) if device == "cuda" else "cpu",
        "dtype": "float32 (TF32 off)",
        "transformers": transformers.__version__,
        "torch": torch.__version__,
        "task": TASK,
        "head_scale": HEAD_SCALE,
        "inputs": ids,
        "values": "values.f32",
        "cases": cases,
    }
    np.concatenate(values).astype("<f4").tofile(os.path.join(out_dir, "values.f32"))
    with open(os.path.join(out_dir, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")
    print(f"wrote {out_dir}: {sum(v.size for v in values)} values")


if __name__ == "__main__":
    sys.exit(main())
