#include "backend/cpu/activation.hpp"

#include <algorithm>
#include <cmath>

#include "backend/cpu/simd_target.hpp"
#include "backend/cpu/vector_math.hpp"

namespace gavel::cpu {

namespace {

// Elements per thread below which splitting costs more than it saves (a decode step's MLP).
constexpr size_t kElementGrain = 4096;

GAVEL_SIMD_CLONES
void silu_mul_range(const float* gate, const float* up, float* out, size_t n) {
#pragma omp simd
    for (size_t i = 0; i < n; ++i) out[i] = gate[i] / (1.0f + fast_exp(-gate[i])) * up[i];
}

GAVEL_SIMD_CLONES
void gelu_erf_range(float* x, size_t n) {
#pragma omp simd
    for (size_t i = 0; i < n; ++i) x[i] = 0.5f * x[i] * (1.0f + fast_erf(x[i] * float(M_SQRT1_2)));
}

// 0.5 v (1 + tanh(z)) = v / (1 + exp(-2 z)): the same function, without tanh's cancellation.
GAVEL_SIMD_CLONES
void gelu_tanh_range(float* x, size_t n) {
    constexpr float kSqrt2OverPi = 0.79788456080286535588f;
#pragma omp simd
    for (size_t i = 0; i < n; ++i) {
        const float v = x[i];
        const float z = kSqrt2OverPi * v * (1.0f + 0.044715f * v * v);
        x[i] = v / (1.0f + fast_exp(-2.0f * z));
    }
}

}  // namespace

void silu_mul(ThreadPool& pool, const float* gate, const float* up, float* out, int64_t n) {
    pool.parallel_for(size_t(n), [=](size_t begin, size_t end) {
        silu_mul_range(gate + begin, up + begin, out + begin, end - begin);
    }, kElementGrain);
}

void gelu_erf(ThreadPool& pool, float* x, int64_t n) {
    pool.parallel_for(size_t(n), [=](size_t begin, size_t end) { gelu_erf_range(x + begin, end - begin); },
                      kElementGrain);
}

void gelu_tanh(ThreadPool& pool, float* x, int64_t n) {
    pool.parallel_for(size_t(n), [=](size_t begin, size_t end) { gelu_tanh_range(x + begin, end - begin); },
                      kElementGrain);
}

GAVEL_SIMD_CLONES
void add_in_place(float* x, const float* y, int64_t n) {
#pragma omp simd
    for (int64_t i = 0; i < n; ++i) x[i] += y[i];
}

void relu(float* x, int64_t n) {
    for (int64_t i = 0; i < n; ++i) x[i] = std::max(x[i], 0.0f);
}

void softmax(float* x, int64_t rows, int64_t n) {
    for (int64_t r = 0; r < rows; ++r) {
        float* row = x + r * n;
        float mx = -INFINITY;
        for (int64_t i = 0; i < n; ++i) mx = std::max(mx, row[i]);
        if (mx == -INFINITY) {  // every entry masked: define the result as all zeros
            std::fill(row, row + n, 0.0f);
            continue;
        }
        float sum = 0;
        for (int64_t i = 0; i < n; ++i) {
            row[i] = std::exp(row[i] - mx);
            sum += row[i];
        }
        float inv = 1.0f / sum;
        for (int64_t i = 0; i < n; ++i) row[i] *= inv;
    }
}

}  // namespace gavel::cpu
