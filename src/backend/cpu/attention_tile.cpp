// Built with -ffp-contract=fast (src/backend/CMakeLists.txt) so a * b + c on vectors becomes FMA.
#include "backend/cpu/attention_tile.hpp"

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdint>
#include <vector>

#include <immintrin.h>

#include "backend/cpu/cache_line.hpp"
#include "backend/cpu/simd_target.hpp"
#include "core/cpu_features.hpp"

namespace gavel::cpu {

namespace {

#define GAVEL_INLINE inline __attribute__((always_inline))

constexpr int kMaxKeyPad = 8;               // zero rows past the last key of a tile (score blocking)
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
    const float* kp[kTileKeys + kMaxKeyPad];
    const float* vp[kTileKeys + kMaxKeyPad];

    void reserve(int64_t d) {
        if (d <= head_dim) return;
        const size_t rows = kTileRows;
        const size_t dd = size_t(d), dpad = (dd + 15) / 16 * 16;
        const size_t floats = 2 * dd * rows + size_t(kTileKeys + kMaxKeyPad) * rows + 4 * rows + dpad;
        buffer.assign(floats + kCacheLineFloats, 0.0f);
        float* p = cache_line_aligned(buffer.data());
        qt = p, p += dd * rows;
        ot = p, p += dd * rows;
        st = p, p += size_t(kTileKeys + kMaxKeyPad) * rows;
        row_max = p, p += rows;
        row_sum = p, p += rows;
        alpha = p, p += rows;
        limit = reinterpret_cast<int32_t*>(p), p += rows;
        zero = p;
        head_dim = d;
    }
};

// One copy of the kernel per instruction set. Register blocking: score micro-kernel of
// kScoreRows row vectors x kScoreKeys keys, value micro-kernel of kValueRows row vectors x
// kValueDims head dims (AVX-512: 16 + 8 of 32 registers; AVX2 / SSE2: 8 + 6 of 16).
GAVEL_SIMD_TARGET_PUSH("avx512f,avx2,fma")
namespace avx512 {
struct Isa {
    typedef float V __attribute__((vector_size(64)));
    typedef int32_t VI __attribute__((vector_size(64)));
    static constexpr int W = 16;
    static constexpr int kScoreRows = 4, kScoreKeys = 4, kValueRows = 4, kValueDims = 4;
};
#include "backend/cpu/attention_tile_kernel.inc"
void run(const AttentionTile& t, int64_t d, float scale, Scratch& s) { attend<Isa>(t, d, scale, s); }
void exp2n(const float* x, float* y, int64_t n) { exp2_all<Isa>(x, y, n); }
}  // namespace avx512
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

void attend_tile(const AttentionTile& tile, int64_t head_dim, float scale) {
    if (tile.rows <= 0) return;
    thread_local Scratch scratch;
    scratch.reserve(head_dim);
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
