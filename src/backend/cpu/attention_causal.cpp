#include "backend/cpu/attention_causal.hpp"

#include <algorithm>
#include <atomic>
#include <tuple>
#include <vector>

#include "backend/cpu/attention_tile.hpp"
#include "core/error.hpp"
#include "core/scratch_buffers.hpp"

namespace gavel::cpu {

namespace {

// A block of few query rows (decode: one token's heads of one group) over a long cache is split
// into parts of this many keys, run as separate work items and merged, so that one token's
// attention spreads over all threads. Whether and where a sequence splits depends only on its
// own token count and length, never on the batch or the thread count.
constexpr int64_t kSplitKeys = 512;
static_assert(kSplitKeys % kTileKeys == 0);

struct Item {
    int64_t seq, group, row0, rows, part, parts;
    int64_t cost;          // rows x keys, for scheduling the largest first
    int64_t partial = -1;  // where a split item's results go in the partial buffer
};

// A block split into parts: part p's rows x head_dim outputs, then rows maxima, then rows sums,
// sit at partial + p * rows * (head_dim + 2).
struct SplitBlock {
    int64_t seq, group, row0, rows, parts, partial;
};

}  // namespace

void attention_causal(ThreadPool& pool, std::span<const CausalAttentionSequence> sequences, int64_t q_heads,
                      int64_t kv_heads, int64_t head_dim, float scale) {
    if (q_heads <= 0 || kv_heads <= 0 || head_dim <= 0 || q_heads % kv_heads)
        fail("attention: {} query heads must be a positive multiple of {} key/value heads", q_heads, kv_heads);
    const int64_t group = q_heads / kv_heads, d = head_dim;
    const int64_t q_row = q_heads * d, kv_row = kv_heads * d;

    // Work items: (sequence, key/value head, block of up to kTileRows rows, key part). A block's rows
    // run through (token, head of the group), so the group's heads share each key/value tile.
    // The lists and buffers are kept per calling thread (a decode step calls this once per layer and
    // allocates nothing); the workers reach the caller's through these references.
    struct Scratch {
        std::vector<Item> items;
        std::vector<SplitBlock> split_blocks;
        std::vector<float> partials, part_out, part_max, part_sum;
    };
    thread_local Scratch kept;
    std::vector<Item>& items = kept.items;
    std::vector<SplitBlock>& split_blocks = kept.split_blocks;
    items.clear();
    split_blocks.clear();
    int64_t partial_floats = 0;
    for (size_t s = 0; s < sequences.size(); ++s) {
        const CausalAttentionSequence& seq = sequences[s];
        if (seq.tokens <= 0) continue;
        const int64_t rows_total = seq.tokens * group, visible = seq.first_position + seq.tokens;
        const int64_t parts = rows_total <= kTileRows ? (visible + kSplitKeys - 1) / kSplitKeys : 1;
        for (int64_t g = 0; g < kv_heads; ++g)
            for (int64_t row0 = 0; row0 < rows_total; row0 += kTileRows) {
                const int64_t rows = std::min<int64_t>(kTileRows, rows_total - row0);
                const int64_t keys = seq.first_position + (row0 + rows - 1) / group + 1;
                if (parts > 1) split_blocks.push_back({int64_t(s), g, row0, rows, parts, partial_floats});
                for (int64_t p = 0; p < parts; ++p) {
                    Item item{int64_t(s), g, row0, rows, p, parts, rows * std::min(kSplitKeys, keys), -1};
                    if (parts == 1) {
                        item.cost = rows * keys;
                    } else {
                        item.partial = partial_floats;
                        partial_floats += rows * (d + 2);
                    }
                    items.push_back(item);
                }
            }
    }
    if (items.empty()) return;
    // Largest first, ties in the order they were listed (std::stable_sort would allocate a buffer).
    std::sort(items.begin(), items.end(), [](const Item& a, const Item& b) {
        if (a.cost != b.cost) return a.cost > b.cost;
        return std::tie(a.seq, a.group, a.row0, a.part) < std::tie(b.seq, b.group, b.row0, b.part);
    });
    float* const partials = at_least(kept.partials, size_t(partial_floats)).data();

    // Threads take items in turn (largest first) until none is left.
    std::atomic<size_t> next{0};
    pool.parallel_for(pool.size(), [&](size_t, size_t) {
        const float* q[kTileRows];
        float* out[kTileRows];
        int64_t last_key[kTileRows];
        for (size_t n = next++; n < items.size(); n = next++) {
            const Item& item = items[n];
            const CausalAttentionSequence& seq = sequences[size_t(item.seq)];
            for (int64_t i = 0; i < item.rows; ++i) {
                const int64_t r = item.row0 + i, t = r / group, h = item.group * group + r % group;
                q[i] = seq.q + t * q_row + h * d;
                out[i] = item.partial >= 0 ? &partials[size_t(item.partial + i * d)] : seq.out + t * q_row + h * d;
                last_key[i] = seq.first_position + t;
            }
            AttentionTile tile;
            tile.rows = int(item.rows);
            tile.q = q;
            tile.out = out;
            tile.last_key = last_key;
            tile.k = seq.keys + item.group * d;
            tile.k_stride = kv_row;
            tile.v = seq.values + item.group * d;
            tile.v_stride = kv_row;
            const int64_t keys = last_key[item.rows - 1] + 1;
            tile.key_begin = item.part * kSplitKeys;
            tile.key_end = item.parts == 1 ? keys : std::min(keys, (item.part + 1) * kSplitKeys);
            if (item.partial >= 0) {
                tile.partial_max = &partials[size_t(item.partial + item.rows * d)];
                tile.partial_sum = tile.partial_max + item.rows;
            }
            attend_tile(tile, d, scale);
        }
    });

    // Merge the parts of split blocks (small: a few rows per sequence and head group).
    for (const SplitBlock& b : split_blocks) {
        const CausalAttentionSequence& seq = sequences[size_t(b.seq)];
        const int64_t part_floats = b.rows * (d + 2);
        std::vector<float>& part_out = at_least(kept.part_out, size_t(b.parts * d));
        std::vector<float>& part_max = at_least(kept.part_max, size_t(b.parts));
        std::vector<float>& part_sum = at_least(kept.part_sum, size_t(b.parts));
        for (int64_t i = 0; i < b.rows; ++i) {
            for (int64_t p = 0; p < b.parts; ++p) {
                const float* base = &partials[size_t(b.partial + p * part_floats)];
                std::copy_n(base + i * d, d, &part_out[size_t(p * d)]);
                part_max[size_t(p)] = base[b.rows * d + i];
                part_sum[size_t(p)] = base[b.rows * d + b.rows + i];
            }
            const int64_t r = b.row0 + i, t = r / group, h = b.group * group + r % group;
            merge_attention_parts(part_out.data(), d, part_max.data(), part_sum.data(), b.parts, d,
                                  seq.out + t * q_row + h * d);
        }
    }
}

}  // namespace gavel::cpu
