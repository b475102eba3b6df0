// Internal to backend/cpu: the per-ISA matrix-multiply kernels behind linear() (matmul.cpp picks
// one set at run time). Each set computes output columns [n0, n1) for all m rows on one thread;
// linear() splits the columns over the pool.
#pragma once

#include <cstddef>
#include <cstdint>

#include <xmmintrin.h>

#include "core/dtype.hpp"

namespace gavel::cpu::detail {

// Activations quantised for Q8_0 weights (quantize.hpp), per row and block of 32 along k (k padded
// with zeros to `blocks` * 32): q [m, blocks * 32] int8, scale [m, blocks] (d = max|x| / 127), and
// bias [m, blocks] = -128 * sum(q), which cancels the +128 the weights are stored with.
struct Q8Rows {
    int8_t* q = nullptr;
    float* scale = nullptr;
    int32_t* bias = nullptr;
    int64_t blocks = 0;
};

struct LinearArgs {
    const float* x = nullptr;      // [m, k] f32 activations
    const uint16_t* xb = nullptr;  // bf16 activations as gemm_bf16 (or gemm_bf16_split) reads them
    Q8Rows q8;                     // quantised activations (Q8_0 weights only)
    int64_t m = 0, n = 0, k = 0;
    const void* w = nullptr;  // [n, k] in `wdtype`, in place (mmap), or a Q8_0 matrix
    DType wdtype = DType::F32;
    const float* bias = nullptr;  // [n] or null
    float* y = nullptr;           // [m, n]
};

using ColumnsFn = void (*)(const LinearArgs&, int64_t n0, int64_t n1);

// The decode GEMV (one activation row), in every kernel set: each thread reads its rows (or Q8_0
// row groups) as kGemvStreams sequential streams at once (gemv_streams in matmul_kernel.inl,
// q8_columns in matmul_q8_avx512.cpp), and where it prefetches in software, it fetches the line
// kGemvAhead bytes ahead of a read into L1 (prefetch_gemv_ahead).
constexpr int kGemvStreams = 4;
// The AVX-512 f32 / BF16 / F16 GEMV on Intel CPUs reads 6 streams per thread instead: on the Xeon of
// session 15 (bench/RESULTS.md) bench/decode_stream's linear() read 96-97% of a plain sum with 6
// against 92-93% with 4 (BF16; F32 101% against 98%), and Qwen2-0.5B BF16 decode ran 2-6% faster;
// on the Zen 5 of session 8, 6 streams had read 8% slower than 4, and Q8_0 reads slower with 6 here.
constexpr int kGemvStreamsIntel = 6;
constexpr int64_t kGemvAhead = 2048;
inline void prefetch_gemv_ahead(const void* read) {
    _mm_prefetch(static_cast<const char*>(read) + kGemvAhead, _MM_HINT_T0);
}

struct KernelSet {
    ColumnsFn gemm = nullptr;       // register-tiled, cache-blocked (m >= kGemmMinRows)
    ColumnsFn gemv = nullptr;       // streams each weight row once (small m)
    ColumnsFn gemm_bf16 = nullptr;  // BF16 weights x bf16-rounded activations, vdpbf16ps; null when absent
    int64_t gemm_cols = 1;          // the GEMM's column-tile width: n0 must be a multiple of it
    // Rounds rows [r0, r1) of x [m, k] to bf16 (RNE) into xb, laid out as gemm_bf16 reads it, with
    // its padding zeroed; xb holds bf16_elements(m, k) values. AVX512-BF16: rows of kp = k rounded up
    // to even. AMX: the tiles' own layout (matmul_amx.cpp).
    void (*round_bf16)(const float* x, int64_t m, int64_t k, int64_t r0, int64_t r1, uint16_t* xb) = nullptr;
    int64_t (*bf16_elements)(int64_t m, int64_t k) = nullptr;
    // F32 precision's GEMM for BF16 weights where the tile unit makes it faster than the FMA GEMM
    // (AMX; null elsewhere): x split into three bf16 parts that sum to it (split_bf16, into
    // bf16_split_elements(m, k) values), each part times the weights exactly, f32 accumulation
    // (matmul_amx.cpp).
    ColumnsFn gemm_bf16_split = nullptr;
    void (*split_bf16)(const float* x, int64_t m, int64_t k, int64_t r0, int64_t r1, uint16_t* xb) = nullptr;
    int64_t (*bf16_split_elements)(int64_t m, int64_t k) = nullptr;
    // Q8_0 weights: any m, columns [n0, n1) with n0 a multiple of kQ8GroupRows; and the activation
    // quantiser for rows [r0, r1). Every set has them (the portable pair where no VNNI kernel is).
    ColumnsFn q8 = nullptr;
    void (*quantize_q8)(const float* x, int64_t k, int64_t r0, int64_t r1, const Q8Rows& out) = nullptr;
};

KernelSet kernels_sse2();
KernelSet kernels_avx2();
KernelSet kernels_avx512();
KernelSet kernels_avx512_bf16();  // kernels_avx512() plus gemm_bf16
// kernels_avx512_bf16() with gemm_bf16, and gemm_bf16_split, on AMX tiles (matmul_amx.cpp); the
// caller has been granted the tile state (amx_bf16_usable, amx_tiles.hpp).
KernelSet kernels_amx();

// The BF16 GEMMs' packed weight panel (AVX512-BF16 and AMX alike): panel[q * kBf16PanelColumns + c]
// holds the pair w[j0 + c, k0 + 2q .. 2q + 1] as one 32-bit lane (the low half the even k), for
// q < ceil(kc / 2) and c < nc, zero for columns c >= nc and for an odd kc's missing high half.
constexpr int64_t kBf16PanelColumns = 32;
void pack_bf16_pair_panel(const uint16_t* w, int64_t k, int64_t j0, int64_t nc, int64_t k0, int64_t kc,
                          uint32_t* panel);
// Sets q8 and quantize_q8 to the AVX512-VNNI kernels (matmul_q8_avx512.cpp).
void add_q8_avx512_vnni(KernelSet& s);

// The portable Q8_0 pair (quantize.cpp): scalar C++, the same bits as the VNNI kernels.
void q8_columns_portable(const LinearArgs& a, int64_t n0, int64_t n1);
void quantize_rows_q8_portable(const float* x, int64_t k, int64_t r0, int64_t r1, const Q8Rows& out);

// Per-thread scratch of at least `floats` floats (grown once, kept thread_local).
float* thread_scratch(size_t floats);

}  // namespace gavel::cpu::detail
