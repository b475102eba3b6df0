// Generation with a Qwen2 model: prompts of different lengths are prefilled together in batched passes,
// then decoded together one token per sequence per pass, each sequence leaving the batch when it stops
// (an eos id, max_new_tokens, or the model's context). Every sequence has its own KV cache, preallocated
// for prompt + max_new_tokens, and its own seeded sampler.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "core/thread_pool.hpp"
#include "engine/sampler.hpp"
#include "io/model_config.hpp"
#include "models/qwen2_model.hpp"

namespace gavel {

struct GenerationSettings {
    SamplingSettings sampling;
    int64_t max_new_tokens = 2048;
    std::vector<int32_t> eos_ids;  // generation stops after producing any of them
    bool ignore_eos = false;       // keep going past eos ids (parity runs compare fixed-length outputs)

    // HF generate()'s defaults: generation_config.json (do_sample, temperature, top_k, top_p, min_p,
    // repetition_penalty, max_new_tokens, eos_token_id), eos ids falling back to config.json's.
    // max_new_tokens falls back to `fallback_max_new_tokens` when the file sets none.
    static GenerationSettings from_config(const GenerationConfig& generation, const Qwen2Config& model,
                                          int64_t fallback_max_new_tokens = 2048);
};

enum class StopReason { Eos, MaxNewTokens, ContextFull };
std::string_view stop_reason_name(StopReason reason);  // "eos", "max_new_tokens", "context_full"

struct GenerationResult {
    std::vector<int32_t> tokens;  // generated ids, including the eos id that stopped generation
    StopReason stop = StopReason::MaxNewTokens;
    double prefill_seconds = 0;   // the prefill passes this prompt took part in
    double seconds = 0;           // from the start of generate() until this sequence stopped
    std::vector<float> prompt_logits;  // [prompt tokens, vocab] when asked for
};

class Generator {
public:
    // Prompt tokens per batched prefill pass, bounding activation memory (a longer prompt is
    // prefilled in several passes, its cache carrying over).
    static constexpr int64_t kDefaultPrefillTokens = 4096;

    Generator(const Qwen2Model& model, ThreadPool& pool, int64_t prefill_tokens = kDefaultPrefillTokens);

    // Generates a continuation of every prompt (each non-empty), one result per prompt, in order.
    std::vector<GenerationResult> generate(std::span<const std::vector<int32_t>> prompts,
                                           const GenerationSettings& settings, bool prompt_logits = false) const;

private:
    const Qwen2Model& model_;
    ThreadPool& pool_;
    int64_t prefill_tokens_;
};

}  // namespace gavel
