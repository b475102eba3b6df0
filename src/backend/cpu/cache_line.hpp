// Cache-line alignment for float scratch buffers: kernels that load whole 64-byte vectors from a
// buffer run slower when every load straddles two lines (see linear()'s GEMV input).
#pragma once

#include <cstddef>
#include <cstdint>

namespace gavel::cpu {

inline constexpr size_t kCacheLineBytes = 64;
inline constexpr size_t kCacheLineFloats = kCacheLineBytes / sizeof(float);

inline bool starts_cache_line(const void* p) { return reinterpret_cast<uintptr_t>(p) % kCacheLineBytes == 0; }

// The first float at or after p that starts a cache line: a buffer of n + kCacheLineFloats floats
// holds n aligned ones from there.
inline float* cache_line_aligned(float* p) {
    const size_t misalignment = reinterpret_cast<uintptr_t>(p) / sizeof(float) % kCacheLineFloats;
    return p + (kCacheLineFloats - misalignment) % kCacheLineFloats;
}

}  // namespace gavel::cpu
