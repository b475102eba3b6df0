// Largest elementwise difference between two float arrays, for the model tests' tolerances.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

namespace gavel::testing {

// max |a_i - b_i| in double; differing lengths are a test failure, and a NaN anywhere sticks.
inline double max_abs_diff(const std::vector<float>& a, const std::vector<float>& b) {
    EXPECT_EQ(a.size(), b.size());
    double worst = 0;
    for (size_t i = 0; i < std::min(a.size(), b.size()); ++i) {
        const double d = std::abs(double(a[i]) - double(b[i]));
        if (!(d <= worst)) worst = d;
    }
    return worst;
}

}  // namespace gavel::testing
