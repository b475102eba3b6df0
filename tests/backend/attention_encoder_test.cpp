#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "backend/cpu/activation.hpp"
#include "backend/cpu/attention_encoder.hpp"
#include "core/error.hpp"
#include "random_values.hpp"

namespace gavel::cpu {
namespace {

using testing::random_values;

// The textbook formula in double, one (sequence, query, head) at a time.
std::vector<double> reference_attention(const AttentionShape& s, const AttentionInput& in, double scale,
                                        const uint8_t* mask) {
    const int64_t width = s.heads * s.head_dim;
    std::vector<double> out(size_t(s.batch * s.q_len * width), 0.0);
    for (int64_t b = 0; b < s.batch; ++b)
        for (int64_t t = 0; t < s.q_len; ++t)
            for (int64_t h = 0; h < s.heads; ++h) {
                const float* q = in.q + (b * s.q_len + t) * in.q_stride + h * s.head_dim;
                std::vector<double> w(size_t(s.kv_len), 0.0);
                double mx = -INFINITY, sum = 0;
                for (int64_t j = 0; j < s.kv_len; ++j) {
                    if (mask && !mask[b * s.kv_len + j]) continue;
                    const float* k = in.k + (b * s.kv_len + j) * in.k_stride + h * s.head_dim;
                    double d = 0;
                    for (int64_t i = 0; i < s.head_dim; ++i) d += double(q[i]) * k[i];
                    w[size_t(j)] = d * scale;
                    mx = std::max(mx, w[size_t(j)]);
                }
                for (int64_t j = 0; j < s.kv_len; ++j) {
                    if (mask && !mask[b * s.kv_len + j]) continue;
                    w[size_t(j)] = std::exp(w[size_t(j)] - mx);
                    sum += w[size_t(j)];
                }
                for (int64_t j = 0; j < s.kv_len; ++j) {
                    if (mask && !mask[b * s.kv_len + j]) continue;
                    const float* v = in.v + (b * s.kv_len + j) * in.v_stride + h * s.head_dim;
                    for (int64_t i = 0; i < s.head_dim; ++i)
                        out[size_t((b * s.q_len + t) * width + h * s.head_dim + i)] += w[size_t(j)] / sum * v[i];
                }
            }
    return out;
}

TEST(EncoderAttention, MatchesDoubleReferenceWithFusedQkvAndPaddingMask) {
    ThreadPool pool(3);
    const AttentionShape s{3, 37, 37, 4, 16};
    const int64_t width = s.heads * s.head_dim, n = s.batch * s.q_len;
    auto qkv = random_values(size_t(n * 3 * width), 7);
    // Right padding: sequences of 37, 20 and 1 tokens.
    const int64_t lengths[] = {37, 20, 1};
    std::vector<uint8_t> mask(size_t(n), 0);
    for (int64_t b = 0; b < s.batch; ++b)
        for (int64_t t = 0; t < lengths[b]; ++t) mask[size_t(b * s.q_len + t)] = 1;
    AttentionInput in{qkv.data(), 3 * width, qkv.data() + width, 3 * width, qkv.data() + 2 * width, 3 * width};
    std::vector<float> out(size_t(n * width));
    encoder_attention(pool, s, in, 0.25f, mask.data(), out.data());
    auto ref = reference_attention(s, in, 0.25, mask.data());
    for (size_t i = 0; i < out.size(); ++i) ASSERT_NEAR(out[i], ref[i], 1e-5) << "element " << i;
}

TEST(EncoderAttention, PaddedSequenceGivesTheSameBitsAsAlone) {
    ThreadPool pool(2);
    const int64_t heads = 2, hd = 8, width = heads * hd, len = 5, padded = 11;
    auto qkv = random_values(size_t(padded * 3 * width), 3);
    std::vector<uint8_t> mask(size_t(padded), 0);
    for (int64_t t = 0; t < len; ++t) mask[size_t(t)] = 1;
    AttentionInput in{qkv.data(), 3 * width, qkv.data() + width, 3 * width, qkv.data() + 2 * width, 3 * width};
    std::vector<float> batched(size_t(padded * width)), alone(size_t(len * width));
    encoder_attention(pool, {1, padded, padded, heads, hd}, in, 0.3f, mask.data(), batched.data());
    encoder_attention(pool, {1, len, len, heads, hd}, in, 0.3f, nullptr, alone.data());
    for (size_t i = 0; i < alone.size(); ++i) ASSERT_EQ(batched[i], alone[i]) << "element " << i;
}

TEST(EncoderAttention, CrossAttentionOfOneQueryPerSequence) {
    ThreadPool pool(2);
    const AttentionShape s{2, 1, 9, 3, 4};
    const int64_t width = s.heads * s.head_dim;
    auto q = random_values(size_t(s.batch * width), 1);
    auto kv = random_values(size_t(s.batch * s.kv_len * 2 * width), 2);
    std::vector<uint8_t> mask = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0};
    AttentionInput in{q.data(), width, kv.data(), 2 * width, kv.data() + width, 2 * width};
    std::vector<float> out(size_t(s.batch * width));
    encoder_attention(pool, s, in, 0.5f, mask.data(), out.data());
    auto ref = reference_attention(s, in, 0.5, mask.data());
    for (size_t i = 0; i < out.size(); ++i) ASSERT_NEAR(out[i], ref[i], 1e-5);
}

TEST(EncoderAttention, AllKeysMaskedGivesZerosAndBadStridesFail) {
    ThreadPool pool(1);
    std::vector<float> x(2 * 4, 1.0f), out(2 * 4, 5.0f);
    std::vector<uint8_t> mask = {0, 0};
    encoder_attention(pool, {1, 2, 2, 1, 4}, {x.data(), 4, x.data(), 4, x.data(), 4}, 1.0f, mask.data(), out.data());
    for (float v : out) EXPECT_EQ(v, 0.0f);
    EXPECT_THROW(encoder_attention(pool, {1, 2, 2, 2, 4}, {x.data(), 4, x.data(), 4, x.data(), 4}, 1.0f, nullptr,
                                   out.data()),
                 Error);
}

TEST(GeluTanh, MatchesTheFormulaInDouble) {
    std::vector<float> x = {-6.0f, -1.5f, -0.1f, 0.0f, 0.3f, 1.0f, 2.5f, 8.0f};
    auto y = x;
    ThreadPool pool(2);
    gelu_tanh(pool, y.data(), int64_t(y.size()));
    for (size_t i = 0; i < x.size(); ++i) {
        double v = x[i];
        double ref = 0.5 * v * (1.0 + std::tanh(std::sqrt(2.0 / M_PI) * (v + 0.044715 * v * v * v)));
        EXPECT_NEAR(y[i], ref, 1e-6 * std::max(1.0, std::abs(ref)));
    }
}

}  // namespace
}  // namespace gavel::cpu
