// The BF16-precision GEMM on AMX tiles (MatmulIsa::Amx): BF16 weights times bf16-rounded
// activations with TDPBF16PS, f32 accumulation, as the AVX512-BF16 GEMM computes them but on the
// tile unit, which multiplies 16 x 32 by 32 x 16 in one instruction (16x the AVX-512 FMA rate of
// the Xeon of session 14; bench/RESULTS.md).
//
// Eight tiles, each 16 rows of 64 bytes: C0..C3 hold a 32 x 32 block of y (f32), A0 / A1 the
// block's two 16-row halves of 32 k (bf16), B0 / B1 its two 16-column halves of 16 k-pairs (the
// packed panel's rows: pack_bf16_pair_panel). The block runs over a block of k with C in the tiles
// (the whole k up to kKBlock, so that y is written once). A thread packs kPanels<Parts> panels of
// its columns at a time over the k block (zero-padded to a multiple of 32), and runs every 32-row
// strip of x against them. x comes rounded to bf16 in the tiles' layout (round_bf16_tiles), so each
// A tile is 1 KiB in one piece.
//
// The same kernel with x split into three bf16 parts (Parts = 3: hi = bf16(x), mid = bf16(x - hi),
// lo = bf16(x - hi - mid)) is linear()'s F32 precision for BF16 weights here. Each part takes the
// top 8 significant bits of what the parts before it left, so the three hold all 24 of x's and sum
// to x exactly (but for parts below the normal range, where |x| < 2^-103, which the conversion
// and the tiles flush to 0). A bf16 weight times a bf16 part is exact in f32, so the three tile
// products accumulate in f32 what the FMA GEMM computes from the widened weights, on the tile unit
// instead of the FMA units, for three tile products where the BF16 precision takes one.
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include <immintrin.h>

#include "backend/cpu/amx_tiles.hpp"
#include "backend/cpu/matmul_kernels.hpp"
#include "backend/cpu/simd_target.hpp"
#include "core/cpu_features.hpp"

// GCC 12's AVX-512 headers build some intrinsics from _mm512_undefined_*(), which -Wuninitialized
// flags in every caller (a known false positive).
#pragma GCC diagnostic ignored "-Wuninitialized"
#if !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

namespace gavel::cpu::detail {

bool amx_bf16_usable() {
#if defined(__linux__) && defined(__x86_64__)
    static const bool usable = [] {
        const CpuFeatures& f = cpu_features();
        if (!f.amx_bf16 || !f.avx512_bf16) return false;
        constexpr long kReqXcompPerm = 0x1023;  // ARCH_REQ_XCOMP_PERM
        constexpr long kXtileData = 18;         // XFEATURE_XTILEDATA
        return syscall(SYS_arch_prctl, kReqXcompPerm, kXtileData) == 0;
    }();
    return usable;
#else
    return false;
#endif
}

}  // namespace gavel::cpu::detail

GAVEL_SIMD_TARGET_PUSH("avx512f,avx512bw,avx512vl,avx512dq,avx512bf16,amx-tile,amx-bf16,fma,f16c,avx2")

