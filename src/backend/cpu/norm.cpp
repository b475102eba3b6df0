#include "backend/cpu/norm.hpp"

#include <cmath>
#include <vector>

#include "backend/cpu/matmul.hpp"
#include "core/error.hpp"
#include "core/scratch_buffers.hpp"

namespace gavel::cpu {

namespace {

// The weight (and bias) widened to f32 into the calling thread's scratch: no allocation per call.
const float* params_f32(const TensorView& t, int64_t dim, const char* what, std::vector<float>& scratch) {
    if (t.numel() != dim) fail("{}: parameter has {} elements, rows have {}", what, t.numel(), dim);
    if (t.dtype == DType::F32) return t.as<float>();
    float* out = at_least(scratch, size_t(dim)).data();
    to_f32(t, out);
    return out;
}

// Rows per thread below which the norm runs on the caller alone (a decode step's single row).
constexpr size_t kRowGrain = 2;

}  // namespace

void rms_norm(ThreadPool& pool, const float* x, const TensorView& weight, float eps, int64_t rows, int64_t dim,
              float* y) {
    thread_local std::vector<float> w_scratch;
    const float* w = params_f32(weight, dim, "rms_norm", w_scratch);
    pool.parallel_for(size_t(rows), [=](size_t r0, size_t r1) {
        for (size_t r = r0; r < r1; ++r) {
            const float* xr = x + int64_t(r) * dim;
            float* yr = y + int64_t(r) * dim;
            double ss = 0;
#pragma omp simd reduction(+ : ss)
            for (int64_t i = 0; i < dim; ++i) ss += double(xr[i]) * xr[i];
            const float scale = float(1.0 / std::sqrt(ss / double(dim) + eps));
#pragma omp simd
            for (int64_t i = 0; i < dim; ++i) yr[i] = xr[i] * scale * w[i];
        }
    }, kRowGrain);
}

void layer_norm(ThreadPool& pool, const float* x, const TensorView& weight, const TensorView& bias, float eps,
                int64_t rows, int64_t dim, float* y) {
    thread_local std::vector<float> w_scratch, b_scratch;
    const float* w = params_f32(weight, dim, "layer_norm", w_scratch);
    const float* b = params_f32(bias, dim, "layer_norm bias", b_scratch);
    pool.parallel_for(size_t(rows), [=](size_t r0, size_t r1) {
        for (size_t r = r0; r < r1; ++r) {
            const float* xr = x + int64_t(r) * dim;
            float* yr = y + int64_t(r) * dim;
            double sum = 0;
#pragma omp simd reduction(+ : sum)
            for (int64_t i = 0; i < dim; ++i) sum += xr[i];
            const double mean = sum / double(dim);
            double var = 0;
#pragma omp simd reduction(+ : var)
            for (int64_t i = 0; i < dim; ++i) var += (xr[i] - mean) * (xr[i] - mean);
            const float inv = float(1.0 / std::sqrt(var / double(dim) + eps));
            const float m = float(mean);
#pragma omp simd
            for (int64_t i = 0; i < dim; ++i) yr[i] = (xr[i] - m) * inv * w[i] + b[i];
        }
    }, kRowGrain);
}

}  // namespace gavel::cpu
