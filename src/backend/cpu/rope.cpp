#include "backend/cpu/rope.hpp"

#include <cmath>

#include "core/error.hpp"

namespace gavel::cpu {

RopeTable::RopeTable(int64_t head_dim, double theta, int64_t max_positions) : head_dim_(head_dim), theta_(theta) {
    if (head_dim <= 0 || head_dim % 2) fail("rope: head_dim must be positive and even, got {}", head_dim);
    const int64_t half = head_dim / 2;
    inv_freq_.resize(size_t(half));
    // HF: 1 / (base ** (arange(0, dim, 2, dtype=int64).float() / dim)) in f32.
    for (int64_t i = 0; i < half; ++i)
        inv_freq_[size_t(i)] = 1.0f / std::pow(float(theta_), float(2 * i) / float(head_dim));
    reserve(max_positions);
}

void RopeTable::reserve(int64_t positions) {
    if (positions <= max_positions_) return;
    const int64_t half = head_dim_ / 2;
    cos_.resize(size_t(positions * half));
    sin_.resize(size_t(positions * half));
    for (int64_t p = max_positions_; p < positions; ++p)
        for (int64_t i = 0; i < half; ++i) {
            float angle = float(p) * inv_freq_[size_t(i)];  // f32 product, as torch's outer()
            cos_[size_t(p * half + i)] = std::cos(angle);
            sin_[size_t(p * half + i)] = std::sin(angle);
        }
    max_positions_ = positions;
}

void RopeTable::apply(ThreadPool& pool, float* x, int64_t tokens, int64_t heads, const int32_t* positions,
                      int64_t row_stride) const {
    for (int64_t t = 0; t < tokens; ++t)
        if (positions[t] < 0 || positions[t] >= max_positions_)
            fail("rope: position {} outside the table of {}", positions[t], max_positions_);
    const int64_t half = head_dim_ / 2, stride = row_stride ? row_stride : heads * head_dim_;
    pool.parallel_for(size_t(tokens), [&](size_t t0, size_t t1) {
        for (int64_t t = int64_t(t0); t < int64_t(t1); ++t) {
            const float* c = &cos_[size_t(positions[t] * half)];
            const float* s = &sin_[size_t(positions[t] * half)];
            for (int64_t h = 0; h < heads; ++h) {
                float* v = x + t * stride + h * head_dim_;
#pragma omp simd
                for (int64_t i = 0; i < half; ++i) {
                    float a = v[i], b = v[i + half];
                    v[i] = a * c[i] - b * s[i];
                    v[i + half] = b * c[i] + a * s[i];
                }
            }
        }
    }, 2);
}

}  // namespace gavel::cpu
