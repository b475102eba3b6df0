// AVX-512 matrix-multiply kernels (see matmul_kernel.inl), and the AVX512-BF16 GEMM that multiplies
// BF16 weights by bf16-rounded activations with vdpbf16ps (MatmulPrecision::BF16).
#include <algorithm>
#include <type_traits>
#include <cstring>

#include <immintrin.h>

#include "backend/cpu/cache_line.hpp"
#include "backend/cpu/matmul_kernels.hpp"
#include "backend/cpu/simd_target.hpp"
#include "core/cpu_features.hpp"

// GCC 12's AVX-512 headers build some intrinsics from _mm512_undefined_*(), which -Wuninitialized
// flags in every caller (a known false positive).
#pragma GCC diagnostic ignored "-Wuninitialized"
#if !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

GAVEL_SIMD_TARGET_PUSH("avx512f,avx512bw,avx512vl,avx512dq,fma,f16c,avx2")

namespace gavel::cpu::detail {
#include "backend/cpu/avx512_transpose.hpp"
namespace avx512 {

struct Ops {
    using V = __m512;
    static constexpr int L = 16;
    static V zero() { return _mm512_setzero_ps(); }
    static V load(const float* p) { return _mm512_loadu_ps(p); }
    static void store(float* p, V v) { _mm512_storeu_ps(p, v); }
    static V bcast(const float* p) { return _mm512_set1_ps(*p); }
    static V fma(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }
    static V add(V a, V b) { return _mm512_add_ps(a, b); }
    static float hsum(V v) { return _mm512_reduce_add_ps(v); }
    static V load_bf16(const uint16_t* p) {
        __m256i h = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
        return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
    }
    // The decode GEMV's BF16 reader (Bf16Pairs in matmul_kernel.inl): 32 stored weights, the even
    // ones widened by a shift, the odd ones by a mask; and 32 floats of x in the same order.
    static constexpr bool kBf16Pairs = true;
    static void split_bf16(const uint16_t* p, V& even, V& odd) {
        const __m512i raw = _mm512_loadu_si512(p);
        even = _mm512_castsi512_ps(_mm512_slli_epi32(raw, 16));
        odd = _mm512_castsi512_ps(_mm512_and_si512(raw, _mm512_set1_epi32(int(0xffff0000u))));
    }
    static void deinterleave32(const float* x, float* out) {
        const __m512 a = _mm512_loadu_ps(x), b = _mm512_loadu_ps(x + 16);
        const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
        const __m512i odd = _mm512_add_epi32(even, _mm512_set1_epi32(1));
        _mm512_storeu_ps(out, _mm512_permutex2var_ps(a, even, b));
        _mm512_storeu_ps(out + 16, _mm512_permutex2var_ps(a, odd, b));
    }
    static V load_f16(const uint16_t* p) {
        return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
    }
    static void transpose(V* r) { transpose_16x16(r); }  // r[i][j] -> r[j][i]
};
// 12 x 32 outputs in 24 of the 32 registers (8 rows were 7% slower; 14 rows' pointers no longer fit
// the general registers: bench/RESULTS.md, session 15).
constexpr int kMR = 12;
constexpr int kNV = 2;

#include "backend/cpu/matmul_kernel.inl"

}  // namespace avx512

KernelSet kernels_avx512() {
    KernelSet s;
    s.gemm = avx512::gemm_any;
    s.gemv = cpu_features().intel ? avx512::gemv_any<kGemvStreamsIntel> : avx512::gemv_any<kGemvStreams>;
    s.gemm_cols = avx512::kNR;
    return s;
}

}  // namespace gavel::cpu::detail
GAVEL_SIMD_TARGET_POP

GAVEL_SIMD_TARGET_PUSH("avx512f,avx512bw,avx512vl,avx512dq,avx512bf16,fma,f16c,avx2")

