"""JinaJudge's head computed by PyTorch's own modules, for the head parity test.

usage: /usr/bin/python3 torch_jina_head.py CHECKPOINT NHEAD STATES.f32 MASK.u8 BATCH SEQ OUT.f32

Builds nn.TransformerDecoder(nn.TransformerDecoderLayer(d_model, nhead, dim_feedforward, ReLU,
post-norm, sequence-first), num_layers) and the nn.Linear classifier (and the projection of the
512-wide variants) as the training code does (spec models.md §2.2-2.3), loads the checkpoint's F32
head tensors into them, and runs them in eval mode on the given encoder states:
STATES.f32 is [BATCH, SEQ, hidden] f32, MASK.u8 is [BATCH, SEQ] with 1 = token. Writes the logits
[BATCH, n_classes] as f32.
"""
import sys

import numpy as np
import torch
from torch import nn

from jina_checkpoint import Checkpoint


def main():
    ckpt_path, nhead, states_path, mask_path, batch, seq, out_path = sys.argv[1:8]
    nhead, batch, seq = int(nhead), int(batch), int(seq)
    ckpt = Checkpoint(ckpt_path)

    def t(suffix):
        return torch.from_numpy(ckpt.tensor(ckpt.find_suffix(suffix)))

    layer_names = sorted({n.split("decoder.layers.")[1].split(".")[0] for n in ckpt.names()
                          if ".decoder.layers." in "." + n})
    num_layers = len(layer_names)
    query = t("decoder_input_embedding")  # [1, 1, d_model]
    d_model = query.shape[-1]
    ffn = t("decoder.layers.0.linear1.weight").shape[0]
    head_name = ckpt.find_suffix("classification_head.0.weight", required=False) and "classification_head.0"
    head_name = head_name or "classification_head"
    classifier_w = t(head_name + ".weight")

    layer = nn.TransformerDecoderLayer(d_model, nhead, dim_feedforward=ffn, dropout=0.1, activation="relu",
                                       layer_norm_eps=1e-5, batch_first=False, norm_first=False)
    decoder = nn.TransformerDecoder(layer, num_layers, norm=None)
    state = {}
    for name in decoder.state_dict():
        state[name] = t("decoder." + name)
    decoder.load_state_dict(state)
    classifier = nn.Linear(d_model, classifier_w.shape[0])
    classifier.load_state_dict({"weight": classifier_w, "bias": t(head_name + ".bias")})
    projection = None
    if ckpt.find_suffix("projection.weight", required=False):
        pw = t("projection.weight")
        projection = nn.Linear(pw.shape[1], pw.shape[0])
        projection.load_state_dict({"weight": pw, "bias": t("projection.bias")})

    states = torch.from_numpy(np.fromfile(states_path, dtype=np.float32).reshape(batch, seq, -1))
    mask = torch.from_numpy(np.fromfile(mask_path, dtype=np.uint8).reshape(batch, seq))
    decoder.eval()
    classifier.eval()
    with torch.no_grad():
        memory = states.transpose(0, 1)  # [seq, batch, hidden]: sequence-first, as batch_first=False
        if projection is not None:
            memory = projection(memory)
        tgt = query.expand(1, batch, d_model)
        out = decoder(tgt, memory, memory_key_padding_mask=(mask == 0))
        logits = classifier(out.squeeze(0))
    logits.numpy().astype(np.float32).tofile(out_path)


if __name__ == "__main__":
    sys.exit(main())
