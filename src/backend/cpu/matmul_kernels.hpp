// Internal to backend/cpu: the per-ISA matrix-multiply kernels behind linear() (matmul.cpp picks
// one set at run time). Each set computes output columns [n0, n1) for all m rows on one thread;
// linear() splits the columns over the pool.
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/dtype.hpp"

namespace gavel::cpu::detail {

struct LinearArgs {
    const float* x = nullptr;      // [m, k] f32 activations
    const uint16_t* xb = nullptr;  // [m, kp] bf16 activations (BF16 precision only), kp = k rounded up to even
    int64_t m = 0, n = 0, k = 0;
    const void* w = nullptr;  // [n, k] in `wdtype`, in place (mmap)
    DType wdtype = DType::F32;
    const float* bias = nullptr;  // [n] or null
    float* y = nullptr;           // [m, n]
};

using ColumnsFn = void (*)(const LinearArgs&, int64_t n0, int64_t n1);

struct KernelSet {
    ColumnsFn gemm = nullptr;       // register-tiled, cache-blocked (m >= kGemmMinRows)
    ColumnsFn gemv = nullptr;       // streams each weight row once (small m)
    ColumnsFn gemm_bf16 = nullptr;  // BF16 weights x bf16-rounded activations, vdpbf16ps; null when absent
    int64_t gemm_cols = 1;          // the GEMM's column-tile width: n0 must be a multiple of it
    // Rounds rows [r0, r1) of x [m, k] to bf16 into xb [m, kp] (RNE; an odd k's pad is zeroed).
    void (*round_bf16)(const float* x, int64_t k, int64_t r0, int64_t r1, uint16_t* xb) = nullptr;
};

KernelSet kernels_sse2();
KernelSet kernels_avx2();
KernelSet kernels_avx512();
KernelSet kernels_avx512_bf16();  // kernels_avx512() plus gemm_bf16

// Per-thread scratch of at least `floats` floats (grown once, kept thread_local).
float* thread_scratch(size_t floats);

}  // namespace gavel::cpu::detail
