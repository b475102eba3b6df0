#include "engine/generator.hpp"

#include <algorithm>
#include <chrono>
#include <optional>

#include "core/error.hpp"

namespace gavel {

namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

struct Sequence {
    std::vector<int32_t> ids;  // prompt + generated
    size_t prompt_size = 0;
    size_t prefilled = 0;
    std::optional<cpu::KvCache> cache;
    std::optional<Sampler> sampler;
    bool done = false;
};

}  // namespace

GenerationSettings GenerationSettings::from_config(const GenerationConfig& generation, const Qwen2Config& model,
                                                   int64_t fallback_max_new_tokens) {
    GenerationSettings s;
    s.sampling.do_sample = generation.do_sample;
    s.sampling.temperature = generation.temperature;
    s.sampling.top_k = generation.top_k;
    s.sampling.top_p = generation.top_p;
    s.sampling.min_p = generation.min_p.value_or(0.0);
    s.sampling.repetition_penalty = generation.repetition_penalty;
    s.max_new_tokens = generation.max_new_tokens.value_or(fallback_max_new_tokens);
    const auto& eos = generation.eos_token_ids.empty() ? model.eos_token_ids : generation.eos_token_ids;
    for (int64_t id : eos) s.eos_ids.push_back(int32_t(id));
    return s;
}

std::string_view stop_reason_name(StopReason reason) {
    switch (reason) {
        case StopReason::Eos: return "eos";
        case StopReason::MaxNewTokens: return "max_new_tokens";
        case StopReason::ContextFull: return "context_full";
    }
    return "max_new_tokens";
}

Generator::Generator(const Qwen2Model& model, ThreadPool& pool, int64_t prefill_tokens)
    : model_(model), pool_(pool), prefill_tokens_(prefill_tokens) {
    if (prefill_tokens <= 0) fail("generator: prefill_tokens must be positive, got {}", prefill_tokens);
}

std::vector<GenerationResult> Generator::generate(std::span<const std::vector<int32_t>> prompts,
                                                  const GenerationSettings& settings, bool prompt_logits) const {
    settings.sampling.validate();
    if (settings.max_new_tokens < 0) fail("generation: max_new_tokens must be >= 0, got {}", settings.max_new_tokens);
    const auto start = std::chrono::steady_clock::now();
    const int64_t context = model_.config().max_position_embeddings;
    const int64_t vocab = model_.vocab_size();

    std::vector<Sequence> seqs(prompts.size());
    std::vector<GenerationResult> results(prompts.size());
    for (size_t i = 0; i < prompts.size(); ++i) {
        const auto& p = prompts[i];
        if (p.empty()) fail("generation: prompt {} is empty", i);
        if (int64_t(p.size()) > context)
            fail("generation: prompt {} has {} tokens, more than the model's context of {}", i, p.size(), context);
        for (int32_t id : p)
            if (id < 0 || id >= vocab) fail("generation: prompt {} holds token id {} outside the vocabulary of {}", i, id, vocab);
        seqs[i].ids = p;
        seqs[i].prompt_size = p.size();
        seqs[i].cache.emplace(model_.new_cache(std::min(context, int64_t(p.size()) + std::max<int64_t>(settings.max_new_tokens, 1))));
        seqs[i].sampler.emplace(settings.sampling);
        if (prompt_logits) results[i].prompt_logits.reserve(p.size() * size_t(vocab));
    }

    // Called with the logits after a sequence's last processed token: picks its next token or stops it.
    auto step = [&](size_t i, std::span<float> logits) {
        Sequence& s = seqs[i];
        GenerationResult& r = results[i];
        if (int64_t(r.tokens.size()) >= settings.max_new_tokens) {
            s.done = true;
            r.stop = StopReason::MaxNewTokens;
        } else {
            int32_t next = s.sampler->next(logits, s.ids);
            s.ids.push_back(next);
            r.tokens.push_back(next);
            const bool eos = !settings.ignore_eos &&
                             std::find(settings.eos_ids.begin(), settings.eos_ids.end(), next) != settings.eos_ids.end();
            if (eos) {
                s.done = true;
                r.stop = StopReason::Eos;
            } else if (int64_t(r.tokens.size()) >= settings.max_new_tokens) {
                s.done = true;
                r.stop = StopReason::MaxNewTokens;
            } else if (int64_t(s.ids.size()) > s.cache->capacity()) {
                s.done = true;  // the token just sampled has no position left to be processed at
                r.stop = StopReason::ContextFull;
            }
        }
        if (s.done) r.seconds = seconds_since(start);
    };

    // Prefill: passes of up to prefill_tokens_ prompt tokens, taken from the sequences in order.
    for (;;) {
        std::vector<Qwen2Chunk> chunks;
        std::vector<size_t> owners;
        int64_t budget = prefill_tokens_;
        for (size_t i = 0; i < seqs.size() && budget > 0; ++i) {
            Sequence& s = seqs[i];
            if (s.prefilled == s.prompt_size) continue;
            const size_t n = std::min<size_t>(s.prompt_size - s.prefilled, size_t(budget));
            chunks.push_back({&*s.cache, std::span<const int32_t>(s.ids).subspan(s.prefilled, n), prompt_logits});
            owners.push_back(i);
            budget -= int64_t(n);
        }
        if (chunks.empty()) break;
        const auto pass_start = std::chrono::steady_clock::now();
        auto logits = model_.forward(pool_, chunks);
        const double pass_seconds = seconds_since(pass_start);
        for (size_t c = 0; c < chunks.size(); ++c) {
            const size_t i = owners[c];
            Sequence& s = seqs[i];
            s.prefilled += chunks[c].tokens.size();
            results[i].prefill_seconds += pass_seconds;
            if (prompt_logits) results[i].prompt_logits.insert(results[i].prompt_logits.end(), logits[c].begin(), logits[c].end());
            if (s.prefilled == s.prompt_size)
                step(i, std::span<float>(logits[c]).subspan(logits[c].size() - size_t(vocab)));
        }
    }

    // Decode: one token per unfinished sequence per pass.
    for (;;) {
        std::vector<Qwen2Chunk> chunks;
        std::vector<size_t> owners;
        for (size_t i = 0; i < seqs.size(); ++i) {
            if (seqs[i].done) continue;
            chunks.push_back({&*seqs[i].cache, std::span<const int32_t>(seqs[i].ids).last(1), false});
            owners.push_back(i);
        }
        if (chunks.empty()) break;
        auto logits = model_.forward(pool_, chunks);
        for (size_t c = 0; c < chunks.size(); ++c) step(owners[c], logits[c]);
    }
    return results;
}

}  // namespace gavel
