// Deterministic normally distributed test inputs, shared by the backend tests.
#pragma once

#include <cstdint>
#include <random>
#include <vector>

namespace gavel::cpu::testing {

// `n` draws from N(0, sd^2), the same for the same seed on every platform's libstdc++.
inline std::vector<float> random_values(size_t n, uint32_t seed, float sd = 1.0f) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> dist(0.0f, sd);
    std::vector<float> v(n);
    for (auto& x : v) x = dist(rng);
    return v;
}

}  // namespace gavel::cpu::testing
