// linear() against a float64 reference on every kernel path this CPU can run: each ISA (forced),
// each weight dtype, GEMV (m < 4) and GEMM rows, odd n and k (column and k-block tails), with and
// without bias, and the BF16-activation precision.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "backend/cpu/matmul.hpp"
#include "core/cpu_features.hpp"
#include "core/error.hpp"

namespace gavel::cpu {
namespace {

struct Case {
    MatmulIsa isa;
    DType dtype;
    int64_t n, k;
};

std::string case_name(const ::testing::TestParamInfo<Case>& info) {
    const Case& c = info.param;
    return std::string(matmul_isa_name(c.isa)) + "_" + std::string(dtype_name(c.dtype)) + "_n" + std::to_string(c.n) +
           "_k" + std::to_string(c.k);
}

class MatmulPaths : public ::testing::TestWithParam<Case> {
protected:
    void SetUp() override {
        if (!matmul_isa_supported(GetParam().isa)) GTEST_SKIP() << "CPU cannot run " << matmul_isa_name(GetParam().isa);
        force_matmul_isa(GetParam().isa);
    }
    void TearDown() override {
        reset_matmul_isa();
        set_matmul_precision(MatmulPrecision::F32);
    }
};

struct Stored {
    std::vector<uint8_t> bytes;
    std::vector<double> exact;  // the stored values, as the kernel sees them
};

Stored store(int64_t count, DType dtype, std::mt19937& rng) {
    std::normal_distribution<float> dist(0.0f, 1.0f);
    Stored s;
    s.bytes.resize(size_t(count) * dtype_size(dtype));
    s.exact.resize(size_t(count));
    for (int64_t i = 0; i < count; ++i) {
        float v = dist(rng);
        if (dtype == DType::F32) {
            std::memcpy(&s.bytes[size_t(i) * 4], &v, 4);
            s.exact[size_t(i)] = v;
        } else {
            uint16_t h = dtype == DType::BF16 ? f32_to_bf16(v) : f32_to_f16(v);
            std::memcpy(&s.bytes[size_t(i) * 2], &h, 2);
            s.exact[size_t(i)] = dtype == DType::BF16 ? bf16_to_f32(h) : f16_to_f32(h);
        }
    }
    return s;
}

// Runs linear for every m and bias choice and checks max |y - ref| / sum_t |x w| (+ |bias|) against
// `rel_tol` (* sqrt(k)). With round_x the reference uses bf16-rounded activations (BF16 precision).
void check(const Case& c, ThreadPool& pool, bool bf16_precision) {
    const int64_t n = c.n, k = c.k;
    std::mt19937 rng(uint32_t(n * 131 + k));
    Stored w = store(n * k, c.dtype, rng);
    Stored b = store(n, DType::F32, rng);
    TensorView wv{c.dtype, {n, k}, w.bytes.data()};
    TensorView bv{DType::F32, {n}, b.bytes.data()};
    set_matmul_precision(bf16_precision ? MatmulPrecision::BF16 : MatmulPrecision::F32);
    for (int64_t m : {1, 2, 3, 4, 5, 17, 45, 64}) {
        std::normal_distribution<float> dist(0.0f, 1.0f);
        std::vector<float> x(size_t(m * k));
        for (auto& v : x) v = dist(rng);
        // BF16 precision applies to BF16 weights in the GEMM (m >= 4) on AVX512-BF16 CPUs (and AMX) only.
        const bool rounded = bf16_precision && c.dtype == DType::BF16 && m >= 4 &&
                             (c.isa == MatmulIsa::Amx || (c.isa == MatmulIsa::Avx512 && cpu_features().avx512_bf16));
        for (bool with_bias : {false, true}) {
            std::vector<float> y(size_t(m * n), std::nanf(""));
            linear(pool, x.data(), m, wv, with_bias ? &bv : nullptr, y.data());
            double worst = 0, worst_unrounded = 0;
            for (int64_t i = 0; i < m; ++i)
                for (int64_t j = 0; j < n; ++j) {
                    double ref = with_bias ? b.exact[size_t(j)] : 0.0, ref_unrounded = ref, mag = std::fabs(ref);
                    for (int64_t t = 0; t < k; ++t) {
                        const double xv = x[size_t(i * k + t)], wt = w.exact[size_t(j * k + t)];
                        const double xr = rounded ? double(bf16_to_f32(f32_to_bf16(float(xv)))) : xv;
                        ref += xr * wt;
                        ref_unrounded += xv * wt;
                        mag += std::fabs(xv * wt);
                    }
                    const double got = y[size_t(i * n + j)];
                    ASSERT_FALSE(std::isnan(got)) << "m=" << m << " row " << i << " col " << j;
                    worst = std::max(worst, std::fabs(got - ref) / std::max(mag, 1e-30));
                    worst_unrounded = std::max(worst_unrounded, std::fabs(got - ref_unrounded) / std::max(mag, 1e-30));
                }
            // f32 accumulation of k products: expected error ~ eps * sqrt(k) relative to sum |x w|.
            EXPECT_LE(worst, 1e-6 * std::sqrt(double(k))) << "m=" << m << " bias=" << with_bias << " rounded=" << rounded;
            // Against the exact activations, BF16 precision is off by at most the rounding: bf16 keeps 8 significant bits, so
            // |x - bf16(x)| <= 2^-8 |x| and the error is <= 2^-8 * sum |x w| (+ f32 accumulation).
            EXPECT_LE(worst_unrounded, std::ldexp(1.0, -8) + 1e-6 * std::sqrt(double(k))) << "m=" << m;
        }
    }
}

TEST_P(MatmulPaths, F32PrecisionMatchesFloat64) {
    ThreadPool pool(3);
    check(GetParam(), pool, false);
}

// BF16 precision equals the exact product of bf16-rounded activations and the weights (to f32
// accumulation error) where it applies, and is the F32 path elsewhere. Against the unrounded
// activations its error is bounded by the rounding (2^-8 relative, below).
TEST_P(MatmulPaths, Bf16PrecisionMatchesRoundedActivations) {
    ThreadPool pool(2);
    check(GetParam(), pool, true);
}

std::vector<Case> cases() {
    std::vector<Case> out;
    for (MatmulIsa isa : {MatmulIsa::Sse2, MatmulIsa::Avx2, MatmulIsa::Avx512, MatmulIsa::Amx})
        for (DType dt : {DType::F32, DType::BF16, DType::F16})
            for (auto [n, k] : {std::pair<int64_t, int64_t>{1, 1}, {37, 61}, {131, 300}, {67, 1043}, {70, 128}})
                out.push_back({isa, dt, n, k});
    return out;
}

INSTANTIATE_TEST_SUITE_P(AllPaths, MatmulPaths, ::testing::ValuesIn(cases()), case_name);

// F32 precision keeps every bit of x with BF16 weights on every path, the AMX one included (which
// splits x into three bf16 parts): with one power-of-two weight per row, each output is one exact
// product, x[t] * 2^e, so any bit of x lost (two parts would lose up to 2^-18 of it) shows. 4,100
// rows pass the AMX path's block of 4,096 rows (linear() runs them as two calls).
TEST(LinearF32Precision, Bf16WeightsMultiplyEveryBitOfX) {
    constexpr int64_t n = 45, k = 300;
    std::mt19937 rng(29);
    std::normal_distribution<float> dist(0.0f, 1.0f);
    std::vector<uint16_t> w(size_t(n * k), 0);
    std::vector<int64_t> at(static_cast<size_t>(n));
    std::vector<float> scale(static_cast<size_t>(n));
    for (int64_t j = 0; j < n; ++j) {
        at[size_t(j)] = int64_t(rng() % uint32_t(k));
        scale[size_t(j)] = std::ldexp(1.0f, int(rng() % 7) - 3);
        w[size_t(j * k + at[size_t(j)])] = f32_to_bf16(scale[size_t(j)]);
    }
    const TensorView wv{DType::BF16, {n, k}, w.data()};
    ThreadPool pool(2);
    set_matmul_precision(MatmulPrecision::F32);
    for (MatmulIsa isa : {MatmulIsa::Sse2, MatmulIsa::Avx2, MatmulIsa::Avx512, MatmulIsa::Amx}) {
        if (!matmul_isa_supported(isa)) continue;
        force_matmul_isa(isa);
        for (int64_t m : {1, 4, 33, 64, 4100}) {
            std::vector<float> x(size_t(m * k));
            for (float& v : x) v = dist(rng);
            std::vector<float> y(size_t(m * n), std::nanf(""));
            linear(pool, x.data(), m, wv, nullptr, y.data());
            int wrong = 0;
            for (int64_t i = 0; i < m; ++i)
                for (int64_t j = 0; j < n; ++j)
                    wrong += y[size_t(i * n + j)] != x[size_t(i * k + at[size_t(j)])] * scale[size_t(j)];
            EXPECT_EQ(wrong, 0) << matmul_isa_name(isa) << " m=" << m;
        }
    }
    reset_matmul_isa();
}

// A long k (AMX runs k in blocks: 2,048 for the split x, 8,192 for bf16 x, the tiles going back to y
// between them) gives the exact sum, for both precisions on every path: small integer activations,
// a few power-of-two weights a row spread over the whole k, and an integer bias, so that every
// partial sum is exact in f32 (and x is exact in bf16) whatever the order of the additions.
TEST(LinearLongK, Bf16WeightsSumExactlyAcrossKBlocks) {
    constexpr int64_t n = 40, k = 8300, per_row = 8;
    std::mt19937 rng(31);
    std::vector<uint16_t> w(size_t(n * k), 0);
    std::vector<float> dense(size_t(n * k), 0.0f), bias(static_cast<size_t>(n));
    for (int64_t j = 0; j < n; ++j) {
        for (int t = 0; t < per_row; ++t) {
            const float v = std::ldexp(rng() % 2 ? 1.0f : -1.0f, int(rng() % 5) - 2);
            const int64_t at = int64_t(rng() % uint32_t(k));
            w[size_t(j * k + at)] = f32_to_bf16(v);
            dense[size_t(j * k + at)] = v;
        }
        bias[size_t(j)] = float(int(rng() % 9) - 4);
    }
    const TensorView wv{DType::BF16, {n, k}, w.data()}, bv{DType::F32, {n}, bias.data()};
    ThreadPool pool(2);
    for (MatmulIsa isa : {MatmulIsa::Sse2, MatmulIsa::Avx2, MatmulIsa::Avx512, MatmulIsa::Amx}) {
        if (!matmul_isa_supported(isa)) continue;
        force_matmul_isa(isa);
        for (MatmulPrecision precision : {MatmulPrecision::F32, MatmulPrecision::BF16}) {
            set_matmul_precision(precision);
            for (int64_t m : {4, 45}) {
                std::vector<float> x(size_t(m * k));
                for (float& v : x) v = float(int(rng() % 17) - 8);
                std::vector<float> y(size_t(m * n), std::nanf(""));
                linear(pool, x.data(), m, wv, &bv, y.data());
                int wrong = 0;
                for (int64_t i = 0; i < m; ++i)
                    for (int64_t j = 0; j < n; ++j) {
                        double want = bias[size_t(j)];
                        for (int64_t t = 0; t < k; ++t) want += double(x[size_t(i * k + t)]) * dense[size_t(j * k + t)];
                        wrong += double(y[size_t(i * n + j)]) != want;
                    }
                EXPECT_EQ(wrong, 0) << matmul_isa_name(isa) << (precision == MatmulPrecision::BF16 ? " bf16" : " f32")
                                    << " m=" << m;
            }
        }
    }
    set_matmul_precision(MatmulPrecision::F32);
    reset_matmul_isa();
}

// A group of products sharing x (q/k/v, gate/up) gives exactly what one call per weight gives, for
// both paths, both precisions, mixed dtypes and widths that split a thread's share mid-weight.
TEST(LinearGroup, SameBitsAsOneCallPerWeight) {
    ThreadPool pool(3);
    const int64_t k = 70;
    std::mt19937 rng(5);
    const std::vector<std::pair<DType, int64_t>> shapes = {{DType::BF16, 37}, {DType::F32, 8}, {DType::F16, 101}};
    std::vector<Stored> weights, biases;
    std::vector<TensorView> wv, bv;
    for (auto [dtype, n] : shapes) {
        weights.push_back(store(n * k, dtype, rng));
        biases.push_back(store(n, DType::BF16, rng));
    }
    for (size_t i = 0; i < shapes.size(); ++i) {
        wv.push_back({shapes[i].first, {shapes[i].second, k}, weights[i].bytes.data()});
        bv.push_back({DType::BF16, {shapes[i].second}, biases[i].bytes.data()});
    }
    for (MatmulPrecision precision : {MatmulPrecision::F32, MatmulPrecision::BF16}) {
        set_matmul_precision(precision);
        for (int64_t m : {1, 3, 4, 19}) {
            std::normal_distribution<float> dist(0.0f, 1.0f);
            std::vector<float> x(size_t(m * k));
            for (auto& v : x) v = dist(rng);
            std::vector<std::vector<float>> separate, grouped;
            std::vector<LinearOutput> group;
            for (size_t i = 0; i < shapes.size(); ++i) {
                const size_t size = size_t(m * shapes[i].second);
                separate.emplace_back(size, std::nanf(""));
                grouped.emplace_back(size, std::nanf(""));
                const TensorView* bias = i == 1 ? nullptr : &bv[i];
                linear(pool, x.data(), m, wv[i], bias, separate[i].data());
                group.push_back({&wv[i], bias, grouped[i].data()});
            }
            linear(pool, x.data(), m, group);
            for (size_t i = 0; i < shapes.size(); ++i)
                EXPECT_EQ(0, std::memcmp(separate[i].data(), grouped[i].data(), separate[i].size() * 4))
                    << "m=" << m << " weight " << i << " bf16=" << (precision == MatmulPrecision::BF16);
        }
    }
    set_matmul_precision(MatmulPrecision::F32);
}

// linear() copies an x that does not start on a cache line before the GEMV reads it: every offset
// from the line gives the bits an aligned x gives, for each dtype and the GEMV's row counts.
TEST(LinearGemv, ActivationsOffTheCacheLineGiveTheSameBits) {
    ThreadPool pool(2);
    constexpr int64_t n = 29, k = 300, max_m = 3;
    std::mt19937 rng(11);
    for (DType dtype : {DType::F32, DType::BF16, DType::F16}) {
        const Stored w = store(n * k, dtype, rng);
        const TensorView wv{dtype, {n, k}, w.bytes.data()};
        for (int64_t m = 1; m <= max_m; ++m) {
            std::normal_distribution<float> dist(0.0f, 1.0f);
            std::vector<float> values(size_t(m * k));
            for (auto& v : values) v = dist(rng);
            alignas(64) static float buffer[max_m * k + 16];
            std::copy(values.begin(), values.end(), buffer);
            std::vector<float> aligned(size_t(m * n)), shifted(size_t(m * n));
            linear(pool, buffer, m, wv, nullptr, aligned.data());
            for (int offset = 1; offset < 16; ++offset) {
                std::copy(values.begin(), values.end(), buffer + offset);
                linear(pool, buffer + offset, m, wv, nullptr, shifted.data());
                EXPECT_EQ(0, std::memcmp(aligned.data(), shifted.data(), aligned.size() * 4))
                    << dtype_name(dtype) << " m=" << m << " offset " << offset << " floats";
            }
        }
    }
}

// The decode GEMV reads a thread's rows as several streams at once and the rows left over one at
// a time: a row's bits must not depend on which, so any thread count, and the row multiplied
// alone, give the same bits, on every ISA and weight dtype (k = 200 leaves vector and scalar tails).
TEST(LinearGemv, RowsGiveTheSameBitsHoweverTheyAreSplit) {
    constexpr int64_t n = 157, k = 200;
    std::mt19937 rng(13);
    std::normal_distribution<float> dist(0.0f, 1.0f);
    alignas(64) static float x[k];
    for (float& v : x) v = dist(rng);
    for (MatmulIsa isa : {MatmulIsa::Sse2, MatmulIsa::Avx2, MatmulIsa::Avx512, MatmulIsa::Amx}) {
        if (!matmul_isa_supported(isa)) continue;
        force_matmul_isa(isa);
        for (DType dtype : {DType::F32, DType::BF16, DType::F16}) {
            const Stored w = store(n * k, dtype, rng);
            const TensorView wv{dtype, {n, k}, w.bytes.data()};
            std::vector<float> alone(static_cast<size_t>(n));
            ThreadPool one(1);
            for (int64_t j = 0; j < n; ++j)
                linear(one, x, 1, TensorView{dtype, {1, k}, w.bytes.data() + size_t(j * k) * dtype_size(dtype)}, nullptr,
                       &alone[size_t(j)]);
            for (size_t threads : {1, 2, 3}) {
                ThreadPool pool(threads);
                std::vector<float> y(size_t(n), std::nanf(""));
                linear(pool, x, 1, wv, nullptr, y.data());
                EXPECT_EQ(0, std::memcmp(alone.data(), y.data(), y.size() * 4))
                    << matmul_isa_name(isa) << " " << dtype_name(dtype) << " " << threads << " threads";
            }
        }
    }
    reset_matmul_isa();
}

TEST(LinearGroup, WeightsOfDifferentWidthsAreRefused) {
    ThreadPool pool(1);
    std::vector<float> a(6 * 4), b(6 * 5), x(4), y(12);
    const TensorView wa{DType::F32, {6, 4}, a.data()}, wb{DType::F32, {6, 5}, b.data()};
    const LinearOutput group[] = {{&wa, nullptr, y.data()}, {&wb, nullptr, y.data() + 6}};
    try {
        linear(pool, x.data(), 1, group);
        FAIL() << "no error";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("share their input width, got 4 and 5"), std::string::npos) << e.what();
    }
}

// y = x w for every float dtype, against float64: more columns than one piece (512) with a tail,
// and threads splitting them.
TEST(LinearTranspose, MatchesFloat64ForEachDtype) {
    ThreadPool pool(2);
    const int64_t m = 5, n = 37, k = 1100;
    for (DType dtype : {DType::F32, DType::BF16, DType::F16}) {
        std::mt19937 rng(uint32_t(int(dtype) + 7));
        Stored w = store(n * k, dtype, rng);
        const TensorView wv{dtype, {n, k}, w.bytes.data()};
        std::normal_distribution<float> dist(0.0f, 1.0f);
        std::vector<float> x(size_t(m * n));
        for (auto& v : x) v = dist(rng);
        std::vector<float> y(size_t(m * k), std::nanf(""));
        linear_transpose(pool, x.data(), m, wv, y.data());
        double worst = 0;
        for (int64_t r = 0; r < m; ++r)
            for (int64_t j = 0; j < k; ++j) {
                double ref = 0, mag = 0;
                for (int64_t i = 0; i < n; ++i) {
                    ref += double(x[size_t(r * n + i)]) * w.exact[size_t(i * k + j)];
                    mag += std::fabs(double(x[size_t(r * n + i)]) * w.exact[size_t(i * k + j)]);
                }
                worst = std::max(worst, std::fabs(y[size_t(r * k + j)] - ref) / std::max(mag, 1e-30));
            }
        EXPECT_LE(worst, 1e-6 * std::sqrt(double(n))) << dtype_name(dtype);
    }
}

// A row of w whose x column is all zero is never read: non-finite values there (padding) leave y
// finite, where 0 * inf would be NaN.
TEST(LinearTranspose, ZeroCoefficientsSkipTheirRows) {
    ThreadPool pool(1);
    const int64_t n = 3, k = 4;
    std::vector<float> w = {1, 2, 3, 4, INFINITY, NAN, -INFINITY, 1, 5, 6, 7, 8};
    const std::vector<float> x = {1, 0, 2, 0.5f, 0, -1};
    std::vector<float> y(size_t(2 * k));
    linear_transpose(pool, x.data(), 2, TensorView{DType::F32, {n, k}, w.data()}, y.data());
    EXPECT_EQ(y, (std::vector<float>{11, 14, 17, 20, -4.5f, -5, -5.5f, -6}));
}

TEST(LinearTranspose, Q8WeightsAreRefused) {
    ThreadPool pool(1);
    std::vector<uint8_t> bytes(34);
    std::vector<float> x(1), y(32);
    EXPECT_THROW(linear_transpose(pool, x.data(), 1, TensorView{DType::Q8_0, {1, 32}, bytes.data()}, y.data()), Error);
}

TEST(MatmulIsa, ForcingAnUnsupportedIsaFails) {
    if (matmul_isa_supported(MatmulIsa::Amx)) GTEST_SKIP() << "every ISA is supported here";
    EXPECT_THROW(force_matmul_isa(MatmulIsa::Amx), Error);
}

TEST(MatmulIsa, BestIsUsedByDefaultAndForcingIsUndone) {
    const MatmulIsa best = matmul_isa();
    EXPECT_TRUE(matmul_isa_supported(best));
    force_matmul_isa(MatmulIsa::Sse2);
    EXPECT_EQ(matmul_isa(), MatmulIsa::Sse2);
    reset_matmul_isa();
    EXPECT_EQ(matmul_isa(), best);
}

}  // namespace
}  // namespace gavel::cpu
