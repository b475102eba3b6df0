// NumPy's legacy RandomState draws and numpy.percentile, reproduced exactly, so that a seeded
// bootstrap in gavel picks the same rows as the Python code it is checked against (pandas'
// DataFrame.sample(frac=1, replace=True, random_state=s) is RandomState(s).choice(n, n)).
#pragma once

#include <cstdint>
#include <random>
#include <span>
#include <vector>

namespace gavel {

class NumpyRandomState {
public:
    // numpy.random.RandomState(seed): MT19937 seeded by init_genrand, which is what
    // std::mt19937's integer constructor does.
    explicit NumpyRandomState(uint32_t seed) : engine_(seed) {}

    // RandomState.randint(0, n, size=out.size()), the same draws as choice(n, size) with
    // replacement: masked rejection sampling on 32-bit outputs. n must be in [1, 2^32].
    void randint(uint64_t n, std::span<uint32_t> out);

    // One draw of randint(0, n) given mask = the smallest 2^k - 1 >= n - 1.
    uint32_t next_below(uint32_t max_value, uint32_t mask) {
        uint32_t v;
        while ((v = static_cast<uint32_t>(engine_()) & mask) > max_value) {
        }
        return v;
    }

    static uint32_t mask_for(uint32_t max_value);

private:
    std::mt19937 engine_;
};

// numpy.percentile(values, q) with the default 'linear' method (q in [0, 100]). Sorts `values`;
// NaN if it is empty.
double numpy_percentile(std::vector<double>& values, double q);

}  // namespace gavel
