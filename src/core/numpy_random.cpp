#include "core/numpy_random.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/error.hpp"

namespace gavel {

Mt19937::Mt19937(uint32_t seed) {
    state_[0] = seed;
    for (size_t k = 1; k < kN; ++k) state_[k] = 1812433253u * (state_[k - 1] ^ (state_[k - 1] >> 30)) + static_cast<uint32_t>(k);
}

void Mt19937::regenerate() {
    auto twist = [](uint32_t upper, uint32_t lower, uint32_t far) {
        const uint32_t y = (upper & 0x80000000u) | (lower & 0x7fffffffu);
        return far ^ (y >> 1) ^ ((0u - (y & 1u)) & 0x9908b0dfu);
    };
    size_t k = 0;
    for (; k < kN - kM; ++k) state_[k] = twist(state_[k], state_[k + 1], state_[k + kM]);
    for (; k < kN - 1; ++k) state_[k] = twist(state_[k], state_[k + 1], state_[k + kM - kN]);
    state_[kN - 1] = twist(state_[kN - 1], state_[0], state_[kM - 1]);
    index_ = 0;
}

uint32_t NumpyRandomState::mask_for(uint32_t max_value) {
    uint32_t mask = max_value;
    mask |= mask >> 1;
    mask |= mask >> 2;
    mask |= mask >> 4;
    mask |= mask >> 8;
    mask |= mask >> 16;
    return mask;
}

void NumpyRandomState::randint(uint64_t n, std::span<uint32_t> out) {
    if (n == 0 || n > (uint64_t{1} << 32)) fail("randint: population size {} is outside [1, 2^32]", n);
    const auto max_value = static_cast<uint32_t>(n - 1);
    if (max_value == 0) {
        // numpy returns the lower bound without drawing when the range is empty.
        std::fill(out.begin(), out.end(), 0u);
        return;
    }
    const uint32_t mask = mask_for(max_value);
    for (auto& v : out) v = next_below(max_value, mask);
}

double numpy_percentile(std::vector<double>& values, double q) {
    if (values.empty()) return std::numeric_limits<double>::quiet_NaN();
    std::sort(values.begin(), values.end());
    const double n = static_cast<double>(values.size());
    const double quantile = q / 100.0;
    // numpy's _compute_virtual_index with alpha = beta = 1, and _lerp, term for term, so the
    // last bits agree too.
    const double virtual_index = n * quantile + (1.0 + quantile * (1.0 - 1.0 - 1.0)) - 1.0;
    const double below = std::floor(virtual_index);
    const double gamma = virtual_index - below;
    const auto last = values.size() - 1;
    const auto lo = static_cast<size_t>(std::clamp(below, 0.0, static_cast<double>(last)));
    const auto hi = static_cast<size_t>(std::clamp(below + 1.0, 0.0, static_cast<double>(last)));
    const double a = values[lo], b = values[hi];
    const double diff = b - a;
    return gamma >= 0.5 ? b - diff * (1.0 - gamma) : a + diff * gamma;
}

}  // namespace gavel
