// Q8_0 weights (quantize.hpp) times quantised activations with AVX512-VNNI: vpdpbusd multiplies the
// unsigned weight bytes (q + 128) by a broadcast quad of signed activation bytes and adds into 16
// int32 lanes, one per row of a 16-row group; per block of 32 the lanes start from the activation
// block's -128 * sum(q), so they end holding the exact dot products, which are then scaled
// (d_w * d_x) into f32 accumulators. The portable kernel in quantize.cpp computes the same bits.
#include <algorithm>
#include <cstring>

#include <immintrin.h>

#include "backend/cpu/matmul_kernels.hpp"
#include "backend/cpu/quantize.hpp"
#include "backend/cpu/simd_target.hpp"

// GCC 12's AVX-512 headers build some intrinsics from _mm512_undefined_*(), which -Wuninitialized
// flags in every caller (a known false positive).
#pragma GCC diagnostic ignored "-Wuninitialized"
#if !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

GAVEL_SIMD_TARGET_PUSH("avx512f,avx512bw,avx512vl,avx512dq,avx512vnni,fma,f16c,avx2")

namespace gavel::cpu::detail {
namespace avx512_vnni {

inline int32_t load_quad(const int8_t* p) {
    int32_t v;
    std::memcpy(&v, p, 4);
    return v;
}

// y[M rows, G groups of 16 columns] = x . w^T (+ bias) over all blocks: M x G int32 accumulators
// per block, M x G f32 accumulators across blocks. The G groups are g0, g0 + group_stride, ...
// With `prefetch` (the decode GEMV), each block also fetches the bytes kGemvAhead past it in each
// group into L1 (prefetch_gemv_ahead), as the f32/BF16 GEMV does (dot_streams in matmul_kernel.inl): the hardware
// prefetcher stops at every 4 KiB page and ramps up again, too late for a GEMV that reads each
// weight once. (Interleaved A/Bs of int8 decode on 2 threads: 3, 4 and 8 KiB ahead within 2% of
// each other, non-temporal rather than into L1 +2%; later, into L1 2 KiB ahead against
// non-temporal 4 KiB ahead +2%: all within noise.)
template <int M, int G, bool prefetch = false>
inline void tile(const LinearArgs& a, int64_t i0, int64_t g0, int64_t group_bytes, int64_t group_stride = 1) {
    const int64_t kb = a.q8.blocks;
    const uint8_t* w = static_cast<const uint8_t*>(a.w) + g0 * group_bytes;
    group_bytes *= group_stride;  // from one of the tile's groups to the next
    constexpr int64_t kLinesPerBlock = (kQ8BlockBytes + 63) / 64;
    __m512 f[M][G];
#pragma GCC unroll 8
    for (int i = 0; i < M; ++i)
#pragma GCC unroll 4
        for (int g = 0; g < G; ++g) f[i][g] = _mm512_setzero_ps();
    for (int64_t b = 0; b < kb; ++b) {
        const uint8_t* blk = w + b * kQ8BlockBytes;
        if constexpr (prefetch)
#pragma GCC unroll 4
            for (int g = 0; g < G; ++g)
#pragma GCC unroll 16
                for (int64_t l = 0; l < kLinesPerBlock; ++l)
                    prefetch_gemv_ahead(reinterpret_cast<const char*>(blk + g * group_bytes) + l * 64);
        __m512i acc[M][G];
#pragma GCC unroll 8
        for (int i = 0; i < M; ++i) {
            const __m512i start = _mm512_set1_epi32(a.q8.bias[(i0 + i) * kb + b]);
#pragma GCC unroll 4
            for (int g = 0; g < G; ++g) acc[i][g] = start;
        }
        const int8_t* x = a.q8.q + (i0 * kb + b) * kQ8Block;
        const int64_t ldx = kb * kQ8Block;
#pragma GCC unroll 8
        for (int s = 0; s < int(kQ8Block / 4); ++s) {
            __m512i wv[G];
#pragma GCC unroll 4
            for (int g = 0; g < G; ++g)
                wv[g] = _mm512_loadu_si512(blk + g * group_bytes + kQ8ScaleBytes + s * kQ8QuadBytes);
#pragma GCC unroll 8
            for (int i = 0; i < M; ++i) {
                const __m512i xv = _mm512_set1_epi32(load_quad(x + i * ldx + 4 * s));
#pragma GCC unroll 4
                for (int g = 0; g < G; ++g) acc[i][g] = _mm512_dpbusd_epi32(acc[i][g], wv[g], xv);
            }
        }
        __m512 dw[G];
#pragma GCC unroll 4
        for (int g = 0; g < G; ++g)
            dw[g] = _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk + g * group_bytes)));
#pragma GCC unroll 8
        for (int i = 0; i < M; ++i) {
            const __m512 dx = _mm512_set1_ps(a.q8.scale[(i0 + i) * kb + b]);
#pragma GCC unroll 4
            for (int g = 0; g < G; ++g)
                f[i][g] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(acc[i][g]), _mm512_mul_ps(dw[g], dx), f[i][g]);
        }
    }