namespace gavel::cpu::detail {
namespace amx {

constexpr int64_t kNR = kBf16PanelColumns;  // output columns per block: two 16-column C tiles
constexpr int64_t kMR = 32;                 // output rows per block: two 16-row A tiles
constexpr int64_t kKStep = 32;              // k per tile step: an A tile row is 32 bf16
// Panels packed at a time: 2 for bf16 x (k = 4864: 2 x 304 KiB, in L2). Each group of panels reads
// all of x's strips, and the split x is three times the bytes, so it takes 8, reading x a quarter
// as often: JinaJudge pair of 1,024 tokens 1.44 -> 1.30 s, Qwen2-0.5B pp512 687 -> 725 tok/s (two
// alternating rounds; 4 panels: 1.33 s, 695 tok/s). bf16 x with 4 or 8: no faster.
template <int Parts>
constexpr int64_t kPanels = Parts == 1 ? 2 : 8;
// The panels cover k in blocks of at most this many (split evenly), so that a group of panels,
// 64 bytes a k each, stays within 1 MiB of L2; the C tiles go back to y between blocks. Without
// them, Qwen2-7B's down projection (k = 18,944) ran at 889 GFLOP/s against about 1,300 at
// k = 3,584 (bf16, m = 512, 2 threads).
template <int Parts>
constexpr int64_t kKBlock = (int64_t(1) << 20) / (kPanels<Parts> * kNR * 2);

// The activations' layout (KernelSet::round_bf16 / bf16_elements): strips of kMR rows (the last one
// zero-padded), each a run of k steps of kKStep (k zero-padded to a multiple of it), each step the
// strip's kMR rows of kKStep bf16 one after another: the A0 tile's 16 rows, then A1's. Read in place
// from x's rows, 2k bytes apart, an A tile's 16 rows were 16 streams (and, k a power of two, fell on
// few L1 sets); a one-core test of the tile loop (m 1024, k 1024 and 4096) ran 21-24% faster on this
// layout (bench/RESULTS.md, session 16).
// With Parts bf16 parts of x, each step holds the strip's rows of every part, one part after another.
inline int64_t padded_k(int64_t k) { return (k + kKStep - 1) / kKStep * kKStep; }

template <int Parts>
int64_t bf16_elements(int64_t m, int64_t k) {
    return Parts * (m + kMR - 1) / kMR * kMR * padded_k(k);
}

// The 16 floats v as bf16 parts, each rounded (RNE) from what the parts before it left of v.
template <int Parts>
inline void store_parts(__m512 v, uint16_t* dst) {
    for (int p = 0; p < Parts; ++p, dst += kMR * kKStep) {
        const __m256bh h = _mm512_cvtneps_pbh(v);
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst), (__m256i)h);
        if (p + 1 < Parts)
            v = _mm512_sub_ps(v, _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32((__m256i)h), 16)));
    }
}

template <int Parts>
void round_bf16_tiles(const float* x, int64_t m, int64_t k, int64_t r0, int64_t r1, uint16_t* xb) {
    const int64_t kpad = padded_k(k);
    constexpr int64_t kStep = Parts * kMR * kKStep;  // one k step of a strip: every part's rows
    auto row_start = [&](int64_t r) { return xb + r / kMR * Parts * kMR * kpad + r % kMR * kKStep; };
    // A strip's rows a step at a time, so the stores run through memory in order (row by row, they
    // went 2 KiB apart and took half as long again: perf, Qwen2-0.5B BF16 prompts).
    for (int64_t lo_row = r0; lo_row < r1;) {
        const int64_t hi_row = std::min(r1, (lo_row / kMR + 1) * kMR);
        for (int64_t t = 0; t < kpad; t += kKStep) {
            const int64_t have = std::clamp<int64_t>(k - t, 0, kKStep);
            const __mmask16 lo = __mmask16((1u << std::min<int64_t>(have, 16)) - 1);
            const __mmask16 hi = __mmask16((1u << std::max<int64_t>(have - 16, 0)) - 1);
            uint16_t* dst = row_start(lo_row) + t / kKStep * kStep;
            for (int64_t r = lo_row; r < hi_row; ++r, dst += kKStep) {
                const float* src = x + r * k + t;
                const __m512 first = _mm512_maskz_loadu_ps(lo, src), second = _mm512_maskz_loadu_ps(hi, src + 16);
                if constexpr (Parts == 1) {
                    const __m512bh h = _mm512_cvtne2ps_pbh(second, first);  // first's 16 in the low half
                    _mm512_storeu_si512(dst, (__m512i)h);
                } else {
                    store_parts<Parts>(first, dst);
                    store_parts<Parts>(second, dst + 16);
                }
            }
        }
        lo_row = hi_row;
    }
    if (r1 == m)  // the last strip's missing rows
        for (int64_t r = m; r % kMR; ++r) {
            uint16_t* dst = row_start(r);
            for (int64_t t = 0; t < kpad; t += kKStep, dst += kStep)
                for (int p = 0; p < Parts; ++p)
                    std::fill(dst + p * kMR * kKStep, dst + (p * kMR + 1) * kKStep, uint16_t(0));
        }
}

