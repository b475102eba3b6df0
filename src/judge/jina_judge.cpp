#include "judge/jina_judge.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "backend/cpu/attention_encoder.hpp"
#include "backend/cpu/matmul.hpp"
#include "core/error.hpp"
#include "text/tokenizer.hpp"

namespace gavel {

namespace {

std::string game_name(const Game& game) {
    return fmt::format("pair '{}' ({})", game.pair->id, game.swapped ? "swap" : "as-is");
}

// Softmax in double: probabilities that sum to 1 to the last bit f32 can show.
std::array<float, 3> probabilities(const std::array<float, 3>& logits) {
    const double mx = std::max({logits[0], logits[1], logits[2]});
    std::array<double, 3> e{};
    double sum = 0;
    for (size_t i = 0; i < 3; ++i) sum += e[i] = std::exp(double(logits[i]) - mx);
    return {float(e[0] / sum), float(e[1] / sum), float(e[2] / sum)};
}

}  // namespace

JinaJudgeProtocol::JinaJudgeProtocol(const JinaJudgeModel& model, EncodeIds encode, ThreadPool& pool,
                                     JinaJudgeOptions options)
    : model_(model),
      encode_(std::move(encode)),
      pool_(pool),
      options_(std::move(options)),
      batcher_(options_.batch_size, options_.max_batch_tokens) {
    if (options_.max_tokens <= 0) fail("--max-tokens must be positive, got {}", options_.max_tokens);
    const int64_t positions = model_.encoder().config().max_position_embeddings;
    if (options_.max_tokens > positions)
        fail("--max-tokens {} is more than the encoder's max_position_embeddings {}", options_.max_tokens, positions);
    // The chunks' edge newlines are left out: inside the whole prompt they only separate words
    // (XLM-R's normalizer turns them into spaces), while tokenized alone a trailing one can become
    // a lone "▁" piece in the 2020 tokenizer.json layout.
    for (size_t i = 0; i < 4; ++i) {
        std::string_view chunk = jina_judge_template_chunks()[i];
        chunk.remove_prefix(chunk.find_first_not_of('\n'));
        chunk.remove_suffix(chunk.size() - 1 - chunk.find_last_not_of('\n'));
        chunk_ids_[i] = encode_(chunk, false);
    }
    // The tokenizer's post-processor decides the special tokens: an empty text gets just them.
    auto specials = encode_("", true);
    if (specials.size() != 2)
        fail("jina judge: the tokenizer adds {} special tokens to a text, expected 2 (<s> and </s>)", specials.size());
    bos_ = specials[0];
    eos_ = specials[1];
}

JinaJudgeProtocol::JinaJudgeProtocol(const JinaJudgeModel& model, const text::Tokenizer& tokenizer, ThreadPool& pool,
                                     JinaJudgeOptions options)
    : JinaJudgeProtocol(
          model,
          [&tokenizer](std::string_view text, bool specials) { return tokenizer.encode_ids(text, specials); }, pool,
          std::move(options)) {}

Json JinaJudgeProtocol::identity() const {
    Json id = {{"model", options_.model_name},
               {"protocol", "jina-judge"},
               {"max_tokens", options_.max_tokens},
               {"truncate", truncate_mode_name(options_.truncate)}};
    // The judge was trained without an adapter; one merged on request changes every judgment.
    if (const auto& task = model_.encoder().task()) id["task"] = *task;
    // 8-bit weights move the logits a little: a resumed run must not mix them with exact ones.
    if (model_.encoder().weight_format() == cpu::WeightFormat::Int8) id["weights"] = "int8";
    // So do bf16 products (--matmul bf16, --attention bf16), where they are in effect.
    if (cpu::matmul_bf16_in_effect()) id["matmul"] = "bf16";
    if (cpu::attention_bf16_in_effect(model_.encoder().config().head_dim())) id["attention"] = "bf16";
    return id;
}

JinaJudgePieces JinaJudgeProtocol::pieces(const Game& game) const {
    JinaJudgePieces p;
    p.chunks = chunk_ids_;
    p.parts = {encode_(game.question(), false), encode_(game.first(), false), encode_(game.second(), false)};
    p.bos = bos_;
    p.eos = eos_;
    return p;
}

FittedPrompt JinaJudgeProtocol::prompt(const Game& game) const {
    const JinaJudgePieces pieces = this->pieces(game);
    auto whole = encode_(render_jina_judge_prompt(game.question(), game.first(), game.second()), true);
    if (int64_t(whole.size()) > options_.max_tokens)
        return fit_jina_judge_prompt(pieces, options_.max_tokens, options_.truncate, game_name(game));
    FittedPrompt fit;
    for (size_t i = 0; i < 3; ++i) fit.part_tokens[i] = fit.kept_tokens[i] = int64_t(pieces.parts[i].size());
    fit.template_tokens = int64_t(whole.size()) - fit.part_tokens[0] - fit.part_tokens[1] - fit.part_tokens[2];
    fit.ids = std::move(whole);
    return fit;
}

std::vector<GameResult> JinaJudgeProtocol::judge(std::span<const Game> games) {
    std::vector<FittedPrompt> prompts;
    std::vector<std::vector<int32_t>> sequences;
    std::vector<double> prepare_seconds;
    for (const Game& game : games) {
        const auto start = std::chrono::steady_clock::now();
        prompts.push_back(prompt(game));
        sequences.push_back(prompts.back().ids);
        prepare_seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    }
    auto outputs = batcher_.run(pool_, model_, sequences);

    std::vector<GameResult> results(games.size());
    for (size_t i = 0; i < games.size(); ++i) {
        const FittedPrompt& fit = prompts[i];
        GameResult& r = results[i];
        r.logits = outputs[i].logits;
        r.probs = probabilities(outputs[i].logits);
        const auto& l = outputs[i].logits;
        r.verdict = verdict_from_class(int(std::max_element(l.begin(), l.end()) - l.begin()));
        r.prompt_tokens = int64_t(fit.ids.size());
        r.truncated = fit.truncated;
        r.seconds = prepare_seconds[i] + outputs[i].seconds;
        // Counts per part in the positions the judge saw: "first" is the answer shown as A.
        r.extra["tokens"] = {{"question", fit.part_tokens[0]},
                             {"first", fit.part_tokens[1]},
                             {"second", fit.part_tokens[2]},
                             {"template", fit.template_tokens}};
        if (fit.truncated)
            r.extra["kept_tokens"] = {
                {"question", fit.kept_tokens[0]}, {"first", fit.kept_tokens[1]}, {"second", fit.kept_tokens[2]}};
    }
    return results;
}

}  // namespace gavel
