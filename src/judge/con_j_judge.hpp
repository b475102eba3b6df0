// The Con-J generative judge (models.md §1): renders each game as the Con-J prompt in one of its chat
// formats, generates a judgment with a Qwen2 model (any Qwen2 / Qwen2.5 checkpoint works), and reads the
// verdict with the authors' parser. Answer 1 of the prompt is the game's first answer (position A).
#pragma once

#include <span>
#include <string>
#include <vector>

#include "core/thread_pool.hpp"
#include "engine/generator.hpp"
#include "judge/con_j_prompt.hpp"
#include "judge/con_j_verdict_parser.hpp"
#include "judge/judge.hpp"
#include "models/qwen2_model.hpp"
#include "text/tokenizer.hpp"

namespace gavel {

struct ConJOptions {
    ConJFormat format = ConJFormat::ModelCard;
    GenerationSettings generation;
    size_t batch = 4;        // games generated together (prefill and decode batched)
    std::string model_name;  // written as "model" in every judgment's identity

    // The model card's settings (§1.6.2, §1.7): generate() with generation_config.json's defaults,
    // do_sample=False (so its repetition_penalty, 1.05 for Qwen2-7B-Instruct, still applies), at most
    // 2048 new tokens, stop on every eos id.
    static ConJOptions model_card(const GenerationConfig& generation_config, const Qwen2Config& model_config);
};

class ConJJudge : public Judge {
public:
    // `model`, `tokenizer` and `pool` must outlive the judge.
    ConJJudge(const Qwen2Model& model, const text::Tokenizer& tokenizer, ThreadPool& pool, ConJOptions options);

    // {"model", "protocol": "con-j", "format", "decoding", "max_new_tokens"}
    Json identity() const override;
    bool is_classifier() const override { return false; }
    size_t preferred_batch() const override { return options_.batch; }
    // One result per game: verdict about the positions shown (parse_failed when unparseable), the
    // "原因" rationale, the generated text (special tokens skipped), token counts, seconds, and in
    // `extra` the parser path, the generation's stop reason and the prompt format.
    std::vector<GameResult> judge(std::span<const Game> games) override;

    const ConJOptions& options() const { return options_; }

private:
    const Qwen2Model& model_;
    const text::Tokenizer& tokenizer_;
    ThreadPool& pool_;
    ConJOptions options_;
    Generator generator_;
    ConJVerdictParser parser_;
};

}  // namespace gavel
