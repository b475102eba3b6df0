// AVX2 + FMA matrix-multiply kernels (see matmul_kernel.inl).
#include <algorithm>
#include <type_traits>

#include <immintrin.h>

#include "backend/cpu/cache_line.hpp"
#include "backend/cpu/matmul_kernels.hpp"
#include "backend/cpu/simd_target.hpp"

GAVEL_SIMD_TARGET_PUSH("avx2,fma,f16c")

namespace gavel::cpu::detail {
namespace avx2 {

struct Ops {
    using V = __m256;
    static constexpr int L = 8;
    static constexpr bool kBf16Pairs = false;  // see Bf16Pairs in matmul_kernel.inl
    static V zero() { return _mm256_setzero_ps(); }
    static V load(const float* p) { return _mm256_loadu_ps(p); }
    static void store(float* p, V v) { _mm256_storeu_ps(p, v); }
    static V bcast(const float* p) { return _mm256_broadcast_ss(p); }
    static V fma(V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); }
    static V add(V a, V b) { return _mm256_add_ps(a, b); }
    static float hsum(V v) {
        __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
        s = _mm_add_ps(s, _mm_movehl_ps(s, s));
        s = _mm_add_ss(s, _mm_movehdup_ps(s));
        return _mm_cvtss_f32(s);
    }
    static V load_bf16(const uint16_t* p) {
        __m128i h = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
        return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
    }
    static V load_f16(const uint16_t* p) { return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))); }
    // r[i][j] -> r[j][i] for an 8 x 8 block.
    static void transpose(V* r) {
        V t[8], u[8];
        for (int g = 0; g < 4; ++g) {
            t[2 * g] = _mm256_unpacklo_ps(r[2 * g], r[2 * g + 1]);
            t[2 * g + 1] = _mm256_unpackhi_ps(r[2 * g], r[2 * g + 1]);
        }
        for (int g = 0; g < 8; g += 4) {
            const __m256d a = _mm256_castps_pd(t[g]), b = _mm256_castps_pd(t[g + 1]);
            const __m256d c = _mm256_castps_pd(t[g + 2]), d = _mm256_castps_pd(t[g + 3]);
            u[g] = _mm256_castpd_ps(_mm256_unpacklo_pd(a, c));
            u[g + 1] = _mm256_castpd_ps(_mm256_unpackhi_pd(a, c));
            u[g + 2] = _mm256_castpd_ps(_mm256_unpacklo_pd(b, d));
            u[g + 3] = _mm256_castpd_ps(_mm256_unpackhi_pd(b, d));
        }
        for (int q = 0; q < 4; ++q) {
            r[q] = _mm256_permute2f128_ps(u[q], u[4 + q], 0x20);
            r[4 + q] = _mm256_permute2f128_ps(u[q], u[4 + q], 0x31);
        }
    }
};
constexpr int kMR = 6;
constexpr int kNV = 2;

#include "backend/cpu/matmul_kernel.inl"

}  // namespace avx2

KernelSet kernels_avx2() {
    KernelSet s;
    s.gemm = avx2::gemm_any;
    s.gemv = avx2::gemv_any;
    s.gemm_cols = avx2::kNR;
    return s;
}

}  // namespace gavel::cpu::detail
GAVEL_SIMD_TARGET_POP
