// Scaled dot-product attention without a KV cache: bidirectional self-attention of encoders and
// the cross-attention of decoder heads over encoder states, both with a key-padding mask.
#pragma once

#include <cstdint>

#include "core/thread_pool.hpp"

namespace gavel::cpu {

// How encoder_attention multiplies. F32 (the default): q.k and p.v in f32, within 1e-5 of the
// exact result. BF16: both products on bf16 dot products, AMX tiles where the CPU has them, else
// AVX512-BF16 (queries, keys, values and probabilities rounded to bf16; softmax and accumulation in
// f32), within a few parts in a thousand: the 1,024-token JinaJudge pair about a tenth faster on
// AVX512-BF16 (Zen 5), about 30% on AMX (Xeon, session 17). Where the CPU lacks avx512_bf16, or
// head_dim is not a multiple of 32, F32 is used. llama.cpp's encoders multiply in f32 here, so
// comparisons with it use F32.
enum class AttentionPrecision { F32, BF16 };
void set_attention_precision(AttentionPrecision p);  // process-wide: the default of every call
AttentionPrecision attention_precision();
// Whether encoder_attention's default takes the bf16 products for heads of head_dim now.
bool attention_bf16_in_effect(int64_t head_dim);

struct AttentionShape {
    int64_t batch = 1;     // independent sequences
    int64_t q_len = 0;     // queries per sequence
    int64_t kv_len = 0;    // keys (and values) per sequence
    int64_t heads = 0;
    int64_t head_dim = 0;
};

// Where the rows are. Element (b, t, h, d) of q sits at q[(b * q_len + t) * q_stride + h * head_dim + d],
// of k and v likewise with their strides and kv_len. The strides let a fused projection
// ([tokens, 3 * heads * head_dim]) be passed as offsets into one buffer.
struct AttentionInput {
    const float* q = nullptr;
    int64_t q_stride = 0;
    const float* k = nullptr;
    int64_t k_stride = 0;
    const float* v = nullptr;
    int64_t v_stride = 0;
};

// out[(b * q_len + t) * heads * head_dim + h * head_dim + d] =
//   sum_s softmax_s(scale * q[b,t,h] . k[b,s,h]) * v[b,s,h,d], over the keys s that key_mask allows.
// key_mask is [batch, kv_len] with nonzero = attend (PyTorch's key_padding_mask inverted); null
// attends to every key. No causal mask. Masked keys are skipped entirely, so a sequence's output
// is the same bits whether it runs alone or padded inside a batch. A query with no allowed key
// gets zeros (PyTorch would give NaN; real inputs always have at least one token).
void encoder_attention(ThreadPool& pool, const AttentionShape& shape, const AttentionInput& in, float scale,
                       const uint8_t* key_mask, float* out, AttentionPrecision precision = attention_precision());

}  // namespace gavel::cpu
