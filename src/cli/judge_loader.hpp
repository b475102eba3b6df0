// Loads the judge a MODEL argument names: its config.json decides the protocol (JinaJudge ->
// classifier, Qwen2 -> Con-J generative). Owns the model, tokenizer and judge together, since the
// judge refers to the other two.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "backend/cpu/quantize.hpp"
#include "cli/options.hpp"
#include "core/thread_pool.hpp"
#include "judge/judge.hpp"

namespace gavel::cli {

// The model every command judges with unless --model says otherwise: the one that runs well on a CPU.
inline constexpr const char* kDefaultJudgeModel = "kaleinaNyan/jina-v3-rullmarena-judge";
// Where JinaJudge's encoder config and tokenizer come from when the judge's folder lacks them.
inline constexpr const char* kDefaultJinaEncoder = "jinaai/jina-embeddings-v3";

struct LoadedJudge {
    std::shared_ptr<void> parts;  // model, tokenizer: kept alive for `judge`
    std::unique_ptr<Judge> judge;
    std::string description;      // "JinaJudge (classifier) from /path" for the log line
};

// Declares the judge options (--model, --encoder, --weights, --format, --max-tokens, --truncate,
// --batch and the generation options) on `opts`.
void add_judge_options(Options& opts);
// The help text of --weights, shared by the commands that load a model.
inline constexpr const char* kWeightsHelp =
    "checkpoint: multiply by the weights as stored, in place (default); int8: quantise the matrices to 8 bits "
    "at load (Q8_0 blocks of 32, as llama.cpp's) and take int8 dot products: less memory and faster, at a "
    "small accuracy cost (bench/RESULTS.md)";
// --weights as a WeightFormat; a usage error for any other value.
cpu::WeightFormat weight_format_option(const Options& opts);

// Resolves --model (downloading into the Hugging Face cache if it is a repo id) and loads the judge.
LoadedJudge load_judge(const Options& opts, ThreadPool& pool);

}  // namespace gavel::cli
