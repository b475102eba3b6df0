// The fused attention kernel shared by causal (KV cache) and encoder attention: a block of up to
// kTileRows query rows that share one key/value head, against a run of keys taken a tile at a
// time (64 keys; 128 on AMX, at most kTileKeys), with an online softmax (running max and sum per
// row, accumulator rescaled per tile). No score matrix beyond one [keys x rows] tile; no
// allocation after a thread's first call.
//
// Layout inside: the rows are SIMD lanes. Q is transposed once per block into [head_dim][rows],
// a score tile is S[key][rows] = sum_d K[key][d] * Qt[d][rows] (K elements broadcast, read in
// place from their strided rows), P.V accumulates into Ot[head_dim][rows] with V elements
// broadcast. Every lane sees the same operations in the same order whatever the number of rows,
// the block they sit in or the thread that runs them, so a row's output depends only on its own
// query and its keys (padding and batching do not change a bit).
//
// exp: a vectorised 2^x (range reduction to [-0.5, 0.5] and Cephes' degree-6 polynomial); against
// exp2 in double over [-126, 127] its relative error is at most 7.9e-8 (0.93 ulp) with FMA and
// 9.8e-8 (1.17 ulp) on the baseline path; log2(e) is folded into the query scale.
#pragma once

#include <cstdint>

namespace gavel::cpu {

inline constexpr int kTileRows = 64;  // query rows per block: 4 AVX-512 vectors of lanes
inline constexpr int kTileKeys = 128;  // keys per score tile, at most

struct AttentionTile {
    int rows = 0;                        // 1..kTileRows
    const float* const* q = nullptr;     // rows pointers to head_dim floats each
    float* const* out = nullptr;         // rows pointers to head_dim floats each
    // Causal mask: row i sees key j only when j <= last_key[i] (null: every key). Needs key_index null.
    const int64_t* last_key = nullptr;
    const float* k = nullptr;            // key j's row is k + row(j) * k_stride (head offset included)
    int64_t k_stride = 0;
    const float* v = nullptr;
    int64_t v_stride = 0;
    const int32_t* key_index = nullptr;  // row(j) = key_index[j], or j when null
    int64_t key_begin = 0, key_end = 0;  // the keys j in [key_begin, key_end)
    // Null: out gets the softmax-weighted sum (zeros for a row that sees no key). Otherwise out gets
    // the unnormalised sum and partial_max[i] / partial_sum[i] the row's running max (in log2 units)
    // and sum, for merge_attention_parts.
    float* partial_max = nullptr;
    float* partial_sum = nullptr;
    // Both products on AVX512-BF16 dot products (queries, keys, values and probabilities rounded to
    // bf16, f32 softmax and accumulation), where attention_bf16_supported(head_dim); f32 otherwise.
    bool bf16 = false;
    // Optional, with bf16 (and only where it is honoured): the keys and values already converted by
    // convert_keys_values_bf16 for this tile's keys. Without them each tile converts its keys and
    // values again for every block of queries.
    const uint32_t* k_bf16 = nullptr;
    const uint32_t* v_bf16 = nullptr;
};

// Whether attend_tile honours AttentionTile::bf16 for heads of head_dim on this CPU: AVX512-BF16
// and head_dim a multiple of 32.
bool attention_bf16_supported(int64_t head_dim);

// The keys [key_begin, key_end) of `keys` (its k, k_stride, v, v_stride and key_index; the rest is
// not read) in the layout of AttentionTile::k_bf16 and v_bf16, for a caller that runs several
// blocks of queries against the same keys: k_bf16 gets bf16_keys_words(n, head_dim) words (pairs
// along head_dim, zero rows padding the last tile) and v_bf16 bf16_values_words(n, head_dim)
// (pairs of consecutive keys from key_begin), n = key_end - key_begin. Needs
// attention_bf16_supported(head_dim).
int64_t bf16_keys_words(int64_t keys, int64_t head_dim);
int64_t bf16_values_words(int64_t keys, int64_t head_dim);
void convert_keys_values_bf16(const AttentionTile& keys, int64_t head_dim, uint32_t* k_bf16, uint32_t* v_bf16);

// scale multiplies q . k before the softmax.
void attend_tile(const AttentionTile& tile, int64_t head_dim, float scale);

// Merges `parts` partial results of one row (out, max, sum as attend_tile wrote them, `part_stride`
// floats apart for out and 1 apart for max/sum) into the normalised output row.
void merge_attention_parts(const float* part_out, int64_t part_stride, const float* part_max, const float* part_sum,
                           int64_t parts, int64_t head_dim, float* out);

// The vectorised 2^x the kernel uses, for n floats (exposed for its accuracy test).
void exp2_approx(const float* x, float* y, int64_t n);

}  // namespace gavel::cpu
