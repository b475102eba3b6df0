#include <gtest/gtest.h>

#include <algorithm>

#include "core/error.hpp"
#include "engine/classify_batcher.hpp"

namespace gavel {
namespace {

TEST(ClassifyBatcher, GroupsBySortedLengthWithinBothLimits) {
    ClassifyBatcher batcher(3, 100);
    std::vector<int64_t> lengths = {50, 5, 30, 6, 7, 31, 8, 200, 5};
    auto plan = batcher.plan(lengths);
    // Sorted: 5(#1) 5(#8) 6(#3) 7(#4) 8(#6) 30(#2) 31(#5) 50(#0) 200(#7). A batch closes at 3
    // members, or when adding the next would pass 100 padded tokens: 3 x 200 > 100.
    EXPECT_EQ(plan, (std::vector<std::vector<size_t>>{{1, 8, 3}, {4, 6, 2}, {5, 0}, {7}}));
    std::vector<size_t> seen;
    for (const auto& b : plan) {
        ASSERT_FALSE(b.empty());
        EXPECT_LE(b.size(), 3u);
        int64_t longest = 0;
        for (size_t i : b) longest = std::max(longest, lengths[i]);
        if (b.size() > 1) {
            EXPECT_LE(int64_t(b.size()) * longest, 100);
        }
        seen.insert(seen.end(), b.begin(), b.end());
    }
    std::sort(seen.begin(), seen.end());
    EXPECT_EQ(seen, (std::vector<size_t>{0, 1, 2, 3, 4, 5, 6, 7, 8}));
}

TEST(ClassifyBatcher, EmptyInputAndBadLimits) {
    ClassifyBatcher batcher(4, 10);
    EXPECT_TRUE(batcher.plan({}).empty());
    EXPECT_THROW(ClassifyBatcher(0, 10), Error);
    EXPECT_THROW(ClassifyBatcher(2, 0), Error);
}

}  // namespace
}  // namespace gavel
