// NumPy's legacy RandomState draws and numpy.percentile, reproduced exactly, so that a seeded
// bootstrap in gavel picks the same rows as the Python code it is checked against (pandas'
// DataFrame.sample(frac=1, replace=True, random_state=s) is RandomState(s).choice(n, n)).
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <vector>

namespace gavel {

// The Mersenne Twister MT19937 (Matsumoto & Nishimura 1998), seeded by init_genrand: the same
// outputs as std::mt19937(seed) and as NumPy's legacy generator. Written out because the bootstrap
// draws a billion numbers and this regenerates its state in two straight loops, about twice as
// fast as libstdc++'s.
class Mt19937 {
public:
    explicit Mt19937(uint32_t seed);
    uint32_t operator()() {
        if (index_ >= kN) regenerate();
        uint32_t y = state_[index_++];
        y ^= y >> 11;
        y ^= (y << 7) & 0x9d2c5680u;
        y ^= (y << 15) & 0xefc60000u;
        return y ^ (y >> 18);
    }

private:
    static constexpr size_t kN = 624, kM = 397;
    void regenerate();
    std::array<uint32_t, kN> state_;
    size_t index_ = kN;
};

class NumpyRandomState {
public:
    // numpy.random.RandomState(seed): MT19937 seeded by init_genrand.
    explicit NumpyRandomState(uint32_t seed) : engine_(seed) {}

    // RandomState.randint(0, n, size=out.size()), the same draws as choice(n, size) with
    // replacement: masked rejection sampling on 32-bit outputs. n must be in [1, 2^32].
    void randint(uint64_t n, std::span<uint32_t> out);

    // One draw of randint(0, n) given mask = the smallest 2^k - 1 >= n - 1.
    uint32_t next_below(uint32_t max_value, uint32_t mask) {
        uint32_t v;
        while ((v = engine_() & mask) > max_value) {
        }
        return v;
    }

    static uint32_t mask_for(uint32_t max_value);

private:
    Mt19937 engine_;
};

// numpy.percentile(values, q) with the default 'linear' method (q in [0, 100]). Sorts `values`;
// NaN if it is empty.
double numpy_percentile(std::vector<double>& values, double q);

}  // namespace gavel
