// The fused tiled attention kernel through its two public entry points (encoder_attention and
// attention_causal), against the textbook formula in double.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "backend/cpu/attention_causal.hpp"
#include "backend/cpu/attention_encoder.hpp"
#include "backend/cpu/attention_tile.hpp"
#include "random_values.hpp"

namespace gavel::cpu {
namespace {

using testing::random_values;

// softmax(scale * q . k_j) weighted sum of v_j over the given key rows, in double.
void reference_row(const float* q, const std::vector<const float*>& k, const std::vector<const float*>& v,
                   int64_t d, double scale, double* out) {
    std::fill(out, out + d, 0.0);
    if (k.empty()) return;
    std::vector<double> w(k.size());
    double mx = -INFINITY, sum = 0;
    for (size_t j = 0; j < k.size(); ++j) {
        double s = 0;
        for (int64_t i = 0; i < d; ++i) s += double(q[i]) * k[j][i];
        w[j] = s * scale;
        mx = std::max(mx, w[j]);
    }
    for (auto& x : w) sum += (x = std::exp(x - mx));
    for (size_t j = 0; j < k.size(); ++j)
        for (int64_t i = 0; i < d; ++i) out[i] += w[j] / sum * v[j][i];
}

// Max |got - want| over max |want|: the error relative to the output's scale.
double relative_error(const std::vector<float>& got, const std::vector<double>& want) {
    double err = 0, scale = 0;
    for (size_t i = 0; i < got.size(); ++i) {
        err = std::max(err, std::abs(double(got[i]) - want[i]));
        scale = std::max(scale, std::abs(want[i]));
    }
    return err / std::max(scale, 1e-30);
}

// ---- encoder / cross attention -------------------------------------------------------------

struct EncoderCase {
    AttentionShape shape;
    std::vector<float> qkv;  // fused [batch * q_len, 3 * width] rows (q | k | v)
    std::vector<uint8_t> mask;
    AttentionInput input() const {
        const int64_t w = shape.heads * shape.head_dim;
        return {qkv.data(), 3 * w, qkv.data() + w, 3 * w, qkv.data() + 2 * w, 3 * w};
    }
};

EncoderCase padded_batch(const std::vector<int64_t>& lengths, int64_t heads, int64_t d, uint32_t seed) {
    EncoderCase c;
    const int64_t len = *std::max_element(lengths.begin(), lengths.end());
    c.shape = {int64_t(lengths.size()), len, len, heads, d};
    c.qkv = random_values(size_t(c.shape.batch * len * 3 * heads * d), seed);
    c.mask.assign(size_t(c.shape.batch * len), 0);
    for (size_t b = 0; b < lengths.size(); ++b)
        for (int64_t t = 0; t < lengths[b]; ++t) c.mask[b * size_t(len) + size_t(t)] = 1;
    return c;
}

std::vector<double> reference_encoder(const AttentionShape& s, const AttentionInput& in, double scale,
                                      const uint8_t* mask) {
    const int64_t width = s.heads * s.head_dim;
    std::vector<double> out(size_t(s.batch * s.q_len * width));
    for (int64_t b = 0; b < s.batch; ++b)
        for (int64_t h = 0; h < s.heads; ++h) {
            std::vector<const float*> k, v;
            for (int64_t j = 0; j < s.kv_len; ++j) {
                if (mask && !mask[b * s.kv_len + j]) continue;
                k.push_back(in.k + (b * s.kv_len + j) * in.k_stride + h * s.head_dim);
                v.push_back(in.v + (b * s.kv_len + j) * in.v_stride + h * s.head_dim);
            }
            for (int64_t t = 0; t < s.q_len; ++t)
                reference_row(in.q + (b * s.q_len + t) * in.q_stride + h * s.head_dim, k, v, s.head_dim, scale,
                              &out[size_t((b * s.q_len + t) * width + h * s.head_dim)]);
        }
    return out;
}

// Each sequence of the padded batch `c`, run alone (its own rows of the fused buffer, no mask) at
// `precision`, gives the bits the batch gave it in `out`.
void expect_each_sequence_alone(const EncoderCase& c, const std::vector<int64_t>& lengths, ThreadPool& pool,
                                float scale, const std::vector<float>& out, AttentionPrecision precision) {
    const int64_t width = c.shape.heads * c.shape.head_dim, len = c.shape.q_len;
    for (size_t b = 0; b < lengths.size(); ++b) {
        const int64_t n = lengths[b];
        AttentionInput in = c.input();
        const int64_t offset = int64_t(b) * len * in.q_stride;
        in.q += offset, in.k += offset, in.v += offset;
        std::vector<float> alone(size_t(n * width));
        encoder_attention(pool, {1, n, n, c.shape.heads, c.shape.head_dim}, in, scale, nullptr, alone.data(),
                          precision);
        for (int64_t i = 0; i < n * width; ++i)
            ASSERT_EQ(alone[size_t(i)], out[size_t(int64_t(b) * len * width + i)]) << "sequence " << b << " element " << i;
    }
}

class EncoderPadding : public ::testing::TestWithParam<int64_t> {};

TEST_P(EncoderPadding, MatchesDoubleAndEachSequenceAloneBitForBit) {
    const int64_t d = GetParam(), heads = d == 64 ? 4 : 3;
    const std::vector<int64_t> lengths = {1, 7, 300};
    EncoderCase c = padded_batch(lengths, heads, d, 11);
    const int64_t width = heads * d, len = c.shape.q_len;
    const float scale = 1.0f / std::sqrt(float(d));
    ThreadPool pool(2);
    std::vector<float> out(size_t(c.shape.batch * len * width));
    encoder_attention(pool, c.shape, c.input(), scale, c.mask.data(), out.data());
    auto ref = reference_encoder(c.shape, c.input(), scale, c.mask.data());
    EXPECT_LE(relative_error(out, ref), 1e-5);

    expect_each_sequence_alone(c, lengths, pool, scale, out, AttentionPrecision::F32);
}

INSTANTIATE_TEST_SUITE_P(HeadDims, EncoderPadding, ::testing::Values(64, 16));

TEST(EncoderAttentionTiled, ThreadCountDoesNotChangeABit) {
    EncoderCase c = padded_batch({130, 65}, 2, 32, 5);
    const int64_t n = c.shape.batch * c.shape.q_len * c.shape.heads * c.shape.head_dim;
    std::vector<float> one(static_cast<size_t>(n)), three(static_cast<size_t>(n));
    ThreadPool p1(1), p3(3);
    encoder_attention(p1, c.shape, c.input(), 0.2f, c.mask.data(), one.data());
    encoder_attention(p3, c.shape, c.input(), 0.2f, c.mask.data(), three.data());
    EXPECT_EQ(one, three);
}

TEST(EncoderAttentionTiled, CrossAttentionOfOneQueryOver200Keys) {
    const AttentionShape s{2, 1, 200, 16, 64};
    const int64_t width = s.heads * s.head_dim;
    auto q = random_values(size_t(s.batch * width), 21);
    auto kv = random_values(size_t(s.batch * s.kv_len * 2 * width), 22);
    std::vector<uint8_t> mask(size_t(s.batch * s.kv_len), 1);
    for (int64_t t = 150; t < s.kv_len; ++t) mask[size_t(s.kv_len + t)] = 0;  // second sequence: 150 keys
    AttentionInput in{q.data(), width, kv.data(), 2 * width, kv.data() + width, 2 * width};
    ThreadPool pool(2);
    std::vector<float> out(size_t(s.batch * width));
    encoder_attention(pool, s, in, 0.125f, mask.data(), out.data());
    EXPECT_LE(relative_error(out, reference_encoder(s, in, 0.125, mask.data())), 1e-5);
}

// Keys whose scores rise along the sequence: every tile raises the running max, so the
// accumulator is rescaled many times; large logits (up to ~60) test the exp range. One head of 32
// dims, 700 keys; seeds seed, seed + 1, seed + 2 for q, k, v.
struct PeakedCase {
    AttentionShape shape;
    std::vector<float> q, k, v;
    AttentionInput input() const { return {q.data(), 32, k.data(), 32, v.data(), 32}; }
};

PeakedCase peaked_case(int64_t queries, uint32_t seed) {
    PeakedCase c{{1, queries, 700, 1, 32}, {}, {}, {}};
    c.q = random_values(size_t(queries * 32), seed, 1.0f);
    c.k = random_values(size_t(c.shape.kv_len * 32), seed + 1, 1.0f);
    c.v = random_values(size_t(c.shape.kv_len * 32), seed + 2);
    for (int64_t j = 0; j < c.shape.kv_len; ++j)
        for (int64_t i = 0; i < 32; ++i) c.k[size_t(j * 32 + i)] *= 0.3f + 2.0f * float(j) / float(c.shape.kv_len);
    return c;
}

TEST(EncoderAttentionTiled, PeakedScoresThatGrowAcrossTilesStayAccurate) {
    const PeakedCase c = peaked_case(5, 31);
    ThreadPool pool(2);
    std::vector<float> out(size_t(c.shape.q_len * 32));
    encoder_attention(pool, c.shape, c.input(), 1.0f, nullptr, out.data());
    EXPECT_LE(relative_error(out, reference_encoder(c.shape, c.input(), 1.0, nullptr)), 1e-5);
}

TEST(EncoderAttentionTiled, SequenceWithNoKeysGetsZerosOthersDoNot) {
    EncoderCase c = padded_batch({0, 3}, 2, 8, 41);
    const int64_t width = 16, n = c.shape.batch * c.shape.q_len * width;
    std::vector<float> out(size_t(n), 7.0f);
    ThreadPool pool(2);
    encoder_attention(pool, c.shape, c.input(), 0.3f, c.mask.data(), out.data());
    for (int64_t i = 0; i < c.shape.q_len * width; ++i) EXPECT_EQ(out[size_t(i)], 0.0f);
    EXPECT_LE(relative_error(out, reference_encoder(c.shape, c.input(), 0.3, c.mask.data())), 1e-5);
}

// ---- encoder attention on AVX512-BF16 dot products ----------------------------------------

// The bf16 products round queries, keys, values and probabilities to bf16 (8 significant bits):
// the output stays within a few parts in a thousand of the exact one, keeps the padding and thread
// invariances of the f32 kernel, and differs from the f32 kernel's bits (so the path was taken).
TEST(EncoderAttentionBf16, NearDoublePaddingAndThreadsDoNotChangeABit) {
    if (!attention_bf16_supported(64)) GTEST_SKIP() << "this CPU has no AVX512-BF16";
    const int64_t d = 64, heads = 2, width = heads * d;
    const std::vector<int64_t> lengths = {1, 7, 300};  // odd key counts pad the last key pair
    EncoderCase c = padded_batch(lengths, heads, d, 13);
    const int64_t len = c.shape.q_len, n = c.shape.batch * len * width;
    const float scale = 1.0f / std::sqrt(float(d));
    ThreadPool p1(1), p3(3);
    std::vector<float> out(static_cast<size_t>(n)), f32(static_cast<size_t>(n)), three(static_cast<size_t>(n));
    encoder_attention(p1, c.shape, c.input(), scale, c.mask.data(), out.data(), AttentionPrecision::BF16);
    encoder_attention(p1, c.shape, c.input(), scale, c.mask.data(), f32.data(), AttentionPrecision::F32);
    encoder_attention(p3, c.shape, c.input(), scale, c.mask.data(), three.data(), AttentionPrecision::BF16);
    const auto ref = reference_encoder(c.shape, c.input(), scale, c.mask.data());
    EXPECT_LE(relative_error(out, ref), 6e-3);
    EXPECT_LE(relative_error(f32, ref), 1e-5);
    EXPECT_NE(out, f32);
    EXPECT_EQ(out, three);
    expect_each_sequence_alone(c, lengths, p1, scale, out, AttentionPrecision::BF16);
}

// One block of queries (at most kTileRows): each key tile is converted to bf16 inside the kernel
// rather than once per sequence beforehand; 40 keys leave a partial tile of keys and of key pairs.
TEST(EncoderAttentionBf16, OneBlockOfQueriesConvertsItsOwnKeyTiles) {
    if (!attention_bf16_supported(64)) GTEST_SKIP() << "this CPU has no AVX512-BF16";
    const int64_t d = 64, heads = 3;
    const std::vector<int64_t> lengths = {5, 40};
    EncoderCase c = padded_batch(lengths, heads, d, 29);
    const int64_t n = c.shape.batch * c.shape.q_len * heads * d;
    const float scale = 1.0f / std::sqrt(float(d));
    ThreadPool pool(2);
    std::vector<float> out(static_cast<size_t>(n));
    encoder_attention(pool, c.shape, c.input(), scale, c.mask.data(), out.data(), AttentionPrecision::BF16);
    EXPECT_LE(relative_error(out, reference_encoder(c.shape, c.input(), scale, c.mask.data())), 6e-3);
    expect_each_sequence_alone(c, lengths, pool, scale, out, AttentionPrecision::BF16);
}

TEST(EncoderAttentionBf16, PeakedScoresAcrossManyTilesStayNearDouble) {
    if (!attention_bf16_supported(32)) GTEST_SKIP() << "this CPU has no AVX512-BF16";
    const PeakedCase c = peaked_case(70, 35);
    ThreadPool pool(2);
    std::vector<float> out(size_t(c.shape.q_len * 32));
    encoder_attention(pool, c.shape, c.input(), 1.0f, nullptr, out.data(), AttentionPrecision::BF16);
    // Logits up to ~60 rounded to bf16 move by up to ~0.2: the weights shift, not the scale.
    EXPECT_LE(relative_error(out, reference_encoder(c.shape, c.input(), 1.0, nullptr)), 3e-2);
}

TEST(EncoderAttentionBf16, HeadDimNotAMultipleOf32StaysOnTheF32Kernel) {
    EncoderCase c = padded_batch({40, 9}, 3, 16, 17);
    const int64_t n = c.shape.batch * c.shape.q_len * c.shape.heads * c.shape.head_dim;
    std::vector<float> asked(static_cast<size_t>(n)), f32(static_cast<size_t>(n));
    ThreadPool pool(2);
    encoder_attention(pool, c.shape, c.input(), 0.25f, c.mask.data(), asked.data(), AttentionPrecision::BF16);
    encoder_attention(pool, c.shape, c.input(), 0.25f, c.mask.data(), f32.data(), AttentionPrecision::F32);
    EXPECT_EQ(asked, f32);
}

// ---- causal attention over a KV cache ------------------------------------------------------

struct CausalCase {
    int64_t q_heads, kv_heads, d, cached, tokens;
    std::vector<float> q, keys, values, out;
    CausalAttentionSequence sequence() {
        return {.q = q.data(), .out = out.data(), .tokens = tokens, .keys = keys.data(), .values = values.data(),
                .first_position = cached};
    }
};

CausalCase causal_case(int64_t q_heads, int64_t kv_heads, int64_t d, int64_t cached, int64_t tokens, uint32_t seed) {
    CausalCase c{q_heads, kv_heads, d, cached, tokens, {}, {}, {}, {}};
    c.q = random_values(size_t(tokens * q_heads * d), seed);
    c.keys = random_values(size_t((cached + tokens) * kv_heads * d), seed + 1);
    c.values = random_values(size_t((cached + tokens) * kv_heads * d), seed + 2);
    c.out.assign(size_t(tokens * q_heads * d), -1.0f);
    return c;
}

std::vector<double> reference_causal(const CausalCase& c, double scale) {
    const int64_t group = c.q_heads / c.kv_heads, row = c.kv_heads * c.d;
    std::vector<double> out(size_t(c.tokens * c.q_heads * c.d));
    for (int64_t t = 0; t < c.tokens; ++t)
        for (int64_t h = 0; h < c.q_heads; ++h) {
            std::vector<const float*> k, v;
            for (int64_t j = 0; j <= c.cached + t; ++j) {
                k.push_back(&c.keys[size_t(j * row + (h / group) * c.d)]);
                v.push_back(&c.values[size_t(j * row + (h / group) * c.d)]);
            }
            reference_row(&c.q[size_t((t * c.q_heads + h) * c.d)], k, v, c.d, scale,
                          &out[size_t((t * c.q_heads + h) * c.d)]);
        }
    return out;
}

struct CausalShape {
    int64_t q_heads, kv_heads, d, cached, tokens;
};

class CausalAttention : public ::testing::TestWithParam<CausalShape> {};

TEST_P(CausalAttention, MatchesDouble) {
    const CausalShape p = GetParam();
    CausalCase c = causal_case(p.q_heads, p.kv_heads, p.d, p.cached, p.tokens, 51);
    const float scale = 1.0f / std::sqrt(float(p.d));
    ThreadPool pool(2);
    CausalAttentionSequence seq = c.sequence();
    attention_causal(pool, {&seq, 1}, p.q_heads, p.kv_heads, p.d, scale);
    EXPECT_LE(relative_error(c.out, reference_causal(c, scale)), 1e-5);
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, CausalAttention,
    ::testing::Values(CausalShape{14, 2, 64, 0, 100},    // Qwen2-0.5B prefill from position 0
                      CausalShape{14, 2, 64, 77, 45},    // prefill after a cached prefix
                      CausalShape{4, 2, 128, 0, 70},     // head_dim 128
                      CausalShape{4, 2, 128, 300, 9},    // few rows over a cache: split into parts
                      CausalShape{14, 2, 64, 3999, 1},   // decode: one token over 4000 positions
                      CausalShape{28, 4, 128, 3999, 1},  // decode, head_dim 128
                      CausalShape{2, 2, 24, 5, 3}));     // odd head_dim, no grouping

TEST(CausalAttentionTiled, BatchAndThreadsDoNotChangeABit) {
    CausalCase a = causal_case(14, 2, 64, 600, 1, 61), b = causal_case(14, 2, 64, 20, 40, 62);
    ThreadPool p1(1), p2(2);
    CausalAttentionSequence alone = a.sequence();
    attention_causal(p1, {&alone, 1}, 14, 2, 64, 0.125f);
    const std::vector<float> a_alone = a.out;
    CausalAttentionSequence bs = b.sequence();
    attention_causal(p1, {&bs, 1}, 14, 2, 64, 0.125f);
    const std::vector<float> b_alone = b.out;
    std::vector<CausalAttentionSequence> both = {b.sequence(), a.sequence()};
    attention_causal(p2, both, 14, 2, 64, 0.125f);
    EXPECT_EQ(a.out, a_alone);
    EXPECT_EQ(b.out, b_alone);
}

TEST(AttentionExp2, RelativeErrorAboutOneUlp) {
    std::vector<float> x;
    for (double v = -126.0; v <= 127.0; v += 0.0037) x.push_back(float(v));
    for (float v : {0.0f, -0.0f, 0.5f, -0.5f, 1e-8f, -1e-8f}) x.push_back(v);
    std::vector<float> y(x.size());
    exp2_approx(x.data(), y.data(), int64_t(x.size()));
    double worst = 0;
    for (size_t i = 0; i < x.size(); ++i) {
        const double want = std::exp2(double(x[i]));
        worst = std::max(worst, std::abs(double(y[i]) - want) / want);
    }
    EXPECT_LT(worst, 1.5e-7);
    // Below the normal range: at most 2^-126 (0, or a denormal where vscalefps builds the power),
    // and exactly 0 from -150 down: a masked key's probability.
    std::vector<float> below = {-126.5f, -127.0f, -140.0f, -149.0f}, small(4, 1.0f);
    exp2_approx(below.data(), small.data(), 4);
    for (float v : small) {
        EXPECT_GE(v, 0.0f);
        EXPECT_LE(v, 0x1p-126f);
    }
    std::vector<float> tiny = {-150.0f, -200.0f, -1e30f, -INFINITY}, out(4, 1.0f);
    exp2_approx(tiny.data(), out.data(), 4);
    for (float v : out) EXPECT_EQ(v, 0.0f);
}

}  // namespace
}  // namespace gavel::cpu