#pragma GCC unroll 4
    for (int g = 0; g < G; ++g) {
        const int64_t j0 = (g0 + g * group_stride) * kQ8GroupRows;
        const int64_t valid = std::min<int64_t>(kQ8GroupRows, a.n - j0);
        if (valid <= 0) break;
        const __mmask16 mask = valid == kQ8GroupRows ? __mmask16(0xffff) : __mmask16((1u << valid) - 1);
        const __m512 bias = a.bias ? _mm512_maskz_loadu_ps(mask, a.bias + j0) : _mm512_setzero_ps();
#pragma GCC unroll 8
        for (int i = 0; i < M; ++i) {
            __m512 out = f[i][g];
            if (a.bias) out = _mm512_add_ps(out, bias);
            _mm512_mask_storeu_ps(a.y + (i0 + i) * a.n + j0, mask, out);
        }
    }
}

template <int G, bool prefetch = false>
inline void tile_rows(int mr, const LinearArgs& a, int64_t i0, int64_t g0, int64_t group_bytes) {
    switch (mr) {
        case 1: tile<1, G, prefetch>(a, i0, g0, group_bytes); break;
        case 2: tile<2, G, prefetch>(a, i0, g0, group_bytes); break;
        case 3: tile<3, G, prefetch>(a, i0, g0, group_bytes); break;
        default: tile<4, G, prefetch>(a, i0, g0, group_bytes); break;
    }
}

// Columns [n0, n1), n0 a multiple of 16. One row (decode): as the f32/BF16 GEMV (gemv_streams in
// matmul_kernel.inl), kGemvStreams groups at a time from kGemvStreams equal runs of groups, so
// each thread reads that many sequential streams (int8 decode +8% and +14% against one group at a
// time, two interleaved A/Bs; four adjacent groups had been 11% slower than one). The groups left
// over run one at a time. Two or three rows: one group at a time. More rows: two groups against
// four rows at a time, all rows against one pair of groups before the next, so the pair's weights
// (at most 2 x 544 x k / 32 bytes) stay in L2 while the activations stream past.
void q8_columns(const LinearArgs& a, int64_t n0, int64_t n1) {
    const int64_t group_bytes = a.q8.blocks * kQ8BlockBytes;
    const int64_t g_end = (n1 + kQ8GroupRows - 1) / kQ8GroupRows;
    int64_t g = n0 / kQ8GroupRows;
    constexpr int kMR = 4;
    if (a.m == 1) {
        const int64_t run = (g_end - g) / kGemvStreams;  // groups per stream
        for (int64_t j = 0; j < run; ++j) tile<1, kGemvStreams, true>(a, 0, g + j, group_bytes, run);
        for (g += kGemvStreams * run; g < g_end; ++g) tile<1, 1, true>(a, 0, g, group_bytes);
        return;
    }
    if (a.m < kMR) {
        const int mr = int(a.m);
        for (; g < g_end; ++g) tile_rows<1, true>(mr, a, 0, g, group_bytes);
        return;
    }
    for (; g < g_end; g += 2) {
        const bool pair = g + 2 <= g_end;
        for (int64_t i = 0; i < a.m; i += kMR) {
            const int mr = int(std::min<int64_t>(kMR, a.m - i));
            if (pair) tile_rows<2>(mr, a, i, g, group_bytes);
            else tile_rows<1>(mr, a, i, g, group_bytes);
        }
    }
}

// Per row and block: d = max|x| / 127, q = round-to-nearest-even(x * (127 / max|x|)), as the
// portable quantiser (same operations, same bits); the tail of k is zero.
void quantize_rows(const float* x, int64_t k, int64_t r0, int64_t r1, const Q8Rows& out) {
    const int64_t kb = out.blocks;
    const __m512 sign = _mm512_set1_ps(-0.0f);
    for (int64_t i = r0; i < r1; ++i) {
        const float* v = x + i * k;
        for (int64_t b = 0; b < kb; ++b) {
            const int64_t t0 = b * kQ8Block;
            const int64_t left = std::min<int64_t>(kQ8Block, k - t0);
            const __mmask16 m0 = left >= 16 ? __mmask16(0xffff) : __mmask16((1u << left) - 1);
            const __mmask16 m1 = left >= 32 ? __mmask16(0xffff) : left > 16 ? __mmask16((1u << (left - 16)) - 1) : 0;
            const __m512 lo = _mm512_maskz_loadu_ps(m0, v + t0);
            const __m512 hi = _mm512_maskz_loadu_ps(m1, v + t0 + 16);
            const float amax = _mm512_reduce_max_ps(_mm512_max_ps(_mm512_andnot_ps(sign, lo), _mm512_andnot_ps(sign, hi)));
            const float inv = amax > 0.0f ? 127.0f / amax : 0.0f;
            const __m512 s = _mm512_set1_ps(inv);
            const __m512i qlo = _mm512_cvtps_epi32(_mm512_mul_ps(lo, s));
            const __m512i qhi = _mm512_cvtps_epi32(_mm512_mul_ps(hi, s));
            int8_t* q = out.q + (i * kb + b) * kQ8Block;
            _mm_storeu_si128(reinterpret_cast<__m128i*>(q), _mm512_cvtsepi32_epi8(qlo));
            _mm_storeu_si128(reinterpret_cast<__m128i*>(q + 16), _mm512_cvtsepi32_epi8(qhi));
            out.scale[i * kb + b] = amax / 127.0f;
            out.bias[i * kb + b] = -128 * _mm512_reduce_add_epi32(_mm512_add_epi32(qlo, qhi));
        }
    }
}

}  // namespace avx512_vnni

void add_q8_avx512_vnni(KernelSet& s) {
    s.q8 = avx512_vnni::q8_columns;
    s.quantize_q8 = avx512_vnni::quantize_rows;
}

}  // namespace gavel::cpu::detail
GAVEL_SIMD_TARGET_POP