namespace gavel::cpu::detail {
namespace avx512_bf16 {

// Broadcast-form GEMM with k-pairs: a packed panel holds, for each pair of k, kNR columns of two
// bf16 weights (one 32-bit lane each); an activation pair is broadcast to every lane and vdpbf16ps
// adds both products to the f32 accumulator.
constexpr int kMR = 8;
constexpr int64_t kNR = 32;   // two zmm of 16 pair-lanes
constexpr int64_t kKC = 512;  // k per block (256 pairs): a panel is 32 KiB
constexpr int64_t kPanels = 4;

inline uint32_t load_pair(const uint16_t* p) {
    uint32_t v;
    std::memcpy(&v, p, 4);
    return v;
}

// panel[q * kNR + c] = the pair w[j0 + c, k0 + 2q .. 2q + 1] for c < nc, 0 beyond: blocks of 16
// columns x 16 pairs are loaded a line per column and transposed in registers as 32-bit lanes,
// the rest pair by pair.
inline void pack_panel(const uint16_t* w, int64_t k, int64_t j0, int64_t nc, int64_t k0, int64_t kc, uint32_t* panel) {
    const int64_t pairs = (kc + 1) / 2, full = kc / 2;
    int64_t c = 0;
    for (; c + 16 <= nc; c += 16) {
        const uint16_t* src = w + (j0 + c) * k + k0;
        int64_t q = 0;
        for (; q + 16 <= full; q += 16) {
            __m512 v[16];
#pragma GCC unroll 16
            for (int r = 0; r < 16; ++r) v[r] = _mm512_castsi512_ps(_mm512_loadu_si512(src + r * k + 2 * q));
            avx512::Ops::transpose(v);
#pragma GCC unroll 16
            for (int r = 0; r < 16; ++r) _mm512_storeu_ps(reinterpret_cast<float*>(panel + (q + r) * kNR + c), v[r]);
        }
        for (int r = 0; r < 16; ++r)
            for (int64_t t = q; t < full; ++t) panel[t * kNR + c + r] = load_pair(src + r * k + 2 * t);
        if (full < pairs)  // odd tail: the high half is zero
            for (int r = 0; r < 16; ++r) panel[full * kNR + c + r] = src[r * k + 2 * full];
    }
    for (; c < nc; ++c) {
        const uint16_t* src = w + (j0 + c) * k + k0;
        for (int64_t q = 0; q < full; ++q) panel[q * kNR + c] = load_pair(src + 2 * q);
        if (full < pairs) panel[full * kNR + c] = src[2 * full];
    }
    for (int64_t c = nc; c < kNR; ++c)
        for (int64_t q = 0; q < pairs; ++q) panel[q * kNR + c] = 0;
}

template <int MR>
inline void tile(const uint16_t* x, int64_t ldx, const uint32_t* panel, int64_t pairs, float* y, int64_t ldy,
                 int64_t nc, bool accumulate, const float* bias) {
    __m512 c[MR][2];
#pragma GCC unroll 16
    for (int r = 0; r < MR; ++r) c[r][0] = c[r][1] = _mm512_setzero_ps();
    for (int64_t q = 0; q < pairs; ++q) {
        const __m512bh b0 = (__m512bh)_mm512_loadu_si512(panel + q * kNR);
        const __m512bh b1 = (__m512bh)_mm512_loadu_si512(panel + q * kNR + 16);
#pragma GCC unroll 16
        for (int r = 0; r < MR; ++r) {
            const __m512bh a = (__m512bh)_mm512_set1_epi32(int(load_pair(x + r * ldx + 2 * q)));
            c[r][0] = _mm512_dpbf16_ps(c[r][0], a, b0);
            c[r][1] = _mm512_dpbf16_ps(c[r][1], a, b1);
        }
    }
    if (nc == kNR) {
#pragma GCC unroll 16
        for (int r = 0; r < MR; ++r)
            for (int v = 0; v < 2; ++v) {
                float* yp = y + r * ldy + v * 16;
                __m512 out = c[r][v];
                if (accumulate) out = _mm512_add_ps(out, _mm512_loadu_ps(yp));
                if (bias) out = _mm512_add_ps(out, _mm512_loadu_ps(bias + v * 16));
                _mm512_storeu_ps(yp, out);
            }
        return;
    }
    alignas(64) float t[kNR];
    for (int r = 0; r < MR; ++r) {
        _mm512_storeu_ps(t, c[r][0]);
        _mm512_storeu_ps(t + 16, c[r][1]);
        float* yp = y + r * ldy;
        for (int64_t j = 0; j < nc; ++j) {
            float s = t[j];
            if (accumulate) s += yp[j];
            if (bias) s += bias[j];
            yp[j] = s;
        }
    }
}

template <int MR>
inline void tile_rows(int mr, const uint16_t* x, int64_t ldx, const uint32_t* panel, int64_t pairs, float* y,
                      int64_t ldy, int64_t nc, bool accumulate, const float* bias) {
    if constexpr (MR >= 1) {
        if (mr == MR)
            tile<MR>(x, ldx, panel, pairs, y, ldy, nc, accumulate, bias);
        else
            tile_rows<MR - 1>(mr, x, ldx, panel, pairs, y, ldy, nc, accumulate, bias);
    }
}

void gemm_columns(const LinearArgs& a, int64_t n0, int64_t n1) {
    const uint16_t* w = static_cast<const uint16_t*>(a.w);
    const int64_t m = a.m, n = a.n, k = a.k, kp = (k + 1) & ~int64_t(1);
    uint32_t* packed = reinterpret_cast<uint32_t*>(thread_scratch(size_t(kPanels * kNR * kKC / 2)));
    for (int64_t jb = n0; jb < n1; jb += kPanels * kNR) {
        const int64_t je = std::min(n1, jb + kPanels * kNR);
        const int64_t panels = (je - jb + kNR - 1) / kNR;
        for (int64_t k0 = 0; k0 < k; k0 += kKC) {
            const int64_t kc = std::min(kKC, k - k0), pairs = (kc + 1) / 2;
            for (int64_t q = 0; q < panels; ++q) {
                const int64_t j0 = jb + q * kNR;
                pack_panel(w, k, j0, std::min(kNR, je - j0), k0, kc, packed + q * kNR * (kKC / 2));
            }
            const bool accumulate = k0 > 0;
            const bool last = k0 + kc == k;
            for (int64_t i = 0; i < m; i += kMR) {
                const int mr = int(std::min<int64_t>(kMR, m - i));
                for (int64_t q = 0; q < panels; ++q) {
                    const int64_t j0 = jb + q * kNR;
                    const float* bias = last && a.bias ? a.bias + j0 : nullptr;
                    tile_rows<kMR>(mr, a.xb + i * kp + k0, kp, packed + q * kNR * (kKC / 2), pairs,
                                   a.y + i * n + j0, n, std::min(kNR, je - j0), accumulate, bias);
                }
            }
        }
    }
}

int64_t bf16_elements(int64_t m, int64_t k) { return m * ((k + 1) & ~int64_t(1)); }

void round_bf16(const float* x, int64_t /*m*/, int64_t k, int64_t r0, int64_t r1, uint16_t* xb) {
    const int64_t kp = (k + 1) & ~int64_t(1);
    for (int64_t i = r0; i < r1; ++i) {
        const float* src = x + i * k;
        uint16_t* dst = xb + i * kp;
        for (int64_t t = 0; t < k; t += 16) {
            const __mmask16 mask = k - t >= 16 ? __mmask16(0xffff) : __mmask16((1u << (k - t)) - 1);
            const __m256bh h = _mm512_cvtneps_pbh(_mm512_maskz_loadu_ps(mask, src + t));
            _mm256_mask_storeu_epi16(dst + t, mask, (__m256i)h);
        }
        if (kp > k) dst[k] = 0;
    }
}

}  // namespace avx512_bf16

void pack_bf16_pair_panel(const uint16_t* w, int64_t k, int64_t j0, int64_t nc, int64_t k0, int64_t kc,
                          uint32_t* panel) {
    static_assert(avx512_bf16::kNR == kBf16PanelColumns);
    avx512_bf16::pack_panel(w, k, j0, nc, k0, kc, panel);
}

KernelSet kernels_avx512_bf16() {
    KernelSet s = kernels_avx512();
    s.gemm_bf16 = avx512_bf16::gemm_columns;
    s.round_bf16 = avx512_bf16::round_bf16;
    s.bf16_elements = avx512_bf16::bf16_elements;
    return s;
}

}  // namespace gavel::cpu::detail
GAVEL_SIMD_TARGET_POP
