#include "backend/cpu/attention_causal.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/error.hpp"

namespace gavel::cpu {

namespace {

float dot(const float* a, const float* b, int64_t n) {
    float s = 0;
#pragma omp simd reduction(+ : s)
    for (int64_t i = 0; i < n; ++i) s += a[i] * b[i];
    return s;
}

// One query row against positions [0, visible): softmax-weighted sum of the value rows into out.
void attend(const float* q, const float* keys, const float* values, int64_t visible, int64_t kv_row,
            int64_t head_dim, float scale, std::vector<float>& scores, float* out) {
    scores.resize(size_t(visible));
    float max_score = -INFINITY;
    for (int64_t j = 0; j < visible; ++j) {
        scores[size_t(j)] = dot(q, keys + j * kv_row, head_dim) * scale;
        max_score = std::max(max_score, scores[size_t(j)]);
    }
    float sum = 0;
    for (int64_t j = 0; j < visible; ++j) {
        scores[size_t(j)] = std::exp(scores[size_t(j)] - max_score);
        sum += scores[size_t(j)];
    }
    const float inv = 1.0f / sum;
    std::fill(out, out + head_dim, 0.0f);
    for (int64_t j = 0; j < visible; ++j) {
        const float p = scores[size_t(j)] * inv;
        const float* v = values + j * kv_row;
#pragma omp simd
        for (int64_t i = 0; i < head_dim; ++i) out[i] += p * v[i];
    }
}

}  // namespace

void attention_causal(ThreadPool& pool, std::span<const CausalAttentionSequence> sequences, int64_t q_heads,
                      int64_t kv_heads, int64_t head_dim, float scale) {
    if (q_heads <= 0 || kv_heads <= 0 || head_dim <= 0 || q_heads % kv_heads)
        fail("attention: {} query heads must be a positive multiple of {} key/value heads", q_heads, kv_heads);
    const int64_t group = q_heads / kv_heads;
    const int64_t q_row = q_heads * head_dim, kv_row = kv_heads * head_dim;
    // Work items are (sequence, token, head) triples, numbered through the prefix sums of tokens x heads.
    std::vector<int64_t> first_item(sequences.size() + 1, 0);
    for (size_t s = 0; s < sequences.size(); ++s)
        first_item[s + 1] = first_item[s] + sequences[s].tokens * q_heads;
    pool.parallel_for(size_t(first_item.back()), [&](size_t begin, size_t end) {
        std::vector<float> scores;
        size_t s = size_t(std::upper_bound(first_item.begin(), first_item.end(), int64_t(begin)) - first_item.begin()) - 1;
        for (size_t item = begin; item < end; ++item) {
            while (int64_t(item) >= first_item[s + 1]) ++s;
            const CausalAttentionSequence& seq = sequences[s];
            const int64_t local = int64_t(item) - first_item[s];
            const int64_t t = local / q_heads, h = local % q_heads, g = h / group;
            attend(seq.q + t * q_row + h * head_dim, seq.keys + g * head_dim, seq.values + g * head_dim,
                   seq.first_position + t + 1, kv_row, head_dim, scale, scores, seq.out + t * q_row + h * head_dim);
        }
    });
}

}  // namespace gavel::cpu
