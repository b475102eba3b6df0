#include "backend/cpu/norm.hpp"

#include <cmath>
#include <vector>

#include "backend/cpu/matmul.hpp"
#include "core/error.hpp"

namespace gavel::cpu {

namespace {
std::vector<float> params_f32(const TensorView& t, int64_t dim, const char* what) {
    if (t.numel() != dim) fail("{}: parameter has {} elements, rows have {}", what, t.numel(), dim);
    std::vector<float> v(static_cast<size_t>(dim));
    to_f32(t, v.data());
    return v;
}
}  // namespace

void rms_norm(const float* x, const TensorView& weight, float eps, int64_t rows, int64_t dim, float* y) {
    auto w = params_f32(weight, dim, "rms_norm");
    for (int64_t r = 0; r < rows; ++r) {
        const float* xr = x + r * dim;
        float* yr = y + r * dim;
        double ss = 0;  // double: the sum of squares must not depend on summation order at 1e-6
        for (int64_t i = 0; i < dim; ++i) ss += double(xr[i]) * xr[i];
        float scale = float(1.0 / std::sqrt(ss / double(dim) + eps));
        for (int64_t i = 0; i < dim; ++i) yr[i] = xr[i] * scale * w[size_t(i)];
    }
}

void layer_norm(const float* x, const TensorView& weight, const TensorView& bias, float eps, int64_t rows,
                int64_t dim, float* y) {
    auto w = params_f32(weight, dim, "layer_norm");
    auto b = params_f32(bias, dim, "layer_norm bias");
    for (int64_t r = 0; r < rows; ++r) {
        const float* xr = x + r * dim;
        float* yr = y + r * dim;
        double sum = 0;
        for (int64_t i = 0; i < dim; ++i) sum += xr[i];
        double mean = sum / double(dim);
        double var = 0;
        for (int64_t i = 0; i < dim; ++i) var += (xr[i] - mean) * (xr[i] - mean);
        float inv = float(1.0 / std::sqrt(var / double(dim) + eps));
        float m = float(mean);
        for (int64_t i = 0; i < dim; ++i) yr[i] = (xr[i] - m) * inv * w[size_t(i)] + b[size_t(i)];
    }
}

}  // namespace gavel::cpu
