// Causal grouped-query attention of new tokens over a sequence's cached keys and values, for several
// sequences at once (each with its own length). Scores, softmax and the weighted sum are f32.
#pragma once

#include <cstdint>
#include <span>

#include "core/thread_pool.hpp"

namespace gavel::cpu {

struct CausalAttentionSequence {
    const float* q = nullptr;    // [tokens, q_heads, head_dim]
    float* out = nullptr;        // [tokens, q_heads, head_dim]
    int64_t tokens = 0;
    const float* keys = nullptr;    // [first_position + tokens, kv_heads, head_dim]
    const float* values = nullptr;  // same layout
    int64_t first_position = 0;     // position of the first new token = cached positions before it
};

// For each sequence, token t (at position first_position + t) and query head h:
//   out[t, h] = sum_{j <= first_position + t} softmax_j(q[t, h] . keys[j, g] * scale) values[j, g],
// with g = h / (q_heads / kv_heads) the key/value head shared by a group of query heads.
void attention_causal(ThreadPool& pool, std::span<const CausalAttentionSequence> sequences, int64_t q_heads,
                      int64_t kv_heads, int64_t head_dim, float scale);

}  // namespace gavel::cpu
