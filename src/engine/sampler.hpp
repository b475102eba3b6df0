// Picks the next token from a row of logits the way Hugging Face generate() does (models.md §1.7):
// repetition penalty over every token seen so far, then greedy argmax, or temperature, top-k, top-p and
// min-p (in that order) followed by a draw from the remaining distribution. Draws come from a seeded
// generator owned by the sampler, so one sequence's tokens do not depend on what else is in the batch.
#pragma once

#include <cstdint>
#include <random>
#include <span>
#include <string>

namespace gavel {

struct SamplingSettings {
    bool do_sample = false;          // false: greedy (the warpers below are ignored, as in HF)
    double temperature = 1.0;        // > 0
    int64_t top_k = 0;               // 0: off
    double top_p = 1.0;              // 1: off
    double min_p = 0.0;              // 0: off
    double repetition_penalty = 1.0; // 1: off; HF rule: logit / p if logit > 0 else logit * p
    uint64_t seed = 0;

    // Fails naming the setting when out of range.
    void validate() const;
    // "greedy, repetition_penalty 1.05" or "sample: temperature 0.7, top_k 20, ..." for logs and identity.
    std::string describe() const;
};

class Sampler {
public:
    explicit Sampler(SamplingSettings settings);

    // The next token for `logits` (modified in place), given every token of the sequence so far
    // (prompt + generated), which the repetition penalty reads.
    int32_t next(std::span<float> logits, std::span<const int32_t> seen);

private:
    SamplingSettings settings_;
    std::mt19937_64 rng_;
};

}  // namespace gavel
