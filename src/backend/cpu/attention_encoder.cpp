#include "backend/cpu/attention_encoder.hpp"

#include <algorithm>
#include <atomic>
#include <vector>

#include "backend/cpu/attention_tile.hpp"
#include "core/error.hpp"
#include "core/scratch_buffers.hpp"

namespace gavel::cpu {

namespace {
std::atomic<AttentionPrecision> g_precision{AttentionPrecision::F32};
}  // namespace

void set_attention_precision(AttentionPrecision p) { g_precision = p; }
AttentionPrecision attention_precision() { return g_precision; }

bool attention_bf16_in_effect(int64_t head_dim) {
    return g_precision == AttentionPrecision::BF16 && attention_bf16_supported(head_dim);
}

void encoder_attention(ThreadPool& pool, const AttentionShape& s, const AttentionInput& in, float scale,
                       const uint8_t* key_mask, float* out, AttentionPrecision precision) {
    if (s.batch < 0 || s.q_len < 0 || s.kv_len < 0 || s.heads <= 0 || s.head_dim <= 0)
        fail("encoder_attention: bad shape batch {} q_len {} kv_len {} heads {} head_dim {}", s.batch, s.q_len,
             s.kv_len, s.heads, s.head_dim);
    const int64_t width = s.heads * s.head_dim, d = s.head_dim;
    if (in.q_stride < width || in.k_stride < width || in.v_stride < width)
        fail("encoder_attention: row strides q {} / k {} / v {} are shorter than heads x head_dim = {}", in.q_stride,
             in.k_stride, in.v_stride, width);
    if (s.batch == 0 || s.q_len == 0) return;

    // The allowed keys of each sequence, found once and shared by all its heads and queries. Only
    // these keys enter the kernel, so padding never touches a sequence's arithmetic.
    std::vector<int32_t> allowed;
    std::vector<int64_t> first(size_t(s.batch) + 1, 0);
    if (key_mask) {
        allowed.reserve(size_t(s.batch * s.kv_len));
        for (int64_t b = 0; b < s.batch; ++b) {
            for (int64_t t = 0; t < s.kv_len; ++t)
                if (key_mask[b * s.kv_len + t]) allowed.push_back(int32_t(t));
            first[size_t(b) + 1] = int64_t(allowed.size());
        }
    }

    // The tile of (sequence b, head h): its keys and values, and the queries set per block.
    auto key_tile = [&](int64_t b, int64_t h) {
        AttentionTile tile;
        tile.k = in.k + b * s.kv_len * in.k_stride + h * d;
        tile.k_stride = in.k_stride;
        tile.v = in.v + b * s.kv_len * in.v_stride + h * d;
        tile.v_stride = in.v_stride;
        tile.bf16 = precision == AttentionPrecision::BF16;
        if (key_mask) {
            tile.key_index = allowed.data() + first[size_t(b)];
            tile.key_end = first[size_t(b) + 1] - first[size_t(b)];
        } else {
            tile.key_end = s.kv_len;
        }
        return tile;
    };

    // BF16 with more than one block of queries: each sequence's keys and values are converted to
    // bf16 once, every head in parallel, instead of once per block of queries (the 1024-token
    // JinaJudge pair 3.5% faster). The buffers are kept per calling thread between calls.
    const int64_t blocks = (s.q_len + kTileRows - 1) / kTileRows;
    const bool convert_once = precision == AttentionPrecision::BF16 && blocks > 1 && attention_bf16_supported(d);
    // F32 with more than one block of queries: each sequence's keys and values are copied per
    // head into rows of head_dim floats, once, so that the tiles read them 4 * head_dim bytes
    // apart instead of a whole q | k | v row apart (12 KiB for jina-v3: every row on the same L1
    // sets).
    const bool gather_once = !convert_once && blocks > 1 && (in.k_stride != d || in.v_stride != d);
    thread_local std::vector<float> k_rows, v_rows;
    if (gather_once) {
        at_least(k_rows, size_t(s.heads * s.kv_len * d));
        at_least(v_rows, size_t(s.heads * s.kv_len * d));
    }
    float* const kr = k_rows.data();
    float* const vr = v_rows.data();
    thread_local std::vector<uint32_t> k_bf16, v_bf16;
    const int64_t k_words = bf16_keys_words(s.kv_len, d), v_words = bf16_values_words(s.kv_len, d);
    if (convert_once) {
        at_least(k_bf16, size_t(s.heads * k_words));
        at_least(v_bf16, size_t(s.heads * v_words));
    }
    uint32_t* const kb = k_bf16.data();  // the caller's thread_local, as the workers must see it
    uint32_t* const vb = v_bf16.data();

    // Work items of sequences [b0, b1): (sequence, head, block of up to kTileRows queries); threads
    // take them in turn.
    auto attend_sequences = [&](int64_t b0, int64_t b1) {
        const size_t items = size_t((b1 - b0) * s.heads * blocks);
        std::atomic<size_t> next{0};
        pool.parallel_for(pool.size(), [&](size_t, size_t) {
            const float* q[kTileRows];
            float* o[kTileRows];
            for (size_t item = next++; item < items; item = next++) {
                const int64_t b = b0 + int64_t(item) / (s.heads * blocks);
                const int64_t h = (int64_t(item) / blocks) % s.heads;
                const int64_t t0 = (int64_t(item) % blocks) * kTileRows, t1 = std::min(s.q_len, t0 + kTileRows);
                for (int64_t t = t0; t < t1; ++t) {
                    q[t - t0] = in.q + (b * s.q_len + t) * in.q_stride + h * d;
                    o[t - t0] = out + (b * s.q_len + t) * width + h * d;
                }
                AttentionTile tile = key_tile(b, h);
                tile.rows = int(t1 - t0);
                tile.q = q;
                tile.out = o;
                if (convert_once) {
                    tile.k_bf16 = kb + h * k_words;
                    tile.v_bf16 = vb + h * v_words;
                }
                if (gather_once) {
                    tile.k = kr + h * s.kv_len * d;
                    tile.v = vr + h * s.kv_len * d;
                    tile.k_stride = tile.v_stride = d;
                }
                if (tile.key_end == 0) {
                    for (int i = 0; i < tile.rows; ++i) std::fill(o[i], o[i] + d, 0.0f);
                    continue;
                }
                attend_tile(tile, d, scale);
            }
        });
    };

    if (!convert_once && !gather_once) {
        attend_sequences(0, s.batch);
        return;
    }
    for (int64_t b = 0; b < s.batch; ++b) {
        pool.parallel_for(size_t(s.heads), [&](size_t h0, size_t h1) {
            for (size_t h = h0; h < h1; ++h) {
                if (convert_once) {
                    convert_keys_values_bf16(key_tile(b, int64_t(h)), d, kb + int64_t(h) * k_words,
                                             vb + int64_t(h) * v_words);
                    continue;
                }
                const AttentionTile from = key_tile(b, int64_t(h));
                float* kd = kr + int64_t(h) * s.kv_len * d;
                float* vd = vr + int64_t(h) * s.kv_len * d;
                for (int64_t t = 0; t < s.kv_len; ++t) {
                    std::copy_n(from.k + t * from.k_stride, d, kd + t * d);
                    std::copy_n(from.v + t * from.v_stride, d, vd + t * d);
                }
            }
        });
        attend_sequences(b, b + 1);
    }
}

}  // namespace gavel::cpu
