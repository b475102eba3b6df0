// Built with -ffp-contract=fast (src/backend/CMakeLists.txt) so a * b + c on vectors becomes FMA.
#include "backend/cpu/attention_tile.hpp"

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdint>
#include <vector>

#include <immintrin.h>

#include "backend/cpu/amx_tiles.hpp"
#include "backend/cpu/cache_line.hpp"
#include "backend/cpu/simd_target.hpp"
#include "core/cpu_features.hpp"

// GCC 12's AVX-512 headers build some intrinsics from _mm512_undefined_*(), which -Wuninitialized
// flags in every caller (a known false positive).
#pragma GCC diagnostic ignored "-Wuninitialized"
#if !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

namespace gavel::cpu {

namespace {

#define GAVEL_INLINE inline __attribute__((always_inline))

constexpr int kMaxKeyPad = 16;  // zero rows past the last key of a tile (score blocking; AMX reads 16 keys)
constexpr float kLog2e = 1.44269504088896340736f;
constexpr float kEmptyMax = -1e30f;         // running max before any key (finite: no inf - inf)

// Per-thread buffers, grown on a thread's first call for a head_dim and then reused.
struct Scratch {
    std::vector<float> buffer;
    int64_t head_dim = 0;      // the largest head_dim the buffers fit
    float* qt = nullptr;       // [head_dim][kTileRows]: scaled queries, rows as lanes
    float* ot = nullptr;       // [head_dim][kTileRows]: unnormalised outputs
    float* st = nullptr;       // [kTileKeys + kMaxKeyPad][kTileRows]: scores, then probabilities
    float* row_max = nullptr;  // [kTileRows]
    float* row_sum = nullptr;
    float* alpha = nullptr;
    int32_t* limit = nullptr;  // [kTileRows]
    float* zero = nullptr;     // [head_dim] zeros: the key row of padding keys
    // The BF16 products' operands, each 32-bit lane a pair of bf16 (first element low):
    uint32_t* qt2 = nullptr;   // [head_dim / 2][kTileRows]: the scaled queries, pairs along head_dim
    uint32_t* pb = nullptr;    // [kTileKeys / 2][kTileRows]: probabilities, pairs of keys
    uint32_t* kb = nullptr;    // [kTileKeys + kMaxKeyPad][head_dim / 2]: a tile's keys in bf16
    uint32_t* vb = nullptr;    // [kTileKeys / 2][head_dim]: a tile's values, pairs of keys
                               // (AMX: blocks of 32 keys, [head_dim][32] bf16, values_to_columns)
    const uint32_t* kt = nullptr;  // the tile's keys and values in bf16 as the products read them:
    const uint32_t* vt = nullptr;  // kb / vb, or the caller's (AttentionTile::k_bf16 / v_bf16)
    // AMX: the tile's values transposed, blocks of 32 keys from its first key (vb, or the caller's).
    const uint16_t* vt_cols = nullptr;
    const float* kp[kTileKeys + kMaxKeyPad];
    const float* vp[kTileKeys + kMaxKeyPad];

