// gavel's bootstrap draws must be NumPy's: these values were printed by numpy 1.24.2 (Debian
// python3-numpy), e.g. list(np.random.RandomState(42).randint(0, 1000, size=12)).
#include "core/numpy_random.hpp"

#include <gtest/gtest.h>

#include <random>
#include <vector>

namespace gavel {
namespace {

std::vector<uint32_t> draw(NumpyRandomState& rng, uint64_t n, size_t count) {
    std::vector<uint32_t> out(count);
    rng.randint(n, out);
    return out;
}

TEST(Mt19937, SameOutputsAsTheStandardLibrarys) {
    for (uint32_t seed : {0u, 1u, 42u, 5489u, 4294967295u}) {
        Mt19937 mine(seed);
        std::mt19937 standard(seed);
        for (int i = 0; i < 2000; ++i) ASSERT_EQ(mine(), standard()) << "seed " << seed << " draw " << i;
    }
}

TEST(NumpyRandomState, MatchesRandomStateRandint) {
    NumpyRandomState a(42);
    EXPECT_EQ(draw(a, 1000, 12), (std::vector<uint32_t>{102, 435, 860, 270, 106, 71, 700, 20, 614, 121, 466, 214}));
    // pandas' sample(frac=1, replace=True, random_state=0) on the 21,016 arena-hard-local battles.
    NumpyRandomState b(0);
    EXPECT_EQ(draw(b, 21016, 8), (std::vector<uint32_t>{2732, 10799, 9845, 19648, 13123, 9225, 20757, 14116}));
    NumpyRandomState c(4294967295u);
    EXPECT_EQ(draw(c, 3, 10), (std::vector<uint32_t>{2, 0, 0, 0, 2, 2, 1, 0, 2, 2}));
    NumpyRandomState d(7);
    EXPECT_EQ(draw(d, uint64_t{1} << 32, 4), (std::vector<uint32_t>{327741615u, 976413892u, 3349725721u, 1369975286u}));
}

TEST(NumpyRandomState, SuccessiveCallsContinueOneStream) {
    // np.random.seed(5); randint(0, 17, 5); randint(0, 1000003, 5) -- as Arena-Hard v0.1's rounds.
    NumpyRandomState rng(5);
    EXPECT_EQ(draw(rng, 17, 5), (std::vector<uint32_t>{3, 14, 15, 6, 16}));
    EXPECT_EQ(draw(rng, 1000003, 5), (std::vector<uint32_t>{845897, 558088, 951012, 736999, 34750}));
}

TEST(NumpyRandomState, PopulationOfOneDrawsNothing) {
    NumpyRandomState rng(1);
    EXPECT_EQ(draw(rng, 1, 3), (std::vector<uint32_t>{0, 0, 0}));
    NumpyRandomState fresh(1), after(1);
    std::vector<uint32_t> one(1), skip(1);
    fresh.randint(10, one);
    after.randint(1, skip);
    after.randint(10, skip);
    EXPECT_EQ(one, skip);
}

TEST(NumpyPercentile, MatchesNumpyLinear) {
    const std::vector<double> v = {0.3, 1.7, -2.5, 9.25, 4.0, 4.0, 0.001};
    auto p = [&](double q) {
        std::vector<double> copy = v;
        return numpy_percentile(copy, q);
    };
    EXPECT_DOUBLE_EQ(p(2.5), -2.12485);
    EXPECT_DOUBLE_EQ(p(97.5), 8.462499999999999);
    EXPECT_DOUBLE_EQ(p(50), 1.7);
    EXPECT_DOUBLE_EQ(p(0), -2.5);
    EXPECT_DOUBLE_EQ(p(100), 9.25);
    EXPECT_DOUBLE_EQ(p(33.3), 0.29940199999999995);
    std::vector<double> single = {5.0};
    EXPECT_DOUBLE_EQ(numpy_percentile(single, 2.5), 5.0);
    std::vector<double> empty;
    EXPECT_TRUE(std::isnan(numpy_percentile(empty, 50)));
}

}  // namespace
}  // namespace gavel
