#include <gtest/gtest.h>

#include <cmath>

#include "core/dtype.hpp"

namespace gavel {
namespace {

TEST(DType, NamesRoundTrip) {
    for (auto name : {"F64", "F32", "F16", "BF16", "F8_E4M3", "F8_E5M2", "I64", "I32", "I16", "I8", "U8", "BOOL"}) {
        auto t = dtype_from_name(name);
        ASSERT_TRUE(t) << name;
        EXPECT_EQ(dtype_name(*t), name);
    }
    EXPECT_FALSE(dtype_from_name("F8"));
    EXPECT_EQ(dtype_size(DType::BF16), 2u);
    EXPECT_EQ(dtype_size(DType::F64), 8u);
    EXPECT_EQ(dtype_size(DType::BOOL), 1u);
}

TEST(DType, Bf16RoundsToNearestEven) {
    EXPECT_EQ(f32_to_bf16(1.0f), 0x3f80);
    // 1 + 2^-8 is exactly halfway between bf16 1.0 and 1.0078125: ties go to even (1.0).
    EXPECT_EQ(f32_to_bf16(1.0f + std::ldexp(1.0f, -8)), 0x3f80);
    EXPECT_EQ(f32_to_bf16(1.0f + 3 * std::ldexp(1.0f, -8)), 0x3f82);
    EXPECT_FLOAT_EQ(bf16_to_f32(0xc040), -3.0f);
    EXPECT_TRUE(std::isnan(bf16_to_f32(f32_to_bf16(std::nanf("")))));
}

TEST(DType, F16RoundTripsEveryValue) {
    for (uint32_t h = 0; h < 0x10000; ++h) {
        float f = f16_to_f32(uint16_t(h));
        if (std::isnan(f)) continue;
        EXPECT_EQ(f32_to_f16(f), h) << std::hex << h;
    }
    EXPECT_FLOAT_EQ(f16_to_f32(0x3c00), 1.0f);
    EXPECT_FLOAT_EQ(f16_to_f32(0x0001), std::ldexp(1.0f, -24));
    EXPECT_EQ(f32_to_f16(65520.0f), 0x7c00);  // rounds up to infinity
    EXPECT_EQ(f32_to_f16(65519.0f), 0x7bff);
}

TEST(DType, Fp8Decoding) {
    EXPECT_FLOAT_EQ(f8_e4m3_to_f32(0x38), 1.0f);
    EXPECT_FLOAT_EQ(f8_e4m3_to_f32(0x7e), 448.0f);
    EXPECT_FLOAT_EQ(f8_e4m3_to_f32(0x01), std::ldexp(1.0f, -9));
    EXPECT_TRUE(std::isnan(f8_e4m3_to_f32(0x7f)));
    EXPECT_FLOAT_EQ(f8_e5m2_to_f32(0x3c), 1.0f);
    EXPECT_FLOAT_EQ(f8_e5m2_to_f32(0xc0), -2.0f);
}

}  // namespace
}  // namespace gavel
