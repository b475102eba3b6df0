#include "backend/cpu/matmul.hpp"

#include <algorithm>
#include <cstring>
#include <vector>

#include "core/error.hpp"

namespace gavel::cpu {

namespace {

// Each kernel variant is compiled for AVX-512, AVX2+FMA and baseline x86-64; the loader picks
// one at run time (GCC target_clones), so the default build runs on any x86-64.
#define GAVEL_SIMD_CLONES __attribute__((target_clones("avx512f", "arch=haswell", "default")))

GAVEL_SIMD_CLONES
void widen_bf16(const uint16_t* src, float* dst, int64_t n) {
    for (int64_t i = 0; i < n; ++i) {
        uint32_t bits = uint32_t(src[i]) << 16;
        std::memcpy(&dst[i], &bits, 4);
    }
}

void widen_f16(const uint16_t* src, float* dst, int64_t n) {
    for (int64_t i = 0; i < n; ++i) dst[i] = f16_to_f32(src[i]);
}

// Four weight rows against one activation row: each x element is loaded once for four outputs.
GAVEL_SIMD_CLONES
void dot4(const float* x, const float* w0, const float* w1, const float* w2, const float* w3, int64_t k,
          float* out) {
    float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
#pragma omp simd reduction(+ : s0, s1, s2, s3)
    for (int64_t i = 0; i < k; ++i) {
        s0 += x[i] * w0[i];
        s1 += x[i] * w1[i];
        s2 += x[i] * w2[i];
        s3 += x[i] * w3[i];
    }
    out[0] = s0;
    out[1] = s1;
    out[2] = s2;
    out[3] = s3;
}

GAVEL_SIMD_CLONES
float dot1(const float* x, const float* w, int64_t k) {
    float s = 0;
#pragma omp simd reduction(+ : s)
    for (int64_t i = 0; i < k; ++i) s += x[i] * w[i];
    return s;
}

// Rows [r0, r1) of w as f32: a view into w when it is f32, else widened into `scratch`.
const float* rows_f32(const TensorView& w, int64_t r0, int64_t r1, std::vector<float>& scratch) {
    int64_t k = w.dim(1);
    if (w.dtype == DType::F32) return w.as<float>() + r0 * k;
    scratch.resize(size_t((r1 - r0) * k));
    const uint16_t* src = w.as<uint16_t>() + r0 * k;
    if (w.dtype == DType::BF16)
        widen_bf16(src, scratch.data(), (r1 - r0) * k);
    else
        widen_f16(src, scratch.data(), (r1 - r0) * k);
    return scratch.data();
}

void check_weight(const TensorView& w) {
    if (w.rank() != 2) fail("linear: weight must be 2-D, got shape {}", shape_string(w.shape));
    if (w.dtype != DType::F32 && w.dtype != DType::BF16 && w.dtype != DType::F16)
        fail("linear: weight dtype {} is not supported (F32, BF16, F16)", dtype_name(w.dtype));
}

}  // namespace

void to_f32(const TensorView& t, float* out) {
    int64_t n = t.numel();
    switch (t.dtype) {
        case DType::F32: std::memcpy(out, t.data, size_t(n) * 4); break;
        case DType::BF16: widen_bf16(t.as<uint16_t>(), out, n); break;
        case DType::F16: widen_f16(t.as<uint16_t>(), out, n); break;
        case DType::F64:
            for (int64_t i = 0; i < n; ++i) out[i] = float(t.as<double>()[i]);
            break;
        default: fail("to_f32: dtype {} is not a float type", dtype_name(t.dtype));
    }
}

void linear(ThreadPool& pool, const float* x, int64_t m, const TensorView& w, const TensorView* bias, float* y) {
    check_weight(w);
    const int64_t n = w.dim(0), k = w.dim(1);
    std::vector<float> b;
    if (bias) {
        if (bias->numel() != n) fail("linear: bias has {} elements, weight has {} rows", bias->numel(), n);
        b.resize(size_t(n));
        to_f32(*bias, b.data());
    }
    // Blocks of weight rows are widened once and used against every activation row, so a weight
    // is read from memory once per call whatever m is.
    constexpr int64_t kRowBlock = 16;
    const int64_t blocks = (n + kRowBlock - 1) / kRowBlock;
    pool.parallel_for(size_t(blocks), [&](size_t b0, size_t b1) {
        std::vector<float> scratch;
        for (int64_t blk = int64_t(b0); blk < int64_t(b1); ++blk) {
            int64_t r0 = blk * kRowBlock, r1 = std::min(n, r0 + kRowBlock);
            const float* wr = rows_f32(w, r0, r1, scratch);
            for (int64_t i = 0; i < m; ++i) {
                const float* xi = x + i * k;
                float* yi = y + i * n;
                int64_t r = r0;
                for (; r + 4 <= r1; r += 4) {
                    const float* w0 = wr + (r - r0) * k;
                    dot4(xi, w0, w0 + k, w0 + 2 * k, w0 + 3 * k, k, yi + r);
                }
                for (; r < r1; ++r) yi[r] = dot1(xi, wr + (r - r0) * k, k);
                if (!b.empty())
                    for (int64_t j = r0; j < r1; ++j) yi[j] += b[size_t(j)];
            }
        }
    });
}

void embedding(const TensorView& table, const int32_t* ids, int64_t n, float* out) {
    if (table.rank() != 2) fail("embedding: table must be 2-D, got shape {}", shape_string(table.shape));
    const int64_t rows = table.dim(0), dim = table.dim(1);
    for (int64_t i = 0; i < n; ++i) {
        if (ids[i] < 0 || ids[i] >= rows) fail("embedding: token id {} is outside the table of {} rows", ids[i], rows);
        TensorView row{table.dtype, {dim}, static_cast<const uint8_t*>(table.data) + size_t(ids[i]) * size_t(dim) * dtype_size(table.dtype)};
        to_f32(row, out + i * dim);
    }
}

}  // namespace gavel::cpu