    void reserve(int64_t d) {
        if (d <= head_dim) return;
        const size_t rows = kTileRows, keys = kTileKeys + kMaxKeyPad;
        const size_t dd = size_t(d), dpad = (dd + 15) / 16 * 16, half = (dd + 1) / 2;
        const size_t floats = 2 * dd * rows + keys * rows + 4 * rows + dpad + half * rows + kTileKeys / 2 * rows +
                              keys * half + kTileKeys / 2 * dd;
        buffer.assign(floats + kCacheLineFloats, 0.0f);
        float* p = cache_line_aligned(buffer.data());
        qt = p, p += dd * rows;
        ot = p, p += dd * rows;
        st = p, p += keys * rows;
        row_max = p, p += rows;
        row_sum = p, p += rows;
        alpha = p, p += rows;
        limit = reinterpret_cast<int32_t*>(p), p += rows;
        qt2 = reinterpret_cast<uint32_t*>(p), p += half * rows;
        pb = reinterpret_cast<uint32_t*>(p), p += kTileKeys / 2 * rows;
        zero = p, p += dpad;
        kb = reinterpret_cast<uint32_t*>(p), p += keys * half;
        vb = reinterpret_cast<uint32_t*>(p);
        head_dim = d;
    }
};

// One copy of the kernel per instruction set. Register blocking: score micro-kernel of
// kScoreRows row vectors x kScoreKeys keys, value micro-kernel of kValueRows row vectors x
// kValueDims head dims (AVX-512: 16 + 8 of 32 registers; AVX2 / SSE2: 8 + 6 of 16).
GAVEL_SIMD_TARGET_PUSH("avx512f,avx2,fma")
namespace avx512 {
#include "backend/cpu/avx512_transpose.hpp"
struct Isa {
    typedef float V __attribute__((vector_size(64)));
    typedef int32_t VI __attribute__((vector_size(64)));
    static constexpr int W = 16;
    static constexpr int kScoreRows = 4, kScoreKeys = 4, kValueRows = 4, kValueDims = 4;
    // p * 2^n for whole n, rounded once (to denormals and 0 below 2^-126); lo <= x <= hi.
    static GAVEL_INLINE V ldexp(V p, V n) { return V(_mm512_scalef_ps(__m512(p), __m512(n))); }
    static GAVEL_INLINE V clamp(V x, float lo, float hi) {
        return V(_mm512_min_ps(_mm512_max_ps(__m512(x), _mm512_set1_ps(lo)), _mm512_set1_ps(hi)));
    }
    static GAVEL_INLINE void transpose(V* r) { transpose_16x16(reinterpret_cast<__m512*>(r)); }
};
#include "backend/cpu/attention_tile_kernel.inc"
void run(const AttentionTile& t, int64_t d, float scale, Scratch& s) { attend<Isa>(t, d, scale, s); }
void exp2n(const float* x, float* y, int64_t n) { exp2_all<Isa>(x, y, n); }
}  // namespace avx512
GAVEL_SIMD_TARGET_POP

// The same kernel with its two products on AVX512-BF16 dot products (vdpbf16ps: two bf16 pairs
// per f32 lane, accumulated in f32), twice the multiply rate of f32 FMA: queries, keys, values and
// probabilities are rounded to bf16 (round to nearest even), the softmax and the accumulators stay
// f32. Pairs run along head_dim for S = K Qt and along keys for Ot += V^T P. head_dim must be a
// multiple of 32.
GAVEL_SIMD_TARGET_PUSH("avx512f,avx512bw,avx512bf16,avx2,fma")
namespace avx512_bf16 {
using Isa = avx512::Isa;  // the same vectors and blocking; only the products differ
#include "backend/cpu/attention_tile_kernel.inc"

// 16 lanes of (bf16(lo[i]), bf16(hi[i])) pairs: both rounded into one vector, lo's 16 below hi's,
// then interleaved.
GAVEL_INLINE __m512i pair_lanes(__m512 lo, __m512 hi) {
    const __m512i interleave = _mm512_set_epi16(31, 15, 30, 14, 29, 13, 28, 12, 27, 11, 26, 10, 25, 9, 24, 8, 23, 7, 22,
                                                6, 21, 5, 20, 4, 19, 3, 18, 2, 17, 1, 16, 0);
    return _mm512_permutexvar_epi16(interleave, (__m512i)_mm512_cvtne2ps_pbh(hi, lo));
}

// The probabilities of lane vector r, 2^(score - m), for the bf16 products: as pairs of keys
// straight into s.pb (2 jp and 2 jp + 1 in pair jp; keys from nk on, up to `pairs` pairs, zero).
// Returns their f32 sum, added in key order as F32Products::exponentiate does.
GAVEL_INLINE Isa::V exponentiate_to_pairs(Scratch& s, int r, int nk, int pairs, Isa::V m) {
    using V = Isa::V;
    const float* st = s.st + r * 16;  // locals: the stores to pb could alias s's members
    uint32_t* pb = s.pb + r * 16;
    V sum = V{};
    for (int jp = 0; jp < pairs; ++jp) {
        V e[2] = {V{}, V{}};
        for (int t = 0; t < 2; ++t) {
            const int j = 2 * jp + t;
            if (j >= nk) break;
            e[t] = exp2v<Isa>(load<V>(st + j * kTileRows) - m);
            sum += e[t];
        }
        _mm512_store_si512(pb + jp * kTileRows, pair_lanes(__m512(e[0]), __m512(e[1])));
    }
    return sum;
}

// Both products' micro-kernel, NA outputs x NR row vectors of pair dot products:
//   out[a][rows] (+)= sum_p bcast[a * a_stride + p * p_stride] . lanes[p][rows]
// scores: a = key, bcast = the keys' pairs along head_dim, lanes = the queries' (out starts at 0);
// values: a = head dim, bcast = the values' pairs along keys, lanes = the probabilities' (out
// accumulates into Ot).
template <int NR, int NA>
GAVEL_INLINE void pair_dot_block(const uint32_t* lanes, const uint32_t* bcast, int64_t a_stride, int64_t p_stride,
                                 int64_t pairs, float* out, bool accumulate) {
    __m512 acc[NA][NR];
#pragma GCC unroll 16
    for (int a = 0; a < NA; ++a)
#pragma GCC unroll 16
        for (int r = 0; r < NR; ++r)
            acc[a][r] = accumulate ? _mm512_load_ps(out + a * kTileRows + r * 16) : _mm512_setzero_ps();
    for (int64_t p = 0; p < pairs; ++p) {
        __m512bh x[NR];
#pragma GCC unroll 16
        for (int r = 0; r < NR; ++r) x[r] = (__m512bh)_mm512_load_si512(lanes + p * kTileRows + r * 16);
#pragma GCC unroll 16
        for (int a = 0; a < NA; ++a) {
            const __m512bh b = (__m512bh)_mm512_set1_epi32(int(bcast[a * a_stride + p * p_stride]));
#pragma GCC unroll 16
            for (int r = 0; r < NR; ++r) acc[a][r] = _mm512_dpbf16_ps(acc[a][r], x[r], b);
        }
    }
#pragma GCC unroll 16
    for (int a = 0; a < NA; ++a)
#pragma GCC unroll 16
        for (int r = 0; r < NR; ++r) _mm512_store_ps(out + a * kTileRows + r * 16, acc[a][r]);
}

// nk keys (rows kp[j]) in bf16, pairs along head_dim, then zero rows up to nk_pad: a key row in
// bf16 is already its pairs.
GAVEL_INLINE void keys_to_bf16(const float* const* kp, int nk, int nk_pad, int64_t d, uint32_t* kb) {
    const int64_t pairs = d / 2;
    for (int j = 0; j < nk; ++j)
        for (int64_t dd = 0; dd < d; dd += 32)
            _mm512_storeu_si512(kb + j * pairs + dd / 2,
                                (__m512i)_mm512_cvtne2ps_pbh(_mm512_loadu_ps(kp[j] + dd + 16), _mm512_loadu_ps(kp[j] + dd)));
    std::fill(kb + nk * pairs, kb + nk_pad * pairs, 0u);
}

// nk values (rows vp[j]) paired along keys: pair jp holds keys 2jp and 2jp + 1, an odd count's
// last pair a zero second value (its probability is zero too).
GAVEL_INLINE void values_to_bf16(const float* const* vp, int nk, int64_t d, const float* zero, uint32_t* vb) {
    for (int jp = 0; jp < (nk + 1) / 2; ++jp) {
        const float* a = vp[2 * jp];
        const float* b = 2 * jp + 1 < nk ? vp[2 * jp + 1] : zero;
        for (int64_t dd = 0; dd < d; dd += 16)
            _mm512_storeu_si512(vb + jp * d + dd, pair_lanes(_mm512_loadu_ps(a + dd), _mm512_loadu_ps(b + dd)));
    }
}

struct Bf16Products {
    static constexpr int kKeys = 64;
    static void begin(Scratch& s, int64_t d, int lanes) {
        for (int64_t p = 0; p < d / 2; ++p)
            for (int i = 0; i < lanes; i += 16)
                _mm512_store_si512(s.qt2 + p * kTileRows + i, pair_lanes(_mm512_load_ps(s.qt + 2 * p * kTileRows + i),
                                                                         _mm512_load_ps(s.qt + (2 * p + 1) * kTileRows + i)));
    }
    static void end() {}
    // Points s.kt / s.vt at the tile's keys and values in bf16: the caller's converted ones where
    // the tile has them, else converted here into s.kb / s.vb.
    static void load_tile(Scratch& s, const AttentionTile& t, int64_t j0, int64_t d, int nk, int nk_pad) {
        if (t.k_bf16) {
            s.kt = t.k_bf16 + (j0 - t.key_begin) * (d / 2);
            s.vt = t.v_bf16 + (j0 - t.key_begin) / 2 * d;
            return;
        }
        keys_to_bf16(s.kp, nk, nk_pad, d, s.kb);
        values_to_bf16(s.vp, nk, d, s.zero, s.vb);
        s.kt = s.kb;
        s.vt = s.vb;
    }
    static void scores(Scratch& s, int rv_count, int nk_pad, int64_t d) {
        constexpr int SR = Isa::kScoreRows, SJ = Isa::kScoreKeys;
        const int64_t pairs = d / 2;
        int rv = 0;
        for (; rv + SR <= rv_count; rv += SR)
            for (int j = 0; j < nk_pad; j += SJ)
                pair_dot_block<SR, SJ>(s.qt2 + rv * 16, s.kt + j * pairs, pairs, 1, pairs, s.st + j * kTileRows + rv * 16,
                                       false);
        for (; rv < rv_count; ++rv)
            for (int j = 0; j < nk_pad; j += SJ)
                pair_dot_block<1, SJ>(s.qt2 + rv * 16, s.kt + j * pairs, pairs, 1, pairs, s.st + j * kTileRows + rv * 16,
                                      false);
    }
    static Isa::V exponentiate(Scratch& s, int r, int nk, Isa::V m) {
        return exponentiate_to_pairs(s, r, nk, (nk + 1) / 2, m);
    }
    static void values(Scratch& s, int rv_count, int nk, int64_t d) {
        constexpr int VR = Isa::kValueRows, VD = Isa::kValueDims;
        const int pairs = (nk + 1) / 2;
        int rv = 0;
        for (; rv + VR <= rv_count; rv += VR)
            for (int64_t dd = 0; dd < d; dd += VD)
                pair_dot_block<VR, VD>(s.pb + rv * 16, s.vt + dd, 1, d, pairs, s.ot + dd * kTileRows + rv * 16, true);
        for (; rv < rv_count; ++rv)
            for (int64_t dd = 0; dd < d; dd += VD)
                pair_dot_block<1, VD>(s.pb + rv * 16, s.vt + dd, 1, d, pairs, s.ot + dd * kTileRows + rv * 16, true);
    }
};

void run(const AttentionTile& t, int64_t d, float scale, Scratch& s) { attend<Isa, Bf16Products>(t, d, scale, s); }

// convert_keys_values_bf16's loop over the keys, kTileKeys at a time: each tile's keys into kb
// (pairs along head_dim, the last tile padded with zero rows to kMaxKeyPad), and its value rows
// handed to values(vp, nk, done), done = the keys before the tile.
template <class Values>
GAVEL_INLINE void convert_tiles(const AttentionTile& t, int64_t d, uint32_t* kb, Values values) {
    const float* kp[kTileKeys];
    const float* vp[kTileKeys];
    for (int64_t j0 = t.key_begin; j0 < t.key_end; j0 += kTileKeys) {
        const int nk = int(std::min<int64_t>(kTileKeys, t.key_end - j0));
        for (int j = 0; j < nk; ++j) {
            const int64_t row = t.key_index ? t.key_index[j0 + j] : j0 + j;
            kp[j] = t.k + row * t.k_stride;
            vp[j] = t.v + row * t.v_stride;
        }
        const int64_t done = j0 - t.key_begin;
        const int nk_pad = j0 + nk == t.key_end ? int(bf16_keys_words(nk, d) / (d / 2)) : nk;
        keys_to_bf16(kp, nk, nk_pad, d, kb + done * (d / 2));
        values(vp, nk, done);
    }
}

void convert(const AttentionTile& t, int64_t d, uint32_t* kb, uint32_t* vb) {
    const float* zero_row = nullptr;
    std::vector<float> zeros;
    convert_tiles(t, d, kb, [&](const float* const* vp, int nk, int64_t done) {
        if (nk % 2 && !zero_row) {
            zeros.assign(size_t(d), 0.0f);
            zero_row = zeros.data();
        }
        values_to_bf16(vp, nk, d, zero_row, vb + done / 2 * d);
    });
}
}  // namespace avx512_bf16
GAVEL_SIMD_TARGET_POP

// The AVX512-BF16 kernel's arithmetic with both products on AMX tiles (TDPBF16PS): bf16 queries,
// keys, values and probabilities, f32 softmax and accumulators, in the same rows-as-lanes layout.
// Per 16 query lanes: S^T (16 keys x 16 lanes per C tile) = K (keys x 32 dims, A) times the
// queries' pairs along head_dim (B, s.qt2), stored straight into s.st; Ot (16 dims x 16 lanes per
// C tile) is loaded from s.ot, gets V^T (dims x 32 keys, A) times the probabilities' pairs along
// keys (B, s.pb), and is stored back. V^T is the one operand in a layout of its own: the values
// transposed in blocks of 32 keys, each block [head_dim][32] bf16 (values_to_columns), so an A
// tile is 1 KiB in one piece (with the columns of all keys in one row, 16 rows 2 KiB apart for
// 1024 keys, the four A tiles of a 64-dim head fell on the same two L1 sets and the value
// product ran at half the scores' speed). Keys are read 16 rows at a time: the converted keys are
// padded with zero rows to a multiple of 16 (kMaxKeyPad), the values' last block with zero keys.
GAVEL_SIMD_TARGET_PUSH("avx512f,avx512bw,avx512bf16,amx-tile,amx-bf16,avx2,fma")
namespace amx {
using Isa = avx512::Isa;
#include "backend/cpu/attention_tile_kernel.inc"

constexpr int64_t kLaneBytes = kTileRows * 4;  // from one row of s.st / s.ot / s.qt2 / s.pb to the next

constexpr int64_t round_up(int64_t n, int64_t to) { return (n + to - 1) / to * to; }

// Where key j's value in dim e sits in the values' blocks of 32 keys ([head_dim][32] bf16 each).
constexpr int64_t value_column(int64_t j, int64_t e, int64_t d) { return j / 32 * 32 * d + e * 32 + j % 32; }

// vt (blocks of 32 keys, from key 0) = the nk value rows vp[j], rounded to bf16, then zero keys to
// the end of the last block. 16 keys x 16 dims at a time are transposed in registers.
GAVEL_INLINE void values_to_columns(const float* const* vp, int nk, int64_t d, uint16_t* vt) {
    int j = 0;
    for (; j + 16 <= nk; j += 16)
        for (int64_t dd = 0; dd < d; dd += 16) {
            __m512 r[16];
#pragma GCC unroll 16
            for (int i = 0; i < 16; ++i) r[i] = _mm512_loadu_ps(vp[j + i] + dd);
            avx512::transpose_16x16(r);  // r[e]: dim dd + e of the 16 keys
#pragma GCC unroll 16
            for (int e = 0; e < 16; ++e)
                _mm256_storeu_si256(reinterpret_cast<__m256i*>(vt + value_column(j, dd + e, d)),
                                    (__m256i)_mm512_cvtneps_pbh(r[e]));
        }
    alignas(64) uint16_t h[16];
    for (; j < nk; ++j)
        for (int64_t dd = 0; dd < d; dd += 16) {
            _mm256_store_si256(reinterpret_cast<__m256i*>(h), (__m256i)_mm512_cvtneps_pbh(_mm512_loadu_ps(vp[j] + dd)));
            for (int e = 0; e < 16; ++e) vt[value_column(j, dd + e, d)] = h[e];
        }
    for (int64_t e = 0; e < d; ++e)
        for (int64_t k = nk; k < round_up(nk, 32); ++k) vt[value_column(k, e, d)] = 0;
}

// S^T for NT tiles of 16 keys (kt: their rows, `pairs` words apart) and the 16 lanes at qt2 / st.
template <int NT>
GAVEL_INLINE void score_tiles(const uint32_t* kt, int64_t pairs, const uint32_t* qt2, float* st) {
    const int64_t kbytes = pairs * 4;
    if constexpr (NT > 0) _tile_zero(0);
    if constexpr (NT > 1) _tile_zero(1);
    if constexpr (NT > 2) _tile_zero(2);
    if constexpr (NT > 3) _tile_zero(3);
    for (int64_t p = 0; p < pairs; p += 16) {
        _tile_loadd(6, qt2 + p * kTileRows, kLaneBytes);
        if constexpr (NT > 0) {
            _tile_loadd(4, kt + p, kbytes);
            _tile_dpbf16ps(0, 4, 6);
        }
        if constexpr (NT > 1) {
            _tile_loadd(5, kt + 16 * pairs + p, kbytes);
            _tile_dpbf16ps(1, 5, 6);
        }
        if constexpr (NT > 2) {
            _tile_loadd(4, kt + 32 * pairs + p, kbytes);
            _tile_dpbf16ps(2, 4, 6);
        }
        if constexpr (NT > 3) {
            _tile_loadd(5, kt + 48 * pairs + p, kbytes);
            _tile_dpbf16ps(3, 5, 6);
        }
    }
    if constexpr (NT > 0) _tile_stored(0, st, kLaneBytes);
    if constexpr (NT > 1) _tile_stored(1, st + 16 * kTileRows, kLaneBytes);
    if constexpr (NT > 2) _tile_stored(2, st + 32 * kTileRows, kLaneBytes);
    if constexpr (NT > 3) _tile_stored(3, st + 48 * kTileRows, kLaneBytes);
}

// Ot rows of NT tiles of 16 dims (vt: their rows in the first block of 32 keys, blocks `block`
// bf16 apart) += V^T P for `halves` blocks of 32 keys, for the 16 lanes at pb / ot.
template <int NT>
GAVEL_INLINE void value_tiles(const uint16_t* vt, int64_t block, const uint32_t* pb, float* ot, int64_t halves) {
    constexpr int64_t vbytes = 64;  // one row of a block: 32 keys
    if constexpr (NT > 0) _tile_loadd(0, ot, kLaneBytes);
    if constexpr (NT > 1) _tile_loadd(1, ot + 16 * kTileRows, kLaneBytes);
    if constexpr (NT > 2) _tile_loadd(2, ot + 32 * kTileRows, kLaneBytes);
    if constexpr (NT > 3) _tile_loadd(3, ot + 48 * kTileRows, kLaneBytes);
    for (int64_t h = 0; h < halves; ++h) {
        _tile_loadd(6, pb + h * 16 * kTileRows, kLaneBytes);
        if constexpr (NT > 0) {
            _tile_loadd(4, vt + h * block, vbytes);
            _tile_dpbf16ps(0, 4, 6);
        }
        if constexpr (NT > 1) {
            _tile_loadd(5, vt + 16 * 32 + h * block, vbytes);
            _tile_dpbf16ps(1, 5, 6);
        }
        if constexpr (NT > 2) {
            _tile_loadd(4, vt + 32 * 32 + h * block, vbytes);
            _tile_dpbf16ps(2, 4, 6);
        }
        if constexpr (NT > 3) {
            _tile_loadd(5, vt + 48 * 32 + h * block, vbytes);
            _tile_dpbf16ps(3, 5, 6);
        }
    }
    if constexpr (NT > 0) _tile_stored(0, ot, kLaneBytes);
    if constexpr (NT > 1) _tile_stored(1, ot + 16 * kTileRows, kLaneBytes);
    if constexpr (NT > 2) _tile_stored(2, ot + 32 * kTileRows, kLaneBytes);
    if constexpr (NT > 3) _tile_stored(3, ot + 48 * kTileRows, kLaneBytes);
}

struct AmxProducts {
    // 128 keys a tile: each C tile of Ot is loaded and stored once per 128 keys, and the output
    // rescaled half as often (jina-v3 attention, 1024 and 4096 tokens: 4-10% faster than with 64).
    static constexpr int kKeys = 128;
    static void begin(Scratch& s, int64_t d, int lanes) {
        avx512_bf16::Bf16Products::begin(s, d, lanes);
        _tile_loadconfig(&detail::kEightFullTiles);
    }
    static void end() { _tile_release(); }
    static void load_tile(Scratch& s, const AttentionTile& t, int64_t j0, int64_t d, int nk, int) {
        if (t.k_bf16) {
            s.kt = t.k_bf16 + (j0 - t.key_begin) * (d / 2);
            s.vt_cols = reinterpret_cast<const uint16_t*>(t.v_bf16) + value_column(j0 - t.key_begin, 0, d);
            return;
        }
        avx512_bf16::keys_to_bf16(s.kp, nk, int(round_up(nk, 16)), d, s.kb);
        values_to_columns(s.vp, nk, d, reinterpret_cast<uint16_t*>(s.vb));
        s.kt = s.kb;
        s.vt_cols = reinterpret_cast<const uint16_t*>(s.vb);
    }
    static void scores(Scratch& s, int rv_count, int nk_pad, int64_t d) {
        const int tiles = int(round_up(nk_pad, 16) / 16);
        const int64_t pairs = d / 2;
        for (int r = 0; r < rv_count; ++r)
            for (int g = 0; g < tiles; g += 4) {  // four C tiles (64 keys) at a time
                const uint32_t* q = s.qt2 + r * 16;
                const uint32_t* kt = s.kt + g * 16 * pairs;
                float* st = s.st + g * 16 * kTileRows + r * 16;
                switch (std::min(4, tiles - g)) {
                    case 1: score_tiles<1>(kt, pairs, q, st); break;
                    case 2: score_tiles<2>(kt, pairs, q, st); break;
                    case 3: score_tiles<3>(kt, pairs, q, st); break;
                    default: score_tiles<4>(kt, pairs, q, st); break;
                }
            }
    }
    // The probabilities' pairs along keys, zero pairs up to a multiple of 16 (32 keys).
    static Isa::V exponentiate(Scratch& s, int r, int nk, Isa::V m) {
        return avx512_bf16::exponentiate_to_pairs(s, r, nk, int(round_up(nk, 32) / 2), m);
    }
    static void values(Scratch& s, int rv_count, int nk, int64_t d) {
        const int halves = (nk + 31) / 32;
        for (int r = 0; r < rv_count; ++r)
            for (int64_t dd = 0; dd < d; dd += 64) {
                const uint16_t* vt = s.vt_cols + dd * 32;
                const int64_t block = 32 * d;
                float* ot = s.ot + dd * kTileRows + r * 16;
                switch ((std::min<int64_t>(64, d - dd) + 15) / 16) {
                    case 1: value_tiles<1>(vt, block, s.pb + r * 16, ot, halves); break;
                    case 2: value_tiles<2>(vt, block, s.pb + r * 16, ot, halves); break;
                    case 3: value_tiles<3>(vt, block, s.pb + r * 16, ot, halves); break;
                    default: value_tiles<4>(vt, block, s.pb + r * 16, ot, halves); break;
                }
            }
    }
};

void run(const AttentionTile& t, int64_t d, float scale, Scratch& s) { attend<Isa, AmxProducts>(t, d, scale, s); }

// convert_keys_values_bf16 for this kernel: keys as the AVX512-BF16 kernel has them, values as
// columns in blocks of 32 keys.
void convert(const AttentionTile& t, int64_t d, uint32_t* kb, uint32_t* vb) {
    uint16_t* vt = reinterpret_cast<uint16_t*>(vb);
    avx512_bf16::convert_tiles(t, d, kb, [&](const float* const* vp, int nk, int64_t done) {
        values_to_columns(vp, nk, d, vt + value_column(done, 0, d));
    });
}
}  // namespace amx
GAVEL_SIMD_TARGET_POP

GAVEL_SIMD_TARGET_PUSH("avx2,fma")
namespace avx2 {
struct Isa {
    typedef float V __attribute__((vector_size(32)));
    typedef int32_t VI __attribute__((vector_size(32)));
    static constexpr int W = 8;
    static constexpr int kScoreRows = 2, kScoreKeys = 4, kValueRows = 2, kValueDims = 4;
};
#include "backend/cpu/attention_tile_kernel.inc"
void run(const AttentionTile& t, int64_t d, float scale, Scratch& s) { attend<Isa>(t, d, scale, s); }
void exp2n(const float* x, float* y, int64_t n) { exp2_all<Isa>(x, y, n); }
}  // namespace avx2
GAVEL_SIMD_TARGET_POP

namespace sse2 {
struct Isa {
    typedef float V __attribute__((vector_size(16)));
    typedef int32_t VI __attribute__((vector_size(16)));
    static constexpr int W = 4;
    static constexpr int kScoreRows = 2, kScoreKeys = 4, kValueRows = 2, kValueDims = 4;
};
#include "backend/cpu/attention_tile_kernel.inc"
void run(const AttentionTile& t, int64_t d, float scale, Scratch& s) { attend<Isa>(t, d, scale, s); }
void exp2n(const float* x, float* y, int64_t n) { exp2_all<Isa>(x, y, n); }
}  // namespace sse2

enum class IsaLevel { Sse2, Avx2, Avx512 };

IsaLevel isa() {
    static const IsaLevel chosen = [] {
        const CpuFeatures& f = cpu_features();
        if (f.avx512f && f.avx2 && f.fma) return IsaLevel::Avx512;
        if (f.avx2 && f.fma) return IsaLevel::Avx2;
        return IsaLevel::Sse2;
    }();
    return chosen;
}

}  // namespace

int64_t bf16_keys_words(int64_t keys, int64_t head_dim) {
    return (keys + kMaxKeyPad - 1) / kMaxKeyPad * kMaxKeyPad * (head_dim / 2);
}
// Room for either kernel's values: pairs of keys (AVX512-BF16), or columns of keys padded to 32 (AMX).
int64_t bf16_values_words(int64_t keys, int64_t head_dim) { return (keys + 31) / 32 * 16 * head_dim; }

bool attention_bf16_supported(int64_t head_dim) {
    const CpuFeatures& f = cpu_features();
    return head_dim % 32 == 0 && isa() == IsaLevel::Avx512 && f.avx512bw && f.avx512_bf16;
}

namespace {
// The bf16 products on AMX tiles where the CPU has them and Linux grants the tile state.
bool bf16_on_amx(int64_t head_dim) { return detail::amx_bf16_usable() && attention_bf16_supported(head_dim); }
}  // namespace

void convert_keys_values_bf16(const AttentionTile& keys, int64_t head_dim, uint32_t* k_bf16, uint32_t* v_bf16) {
    if (bf16_on_amx(head_dim))
        amx::convert(keys, head_dim, k_bf16, v_bf16);
    else
        avx512_bf16::convert(keys, head_dim, k_bf16, v_bf16);
}

void attend_tile(const AttentionTile& tile, int64_t head_dim, float scale) {
    if (tile.rows <= 0) return;
    thread_local Scratch scratch;
    scratch.reserve(head_dim);
    if (tile.bf16 && attention_bf16_supported(head_dim)) {
        if (bf16_on_amx(head_dim))
            amx::run(tile, head_dim, scale, scratch);
        else
            avx512_bf16::run(tile, head_dim, scale, scratch);
        return;
    }
    switch (isa()) {
        case IsaLevel::Avx512: avx512::run(tile, head_dim, scale, scratch); break;
        case IsaLevel::Avx2: avx2::run(tile, head_dim, scale, scratch); break;
        case IsaLevel::Sse2: sse2::run(tile, head_dim, scale, scratch); break;
    }
}

void merge_attention_parts(const float* part_out, int64_t part_stride, const float* part_max, const float* part_sum,
                           int64_t parts, int64_t head_dim, float* out) {
    float m = kEmptyMax;
    for (int64_t p = 0; p < parts; ++p) m = std::max(m, part_max[p]);
    float sum = 0;
    for (int64_t p = 0; p < parts; ++p) sum += part_sum[p] * std::exp2(part_max[p] - m);
    std::fill(out, out + head_dim, 0.0f);
    if (!(sum > 0)) return;
    for (int64_t p = 0; p < parts; ++p) {
        const float w = std::exp2(part_max[p] - m) / sum;
        const float* o = part_out + p * part_stride;
        for (int64_t dd = 0; dd < head_dim; ++dd) out[dd] += w * o[dd];
    }
}

void exp2_approx(const float* x, float* y, int64_t n) {
    switch (isa()) {
        case IsaLevel::Avx512: avx512::exp2n(x, y, n); break;
        case IsaLevel::Avx2: avx2::exp2n(x, y, n); break;
        case IsaLevel::Sse2: sse2::exp2n(x, y, n); break;
    }
}

}  // namespace gavel::cpu
