// The decoding options shared by `gavel generate` and `gavel judge` (generative judges): declared
// once so both commands spell and document them alike.
#pragma once

#include "cli/options.hpp"
#include "engine/generator.hpp"

namespace gavel::cli {

// --max-new-tokens, --greedy/--sample, --temperature, --top-k, --top-p, --min-p,
// --repetition-penalty, --seed.
void add_generation_options(Options& opts);
// Overrides `settings` (usually from generation_config.json) with what the user gave.
void apply_generation_options(const Options& opts, GenerationSettings& settings);

}  // namespace gavel::cli
