// The JinaJudge protocol: renders each game with the judge's template, applies the truncation
// policy, classifies length-grouped batches, and reports class probabilities and logits.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/thread_pool.hpp"
#include "engine/classify_batcher.hpp"
#include "judge/jina_judge_prompt.hpp"
#include "judge/judge.hpp"
#include "models/jina_judge.hpp"

namespace gavel {

namespace text {
class Tokenizer;
}

// Text to token ids, with or without the tokenizer's special tokens (<s> ... </s>).
using EncodeIds = std::function<std::vector<int32_t>(std::string_view text, bool add_special_tokens)>;

struct JinaJudgeOptions {
    // The model was trained on prompts of at most 4096 tokens (<s> and </s> included).
    int64_t max_tokens = 4096;
    TruncateMode truncate = TruncateMode::Proportional;
    size_t batch_size = 8;             // sequences per forward pass
    int64_t max_batch_tokens = 16384;  // padded tokens per forward pass
    std::string model_name;            // written into identity()
};

class JinaJudgeProtocol : public Judge {
public:
    // `model`, `pool` and whatever `encode` refers to must outlive the judge.
    JinaJudgeProtocol(const JinaJudgeModel& model, EncodeIds encode, ThreadPool& pool, JinaJudgeOptions options);
    // With jina-embeddings-v3's tokenizer.json (XLM-R Unigram).
    JinaJudgeProtocol(const JinaJudgeModel& model, const text::Tokenizer& tokenizer, ThreadPool& pool,
                      JinaJudgeOptions options);

    // {"model", "protocol": "jina-judge", "max_tokens", "truncate"} and "task" when the encoder
    // has a task adapter merged.
    Json identity() const override;
    bool is_classifier() const override { return true; }
    // Several batches' worth, so that length grouping has games to choose from.
    size_t preferred_batch() const override { return batcher_.max_batch() * 4; }
    std::vector<GameResult> judge(std::span<const Game> games) override;

    // The ids the model sees for `game`: the whole rendered prompt tokenized at once when it fits
    // in max_tokens (exactly what the reference does), else the truncation policy's result.
    FittedPrompt prompt(const Game& game) const;
    // `game`'s template chunks and parts, each tokenized alone (what truncation cuts). Joined
    // untruncated they give the whole prompt's ids whenever the parts do not start or end with
    // whitespace; with the current tokenizer.json layout always.
    JinaJudgePieces pieces(const Game& game) const;

private:
    const JinaJudgeModel& model_;
    EncodeIds encode_;
    ThreadPool& pool_;
    JinaJudgeOptions options_;
    ClassifyBatcher batcher_;
    std::array<std::vector<int32_t>, 4> chunk_ids_;
    int32_t bos_ = 0, eos_ = 2;
};

}  // namespace gavel
