#include "engine/sampler.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <vector>

#include <fmt/format.h>

#include "core/error.hpp"

namespace gavel {

namespace {

constexpr float kRemoved = -std::numeric_limits<float>::infinity();

// Softmax of the logits in double (probabilities of removed tokens are 0).
std::vector<double> probabilities(std::span<const float> logits) {
    float max_logit = *std::max_element(logits.begin(), logits.end());
    std::vector<double> p(logits.size());
    double sum = 0;
    for (size_t i = 0; i < logits.size(); ++i) sum += p[i] = std::exp(double(logits[i]) - double(max_logit));
    for (auto& x : p) x /= sum;
    return p;
}

// HF TopKLogitsWarper: removes tokens below the k-th largest logit (ties with it stay).
void keep_top_k(std::span<float> logits, int64_t k) {
    if (k <= 0 || size_t(k) >= logits.size()) return;
    std::vector<float> sorted(logits.begin(), logits.end());
    std::nth_element(sorted.begin(), sorted.begin() + (k - 1), sorted.end(), std::greater<float>());
    const float threshold = sorted[size_t(k - 1)];
    for (auto& x : logits)
        if (x < threshold) x = kRemoved;
}

// HF TopPLogitsWarper: in ascending order of probability, removes tokens while the cumulative
// probability stays <= 1 - top_p; the most probable token always stays.
void keep_top_p(std::span<float> logits, double top_p) {
    if (top_p >= 1.0) return;
    auto p = probabilities(logits);
    std::vector<int32_t> order(logits.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](int32_t a, int32_t b) { return logits[size_t(a)] < logits[size_t(b)]; });
    double cumulative = 0;
    for (size_t r = 0; r + 1 < order.size(); ++r) {
        cumulative += p[size_t(order[r])];
        if (cumulative > 1.0 - top_p) break;
        logits[size_t(order[r])] = kRemoved;
    }
}

// HF MinPLogitsWarper: removes tokens whose probability is below min_p times the top probability.
void keep_min_p(std::span<float> logits, double min_p) {
    if (min_p <= 0) return;
    auto p = probabilities(logits);
    const double threshold = min_p * *std::max_element(p.begin(), p.end());
    for (size_t i = 0; i < logits.size(); ++i)
        if (p[i] < threshold) logits[i] = kRemoved;
}

int32_t argmax(std::span<const float> logits) {
    return int32_t(std::max_element(logits.begin(), logits.end()) - logits.begin());  // first of equal maxima
}

}  // namespace

void SamplingSettings::validate() const {
    if (!(temperature > 0)) fail("sampling: temperature must be > 0, got {} (use greedy decoding instead)", temperature);
    if (top_k < 0) fail("sampling: top_k must be >= 0, got {}", top_k);
    if (!(top_p > 0 && top_p <= 1)) fail("sampling: top_p must be in (0, 1], got {}", top_p);
    if (!(min_p >= 0 && min_p <= 1)) fail("sampling: min_p must be in [0, 1], got {}", min_p);
    if (!(repetition_penalty > 0)) fail("sampling: repetition_penalty must be > 0, got {}", repetition_penalty);
}

std::string SamplingSettings::describe() const {
    std::string out = do_sample ? fmt::format("sample (seed {}): temperature {}, top_k {}, top_p {}, min_p {}", seed,
                                              temperature, top_k, top_p, min_p)
                                : std::string("greedy");
    if (repetition_penalty != 1.0) out += fmt::format(", repetition_penalty {}", repetition_penalty);
    return out;
}

Sampler::Sampler(SamplingSettings settings) : settings_(settings), rng_(settings.seed) { settings_.validate(); }

int32_t Sampler::next(std::span<float> logits, std::span<const int32_t> seen) {
    if (logits.empty()) fail("sampler: empty logits");
    if (settings_.repetition_penalty != 1.0) {
        // Each distinct token is penalised once, however often it occurred (HF gathers then scatters).
        std::vector<int32_t> distinct(seen.begin(), seen.end());
        std::sort(distinct.begin(), distinct.end());
        distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
        const float penalty = float(settings_.repetition_penalty);
        for (int32_t t : distinct) {
            if (t < 0 || size_t(t) >= logits.size()) continue;
            float& x = logits[size_t(t)];
            x = x < 0 ? x * penalty : x / penalty;
        }
    }
    if (!settings_.do_sample) return argmax(logits);
    if (settings_.temperature != 1.0)
        for (auto& x : logits) x = float(x / settings_.temperature);
    keep_top_k(logits, settings_.top_k);
    keep_top_p(logits, settings_.top_p);
    keep_min_p(logits, settings_.min_p);
    auto p = probabilities(logits);
    // Inverse-CDF draw with 53 random bits.
    const double u = double(rng_() >> 11) * 0x1.0p-53;
    double cumulative = 0;
    int32_t last_kept = argmax(logits);
    for (size_t i = 0; i < p.size(); ++i) {
        if (p[i] <= 0) continue;
        cumulative += p[i];
        last_kept = int32_t(i);
        if (u < cumulative) return int32_t(i);
    }
    return last_kept;  // rounding left u above the total
}

}  // namespace gavel
