// Element-wise activations of the two judge architectures. The ones that run on a layer's whole
// activation matrix take the pool and split it; each element's result does not depend on the split.
#pragma once

#include <cstdint>

#include "core/thread_pool.hpp"

namespace gavel::cpu {

// out[i] = silu(gate[i]) * up[i]  (Qwen2 SwiGLU MLP); out may alias gate.
void silu_mul(ThreadPool& pool, const float* gate, const float* up, float* out, int64_t n);
// x = x * 0.5 * (1 + erf(x / sqrt(2)))  (exact GELU, jina-embeddings-v3).
void gelu_erf(ThreadPool& pool, float* x, int64_t n);
// x = 0.5 * x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x^3)))  (tanh GELU: HF "gelu_new" /
// "gelu_pytorch_tanh", and what llama.cpp's ggml_gelu computes for every BERT-family model).
void gelu_tanh(ThreadPool& pool, float* x, int64_t n);
// x[i] += y[i]  (the residual connections).
void add_in_place(float* x, const float* y, int64_t n);
// x = max(x, 0)  (nn.TransformerDecoderLayer's default activation).
void relu(float* x, int64_t n);
// Softmax over each row of length n, in place, computed stably in f32.
void softmax(float* x, int64_t rows, int64_t n);

}  // namespace gavel::cpu
