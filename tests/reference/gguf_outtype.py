"""The weight precision of the GGUFs the test peers write (qwen2_gguf.py, jina_gguf.py): --outtype
f32 (the parity tests: exactly the checkpoint's values, f32 products), bf16 or q8_0 (the benchmarks:
llama.cpp runs the same random-weight model at the precision gavel runs it). As convert_hf_to_gguf
does, matrices take the outtype and 1-D tensors (norms, biases) stay f32; so do tables named in
`keep_f32` (jina's one-row token-type embedding). The checkpoints hold BF16 values, so bf16 stores
them exactly; q8_0 rounds them to llama.cpp's 32-element blocks with gguf-py's bit-exact quantizer.
"""
import numpy as np

OUTTYPES = ("f32", "bf16", "q8_0")


def file_type(gguf, outtype):
    return {"f32": gguf.LlamaFileType.ALL_F32, "bf16": gguf.LlamaFileType.MOSTLY_BF16,
            "q8_0": gguf.LlamaFileType.MOSTLY_Q8_0}[outtype]


def add_weight(writer, gguf, name, array, outtype, keep_f32=False):
    data = np.ascontiguousarray(array, dtype=np.float32)
    if outtype == "f32" or data.ndim < 2 or keep_f32:
        writer.add_tensor(name, data)
        return
    qtype = {"bf16": gguf.GGMLQuantizationType.BF16, "q8_0": gguf.GGMLQuantizationType.Q8_0}[outtype]
    if outtype == "q8_0" and data.shape[-1] % 32 != 0:
        raise SystemExit(f"{name}: rows of {data.shape[-1]} values do not split into q8_0's 32-value blocks")
    writer.add_tensor(name, gguf.quants.quantize(data, qtype), raw_dtype=qtype)
