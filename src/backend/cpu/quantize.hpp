// 8-bit weights (--weights int8): a float [n, k] weight becomes gavel's Q8_0 matrix at load, blocks
// of 32 int8 values along k, each block with its own f16 scale (llama.cpp's Q8_0 arithmetic:
// d = max|w| / 127, q = round(w / d)). linear() multiplies it by activations it quantises the same
// way per call, with int8 dot products (AVX512-VNNI where present), int32 sums per block and f32
// accumulation of block results.
//
// The matrix is laid out for those dot products, not as llama.cpp's row-major blocks: rows are
// taken 16 at a time (a row group; n is padded up to 16 with zero rows) and each group holds, block
// after block, the 16 rows' f16 scales followed by the block's 512 weight bytes ordered
// [8 k-quads][16 rows][4 k], stored as q + 128 (unsigned). 544 bytes per 16 x 32 weights: the same
// 8.5 bits per weight as Q8_0. A 16-row group is one AVX-512 register of outputs.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>
#include <vector>

#include "core/huge_page_allocator.hpp"
#include "core/tensor.hpp"
#include "core/thread_pool.hpp"

namespace gavel::cpu {

// How a model keeps its matrix weights: as stored in the checkpoint (used in place), or quantised
// to 8 bits at load (matrices of the transformer blocks and the lm_head; embeddings, norms and
// biases stay as stored).
enum class WeightFormat { Checkpoint, Int8 };
const char* weight_format_name(WeightFormat f);  // "checkpoint", "int8"
// Parses those names; nullopt for any other.
std::optional<WeightFormat> weight_format_from_name(std::string_view name);

inline constexpr int64_t kQ8Block = 32;       // k per block
inline constexpr int64_t kQ8GroupRows = 16;   // rows per group
inline constexpr int64_t kQ8ScaleBytes = kQ8GroupRows * 2;  // a block's 16 f16 scales, row r's at 2 r
inline constexpr int64_t kQ8QuadBytes = kQ8GroupRows * 4;   // one k-quad of the 16 rows: a zmm
inline constexpr int64_t kQ8BlockBytes = kQ8ScaleBytes + kQ8GroupRows * kQ8Block;  // 544
// Where row r's value t (0 <= t < 32) of a block lies, in bytes from the block's start.
inline constexpr int64_t q8_value_offset(int64_t r, int64_t t) {
    return kQ8ScaleBytes + (t / 4) * kQ8QuadBytes + r * 4 + t % 4;
}

// Bytes of a Q8_0 matrix of n x k weights.
size_t q8_0_bytes(int64_t n, int64_t k);
// Bytes of an n x k weight matrix stored as `dtype` (Q8_0: q8_0_bytes; others: n * k elements).
size_t matrix_bytes(DType dtype, int64_t n, int64_t k);

// Quantises the 2-D float (F32, BF16, F16) weight `w` [n, k]; `name` goes into errors (a weight
// with a non-finite value, or one whose scale overflows f16, is refused). Threaded over row groups,
// in slices of about 16 MiB of `w`; `done`, if given, is called with the view of each slice's rows
// once they are read (to let their memory go while the rest is quantised).
HugePageBytes quantize_q8_0(ThreadPool& pool, const TensorView& w, std::string_view name,
                            const std::function<void(const TensorView&)>& done = nullptr);
// The view linear() takes: dtype Q8_0, shape [n, k], data = bytes (which must outlive it).
TensorView q8_0_view(const HugePageBytes& bytes, int64_t n, int64_t k);
// The weights a Q8_0 view holds, as f32 [n, k] (q * d): for tests and accuracy reports.
void dequantize_q8_0(const TensorView& q, float* out);

}  // namespace gavel::cpu
