"""Reads a JinaJudge / jina-embeddings-v3 checkpoint with numpy alone, for the test peers.

Independent of gavel's C++ loader on purpose: the safetensors layout, the name-by-suffix lookup
and the task LoRA merge (spec models.md §2.5.3) are re-implemented here, so a parity test compares
two implementations of them, not one with itself.
"""
import json
import os
import struct

import numpy as np


def _bf16_to_f32(raw):
    return (raw.astype(np.uint32) << 16).view(np.float32)


def round_to_bf16(x):
    """Round-to-nearest-even to bfloat16, returned as float32 (what .to(torch.bfloat16) keeps)."""
    bits = np.ascontiguousarray(x, dtype=np.float32).view(np.uint32).astype(np.uint64)
    bits = (bits + 0x7FFF + ((bits >> 16) & 1)) & 0xFFFF0000
    return bits.astype(np.uint32).view(np.float32)


class Checkpoint:
    """Tensors of one .safetensors file (or a folder with model.safetensors), as float32 arrays."""

    def __init__(self, path):
        if os.path.isdir(path):
            path = os.path.join(path, "model.safetensors")
        self.path = path
        with open(path, "rb") as f:
            (n,) = struct.unpack("<Q", f.read(8))
            header = json.loads(f.read(n))
        header.pop("__metadata__", None)
        self._header = header
        self._data = np.memmap(path, dtype=np.uint8, mode="r", offset=8 + n)

    def names(self):
        return sorted(self._header)

    def has(self, name):
        return name in self._header

    def dtype(self, name):
        return self._header[name]["dtype"]

    def tensor(self, name):
        entry = self._header[name]
        begin, end = entry["data_offsets"]
        raw = self._data[begin:end]
        kind = entry["dtype"]
        if kind == "F32":
            out = raw.view(np.float32)
        elif kind == "BF16":
            out = _bf16_to_f32(raw.view(np.uint16))
        elif kind == "F16":
            out = raw.view(np.float16).astype(np.float32)
        else:
            raise ValueError(f"{self.path}: tensor {name} has dtype {kind}")
        return np.array(out, dtype=np.float32).reshape(entry["shape"])

    def find_suffix(self, suffix, required=True):
        hits = [n for n in self._header if n == suffix or n.endswith("." + suffix)]
        if len(hits) > 1:
            raise ValueError(f"{self.path}: several tensors end with {suffix}: {hits}")
        if not hits:
            if required:
                raise KeyError(f"{self.path}: no tensor ends with {suffix}")
            return None
        return hits[0]


class JinaEncoderWeights:
    """The jina-embeddings-v3 encoder's weights, with one task's LoRA merged when asked."""

    def __init__(self, ckpt, config, task=None):
        self.ckpt = ckpt
        self.config = config
        self.task_index = None if task is None else config["lora_adaptations"].index(task)
        self.scale = config.get("lora_alpha", 1.0) / config["lora_rank"]

    def _parametrized(self, module):
        """Base weight name of a parametrized module, and the lora_A / lora_B names (or None)."""
        name = self.ckpt.find_suffix(f"{module}.parametrizations.weight.original", required=False)
        if name is None:
            return self.ckpt.find_suffix(f"{module}.weight"), None, None
        stem = name[: -len("original")]
        return name, stem + "0.lora_A", stem + "0.lora_B"

    def linear(self, module):
        """(weight [out, in], bias [out]) of an nn.Linear, merged W + (B @ A) * scale, rounded to
        the stored dtype (BF16) as the reference's parametrization does."""
        name, a_name, b_name = self._parametrized(module)
        w = self.ckpt.tensor(name)
        if self.task_index is not None and self.ckpt.has(a_name):
            a = self.ckpt.tensor(a_name)[self.task_index]  # [r, in]
            b = self.ckpt.tensor(b_name)[self.task_index]  # [out, r]
            w = w + (b @ a) * np.float32(self.scale)
            if self.ckpt.dtype(name) == "BF16":
                w = round_to_bf16(w)
        bias = self.ckpt.tensor(self.ckpt.find_suffix(f"{module}.bias"))
        return w, bias

    def embedding(self, module):
        """An nn.Embedding table, merged W + (A @ B) * scale (the factors' roles swap for embeddings)."""
        name, a_name, b_name = self._parametrized(module)
        w = self.ckpt.tensor(name)
        if self.task_index is not None and self.ckpt.has(a_name):
            a = self.ckpt.tensor(a_name)[self.task_index]  # [vocab, r]
            b = self.ckpt.tensor(b_name)[self.task_index]  # [r, dim]
            w = w + (a @ b) * np.float32(self.scale)
            if self.ckpt.dtype(name) == "BF16":
                w = round_to_bf16(w)
        return w

    def norm(self, module):
        return (self.ckpt.tensor(self.ckpt.find_suffix(f"{module}.weight")),
                self.ckpt.tensor(self.ckpt.find_suffix(f"{module}.bias")))


def _power_of_two_below(x):
    return float(2.0 ** np.floor(np.log2(x)))


class ScaledCheckpoint:
    """A checkpoint with its weights scaled up, the way the C++ parity tests write theirs
    (tests/models/jina_test_model.hpp, scaled_encoder / scaled_head), so attention is sharp and
    the head's logits depend on the input:
      encoder (`encoder.*`): weights x 16/sqrt(hidden/64) rounded down to a power of two, each LoRA
        factor by its square root (again a power of two), LayerNorms kept: every BF16 value stays exact;
      head (the rest): x `head_factor`, the norms and the learned query kept.
    A factor of None leaves that part as stored."""

    def __init__(self, ckpt, encoder_hidden=None, head_factor=None):
        self.ckpt = ckpt
        self.path = ckpt.path
        self.head_factor = head_factor
        self.weight_factor = self.lora_factor = None
        if encoder_hidden is not None:
            self.weight_factor = _power_of_two_below(16.0 / np.sqrt(encoder_hidden / 64.0))
            self.lora_factor = float(2.0 ** np.floor(np.log2(self.weight_factor) / 2))

    def names(self):
        return self.ckpt.names()

    def has(self, name):
        return self.ckpt.has(name)

    def dtype(self, name):
        return self.ckpt.dtype(name)

    def find_suffix(self, suffix, required=True):
        return self.ckpt.find_suffix(suffix, required)

    def factor(self, name):
        if name.startswith("encoder."):
            if self.weight_factor is None:
                return 1.0
            if "emb_ln." in name or ".norm1." in name or ".norm2." in name:
                return 1.0
            return self.lora_factor if ".lora_" in name else self.weight_factor
        if self.head_factor is None or ".norm" in name or name == "decoder_input_embedding":
            return 1.0
        return self.head_factor

    def tensor(self, name):
        return self.ckpt.tensor(name) * np.float32(self.factor(name))
