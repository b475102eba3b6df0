#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <vector>

#include "backend/cpu/activation.hpp"
#include "backend/cpu/matmul.hpp"
#include "backend/cpu/norm.hpp"
#include "backend/cpu/rope.hpp"
#include "backend/cpu/vector_math.hpp"
#include "core/error.hpp"
#include "random_values.hpp"

namespace gavel::cpu {
namespace {

using testing::random_values;

// Stores `values` in `dtype` and returns the stored values read back (what the op sees).
struct StoredTensor {
    std::vector<uint8_t> bytes;
    std::vector<float> exact;
    TensorView view;
};
StoredTensor store(const std::vector<float>& values, DType dtype, std::vector<int64_t> shape) {
    StoredTensor s;
    s.exact.resize(values.size());
    s.bytes.resize(values.size() * dtype_size(dtype));
    for (size_t i = 0; i < values.size(); ++i) {
        if (dtype == DType::F32) {
            std::memcpy(&s.bytes[i * 4], &values[i], 4);
            s.exact[i] = values[i];
        } else {
            uint16_t h = dtype == DType::BF16 ? f32_to_bf16(values[i]) : f32_to_f16(values[i]);
            std::memcpy(&s.bytes[i * 2], &h, 2);
            s.exact[i] = dtype == DType::BF16 ? bf16_to_f32(h) : f16_to_f32(h);
        }
    }
    s.view = TensorView{dtype, std::move(shape), s.bytes.data()};
    return s;
}

class LinearTest : public ::testing::TestWithParam<std::tuple<DType, int, int, int>> {};

TEST_P(LinearTest, MatchesDoublePrecisionLoop) {
    auto [dtype, m, n, k] = GetParam();
    ThreadPool pool(3);
    auto x = random_values(size_t(m * k), 1);
    auto w = store(random_values(size_t(n * k), 2), dtype, {n, k});
    auto b = store(random_values(size_t(n), 3), dtype, {n});
    std::vector<float> y(size_t(m * n));
    linear(pool, x.data(), m, w.view, &b.view, y.data());
    for (int i = 0; i < m; ++i)
        for (int j = 0; j < n; ++j) {
            double ref = b.exact[size_t(j)];
            for (int t = 0; t < k; ++t) ref += double(x[size_t(i * k + t)]) * w.exact[size_t(j * k + t)];
            ASSERT_NEAR(y[size_t(i * n + j)], ref, 1e-4 * std::sqrt(double(k)) + 1e-5) << i << "," << j;
        }
}

INSTANTIATE_TEST_SUITE_P(Shapes, LinearTest,
                         ::testing::Combine(::testing::Values(DType::F32, DType::BF16, DType::F16),
                                            ::testing::Values(1, 5), ::testing::Values(1, 3, 37),
                                            ::testing::Values(1, 64, 129)));

TEST(Linear, RejectsUnsupportedWeights) {
    std::vector<int8_t> data(4);
    TensorView w{DType::I8, {2, 2}, data.data()};
    ThreadPool pool(1);
    float x[2] = {1, 2}, y[2];
    EXPECT_THROW(linear(pool, x, 1, w, nullptr, y), Error);
}

TEST(Embedding, GathersRowsAndChecksIds) {
    auto table = store({1, 2, 3, 4, 5, 6}, DType::BF16, {3, 2});
    int32_t ids[] = {2, 0};
    float out[4];
    embedding(table.view, ids, 2, out);
    EXPECT_EQ(std::vector<float>(out, out + 4), (std::vector<float>{5, 6, 1, 2}));
    int32_t bad[] = {3};
    EXPECT_THROW(embedding(table.view, bad, 1, out), Error);
}

TEST(Norm, RmsNormMatchesFormula) {
    auto x = random_values(2 * 8, 4);
    auto w = store(random_values(8, 5), DType::F32, {8});
    std::vector<float> y(16);
    ThreadPool pool(2);
    rms_norm(pool, x.data(), w.view, 1e-6f, 2, 8, y.data());
    for (int r = 0; r < 2; ++r) {
        double ss = 0;
        for (int i = 0; i < 8; ++i) ss += x[size_t(r * 8 + i)] * x[size_t(r * 8 + i)];
        double scale = 1 / std::sqrt(ss / 8 + 1e-6);
        for (int i = 0; i < 8; ++i) EXPECT_NEAR(y[size_t(r * 8 + i)], x[size_t(r * 8 + i)] * scale * w.exact[size_t(i)], 1e-5);
    }
}

TEST(Norm, LayerNormMatchesFormula) {
    auto x = random_values(3 * 6, 6);
    auto w = store(random_values(6, 7), DType::BF16, {6});
    auto b = store(random_values(6, 8), DType::BF16, {6});
    std::vector<float> y(18);
    ThreadPool pool(2);
    layer_norm(pool, x.data(), w.view, b.view, 1e-5f, 3, 6, y.data());
    for (int r = 0; r < 3; ++r) {
        double mean = 0, var = 0;
        for (int i = 0; i < 6; ++i) mean += x[size_t(r * 6 + i)] / 6.0;
        for (int i = 0; i < 6; ++i) var += std::pow(x[size_t(r * 6 + i)] - mean, 2) / 6.0;
        for (int i = 0; i < 6; ++i)
            EXPECT_NEAR(y[size_t(r * 6 + i)],
                        (x[size_t(r * 6 + i)] - mean) / std::sqrt(var + 1e-5) * w.exact[size_t(i)] + b.exact[size_t(i)], 1e-5);
    }
}

TEST(Activation, SiluGeluReluSoftmax) {
    ThreadPool pool(2);
    float g[] = {-2, 0, 1.5f}, u[] = {3, 4, 5}, out[3];
    silu_mul(pool, g, u, out, 3);
    for (int i = 0; i < 3; ++i) EXPECT_NEAR(out[i], g[i] / (1 + std::exp(-g[i])) * u[i], 1e-6);
    float x[] = {-1, 0, 2};
    gelu_erf(pool, x, 3);
    EXPECT_NEAR(x[0], -0.15865525f, 1e-6);
    EXPECT_NEAR(x[2], 1.9544997f, 1e-6);
    float r[] = {-1, 2};
    relu(r, 2);
    EXPECT_EQ(r[0], 0.0f);
    float s[] = {1, 2, 3, -INFINITY, -INFINITY, -INFINITY};
    softmax(s, 2, 3);
    EXPECT_NEAR(s[0] + s[1] + s[2], 1.0f, 1e-6);
    EXPECT_NEAR(s[2] / s[1], std::exp(1.0f), 1e-5);
    EXPECT_EQ(s[3], 0.0f);  // a fully masked row is all zeros, not NaN
}

// The branch-free exp and erf behind SiLU and the GELUs, against libm in double on a dense grid
// and at the edges of their ranges.
TEST(VectorMath, ExpAndErfAgainstDouble) {
    double worst_exp = 0, worst_erf = 0;
    for (int i = 0; i <= 2'000'000; ++i) {
        const float x = -87.0f + 175.0f * float(i) / 2e6f;
        const double e = std::exp(double(x));
        worst_exp = std::max(worst_exp, std::fabs(fast_exp(x) - e) / e);
        const float y = -6.0f + 12.0f * float(i) / 2e6f;
        worst_erf = std::max(worst_erf, std::fabs(fast_erf(y) - std::erf(double(y))));
    }
    EXPECT_LE(worst_exp, 3e-7);
    EXPECT_LE(worst_erf, 4e-7);
    EXPECT_EQ(fast_erf(0.0f), 0.0f);
    EXPECT_EQ(fast_erf(5.0f), 1.0f);
    EXPECT_EQ(fast_erf(-INFINITY), -1.0f);
    EXPECT_EQ(fast_erf(1.5f), -fast_erf(-1.5f));
    EXPECT_FLOAT_EQ(fast_exp(0.0f), 1.0f);
    EXPECT_GT(fast_exp(1000.0f), 1e38f);  // clamped to exp(88), not inf
    EXPECT_GE(fast_exp(-1000.0f), 0.0f);
    EXPECT_LT(fast_exp(-1000.0f), 1e-37f);
}

// The ops that split a layer's activations over the pool give every element the same bits whatever
// the thread count (and so whatever the batch around it), and stay within f32 rounding of the
// formula in double over the range activations reach.
TEST(SplitOps, SameBitsForAnyThreadCountAndCloseToDouble) {
    const int64_t rows = 37, dim = 1000, n = rows * dim;
    auto x = random_values(size_t(n), 11, 3.0f);
    auto up = random_values(size_t(n), 12);
    auto w = store(random_values(size_t(dim), 13), DType::BF16, {dim});
    auto b = store(random_values(size_t(dim), 14), DType::F32, {dim});
    RopeTable rope(64, 10000.0, 64);
    std::vector<int32_t> positions(size_t(n / 64));
    for (size_t i = 0; i < positions.size(); ++i) positions[i] = int32_t(i * 7 % 64);
    std::vector<std::vector<float>> results[2];
    for (int t = 0; t < 2; ++t) {
        ThreadPool pool(t == 0 ? 1 : 3);
        const size_t count = static_cast<size_t>(n);
        std::vector<float> a = x, c = x, s(count), r(count), l(count), q = x;
        gelu_erf(pool, a.data(), n);
        gelu_tanh(pool, c.data(), n);
        silu_mul(pool, x.data(), up.data(), s.data(), n);
        rms_norm(pool, x.data(), w.view, 1e-6f, rows, dim, r.data());
        layer_norm(pool, x.data(), w.view, b.view, 1e-5f, rows, dim, l.data());
        rope.apply(pool, q.data(), int64_t(positions.size()), 1, positions.data());
        results[t] = {a, c, s, r, l, q};
    }
    const char* names[] = {"gelu_erf", "gelu_tanh", "silu_mul", "rms_norm", "layer_norm", "rope"};
    for (size_t op = 0; op < 6; ++op)
        EXPECT_EQ(0, std::memcmp(results[0][op].data(), results[1][op].data(), size_t(n) * 4)) << names[op];
    double worst_gelu = 0, worst_silu = 0;
    for (int64_t i = 0; i < n; ++i) {
        const double v = x[size_t(i)];
        const double gelu = 0.5 * v * (1.0 + std::erf(v / std::sqrt(2.0)));
        const double silu = v / (1.0 + std::exp(-v)) * up[size_t(i)];
        worst_gelu = std::max(worst_gelu, std::fabs(results[1][0][size_t(i)] - gelu) / std::max(1.0, std::fabs(gelu)));
        worst_silu = std::max(worst_silu, std::fabs(results[1][2][size_t(i)] - silu) / std::max(1.0, std::fabs(silu)));
    }
    // GELU of negative x is 0.5 x (1 + erf), a difference of nearly equal numbers: fast_erf's
    // absolute error (4e-7) times 0.5 |x| shows through it, up to about 1e-6 for |x| near 3-4.
    EXPECT_LE(worst_gelu, 1e-6);
    EXPECT_LE(worst_silu, 4e-7);
}

TEST(Rope, RotatesHalvesByPositionAngle) {
    const int64_t dim = 8;
    RopeTable rope(dim, 10000.0, 16);
    auto x = random_values(2 * 3 * dim, 9);  // 2 tokens, 3 heads
    auto orig = x;
    int32_t pos[] = {0, 5};
    ThreadPool pool(2);
    rope.apply(pool, x.data(), 2, 3, pos);
    for (int h = 0; h < 3; ++h)
        for (int i = 0; i < dim; ++i) EXPECT_FLOAT_EQ(x[size_t(h * dim + i)], orig[size_t(h * dim + i)]);  // position 0
    for (int h = 0; h < 3; ++h)
        for (int i = 0; i < dim / 2; ++i) {
            double f = std::pow(10000.0, -2.0 * i / dim), a = 5 * f;
            size_t base = size_t((3 + h) * dim);
            double x1 = orig[base + i], x2 = orig[base + i + dim / 2];
            EXPECT_NEAR(x[base + i], x1 * std::cos(a) - x2 * std::sin(a), 1e-5);
            EXPECT_NEAR(x[base + i + dim / 2], x2 * std::cos(a) + x1 * std::sin(a), 1e-5);
        }
    int32_t far[] = {16};
    EXPECT_THROW(rope.apply(pool, x.data(), 1, 1, far), Error);
}

}  // namespace
}  // namespace gavel::cpu
