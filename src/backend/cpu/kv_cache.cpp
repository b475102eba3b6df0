#include "backend/cpu/kv_cache.hpp"

#include <cstring>

#include "core/error.hpp"

namespace gavel::cpu {

KvCache::KvCache(int64_t layers, int64_t kv_heads, int64_t head_dim, int64_t capacity)
    : layers_(layers), row_(kv_heads * head_dim), capacity_(capacity) {
    if (layers <= 0 || kv_heads <= 0 || head_dim <= 0 || capacity <= 0)
        fail("kv cache: layers {}, kv heads {}, head dim {} and capacity {} must all be positive", layers,
             kv_heads, head_dim, capacity);
    size_t n = size_t(layers * capacity * row_);
    keys_.resize(n);
    values_.resize(n);
}

void KvCache::store(int64_t layer, const float* keys, const float* values, int64_t tokens, int64_t stride) {
    if (layer < 0 || layer >= layers_) fail("kv cache: layer {} outside [0, {})", layer, layers_);
    if (size_ + tokens > capacity_)
        fail("kv cache: {} positions plus {} new tokens exceed the capacity of {}", size_, tokens, capacity_);
    float* k = &keys_[size_t((layer * capacity_ + size_) * row_)];
    float* v = &values_[size_t((layer * capacity_ + size_) * row_)];
    for (int64_t t = 0; t < tokens; ++t) {
        std::memcpy(k + t * row_, keys + t * stride, size_t(row_) * sizeof(float));
        std::memcpy(v + t * row_, values + t * stride, size_t(row_) * sizeof(float));
    }
}

void KvCache::advance(int64_t tokens) {
    if (tokens < 0 || size_ + tokens > capacity_)
        fail("kv cache: cannot advance {} positions by {} (capacity {})", size_, tokens, capacity_);
    size_ += tokens;
}

}  // namespace gavel::cpu
