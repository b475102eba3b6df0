// The keys and values one sequence has produced so far, per layer, preallocated for the longest the
// sequence may grow (prompt + max new tokens) so decoding never reallocates. Stored in f32.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace gavel::cpu {

class KvCache {
public:
    KvCache(int64_t layers, int64_t kv_heads, int64_t head_dim, int64_t capacity);

    int64_t layers() const { return layers_; }
    int64_t capacity() const { return capacity_; }
    // Positions stored in every layer (the next token's position).
    int64_t size() const { return size_; }
    // Floats per position and layer: kv_heads * head_dim.
    int64_t row() const { return row_; }

    // Copies `tokens` rows of keys and values (each `row()` floats, rows `stride` floats apart) into
    // `layer` at positions [size(), size() + tokens). Fails when that passes the capacity.
    void store(int64_t layer, const float* keys, const float* values, int64_t tokens, int64_t stride);
    // Makes the positions stored by the last store() of every layer part of the sequence.
    void advance(int64_t tokens);
    // Forgets every position (the memory stays allocated).
    void clear() { size_ = 0; }

    // [capacity, kv_heads, head_dim] of one layer; positions [0, size() + pending) are valid.
    const float* keys(int64_t layer) const { return &keys_[size_t(layer * capacity_ * row_)]; }
    const float* values(int64_t layer) const { return &values_[size_t(layer * capacity_ * row_)]; }

private:
    int64_t layers_, row_, capacity_, size_ = 0;
    std::vector<float> keys_, values_;
};

}  // namespace gavel::cpu
