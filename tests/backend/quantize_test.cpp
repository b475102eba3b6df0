// Q8_0 weights (--weights int8): quantisation error within half a step, the layout read back by
// dequantize_q8_0, linear() against a float64 product of the dequantised operands on every kernel
// path, the VNNI and portable kernels bit for bit, grouped calls, and the refusals.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "../io/io_test_support.hpp"
#include "backend/cpu/matmul.hpp"
#include "backend/cpu/quantize.hpp"
#include "core/cpu_features.hpp"
#include "core/error.hpp"
#include "random_values.hpp"

namespace gavel::cpu {
namespace {

using testing::random_values;
using gavel::testing::error_of;

std::vector<uint16_t> to_bf16(const std::vector<float>& v) {
    std::vector<uint16_t> out(v.size());
    for (size_t i = 0; i < v.size(); ++i) out[i] = f32_to_bf16(v[i]);
    return out;
}

// The activations as linear() quantises them (per row, blocks of 32), dequantised.
std::vector<double> quantised_activations(const std::vector<float>& x, int64_t m, int64_t k) {
    std::vector<double> out(x.size());
    for (int64_t i = 0; i < m; ++i)
        for (int64_t b = 0; b < k; b += kQ8Block) {
            const int64_t e = std::min(k, b + kQ8Block);
            float amax = 0;
            for (int64_t t = b; t < e; ++t) amax = std::max(amax, std::fabs(x[size_t(i * k + t)]));
            const float inv = amax > 0 ? 127.0f / amax : 0.0f, d = amax / 127.0f;
            for (int64_t t = b; t < e; ++t)
                out[size_t(i * k + t)] = double(std::nearbyint(x[size_t(i * k + t)] * inv)) * double(d);
        }
    return out;
}

TEST(Quantize, ErrorWithinHalfAStepAndLayoutReadsBack) {
    ThreadPool pool(2);
    for (auto [n, k] : {std::pair<int64_t, int64_t>{1, 1}, {16, 32}, {37, 45}, {50, 200}}) {
        const auto w = random_values(size_t(n * k), uint32_t(n * 1000 + k), 0.05f);
        const auto q = quantize_q8_0(pool, TensorView{DType::F32, {n, k}, w.data()}, "w");
        ASSERT_EQ(q.size(), q8_0_bytes(n, k));
        const TensorView view = q8_0_view(q, n, k);
        std::vector<float> back(size_t(n * k));
        dequantize_q8_0(view, back.data());
        for (int64_t j = 0; j < n; ++j)
            for (int64_t b = 0; b < k; b += kQ8Block) {
                float amax = 0;
                for (int64_t t = b; t < std::min(k, b + kQ8Block); ++t) amax = std::max(amax, std::fabs(w[size_t(j * k + t)]));
                const float d = f16_to_f32(f32_to_f16(amax / 127.0f));
                for (int64_t t = b; t < std::min(k, b + kQ8Block); ++t)
                    EXPECT_LE(std::fabs(back[size_t(j * k + t)] - w[size_t(j * k + t)]), 0.5f * d * 1.0001f + 1e-12f)
                        << "n " << n << " k " << k << " row " << j << " col " << t;
            }
    }
}

TEST(Quantize, Bf16WeightsQuantiseTheirStoredValues) {
    ThreadPool pool(1);
    const int64_t n = 20, k = 70;
    const auto w = random_values(size_t(n * k), 7, 0.1f);
    const auto wb = to_bf16(w);
    std::vector<float> widened(w.size());
    for (size_t i = 0; i < w.size(); ++i) widened[i] = bf16_to_f32(wb[i]);
    const auto from_bf16 = quantize_q8_0(pool, TensorView{DType::BF16, {n, k}, wb.data()}, "w");
    const auto from_f32 = quantize_q8_0(pool, TensorView{DType::F32, {n, k}, widened.data()}, "w");
    EXPECT_EQ(from_bf16, from_f32);
}

struct Shape {
    int64_t m, n, k;
};

class Q8Linear : public ::testing::TestWithParam<Shape> {
protected:
    void TearDown() override { reset_matmul_isa(); }
};

TEST_P(Q8Linear, MatchesTheDequantisedProductOnEveryPath) {
    const auto [m, n, k] = GetParam();
    ThreadPool pool(2);
    const auto w = random_values(size_t(n * k), uint32_t(n + 31 * k), 0.05f);
    const auto x = random_values(size_t(m * k), uint32_t(m + 17 * k), 1.0f);
    const auto bias = random_values(size_t(n), 3, 0.5f);
    const auto q = quantize_q8_0(pool, TensorView{DType::F32, {n, k}, w.data()}, "w");
    const TensorView qw = q8_0_view(q, n, k);
    const TensorView bv{DType::F32, {n}, bias.data()};
    std::vector<float> wd(size_t(n * k));
    dequantize_q8_0(qw, wd.data());
    const auto xd = quantised_activations(x, m, k);

    std::vector<float> first;
    for (MatmulIsa isa : {MatmulIsa::Sse2, MatmulIsa::Avx2, MatmulIsa::Avx512, MatmulIsa::Amx}) {
        if (!matmul_isa_supported(isa)) continue;
        force_matmul_isa(isa);
        std::vector<float> y(size_t(m * n), -1.0f);
        linear(pool, x.data(), m, qw, &bv, y.data());
        for (int64_t i = 0; i < m; ++i)
            for (int64_t j = 0; j < n; ++j) {
                double ref = bias[size_t(j)], mag = std::fabs(ref);
                for (int64_t t = 0; t < k; ++t) {
                    ref += xd[size_t(i * k + t)] * double(wd[size_t(j * k + t)]);
                    mag += std::fabs(xd[size_t(i * k + t)] * double(wd[size_t(j * k + t)]));
                }
                EXPECT_NEAR(y[size_t(i * n + j)], ref, 1e-5 * mag + 1e-6)
                    << matmul_isa_name(isa) << " m " << m << " n " << n << " k " << k << " at " << i << "," << j;
            }
        // Every kernel set computes the same bits (the VNNI kernel and the portable one).
        if (first.empty()) first = y;
        else EXPECT_EQ(0, std::memcmp(first.data(), y.data(), y.size() * 4)) << matmul_isa_name(isa);
    }
}

INSTANTIATE_TEST_SUITE_P(Shapes, Q8Linear,
                         ::testing::Values(Shape{1, 1, 1}, Shape{1, 16, 32}, Shape{1, 100, 33}, Shape{1, 300, 64}, Shape{2, 37, 96},
                                           Shape{3, 64, 200}, Shape{4, 48, 64}, Shape{5, 33, 31}, Shape{9, 70, 130},
                                           Shape{17, 130, 257}),
                         [](const ::testing::TestParamInfo<Shape>& info) {
                             return "m" + std::to_string(info.param.m) + "_n" + std::to_string(info.param.n) + "_k" +
                                    std::to_string(info.param.k);
                         });

TEST(Q8Linear, CloseToTheFloatProduct) {
    // The accuracy cost of 8 bits on a realistic shape: within 2% of the product's scale.
    ThreadPool pool(2);
    const int64_t m = 6, n = 64, k = 896;
    const auto w = random_values(size_t(n * k), 11, 0.02f);
    const auto x = random_values(size_t(m * k), 12, 1.0f);
    const auto q = quantize_q8_0(pool, TensorView{DType::F32, {n, k}, w.data()}, "w");
    std::vector<float> yq(size_t(m * n)), yf(size_t(m * n));
    linear(pool, x.data(), m, q8_0_view(q, n, k), nullptr, yq.data());
    linear(pool, x.data(), m, TensorView{DType::F32, {n, k}, w.data()}, nullptr, yf.data());
    double err = 0, scale = 0;
    for (size_t i = 0; i < yq.size(); ++i) {
        err = std::max(err, double(std::fabs(yq[i] - yf[i])));
        scale = std::max(scale, double(std::fabs(yf[i])));
    }
    EXPECT_LT(err, 0.02 * scale);
    EXPECT_GT(err, 0.0);  // it is a quantised product, not the float one
}

TEST(Q8Linear, GroupedCallMatchesSeparateCalls) {
    ThreadPool pool(2);
    const int64_t k = 96;
    for (int64_t m : {1, 7}) {
        const auto x = random_values(size_t(m * k), 21, 1.0f);
        const auto wa = random_values(size_t(40 * k), 22, 0.05f);
        const auto wb = to_bf16(random_values(size_t(24 * k), 23, 0.05f));
        const auto qa = quantize_q8_0(pool, TensorView{DType::F32, {40, k}, wa.data()}, "a");
        const TensorView va = q8_0_view(qa, 40, k), vb{DType::BF16, {24, k}, wb.data()};
        std::vector<float> ya(size_t(m * 40)), yb(size_t(m * 24)), ga(ya.size()), gb(yb.size());
        linear(pool, x.data(), m, va, nullptr, ya.data());
        linear(pool, x.data(), m, vb, nullptr, yb.data());
        const LinearOutput outs[] = {{&va, nullptr, ga.data()}, {&vb, nullptr, gb.data()}};
        linear(pool, x.data(), m, outs);
        EXPECT_EQ(ya, ga) << "m " << m;
        EXPECT_EQ(yb, gb) << "m " << m;
    }
}

TEST(Quantize, RefusesWhatItCannotQuantise) {
    ThreadPool pool(1);
    std::vector<float> w(64, 0.5f);
    w[40] = std::numeric_limits<float>::quiet_NaN();
    EXPECT_EQ(error_of([&] { quantize_q8_0(pool, TensorView{DType::F32, {2, 32}, w.data()}, "layers.0.q"); }),
              "int8 weights: 'layers.0.q' row 1 has a non-finite value or one too large for an f16 scale");
    w[40] = 1e9f;  // the block's scale, 1e9 / 127, overflows f16
    EXPECT_EQ(error_of([&] { quantize_q8_0(pool, TensorView{DType::F32, {2, 32}, w.data()}, "q"); }),
              "int8 weights: 'q' row 1 has a non-finite value or one too large for an f16 scale");
    EXPECT_EQ(error_of([&] { quantize_q8_0(pool, TensorView{DType::F32, {64}, w.data()}, "b"); }),
              "int8 weights: 'b' must be 2-D, got shape [64]");
    std::vector<int32_t> ints(64);
    EXPECT_EQ(error_of([&] { quantize_q8_0(pool, TensorView{DType::I32, {2, 32}, ints.data()}, "i"); }),
              "int8 weights: 'i' has dtype I32; only F32, BF16 and F16 weights can be quantised");
    EXPECT_FALSE(dtype_from_name("Q8_0"));  // never accepted from a checkpoint header
}

TEST(Quantize, WeightFormatNames) {
    EXPECT_EQ(weight_format_from_name("int8"), WeightFormat::Int8);
    EXPECT_EQ(weight_format_from_name("checkpoint"), WeightFormat::Checkpoint);
    EXPECT_STREQ(weight_format_name(WeightFormat::Int8), "int8");
    EXPECT_EQ(weight_format_from_name("q4"), std::nullopt);
    EXPECT_EQ(weight_format_from_name("INT8"), std::nullopt);
}

}  // namespace
}  // namespace gavel::cpu
