// Row normalisations, computed in f32 as the reference implementations do (statistics in double,
// so the result does not depend on summation order). Rows are split over the pool.
#pragma once

#include <cstdint>

#include "core/tensor.hpp"
#include "core/thread_pool.hpp"

namespace gavel::cpu {

// y = x / sqrt(mean(x^2) + eps) * weight, per row of `dim` (Qwen2 / Llama RMSNorm).
void rms_norm(ThreadPool& pool, const float* x, const TensorView& weight, float eps, int64_t rows, int64_t dim,
              float* y);

// y = (x - mean) / sqrt(var + eps) * weight + bias, per row (nn.LayerNorm, biased variance).
void layer_norm(ThreadPool& pool, const float* x, const TensorView& weight, const TensorView& bias, float eps,
                int64_t rows, int64_t dim, float* y);

}  // namespace gavel::cpu
