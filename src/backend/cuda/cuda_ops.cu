#include "backend/cuda/cuda_ops.hpp"

#include <cublas_v2.h>
#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include "core/error.hpp"

namespace gavel::cuda {

namespace {

void check(cudaError_t e, const char* what) {
    if (e != cudaSuccess) fail("CUDA {}: {}", what, cudaGetErrorString(e));
}
void check(cublasStatus_t s, const char* what) {
    if (s != CUBLAS_STATUS_SUCCESS) fail("cuBLAS {}: status {}", what, int(s));
}

const __nv_bfloat16* dev(const bf16_bits* p) { return reinterpret_cast<const __nv_bfloat16*>(p); }
__nv_bfloat16* dev(bf16_bits* p) { return reinterpret_cast<__nv_bfloat16*>(p); }

__global__ void add_bias_kernel(__nv_bfloat16* y, const __nv_bfloat16* bias, int64_t m, int64_t n) {
    int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
    if (i < m * n) y[i] = __float2bfloat16(__bfloat162float(y[i]) + __bfloat162float(bias[i % n]));
}

// One block per row; the sum of squares is reduced in f32 through shared memory.
__global__ void rms_norm_kernel(const __nv_bfloat16* x, const __nv_bfloat16* w, float eps, int64_t dim,
                                __nv_bfloat16* y) {
    extern __shared__ float partial[];
    const __nv_bfloat16* xr = x + blockIdx.x * dim;
    __nv_bfloat16* yr = y + blockIdx.x * dim;
    float ss = 0;
    for (int64_t i = threadIdx.x; i < dim; i += blockDim.x) {
        float v = __bfloat162float(xr[i]);
        ss += v * v;
    }
    partial[threadIdx.x] = ss;
    __syncthreads();
    for (unsigned s = blockDim.x / 2; s > 0; s >>= 1) {
        if (threadIdx.x < s) partial[threadIdx.x] += partial[threadIdx.x + s];
        __syncthreads();
    }
    float scale = rsqrtf(partial[0] / float(dim) + eps);
    for (int64_t i = threadIdx.x; i < dim; i += blockDim.x) {
        __nv_bfloat16 normed = __float2bfloat16(__bfloat162float(xr[i]) * scale);
        yr[i] = __float2bfloat16(__bfloat162float(normed) * __bfloat162float(w[i]));
    }
}

__global__ void rope_kernel(__nv_bfloat16* x, int64_t tokens, int64_t heads, int64_t head_dim,
                            const int32_t* positions, float theta) {
    int64_t half = head_dim / 2;
    int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;  // over tokens * heads * half
    if (i >= tokens * heads * half) return;
    int64_t f = i % half, th = i / half, t = th / heads;
    float inv_freq = 1.0f / powf(theta, float(2 * f) / float(head_dim));
    float angle = float(positions[t]) * inv_freq;
    float c = cosf(angle), s = sinf(angle);
    __nv_bfloat16* v = x + th * head_dim;
    float a = __bfloat162float(v[f]), b = __bfloat162float(v[f + half]);
    v[f] = __float2bfloat16(a * c - b * s);
    v[f + half] = __float2bfloat16(b * c + a * s);
}

__global__ void silu_mul_kernel(const __nv_bfloat16* gate, const __nv_bfloat16* up, __nv_bfloat16* out, int64_t n) {
    int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
    if (i >= n) return;
    float g = __bfloat162float(gate[i]);
    out[i] = __float2bfloat16(g / (1.0f + __expf(-g)) * __bfloat162float(up[i]));
}

unsigned blocks_for(int64_t n, unsigned threads) { return unsigned((n + threads - 1) / threads); }

}  // namespace

void linear_bf16(cublasHandle_t handle, cudaStream_t stream, const bf16_bits* x, int64_t m, int64_t k,
                 const bf16_bits* w, int64_t n, const bf16_bits* bias, bf16_bits* y) {
    check(cublasSetStream(handle, stream), "set stream");
    const float alpha = 1.0f, beta = 0.0f;
    // Row-major y[m,n] = x[m,k] w[n,k]^T is column-major y^T[n,m] = w[n,k] x^T: no copies needed.
    check(cublasGemmEx(handle, CUBLAS_OP_T, CUBLAS_OP_N, int(n), int(m), int(k), &alpha, dev(w), CUDA_R_16BF,
                       int(k), dev(x), CUDA_R_16BF, int(k), &beta, dev(y), CUDA_R_16BF, int(n),
                       CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT),
          "GemmEx");
    if (bias) {
        add_bias_kernel<<<blocks_for(m * n, 256), 256, 0, stream>>>(dev(y), dev(bias), m, n);
        check(cudaGetLastError(), "add_bias");
    }
}

void rms_norm_bf16(cudaStream_t stream, const bf16_bits* x, const bf16_bits* weight, float eps, int64_t rows,
                   int64_t dim, bf16_bits* y) {
    constexpr unsigned kThreads = 256;
    rms_norm_kernel<<<unsigned(rows), kThreads, kThreads * sizeof(float), stream>>>(dev(x), dev(weight), eps, dim, dev(y));
    check(cudaGetLastError(), "rms_norm");
}

void rope_neox_bf16(cudaStream_t stream, bf16_bits* x, int64_t tokens, int64_t heads, int64_t head_dim,
                    const int32_t* positions, float theta) {
    int64_t n = tokens * heads * (head_dim / 2);
    rope_kernel<<<blocks_for(n, 256), 256, 0, stream>>>(dev(x), tokens, heads, head_dim, positions, theta);
    check(cudaGetLastError(), "rope");
}

void silu_mul_bf16(cudaStream_t stream, const bf16_bits* gate, const bf16_bits* up, bf16_bits* out, int64_t n) {
    silu_mul_kernel<<<blocks_for(n, 256), 256, 0, stream>>>(dev(gate), dev(up), dev(out), n);
    check(cudaGetLastError(), "silu_mul");
}

}  // namespace gavel::cuda
