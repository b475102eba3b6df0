#include "cli/generation_options.hpp"

namespace gavel::cli {

void add_generation_options(Options& opts) {
    opts.value("--max-new-tokens", "N", "tokens to generate at most (default: generation_config.json, else 2048)")
        .flag("--greedy", "greedy decoding (do_sample=false), whatever generation_config.json says")
        .flag("--sample", "sample (do_sample=true), whatever generation_config.json says")
        .value("--temperature", "T", "sampling temperature")
        .value("--top-k", "K", "keep the K most likely tokens (0: off)")
        .value("--top-p", "P", "keep the smallest set of tokens with probability >= P (1: off)")
        .value("--min-p", "P", "drop tokens below P times the top probability (0: off)")
        .value("--repetition-penalty", "R", "Hugging Face repetition penalty over prompt + output (1: off)")
        .value("--seed", "S", "sampling seed", "0");
}

void apply_generation_options(const Options& opts, GenerationSettings& settings) {
    if (opts.has("--greedy") && opts.has("--sample")) throw UsageError{"--greedy and --sample exclude each other"};
    if (opts.has("--max-new-tokens")) settings.max_new_tokens = opts.get_int("--max-new-tokens");
    if (opts.has("--greedy")) settings.sampling.do_sample = false;
    if (opts.has("--sample")) settings.sampling.do_sample = true;
    if (opts.has("--temperature")) settings.sampling.temperature = opts.get_double("--temperature");
    if (opts.has("--top-k")) settings.sampling.top_k = opts.get_int("--top-k");
    if (opts.has("--top-p")) settings.sampling.top_p = opts.get_double("--top-p");
    if (opts.has("--min-p")) settings.sampling.min_p = opts.get_double("--min-p");
    if (opts.has("--repetition-penalty")) settings.sampling.repetition_penalty = opts.get_double("--repetition-penalty");
    settings.sampling.seed = uint64_t(opts.get_int("--seed"));
    settings.sampling.validate();
}

}  // namespace gavel::cli
