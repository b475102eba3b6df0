// Dense products with weights in their stored dtype (F32, BF16, F16) and f32 activations,
// accumulated in f32; or with 8-bit Q8_0 weights (quantize.hpp), which quantise the activations too. The model code calls these; SIMD and threading stay inside.
#pragma once

#include <cstdint>
#include <span>

#include "core/tensor.hpp"
#include "core/thread_pool.hpp"

namespace gavel::cpu {

// y[m, n] = sum_k x[m, k] * w[n, k] (+ bias[n]): nn.Linear with w of shape [n, k].
// bias may be null; when given it is a [n] tensor of any float dtype. The weights are read in place
// (F32 directly, BF16/F16 widened on the fly); m >= 4 rows take a register-tiled, cache-blocked
// GEMM, fewer rows a GEMV that streams each weight row once. A Q8_0 weight (q8_0_view) makes the
// call quantise x per row and block of 32 and take int8 dot products. Threaded over n.
void linear(ThreadPool& pool, const float* x, int64_t m, const TensorView& w, const TensorView* bias, float* y);

// y[m, k] = sum_n x[m, n] * w[n, k]: the transpose of linear()'s map, with the same [n, k] weight
// (F32, BF16 or F16, read in place), for a few rows taken back through a layer (JinaJudge's
// cross-attention folds its key and value projections this way). Terms whose x is 0 are skipped,
// whatever w holds there: a row of w whose x column is all zero is not read. Threaded over k.
void linear_transpose(ThreadPool& pool, const float* x, int64_t m, const TensorView& w, float* y);
// One product of a group that shares its input: y = x w^T (+ bias), as in linear().
struct LinearOutput {
    const TensorView* w = nullptr;
    const TensorView* bias = nullptr;  // may be null
    float* y = nullptr;
};
// Several products of the same x (q, k and v; gate and up) in one pass over the pool: one hand-off
// to the threads instead of one per weight, the work balanced over all of them, and (BF16 precision)
// x rounded once. Same results as calling linear() for each.
void linear(ThreadPool& pool, const float* x, int64_t m, std::span<const LinearOutput> outputs);

// How linear() multiplies BF16 weights. F32 (the default): every bit of the f32 activations counts,
// f32 accumulation: the weights widened exactly for the FMA kernels, or, in the GEMM on AMX, each
// activation split into three bf16 parts that sum to it, each part times the weights exact on the
// tiles (the FMA GEMM's result to within f32 accumulation; JinaJudge pairs 2x and Qwen2 prompts
// 1.7x faster on the Xeon of bench/RESULTS.md, session 18). BF16: activations are rounded to bf16
// once per call and the GEMM uses bf16 dot products with f32 accumulation, as llama.cpp does for
// BF16 models: on AMX tiles (TDPBF16PS) where the CPU has them, else AVX512-BF16 (vdpbf16ps); it
// applies only to BF16 weights and m >= 4 rows, and falls back to F32 on CPUs without avx512_bf16.
enum class MatmulPrecision { F32, BF16 };
void set_matmul_precision(MatmulPrecision p);  // process-wide
MatmulPrecision matmul_precision();            // as set
// Whether BF16 weights take the bf16 products now: BF16 precision set, on a CPU (and ISA) that has them.
bool matmul_bf16_in_effect();

// The instruction sets linear() has kernels for; the best the CPU (and GAVEL_CPU) allows is used.
// Amx is Avx512 with the GEMMs of BF16 weights (both precisions) on AMX tiles (the other products
// are Avx512's).
enum class MatmulIsa { Sse2, Avx2, Avx512, Amx };
const char* matmul_isa_name(MatmulIsa isa);
bool matmul_isa_supported(MatmulIsa isa);
MatmulIsa matmul_isa();  // the one linear() uses now
// For tests and benchmarks: forces `isa` (fails if the CPU cannot run it); reset returns to the best.
void force_matmul_isa(MatmulIsa isa);
void reset_matmul_isa();

// Whether Q8_0 weights multiply with the AVX512-VNNI kernels here; without them (no avx512_vnni, or
// a forced narrower ISA) they take portable scalar code, correct but several times slower than the
// checkpoint weights' kernels.
bool q8_kernels_vectorised();

// out[i, :] = table[ids[i], :] as f32 (embedding lookup). Ids are checked against the table.
void embedding(const TensorView& table, const int32_t* ids, int64_t n, float* out);

// Converts any float tensor to f32 (for small tensors: norms, biases).
void to_f32(const TensorView& t, float* out);

}  // namespace gavel::cpu
