// TensorView: the row slices models take of packed weights and the int8 quantiser hands back.
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "core/tensor.hpp"

namespace gavel {
namespace {

TEST(TensorView, RowsViewTheSameBytes) {
    const float w[3][4] = {{0, 1, 2, 3}, {4, 5, 6, 7}, {8, 9, 10, 11}};
    const TensorView t{DType::F32, {3, 4}, w};
    const TensorView r = t.rows(1, 3);
    EXPECT_EQ(r.shape, (std::vector<int64_t>{2, 4}));
    EXPECT_EQ(r.as<float>()[0], 4.0f);
    const uint16_t b[5] = {10, 11, 12, 13, 14};
    const TensorView v = TensorView{DType::BF16, {5}, b}.rows(2, 4);
    EXPECT_EQ(v.shape, (std::vector<int64_t>{2}));
    EXPECT_EQ(v.as<uint16_t>()[0], 12);
}

}  // namespace
}  // namespace gavel
