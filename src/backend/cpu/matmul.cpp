#include "backend/cpu/matmul.hpp"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <vector>

#include "backend/cpu/amx_tiles.hpp"
#include "backend/cpu/cache_line.hpp"
#include "backend/cpu/matmul_kernels.hpp"
#include "backend/cpu/quantize.hpp"
#include "backend/cpu/simd_target.hpp"
#include "core/cpu_features.hpp"
#include "core/error.hpp"
#include "core/scratch_buffers.hpp"

namespace gavel::cpu {

namespace {

// Widening for to_f32 / embedding (small tensors); linear() has its own kernels (matmul_kernels.hpp).
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

// y[i] += a * w[i].
GAVEL_SIMD_CLONES
void add_scaled(float* y, const float* w, float a, int64_t n) {
#pragma omp simd
    for (int64_t i = 0; i < n; ++i) y[i] += a * w[i];
}

void check_weight(const TensorView& w) {
    if (w.rank() != 2) fail("linear: weight must be 2-D, got shape {}", shape_string(w.shape));
    if (w.dtype != DType::F32 && w.dtype != DType::BF16 && w.dtype != DType::F16 && w.dtype != DType::Q8_0)
        fail("linear: weight dtype {} is not supported (F32, BF16, F16, Q8_0)", dtype_name(w.dtype));
}

// n values of `dtype` at `data` as f32; `what` names the caller in the error for a non-float dtype.
void widen(DType dtype, const void* data, int64_t n, float* out, const char* what) {
    switch (dtype) {
        case DType::F32: std::memcpy(out, data, size_t(n) * 4); break;
        case DType::BF16: widen_bf16(static_cast<const uint16_t*>(data), out, n); break;
        case DType::F16: widen_f16(static_cast<const uint16_t*>(data), out, n); break;
        case DType::F64:
            for (int64_t i = 0; i < n; ++i) out[i] = float(static_cast<const double*>(data)[i]);
            break;
        default: fail("{}: dtype {} is not a float type", what, dtype_name(dtype));
    }
}

}  // namespace

void to_f32(const TensorView& t, float* out) { widen(t.dtype, t.data, t.numel(), out, "to_f32"); }

float* detail::thread_scratch(size_t floats) {
    thread_local std::vector<float> scratch;
    return at_least(scratch, floats).data();
}

namespace {

std::atomic<MatmulPrecision> g_precision{MatmulPrecision::F32};
std::atomic<int> g_forced_isa{-1};

// GEMV below this many activation rows, GEMM from it (measured in bench/matmul_bench.cpp).
constexpr int64_t kGemmMinRows = 4;
// F32 precision's split GEMM (AMX) takes at most this many rows a call (see linear()).
constexpr int64_t kSplitRows = 4096;

// A GEMV's work is handed out in pieces of about this many weight bytes (see linear()). Each piece
// is read as several streams at once (gemv_streams): 1 MiB keeps them long enough for the
// prefetchers to ramp up (BF16 decode +10% over 256 KiB with the streams, interleaved A/B).
constexpr size_t kStealPieceBytes = size_t(1) << 20;
// A GEMM's pieces are at least this many column tiles (AVX-512 F32: 128 columns, the block of
// panels it packs at a time).
constexpr size_t kGemmPieceUnits = 4;

MatmulIsa best_isa() {
    const CpuFeatures& f = cpu_features();
    if (f.avx512f && f.avx512bw && f.avx512vl && f.fma && f.f16c) {
        // Where Linux refuses the tile state, AVX-512.
        return detail::amx_bf16_usable() ? MatmulIsa::Amx : MatmulIsa::Avx512;
    }
    if (f.avx2 && f.fma && f.f16c) return MatmulIsa::Avx2;
    return MatmulIsa::Sse2;
}

// Q8_0 weights take the AVX512-VNNI kernels where the CPU has them, else the portable ones.
detail::KernelSet with_q8(detail::KernelSet s, bool vnni) {
    s.q8 = detail::q8_columns_portable;
    s.quantize_q8 = detail::quantize_rows_q8_portable;
    if (vnni) detail::add_q8_avx512_vnni(s);
    return s;
}

const detail::KernelSet& kernel_set(MatmulIsa isa) {
    static const detail::KernelSet sse2 = with_q8(detail::kernels_sse2(), false);
    static const detail::KernelSet avx2 = with_q8(detail::kernels_avx2(), false);
    static const detail::KernelSet avx512 =
        with_q8(cpu_features().avx512_bf16 ? detail::kernels_avx512_bf16() : detail::kernels_avx512(),
                cpu_features().avx512_vnni);
    switch (isa) {
        case MatmulIsa::Amx: {
            static const detail::KernelSet amx = with_q8(detail::kernels_amx(), cpu_features().avx512_vnni);
            return amx;
        }
        case MatmulIsa::Avx512: return avx512;
        case MatmulIsa::Avx2: return avx2;
        default: return sse2;
    }
}

}  // namespace

void set_matmul_precision(MatmulPrecision p) { g_precision = p; }
MatmulPrecision matmul_precision() { return g_precision; }

bool matmul_bf16_in_effect() {
    return g_precision == MatmulPrecision::BF16 && kernel_set(matmul_isa()).gemm_bf16 != nullptr;
}

const char* matmul_isa_name(MatmulIsa isa) {
    switch (isa) {
        case MatmulIsa::Amx: return "amx";
        case MatmulIsa::Avx512: return "avx512";
        case MatmulIsa::Avx2: return "avx2";
        default: return "sse2";
    }
}

bool matmul_isa_supported(MatmulIsa isa) { return int(isa) <= int(best_isa()); }

MatmulIsa matmul_isa() {
    int forced = g_forced_isa;
    return forced >= 0 ? MatmulIsa(forced) : best_isa();
}

void force_matmul_isa(MatmulIsa isa) {
    if (!matmul_isa_supported(isa))
        fail("force_matmul_isa: this CPU cannot run {} (it has: {})", matmul_isa_name(isa), cpu_features().describe());
    g_forced_isa = int(isa);
}

void reset_matmul_isa() { g_forced_isa = -1; }

bool q8_kernels_vectorised() { return kernel_set(matmul_isa()).q8 != detail::q8_columns_portable; }

void linear(ThreadPool& pool, const float* x, int64_t m, const TensorView& w, const TensorView* bias, float* y) {
    const LinearOutput out{&w, bias, y};
    linear(pool, x, m, std::span(&out, 1));
}

void linear(ThreadPool& pool, const float* x, int64_t m, std::span<const LinearOutput> outputs) {
    if (outputs.empty()) return;
    const int64_t k = outputs[0].w->rank() == 2 ? outputs[0].w->dim(1) : 0;
    int64_t bias_floats = 0;
    for (const LinearOutput& o : outputs) {
        check_weight(*o.w);
        if (o.w->dim(1) != k)
            fail("linear: weights of one group must share their input width, got {} and {}", k, o.w->dim(1));
        if (o.bias) {
            if (o.bias->numel() != o.w->dim(0))
                fail("linear: bias has {} elements, weight has {} rows", o.bias->numel(), o.w->dim(0));
            bias_floats += o.w->dim(0);
        }
    }
    if (m <= 0) return;

    const detail::KernelSet& ks = kernel_set(matmul_isa());
    const bool gemm = m >= kGemmMinRows;
    // BF16 weights in the GEMM take bf16 products where there are some: BF16 precision rounds x to
    // bf16; F32 precision, on AMX, splits x into bf16 parts exact to f32 (gemm_bf16_split).
    const bool bf16 = gemm && g_precision == MatmulPrecision::BF16 && ks.gemm_bf16;
    const bool split = gemm && g_precision == MatmulPrecision::F32 && ks.gemm_bf16_split;
    const bool any_bf16 = (bf16 || split) && std::any_of(outputs.begin(), outputs.end(), [](const LinearOutput& o) {
                              return o.w->dtype == DType::BF16;
                          });
    if (split && any_bf16 && m > kSplitRows) {
        // The parts take 6 bytes an activation: a JinaJudge batch of 16,384 tokens would hold 400 MB
        // of them at k = 4,096. Blocks of kSplitRows rows hold at most 100 MB, and repack each
        // weight panel once a block. (A block's call, of kSplitRows rows or fewer, does not come here.)
        thread_local std::vector<LinearOutput> block;
        for (int64_t r0 = 0; r0 < m; r0 += kSplitRows) {
            block.assign(outputs.begin(), outputs.end());
            for (LinearOutput& o : block) o.y += r0 * o.w->dim(0);
            linear(pool, x + r0 * k, std::min(kSplitRows, m - r0), block);
        }
        return;
    }

    // Scratch of the calling thread, kept between calls so a decode step allocates nothing (the
    // kernels' own scratch is detail::thread_scratch, which this thread also uses as chunk 0).
    thread_local std::vector<float> bias_scratch;
    thread_local std::vector<uint16_t> xb_scratch;
    thread_local std::vector<int8_t> q8_values;
    thread_local std::vector<float> q8_scales;
    thread_local std::vector<int32_t> q8_biases;
    thread_local std::vector<float> x_scratch;
    at_least(bias_scratch, size_t(bias_floats));

    // The GEMV loads x beside every line or few lines of weights: an x that is not on a cache-line
    // boundary (a plain heap vector, 16-byte aligned) splits those loads in two, and cost the
    // decode weight stream about a third of its speed in a test harness here. Copy such an x
    // (m x k floats, small) to a cache-line-aligned scratch first.
    if (!gemm && k > 0 && !starts_cache_line(x)) {
        const size_t floats = size_t(m * k);
        float* aligned = cache_line_aligned(at_least(x_scratch, floats + kCacheLineFloats).data());
        std::copy(x, x + floats, aligned);
        x = aligned;
    }
    const detail::ColumnsFn gemm_bf16 = bf16 ? ks.gemm_bf16 : split ? ks.gemm_bf16_split : nullptr;
    const uint16_t* xb = nullptr;
    if (gemm_bf16 && k > 0 && any_bf16) {
        const auto round = bf16 ? ks.round_bf16 : ks.split_bf16;
        const int64_t elements = bf16 ? ks.bf16_elements(m, k) : ks.bf16_split_elements(m, k);
        // A thread_local named inside the lambda would be the worker's own: pass the pointer.
        uint16_t* dst = at_least(xb_scratch, size_t(elements)).data();
        pool.parallel_for(size_t(m), [round, x, m, k, dst](size_t r0, size_t r1) {
            round(x, m, k, int64_t(r0), int64_t(r1), dst);
        });
        xb = dst;
    }
    detail::Q8Rows q8;
    if (k > 0 && std::any_of(outputs.begin(), outputs.end(),
                             [](const LinearOutput& o) { return o.w->dtype == DType::Q8_0; })) {
        q8.blocks = (k + kQ8Block - 1) / kQ8Block;
        const size_t blocks = size_t(m * q8.blocks);
        q8.q = at_least(q8_values, blocks * kQ8Block).data();
        q8.scale = at_least(q8_scales, blocks).data();
        q8.bias = at_least(q8_biases, blocks).data();
        pool.parallel_for(size_t(m), [&ks, x, k, q8](size_t r0, size_t r1) {
            ks.quantize_q8(x, k, int64_t(r0), int64_t(r1), q8);
        });
    }

    // Each product's columns in units a thread takes whole (a GEMV group of 4 rows, a GEMM column
    // tile, two Q8_0 row groups); the group's units are numbered one after another and split over the pool.
    struct Part {
        detail::LinearArgs args;
        detail::ColumnsFn fn;
        int64_t unit, first_unit;
    };
    thread_local std::vector<Part> parts;
    parts.clear();
    int64_t units = 0;
    float* bias_next = bias_scratch.data();
    for (const LinearOutput& o : outputs) {
        const int64_t n = o.w->dim(0);
        Part p{};
        p.args.x = x;
        p.args.m = m;
        p.args.n = n;
        p.args.k = k;
        p.args.w = o.w->data;
        p.args.wdtype = o.w->dtype;
        p.args.y = o.y;
        if (o.bias) {
            to_f32(*o.bias, bias_next);
            p.args.bias = bias_next;
            bias_next += n;
        }
        if (n == 0) continue;
        if (k == 0) {
            for (int64_t i = 0; i < m; ++i)
                for (int64_t j = 0; j < n; ++j) o.y[i * n + j] = p.args.bias ? p.args.bias[j] : 0.0f;
            continue;
        }
        p.fn = ks.gemv;
        p.unit = 4;
        if (o.w->dtype == DType::Q8_0) {
            p.args.q8 = q8;
            p.fn = ks.q8;
            p.unit = 2 * kQ8GroupRows;
        } else if (gemm) {
            p.fn = ks.gemm;
            p.unit = ks.gemm_cols;
            if (xb && o.w->dtype == DType::BF16) {
                p.args.xb = xb;
                p.fn = gemm_bf16;
            }
        }
        p.first_unit = units;
        units += (n + p.unit - 1) / p.unit;
        parts.push_back(p);
    }
    if (units == 0) return;
    const std::vector<Part>& todo = parts;  // the workers read the caller's thread_local through this
    auto run = [&todo](size_t u0, size_t u1) {
        for (const Part& p : todo) {
            const int64_t part_units = (p.args.n + p.unit - 1) / p.unit;
            const int64_t b = std::max(int64_t(u0), p.first_unit) - p.first_unit;
            const int64_t e = std::min(int64_t(u1), p.first_unit + part_units) - p.first_unit;
            if (b < e) p.fn(p.args, b * p.unit, std::min(p.args.n, e * p.unit));
        }
    };
    if (gemm) {
        // The GEMM splits its columns as the GEMV does (below), for the same reason: a thread that
        // the machine slows would otherwise hold up the whole product. Each thread's share runs in
        // about four pieces of a multiple of kGemmPieceUnits column tiles, so a piece still packs
        // whole blocks of panels (bench/RESULTS.md, session 15, has the measurements).
        const size_t quarter = size_t(units) / (4 * pool.size());
        const size_t piece = std::max<size_t>(1, (quarter + kGemmPieceUnits - 1) / kGemmPieceUnits) * kGemmPieceUnits;
        pool.parallel_for_stealing(size_t(units), piece, run);
        return;
    }
    // A GEMV reads each weight once and waits on memory. On a shared machine one thread often runs
    // slower for a while than the other, which then idled at the end of every product of the even
    // split: let it take over the rest of the slow share in pieces of about kStealPieceBytes of
    // weights. Interleaved A/B, Qwen2-0.5B decode on 2 threads: BF16 +9%, F32 +8%, int8 even
    // (with one stream per thread; piece sizes 64 KiB to 1 MiB were then within noise of each
    // other). bench/decode_stream.cpp reads the same stream with a plain sum split this way: as
    // fast as one sum over all the weights.
    size_t weight_bytes = 0;
    for (const Part& p : todo) weight_bytes += matrix_bytes(p.args.wdtype, p.args.n, k);
    const size_t piece = std::max<size_t>(1, kStealPieceBytes * size_t(units) / std::max<size_t>(1, weight_bytes));
    pool.parallel_for_stealing(size_t(units), piece, run);
}

void linear_transpose(ThreadPool& pool, const float* x, int64_t m, const TensorView& w, float* y) {
    check_weight(w);
    if (w.dtype == DType::Q8_0) fail("linear_transpose: Q8_0 weights are not supported (F32, BF16, F16)");
    const int64_t n = w.dim(0), k = w.dim(1);
    if (m <= 0 || k == 0) return;
    std::fill(y, y + m * k, 0.0f);
    // Pieces of kColumns columns, each reading its part of every row of w once (widened to f32
    // there for BF16 / F16) and adding it into the m rows of y it touches.
    constexpr int64_t kColumns = 512;
    const size_t pieces = size_t((k + kColumns - 1) / kColumns), width = dtype_size(w.dtype);
    pool.parallel_for(pieces, [&](size_t p0, size_t p1) {
        float* wide = w.dtype == DType::F32 ? nullptr : detail::thread_scratch(size_t(kColumns));
        for (size_t piece = p0; piece < p1; ++piece) {
            const int64_t c0 = int64_t(piece) * kColumns, c1 = std::min(k, c0 + kColumns);
            for (int64_t i = 0; i < n; ++i) {
                bool any = false;
                for (int64_t r = 0; r < m; ++r) any |= x[r * n + i] != 0.0f;
                if (!any) continue;
                const void* part = static_cast<const uint8_t*>(w.data) + size_t(i * k + c0) * width;
                const float* row = static_cast<const float*>(part);
                if (wide) {
                    widen(w.dtype, part, c1 - c0, wide, "linear_transpose");
                    row = wide;
                }
                for (int64_t r = 0; r < m; ++r)
                    if (x[r * n + i] != 0.0f) add_scaled(y + r * k + c0, row, x[r * n + i], c1 - c0);
            }
        }
    });
}

void embedding(const TensorView& table, const int32_t* ids, int64_t n, float* out) {
    if (table.rank() != 2) fail("embedding: table must be 2-D, got shape {}", shape_string(table.shape));
    const int64_t rows = table.dim(0), dim = table.dim(1);
    for (int64_t i = 0; i < n; ++i) {
        if (ids[i] < 0 || ids[i] >= rows) fail("embedding: token id {} is outside the table of {} rows", ids[i], rows);
        widen(table.dtype, static_cast<const uint8_t*>(table.data) + size_t(ids[i]) * size_t(dim) * dtype_size(table.dtype),
              dim, out + i * dim, "embedding");
    }
}

}  // namespace gavel::cpu
