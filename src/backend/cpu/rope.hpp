// Rotary position embeddings in the GPT-NeoX "rotate-half" layout used by Qwen2 and jina-v3.
#pragma once

#include <cstdint>
#include <vector>

#include "core/thread_pool.hpp"

namespace gavel::cpu {

// Precomputed cos/sin for positions [0, max_positions) and head_dim/2 frequencies,
// inv_freq[i] = theta^(-2i/head_dim) computed in f32 as the HF reference does.
class RopeTable {
public:
    RopeTable(int64_t head_dim, double theta, int64_t max_positions);
    int64_t head_dim() const { return head_dim_; }
    int64_t max_positions() const { return max_positions_; }
    // Rotates x[tokens, heads, head_dim] in place; token t has position positions[t]. Tokens are
    // split over the pool. With row_stride, token t's heads start at x + t * row_stride instead
    // (the first heads of wider rows: q and k in place in a fused q | k | v projection).
    void apply(ThreadPool& pool, float* x, int64_t tokens, int64_t heads, const int32_t* positions,
               int64_t row_stride = 0) const;
private:
    void reserve(int64_t positions);

    int64_t head_dim_, max_positions_ = 0;
    double theta_;
    std::vector<float> inv_freq_;
    std::vector<float> cos_, sin_;  // [position, head_dim/2]
};

}  // namespace gavel::cpu
