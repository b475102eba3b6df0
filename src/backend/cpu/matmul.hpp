// Dense products with weights in their stored dtype (F32, BF16, F16) and f32 activations,
// accumulated in f32. The model code calls these; SIMD and threading stay inside.
#pragma once

#include <cstdint>

#include "core/tensor.hpp"
#include "core/thread_pool.hpp"

namespace gavel::cpu {

// y[m, n] = sum_k x[m, k] * w[n, k] (+ bias[n]): nn.Linear with w of shape [n, k].
// bias may be null; when given it is a [n] tensor of any float dtype.
void linear(ThreadPool& pool, const float* x, int64_t m, const TensorView& w, const TensorView* bias, float* y);

// out[i, :] = table[ids[i], :] as f32 (embedding lookup). Ids are checked against the table.
void embedding(const TensorView& table, const int32_t* ids, int64_t n, float* out);

// Converts any float tensor to f32 (for small tensors: norms, biases).
void to_f32(const TensorView& t, float* out);

}  // namespace gavel::cpu
