"""JinaJudge's head computed by PyTorch's own modules, for the head parity test.

usage: /usr/bin/python3 torch_jina_head.py CHECKPOINT NHEAD STATES.f32 MASK.u8 BATCH SEQ OUT.f32

Builds nn.TransformerDecoder(nn.TransformerDecoderLayer(d_model, nhead, dim_feedforward, ReLU,
post-norm, sequence-first), num_layers) and the nn.Linear classifier (and the projection of the
512-wide variants) as the training code does (spec models.md §2.2-2.3), loads the checkpoint's F32
head tensors into them, and runs them in eval mode on the given encoder states:
STATES.f32 is [BATCH, SEQ, hidden] f32, MASK.u8 is [BATCH, SEQ] with 1 = token. Writes the logits
[BATCH, n_classes] as f32. hf_jina_golden.py uses TorchJinaHead on the GPU.
"""
import sys

import numpy as np
import torch
from torch import nn

from jina_checkpoint import Checkpoint


class TorchJinaHead:
    """The head's modules loaded from `ckpt` (anything with names() / find_suffix() / tensor())."""

    def __init__(self, ckpt, nhead, device="cpu"):
        def t(suffix):
            return torch.from_numpy(ckpt.tensor(ckpt.find_suffix(suffix)))

        layer_names = sorted({n.split("decoder.layers.")[1].split(".")[0] for n in ckpt.names()
                              if ".decoder.layers." in "." + n})
        num_layers = len(layer_names)
        self.query = t("decoder_input_embedding").to(device)  # [1, 1, d_model]
        d_model = self.query.shape[-1]
        ffn = t("decoder.layers.0.linear1.weight").shape[0]
        head_name = ckpt.find_suffix("classification_head.0.weight", required=False) and "classification_head.0"
        head_name = head_name or "classification_head"
        classifier_w = t(head_name + ".weight")

        layer = nn.TransformerDecoderLayer(d_model, nhead, dim_feedforward=ffn, dropout=0.1, activation="relu",
                                           layer_norm_eps=1e-5, batch_first=False, norm_first=False)
        self.decoder = nn.TransformerDecoder(layer, num_layers, norm=None)
        self.decoder.load_state_dict({name: t("decoder." + name) for name in self.decoder.state_dict()})
        self.classifier = nn.Linear(d_model, classifier_w.shape[0])
        self.classifier.load_state_dict({"weight": classifier_w, "bias": t(head_name + ".bias")})
        self.projection = None
        if ckpt.find_suffix("projection.weight", required=False):
            pw = t("projection.weight")
            self.projection = nn.Linear(pw.shape[1], pw.shape[0])
            self.projection.load_state_dict({"weight": pw, "bias": t("projection.bias")})
        for module in (self.decoder, self.classifier, self.projection):
            if module is not None:
                module.to(device).eval()

    @torch.no_grad()
    def logits(self, states, mask):
        """states [batch, seq, hidden] f32, mask [batch, seq] (nonzero = token) -> [batch, n_classes]."""
        memory = states.transpose(0, 1)  # [seq, batch, hidden]: sequence-first, as batch_first=False
        if self.projection is not None:
            memory = self.projection(memory)
        batch = states.shape[0]
        tgt = self.query.expand(1, batch, self.query.shape[-1])
        out = self.decoder(tgt, memory, memory_key_padding_mask=(mask == 0))
        return self.classifier(out.squeeze(0))


def main():
    ckpt_path, nhead, states_path, mask_path, batch, seq, out_path = sys.argv[1:8]
    batch, seq = int(batch), int(seq)
    head = TorchJinaHead(Checkpoint(ckpt_path), int(nhead))
    states = torch.from_numpy(np.fromfile(states_path, dtype=np.float32).reshape(batch, seq, -1))
    mask = torch.from_numpy(np.fromfile(mask_path, dtype=np.uint8).reshape(batch, seq))
    head.logits(states, mask).numpy().astype(np.float32).tofile(out_path)


if __name__ == "__main__":
    sys.exit(main())
