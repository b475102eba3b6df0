// Loads the judge a MODEL argument names: its config.json decides the protocol (JinaJudge ->
// classifier, Qwen2 -> Con-J generative). Owns the model, tokenizer and judge together, since the
// judge refers to the other two.
#pragma once

#include <memory>
#include <optional>
#include <string>

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
// --batch, --matmul, --attention and the generation options) on `opts`.
void add_judge_options(Options& opts);
// Sets the precisions (--matmul, --attention), resolves --model (downloading into the Hugging Face
// cache if it is a repo id) and loads the judge.
LoadedJudge load_judge(const Options& opts, ThreadPool& pool);

}  // namespace gavel::cli
