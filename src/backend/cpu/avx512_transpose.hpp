// Internal to backend/cpu: a 16 x 16 transpose of 32-bit lanes in AVX-512 registers, for the
// kernels that need one (the GEMM's weight packing, the AMX attention's value columns). Include it
// after <immintrin.h>, inside an AVX-512 target region (simd_target.hpp) and inside the namespace
// that is to hold it, as matmul_kernel.inl is.
#pragma once

// r[i][j] -> r[j][i] for a 16 x 16 block: 2x2 blocks of floats, then of pairs, then 128-bit lanes.
inline void transpose_16x16(__m512* r) {
    __m512 t[16], u[16];
    for (int g = 0; g < 8; ++g) {
        t[2 * g] = _mm512_unpacklo_ps(r[2 * g], r[2 * g + 1]);
        t[2 * g + 1] = _mm512_unpackhi_ps(r[2 * g], r[2 * g + 1]);
    }
    for (int g = 0; g < 16; g += 4) {
        const __m512d a = _mm512_castps_pd(t[g]), b = _mm512_castps_pd(t[g + 1]);
        const __m512d c = _mm512_castps_pd(t[g + 2]), d = _mm512_castps_pd(t[g + 3]);
        u[g] = _mm512_castpd_ps(_mm512_unpacklo_pd(a, c));
        u[g + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(a, c));
        u[g + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(b, d));
        u[g + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(b, d));
    }
    for (int q = 0; q < 4; ++q) {
        const __m512 se = _mm512_shuffle_f32x4(u[q], u[4 + q], 0x88), so = _mm512_shuffle_f32x4(u[q], u[4 + q], 0xdd);
        const __m512 se2 = _mm512_shuffle_f32x4(u[8 + q], u[12 + q], 0x88);
        const __m512 so2 = _mm512_shuffle_f32x4(u[8 + q], u[12 + q], 0xdd);
        r[q] = _mm512_shuffle_f32x4(se, se2, 0x88);
        r[8 + q] = _mm512_shuffle_f32x4(se, se2, 0xdd);
        r[4 + q] = _mm512_shuffle_f32x4(so, so2, 0x88);
        r[12 + q] = _mm512_shuffle_f32x4(so, so2, 0xdd);
    }
}
