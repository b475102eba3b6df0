// Element types of checkpoint tensors (the safetensors set) and scalar conversions to f32.
#pragma once

#include <cstdint>
#include <cstring>
#include <optional>
#include <string_view>

namespace gavel {

// The safetensors set, then Q8_0: gavel's own 8-bit weight matrix (backend/cpu/quantize.hpp), made
// at load by --weights int8 and never read from a checkpoint (dtype_from_name does not know it).
enum class DType : uint8_t { F64, F32, F16, BF16, F8_E4M3, F8_E5M2, I64, I32, I16, I8, U8, BOOL, Q8_0 };

// Bytes per element (Q8_0: 1, the int8 value; its block scales come on top, see q8_0_bytes).
size_t dtype_size(DType t);
// The safetensors spelling ("BF16", "F8_E4M3", ...).
std::string_view dtype_name(DType t);
// Parses the safetensors spelling; nullopt for an unknown name (and for Q8_0).
std::optional<DType> dtype_from_name(std::string_view name);
bool dtype_is_float(DType t);

inline float bf16_to_f32(uint16_t h) {
    uint32_t bits = uint32_t(h) << 16;
    float f;
    std::memcpy(&f, &bits, 4);
    return f;
}

// Round-to-nearest-even, NaN kept quiet: the same rounding as PyTorch's .to(torch.bfloat16).
inline uint16_t f32_to_bf16(float f) {
    uint32_t bits;
    std::memcpy(&bits, &f, 4);
    if ((bits & 0x7fffffffu) > 0x7f800000u) return uint16_t((bits >> 16) | 0x40);
    bits += 0x7fffu + ((bits >> 16) & 1u);
    return uint16_t(bits >> 16);
}

float f16_to_f32(uint16_t h);
uint16_t f32_to_f16(float f);
float f8_e4m3_to_f32(uint8_t v);
float f8_e5m2_to_f32(uint8_t v);

}  // namespace gavel
