#include "core/dtype.hpp"

#include <array>
#include <cmath>

namespace gavel {

namespace {
struct DTypeInfo {
    DType type;
    std::string_view name;
    size_t size;
    bool is_float;
};
constexpr std::array<DTypeInfo, 13> kDTypes{{
    {DType::F64, "F64", 8, true},        {DType::F32, "F32", 4, true},
    {DType::F16, "F16", 2, true},        {DType::BF16, "BF16", 2, true},
    {DType::F8_E4M3, "F8_E4M3", 1, true}, {DType::F8_E5M2, "F8_E5M2", 1, true},
    {DType::I64, "I64", 8, false},       {DType::I32, "I32", 4, false},
    {DType::I16, "I16", 2, false},       {DType::I8, "I8", 1, false},
    {DType::U8, "U8", 1, false},         {DType::BOOL, "BOOL", 1, false},
    {DType::Q8_0, "Q8_0", 1, false},
}};
const DTypeInfo& info(DType t) { return kDTypes[static_cast<size_t>(t)]; }
}  // namespace

size_t dtype_size(DType t) { return info(t).size; }
std::string_view dtype_name(DType t) { return info(t).name; }
bool dtype_is_float(DType t) { return info(t).is_float; }

std::optional<DType> dtype_from_name(std::string_view name) {
    for (const auto& d : kDTypes)
        if (d.name == name && d.type != DType::Q8_0) return d.type;
    return std::nullopt;
}

float f16_to_f32(uint16_t h) {
    uint32_t sign = uint32_t(h & 0x8000) << 16;
    uint32_t exp = (h >> 10) & 0x1f;
    uint32_t mant = h & 0x3ff;
    uint32_t bits;
    if (exp == 0) {
        if (mant == 0) {
            bits = sign;
        } else {  // subnormal: renormalise
            int e = -1;
            do {
                mant <<= 1;
                ++e;
            } while ((mant & 0x400) == 0);
            bits = sign | uint32_t(127 - 15 - e) << 23 | (mant & 0x3ff) << 13;
        }
    } else if (exp == 31) {
        bits = sign | 0x7f800000u | mant << 13;
    } else {
        bits = sign | (exp + 112) << 23 | mant << 13;
    }
    float f;
    std::memcpy(&f, &bits, 4);
    return f;
}

uint16_t f32_to_f16(float f) {
    uint32_t bits;
    std::memcpy(&bits, &f, 4);
    uint32_t sign = (bits >> 16) & 0x8000;
    uint32_t abs = bits & 0x7fffffff;
    if (abs > 0x7f800000u) return uint16_t(sign | 0x7e00);  // NaN
    if (abs >= 0x477ff000u) return uint16_t(sign | 0x7c00);  // overflow to inf (round-to-nearest)
    if (abs < 0x38800000u) {  // f16 subnormal or zero
        if (abs < 0x33000000u) return uint16_t(sign);  // below half the smallest subnormal
        uint32_t exp = abs >> 23;
        uint32_t mant = (abs & 0x7fffff) | 0x800000;
        uint32_t shift = 126 - exp;  // aligns the value to units of 2^-24
        uint32_t result = mant >> shift;
        uint32_t rest = mant & ((1u << shift) - 1);
        uint32_t halfway = 1u << (shift - 1);
        if (rest > halfway || (rest == halfway && (result & 1))) ++result;  // nearest even
        return uint16_t(sign | result);
    }
    uint32_t r = abs + 0xc8000fffu + ((abs >> 13) & 1);  // rebias exponent and round
    return uint16_t(sign | (r >> 13));
}

float f8_e4m3_to_f32(uint8_t v) {
    // E4M3FN: bias 7, no infinities, 0x7f/0xff are NaN.
    uint32_t sign = v >> 7, exp = (v >> 3) & 0xf, mant = v & 0x7;
    float r;
    if (exp == 0xf && mant == 0x7) return std::nanf("");
    if (exp == 0)
        r = std::ldexp(float(mant), -9);  // subnormal: mant/8 * 2^-6
    else
        r = std::ldexp(1.0f + float(mant) / 8.0f, int(exp) - 7);
    return sign ? -r : r;
}

float f8_e5m2_to_f32(uint8_t v) {
    // E5M2 is the top byte of an IEEE f16.
    return f16_to_f32(uint16_t(v) << 8);
}

}  // namespace gavel
