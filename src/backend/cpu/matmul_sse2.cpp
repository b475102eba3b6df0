// Baseline x86-64 (SSE2) matrix-multiply kernels (see matmul_kernel.inl): the fallback that runs on
// any x86-64 CPU.
#include <algorithm>
#include <type_traits>

#include "backend/cpu/cache_line.hpp"
#include "backend/cpu/matmul_kernels.hpp"

#include <xmmintrin.h>
#include <emmintrin.h>

namespace gavel::cpu::detail {
namespace sse2 {

struct Ops {
    using V = __m128;
    static constexpr int L = 4;
    static constexpr bool kBf16Pairs = false;  // see Bf16Pairs in matmul_kernel.inl
    static V zero() { return _mm_setzero_ps(); }
    static V load(const float* p) { return _mm_loadu_ps(p); }
    static void store(float* p, V v) { _mm_storeu_ps(p, v); }
    static V bcast(const float* p) { return _mm_set1_ps(*p); }
    static V fma(V a, V b, V c) { return _mm_add_ps(_mm_mul_ps(a, b), c); }
    static V add(V a, V b) { return _mm_add_ps(a, b); }
    static float hsum(V v) {
        __m128 s = _mm_add_ps(v, _mm_movehl_ps(v, v));
        s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
        return _mm_cvtss_f32(s);
    }
    static V load_bf16(const uint16_t* p) {
        __m128i h = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(p));
        return _mm_castsi128_ps(_mm_unpacklo_epi16(_mm_setzero_si128(), h));
    }
    static V load_f16(const uint16_t* p) {
        return _mm_setr_ps(f16_to_f32(p[0]), f16_to_f32(p[1]), f16_to_f32(p[2]), f16_to_f32(p[3]));
    }
    static void transpose(V* r) { _MM_TRANSPOSE4_PS(r[0], r[1], r[2], r[3]); }
};
constexpr int kMR = 4;
constexpr int kNV = 2;

#include "backend/cpu/matmul_kernel.inl"

}  // namespace sse2

KernelSet kernels_sse2() {
    KernelSet s;
    s.gemm = sse2::gemm_any;
    s.gemv = sse2::gemv_any;
    s.gemm_cols = sse2::kNR;
    return s;
}

}  // namespace gavel::cpu::detail