// The C tiles to / from a 32 x 32 block of floats at p, rows ld floats apart.
inline void store_c(float* p, int64_t ld) {
    _tile_stored(0, p, ld * 4);
    _tile_stored(1, p + 16, ld * 4);
    _tile_stored(2, p + 16 * ld, ld * 4);
    _tile_stored(3, p + 16 * ld + 16, ld * 4);
}
inline void load_c(const float* p, int64_t ld) {
    _tile_loadd(0, p, ld * 4);
    _tile_loadd(1, p + 16, ld * 4);
    _tile_loadd(2, p + 16 * ld, ld * 4);
    _tile_loadd(3, p + 16 * ld + 16, ld * 4);
}

// y block (rows x cols, row stride ldy) = the tiles' 32 x 32 sums (which hold the bias already).
inline void store_block(float* y, int64_t ldy, int64_t rows, int64_t cols) {
    if (rows == kMR && cols == kNR) return store_c(y, ldy);
    alignas(64) float c[kMR * kNR];
    store_c(c, kNR);
    for (int64_t r = 0; r < rows; ++r) std::memcpy(y + r * ldy, c + r * kNR, size_t(cols) * 4);
}

// The tiles C0..C3 = the y block (rows x cols, row stride ldy) so far: the next k block adds to it.
inline void load_block(const float* y, int64_t ldy, int64_t rows, int64_t cols) {
    if (rows == kMR && cols == kNR) return load_c(y, ldy);
    alignas(64) float c[kMR * kNR] = {};
    for (int64_t r = 0; r < rows; ++r) std::memcpy(c + r * kNR, y + r * ldy, size_t(cols) * 4);
    load_c(c, kNR);
}

// The tiles C0..C3 = the block's bias: `bias_rows` is 16 copies of the block's 32 bias values, or
// null for none. The bias starts in the tiles because adding it to y after the tile stores read y
// back before those stores had landed: 11% of a bf16 JinaJudge pair's samples (perf, the Xeon of
// session 15).
inline void start_block(const float* bias_rows) {
    if (bias_rows) {
        _tile_loadd(0, bias_rows, kNR * 4);
        _tile_loadd(1, bias_rows + 16, kNR * 4);
        _tile_loadd(2, bias_rows, kNR * 4);
        _tile_loadd(3, bias_rows + 16, kNR * 4);
    } else {
        _tile_zero(0);
        _tile_zero(1);
        _tile_zero(2);
        _tile_zero(3);
    }
}

// The tiles C0..C3 += a (a strip's steps in the tiles' layout) times the panel, over steps x 32 of
// k. Each step loads the panel's two B tiles once and multiplies every part of the strip by them.
template <int Parts>
inline void block(const uint16_t* a, const uint32_t* panel, int64_t steps) {
    for (int64_t s = 0; s < steps; ++s) {
        const uint16_t* as = a + s * Parts * kMR * kKStep;
        const uint32_t* bs = panel + s * (kKStep / 2) * kNR;
        _tile_loadd(6, bs, kNR * 4);
        _tile_loadd(7, bs + 16, kNR * 4);
        for (int p = 0; p < Parts; ++p, as += kMR * kKStep) {
            _tile_loadd(4, as, kKStep * 2);
            _tile_loadd(5, as + 16 * kKStep, kKStep * 2);
            _tile_dpbf16ps(0, 4, 6);
            _tile_dpbf16ps(1, 4, 7);
            _tile_dpbf16ps(2, 5, 6);
            _tile_dpbf16ps(3, 5, 7);
        }
    }
}

