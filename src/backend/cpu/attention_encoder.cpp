#include "backend/cpu/attention_encoder.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "backend/cpu/activation.hpp"
#include "core/error.hpp"

namespace gavel::cpu {

namespace {

float dot(const float* a, const float* b, int64_t n) {
    float s = 0;
#pragma omp simd reduction(+ : s)
    for (int64_t i = 0; i < n; ++i) s += a[i] * b[i];
    return s;
}

void add_scaled(float* acc, const float* v, float p, int64_t n) {
#pragma omp simd
    for (int64_t i = 0; i < n; ++i) acc[i] += p * v[i];
}

}  // namespace

void encoder_attention(ThreadPool& pool, const AttentionShape& s, const AttentionInput& in, float scale,
                       const uint8_t* key_mask, float* out) {
    if (s.batch < 0 || s.q_len < 0 || s.kv_len < 0 || s.heads <= 0 || s.head_dim <= 0)
        fail("encoder_attention: bad shape batch {} q_len {} kv_len {} heads {} head_dim {}", s.batch, s.q_len,
             s.kv_len, s.heads, s.head_dim);
    const int64_t width = s.heads * s.head_dim;
    if (in.q_stride < width || in.k_stride < width || in.v_stride < width)
        fail("encoder_attention: row strides q {} / k {} / v {} are shorter than heads x head_dim = {}", in.q_stride,
             in.k_stride, in.v_stride, width);

    // The allowed keys of each sequence, found once and shared by all its heads and queries.
    std::vector<std::vector<int32_t>> keys(size_t(s.batch));
    for (int64_t b = 0; b < s.batch; ++b) {
        auto& list = keys[size_t(b)];
        list.reserve(size_t(s.kv_len));
        for (int64_t t = 0; t < s.kv_len; ++t)
            if (!key_mask || key_mask[b * s.kv_len + t]) list.push_back(int32_t(t));
    }

    // Work items: (sequence, head, block of queries). Blocks keep items small enough to balance
    // threads on one long sequence, and each item's scores fit in a per-thread buffer.
    constexpr int64_t kQueryBlock = 16;
    const int64_t blocks = (s.q_len + kQueryBlock - 1) / kQueryBlock;
    const int64_t items = s.batch * s.heads * blocks;
    pool.parallel_for(size_t(items), [&](size_t i0, size_t i1) {
        std::vector<float> scores;
        for (int64_t item = int64_t(i0); item < int64_t(i1); ++item) {
            const int64_t b = item / (s.heads * blocks);
            const int64_t h = (item / blocks) % s.heads;
            const int64_t t0 = (item % blocks) * kQueryBlock, t1 = std::min(s.q_len, t0 + kQueryBlock);
            const auto& allowed = keys[size_t(b)];
            const int64_t n = int64_t(allowed.size());
            const float* kb = in.k + b * s.kv_len * in.k_stride + h * s.head_dim;
            const float* vb = in.v + b * s.kv_len * in.v_stride + h * s.head_dim;
            scores.resize(size_t(n));
            for (int64_t t = t0; t < t1; ++t) {
                const float* q = in.q + (b * s.q_len + t) * in.q_stride + h * s.head_dim;
                float* o = out + (b * s.q_len + t) * width + h * s.head_dim;
                std::fill(o, o + s.head_dim, 0.0f);
                if (n == 0) continue;
                for (int64_t j = 0; j < n; ++j)
                    scores[size_t(j)] = dot(q, kb + allowed[size_t(j)] * in.k_stride, s.head_dim) * scale;
                softmax(scores.data(), 1, n);
                for (int64_t j = 0; j < n; ++j)
                    add_scaled(o, vb + allowed[size_t(j)] * in.v_stride, scores[size_t(j)], s.head_dim);
            }
        }
    });
}

}  // namespace gavel::cpu
