// CUDA versions of the decoder ops, on BF16 activations with f32 accumulation (cuBLAS GEMM,
// f32 reductions inside the kernels). Built only when nvcc is found; not yet wired into the
// models — the CPU backend is the reference these must match once a GPU is available.
#pragma once

#include <cstdint>

struct cublasContext;
typedef struct cublasContext* cublasHandle_t;
typedef struct CUstream_st* cudaStream_t;

namespace gavel::cuda {

using bf16_bits = uint16_t;  // device pointers to __nv_bfloat16, kept opaque to host code

// y[m, n] = x[m, k] * w[n, k]^T (+ bias[n]) with f32 accumulation.
void linear_bf16(cublasHandle_t handle, cudaStream_t stream, const bf16_bits* x, int64_t m, int64_t k,
                 const bf16_bits* w, int64_t n, const bf16_bits* bias, bf16_bits* y);
// RMSNorm over rows of `dim`, sum of squares in f32, as HF Qwen2 (normalise, cast, then scale).
void rms_norm_bf16(cudaStream_t stream, const bf16_bits* x, const bf16_bits* weight, float eps, int64_t rows,
                   int64_t dim, bf16_bits* y);
// NeoX rotate-half RoPE in place on x[tokens, heads, head_dim]; cos/sin computed in f32.
void rope_neox_bf16(cudaStream_t stream, bf16_bits* x, int64_t tokens, int64_t heads, int64_t head_dim,
                    const int32_t* positions, float theta);
// out = silu(gate) * up.
void silu_mul_bf16(cudaStream_t stream, const bf16_bits* gate, const bf16_bits* up, bf16_bits* out, int64_t n);

}  // namespace gavel::cuda
