#include "backend/cpu/activation.hpp"

#include <algorithm>
#include <cmath>

namespace gavel::cpu {

namespace {
// Elements per thread below which splitting costs more than it saves (a decode step's MLP).
constexpr size_t kElementGrain = 4096;
}  // namespace

void silu_mul(ThreadPool& pool, const float* gate, const float* up, float* out, int64_t n) {
    pool.parallel_for(size_t(n), [=](size_t begin, size_t end) {
        for (size_t i = begin; i < end; ++i) {
            float g = gate[i];
            out[i] = g / (1.0f + std::exp(-g)) * up[i];
        }
    }, kElementGrain);
}

void gelu_erf(ThreadPool& pool, float* x, int64_t n) {
    pool.parallel_for(size_t(n), [=](size_t begin, size_t end) {
        for (size_t i = begin; i < end; ++i) x[i] = 0.5f * x[i] * (1.0f + std::erf(x[i] * float(M_SQRT1_2)));
    }, kElementGrain);
}

void gelu_tanh(ThreadPool& pool, float* x, int64_t n) {
    constexpr float kSqrt2OverPi = 0.79788456080286535588f;
    pool.parallel_for(size_t(n), [=](size_t begin, size_t end) {
        for (size_t i = begin; i < end; ++i) {
            float v = x[i];
            x[i] = 0.5f * v * (1.0f + std::tanh(kSqrt2OverPi * v * (1.0f + 0.044715f * v * v)));
        }
    }, kElementGrain);
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