template <int Parts>
void gemm_columns(const LinearArgs& a, int64_t n0, int64_t n1) {
    const uint16_t* w = static_cast<const uint16_t*>(a.w);
    const int64_t m = a.m, n = a.n, k = a.k;
    const int64_t kpad = padded_k(k);
    // k in `blocks` blocks of kc (a multiple of kKStep; the last one shorter).
    const int64_t blocks = (kpad + kKBlock<Parts> - 1) / kKBlock<Parts>;
    const int64_t kc = (kpad / kKStep + blocks - 1) / blocks * kKStep;
    const int64_t panel_u32 = kc / 2 * kNR;
    // Scratch: kPanels panels, and each panel's bias as 16 rows of its 32 columns (the C tiles'
    // starting values).
    constexpr int64_t kBiasRows = 16 * kNR;
    float* scratch = thread_scratch(size_t(kPanels<Parts> * panel_u32 + kPanels<Parts> * kBiasRows));
    uint32_t* panels = reinterpret_cast<uint32_t*>(scratch);
    float* bias_rows = scratch + kPanels<Parts> * panel_u32;

    _tile_loadconfig(&kEightFullTiles);
    for (int64_t jb = n0; jb < n1; jb += kPanels<Parts> * kNR) {
        const int64_t je = std::min(n1, jb + kPanels<Parts> * kNR);
        const int64_t count = (je - jb + kNR - 1) / kNR;
        if (a.bias)
            for (int64_t q = 0; q < count; ++q) {
                const int64_t j0 = jb + q * kNR;
                float* b = bias_rows + q * kBiasRows;
                const int64_t cols = std::min(kNR, je - j0);
                for (int64_t c = 0; c < kNR; ++c) b[c] = c < cols ? a.bias[j0 + c] : 0.0f;
                for (int64_t r = 1; r < 16; ++r) std::memcpy(b + r * kNR, b, kNR * 4);
            }
        for (int64_t k0 = 0; k0 < k; k0 += kc) {
            const int64_t kb = std::min(kc, k - k0), steps = padded_k(kb) / kKStep;
            for (int64_t q = 0; q < count; ++q) {
                const int64_t j0 = jb + q * kNR;
                uint32_t* panel = panels + q * panel_u32;
                pack_bf16_pair_panel(w, k, j0, std::min(kNR, je - j0), k0, kb, panel);
                std::fill(panel + (kb + 1) / 2 * kNR, panel + steps * (kKStep / 2) * kNR, 0u);
            }
            for (int64_t i = 0; i < m; i += kMR) {
                const int64_t rows = std::min(kMR, m - i);
                // strip i / kMR, from step k0 / kKStep
                const uint16_t* x = a.xb + i * Parts * kpad + k0 * Parts * kMR;
                for (int64_t q = 0; q < count; ++q) {
                    const int64_t j0 = jb + q * kNR, cols = std::min(kNR, je - j0);
                    float* y = a.y + i * n + j0;
                    if (k0 == 0) start_block(a.bias ? bias_rows + q * kBiasRows : nullptr);
                    else load_block(y, n, rows, cols);
                    block<Parts>(x, panels + q * panel_u32, steps);
                    store_block(y, n, rows, cols);
                }
            }
        }
    }
    _tile_release();
}

}  // namespace amx

KernelSet kernels_amx() {
    KernelSet s = kernels_avx512_bf16();
    s.gemm_bf16 = amx::gemm_columns<1>;
    s.round_bf16 = amx::round_bf16_tiles<1>;
    s.bf16_elements = amx::bf16_elements<1>;
    s.gemm_bf16_split = amx::gemm_columns<3>;
    s.split_bf16 = amx::round_bf16_tiles<3>;
    s.bf16_split_elements = amx::bf16_elements<3>;
    return s;
}

}  // namespace gavel::cpu::detail
GAVEL_SIMD_TARGET_POP
