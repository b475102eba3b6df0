#include "backend/cpu/quantize.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <limits>

#include "backend/cpu/matmul_kernels.hpp"
#include "core/error.hpp"

namespace gavel::cpu {

namespace {

// Adding and subtracting 1.5 * 2^23 rounds a float of magnitude below 2^22 to an integer, to
// nearest even (the default rounding mode), without a libm call.
constexpr float kRoundingMagic = 12582912.0f;

int64_t blocks_of(int64_t k) { return (k + kQ8Block - 1) / kQ8Block; }
int64_t groups_of(int64_t n) { return (n + kQ8GroupRows - 1) / kQ8GroupRows; }

// Row r of a float weight as f32 into `out` (k values).
void weight_row(const TensorView& w, int64_t r, float* out) {
    const int64_t k = w.dim(1);
    switch (w.dtype) {
        case DType::F32: std::memcpy(out, w.as<float>() + r * k, size_t(k) * 4); break;
        case DType::BF16:
            for (int64_t i = 0; i < k; ++i) out[i] = bf16_to_f32(w.as<uint16_t>()[r * k + i]);
            break;
        default:
            for (int64_t i = 0; i < k; ++i) out[i] = f16_to_f32(w.as<uint16_t>()[r * k + i]);
            break;
    }
}

// Row group g of w (rows 16g .. 16g + 15, zero beyond n) into `group` (kQ8BlockBytes per block);
// `row` is scratch of blocks * 32 floats. Returns the first row that cannot be quantised, or -1.
int64_t quantize_group(const TensorView& w, int64_t g, uint8_t* group, float* row) {
    const int64_t n = w.dim(0), k = w.dim(1), kb = blocks_of(k);
    int64_t bad = -1;
    for (int64_t r = 0; r < kQ8GroupRows; ++r) {
        const int64_t j = g * kQ8GroupRows + r;
        std::fill(row, row + kb * kQ8Block, 0.0f);  // the tail of k, and padding rows: zero weights
        if (j < n) weight_row(w, j, row);
        for (int64_t b = 0; b < kb; ++b) {
            const float* v = row + b * kQ8Block;
            // max |v| on the bit patterns (for non-negative floats their order is the integers'),
            // so the loop vectorises; inf and NaN are the patterns from inf's up.
            uint32_t amax_bits = 0;
            for (int64_t t = 0; t < kQ8Block; ++t) {
                uint32_t bits;
                std::memcpy(&bits, &v[t], 4);
                amax_bits = std::max(amax_bits, bits & 0x7fffffffu);
            }
            float amax;
            std::memcpy(&amax, &amax_bits, 4);
            const uint16_t d16 = f32_to_f16(amax / 127.0f);
            const float d = f16_to_f32(d16);
            if (amax_bits >= 0x7f800000u || !std::isfinite(d)) {
                if (bad < 0) bad = j;
                continue;
            }
            uint8_t* blk = group + b * kQ8BlockBytes;
            std::memcpy(blk + 2 * r, &d16, 2);
            alignas(64) uint8_t q[kQ8Block];
            for (int64_t t = 0; t < kQ8Block; ++t) {
                // Round to nearest even, as std::nearbyint, inline: |v / d| <= 127.5 < 2^22.
                const float x = d > 0.0f ? v[t] / d : 0.0f;
                const float rounded = (x + kRoundingMagic) - kRoundingMagic;
                q[t] = uint8_t(int(std::clamp(rounded, -127.0f, 127.0f)) + 128);
            }
            for (int64_t t = 0; t < kQ8Block; t += 4) std::memcpy(blk + q8_value_offset(r, t), q + t, 4);
        }
    }
    return bad;
}

}  // namespace

const char* weight_format_name(WeightFormat f) { return f == WeightFormat::Int8 ? "int8" : "checkpoint"; }

std::optional<WeightFormat> weight_format_from_name(std::string_view name) {
    for (WeightFormat f : {WeightFormat::Checkpoint, WeightFormat::Int8})
        if (name == weight_format_name(f)) return f;
    return std::nullopt;
}

size_t q8_0_bytes(int64_t n, int64_t k) { return size_t(groups_of(n)) * size_t(blocks_of(k)) * size_t(kQ8BlockBytes); }

size_t matrix_bytes(DType dtype, int64_t n, int64_t k) {
    return dtype == DType::Q8_0 ? q8_0_bytes(n, k) : size_t(n * k) * dtype_size(dtype);
}

HugePageBytes quantize_q8_0(ThreadPool& pool, const TensorView& w, std::string_view name,
                            const std::function<void(const TensorView&)>& done) {
    if (w.rank() != 2) fail("int8 weights: '{}' must be 2-D, got shape {}", name, shape_string(w.shape));
    if (w.dtype != DType::F32 && w.dtype != DType::BF16 && w.dtype != DType::F16)
        fail("int8 weights: '{}' has dtype {}; only F32, BF16 and F16 weights can be quantised", name,
             dtype_name(w.dtype));
    const int64_t n = w.dim(0), k = w.dim(1), groups = groups_of(n);
    HugePageBytes out(q8_0_bytes(n, k));
    const size_t group_bytes = size_t(blocks_of(k)) * size_t(kQ8BlockBytes);
    // The lowest row with a value that cannot be quantised, reported once the threads are done.
    std::atomic<int64_t> bad_row{std::numeric_limits<int64_t>::max()};
    // Slices of about 16 MiB of the source, so that `done` can let each go before the next is read.
    const int64_t row_bytes = std::max<int64_t>(1, k * int64_t(dtype_size(w.dtype)));
    const int64_t slice_groups = std::max<int64_t>(1, (int64_t(16) << 20) / (kQ8GroupRows * row_bytes));
    for (int64_t s0 = 0; s0 < groups; s0 += slice_groups) {
        const int64_t s1 = std::min(groups, s0 + slice_groups);
        pool.parallel_for(size_t(s1 - s0), [&](size_t c0, size_t c1) {
            std::vector<float> row(size_t(blocks_of(k) * kQ8Block));
            for (int64_t g = s0 + int64_t(c0); g < s0 + int64_t(c1); ++g) {
                const int64_t bad = quantize_group(w, g, out.data() + size_t(g) * group_bytes, row.data());
                int64_t seen = bad_row.load();
                while (bad >= 0 && bad < seen && !bad_row.compare_exchange_weak(seen, bad)) {
                }
            }
        });
        if (done) done(w.rows(s0 * kQ8GroupRows, std::min(n, s1 * kQ8GroupRows)));
    }
    if (bad_row.load() < n)
        fail("int8 weights: '{}' row {} has a non-finite value or one too large for an f16 scale", name,
             bad_row.load());
    return out;
}

TensorView q8_0_view(const HugePageBytes& bytes, int64_t n, int64_t k) {
    if (bytes.size() != q8_0_bytes(n, k))
        fail("q8_0_view: {} bytes do not hold a [{}, {}] Q8_0 matrix ({} bytes)", bytes.size(), n, k, q8_0_bytes(n, k));
    return TensorView{DType::Q8_0, {n, k}, bytes.data()};
}

void dequantize_q8_0(const TensorView& q, float* out) {
    if (q.dtype != DType::Q8_0 || q.rank() != 2) fail("dequantize_q8_0: not a Q8_0 matrix");
    const int64_t n = q.dim(0), k = q.dim(1), kb = blocks_of(k);
    const uint8_t* base = q.as<uint8_t>();
    for (int64_t j = 0; j < n; ++j) {
        const uint8_t* group = base + (j / kQ8GroupRows) * kb * kQ8BlockBytes;
        const int64_t r = j % kQ8GroupRows;
        for (int64_t t = 0; t < k; ++t) {
            const uint8_t* blk = group + (t / kQ8Block) * kQ8BlockBytes;
            uint16_t d16;
            std::memcpy(&d16, blk + 2 * r, 2);
            const int q8 = int(blk[q8_value_offset(r, t % kQ8Block)]) - 128;
            out[j * k + t] = float(q8) * f16_to_f32(d16);
        }
    }
}

namespace detail {

void quantize_rows_q8_portable(const float* x, int64_t k, int64_t r0, int64_t r1, const Q8Rows& out) {
    const int64_t kb = out.blocks;
    for (int64_t i = r0; i < r1; ++i) {
        for (int64_t b = 0; b < kb; ++b) {
            const int64_t t0 = b * kQ8Block, t1 = std::min(k, t0 + kQ8Block);
            const float* v = x + i * k;
            float amax = 0.0f;
            for (int64_t t = t0; t < t1; ++t) amax = std::max(amax, std::fabs(v[t]));
            const float inv = amax > 0.0f ? 127.0f / amax : 0.0f;
            int8_t* q = out.q + (i * kb + b) * kQ8Block;
            int32_t sum = 0;
            for (int64_t t = t0; t < t0 + kQ8Block; ++t) {
                const int v8 = t < t1 ? int((v[t] * inv + kRoundingMagic) - kRoundingMagic) : 0;
                q[t - t0] = int8_t(v8);
                sum += v8;
            }
            out.scale[i * kb + b] = amax / 127.0f;
            out.bias[i * kb + b] = -128 * sum;
        }
    }
}

// One output at a time, in the order the SIMD kernels use: per block an exact int32 dot product
// (weights stored +128, so the block's bias -128 * sum(x) first), then f32 += int * (d_w * d_x)
// with one rounding (fma). The same bits as the VNNI kernel.
void q8_columns_portable(const LinearArgs& a, int64_t n0, int64_t n1) {
    const int64_t kb = a.q8.blocks;
    const uint8_t* base = static_cast<const uint8_t*>(a.w);
    for (int64_t j = n0; j < n1; ++j) {
        const uint8_t* group = base + (j / kQ8GroupRows) * kb * kQ8BlockBytes;
        const int64_t r = j % kQ8GroupRows;
        for (int64_t i = 0; i < a.m; ++i) {
            float f = 0.0f;
            for (int64_t b = 0; b < kb; ++b) {
                const uint8_t* blk = group + b * kQ8BlockBytes;
                const int8_t* xq = a.q8.q + (i * kb + b) * kQ8Block;
                int32_t acc = a.q8.bias[i * kb + b];
                for (int64_t t = 0; t < kQ8Block; ++t)
                    acc += int32_t(blk[q8_value_offset(r, t)]) * xq[t];
                uint16_t d16;
                std::memcpy(&d16, blk + 2 * r, 2);
                f = std::fma(float(acc), f16_to_f32(d16) * a.q8.scale[i * kb + b], f);
            }
            a.y[i * a.n + j] = a.bias ? f + a.bias[j] : f;
        }
    }
}

}  // namespace detail

}  // namespace gavel::cpu
