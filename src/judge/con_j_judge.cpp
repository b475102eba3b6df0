#include "judge/con_j_judge.hpp"

#include "backend/cpu/matmul.hpp"
#include "core/error.hpp"

namespace gavel {

ConJOptions ConJOptions::model_card(const GenerationConfig& generation_config, const Qwen2Config& model_config) {
    ConJOptions o;
    o.format = ConJFormat::ModelCard;
    o.generation = GenerationSettings::from_config(generation_config, model_config, 2048);
    o.generation.sampling.do_sample = false;
    o.generation.max_new_tokens = 2048;
    return o;
}

ConJJudge::ConJJudge(const Qwen2Model& model, const text::Tokenizer& tokenizer, ThreadPool& pool, ConJOptions options)
    : model_(model), tokenizer_(tokenizer), pool_(pool), options_(std::move(options)), generator_(model, pool) {
    options_.generation.sampling.validate();
    if (options_.batch == 0) fail("con-j judge: batch must be at least 1");
    if (options_.generation.eos_ids.empty())
        fail("con-j judge: no eos token ids (generation_config.json / config.json eos_token_id): generation would "
             "never stop before max_new_tokens");
}

Json ConJJudge::identity() const {
    Json id{{"model", options_.model_name},
            {"protocol", "con-j"},
            {"format", std::string(con_j_format_name(options_.format))},
            {"decoding", options_.generation.sampling.describe()},
            {"max_new_tokens", options_.generation.max_new_tokens}};
    // 8-bit weights change what is generated: a resumed run must not mix them with exact ones.
    if (model_.weight_format() == cpu::WeightFormat::Int8) id["weights"] = "int8";
    // So do bf16 products (--matmul bf16), where they are in effect.
    if (cpu::matmul_bf16_in_effect()) id["matmul"] = "bf16";
    return id;
}

std::vector<GameResult> ConJJudge::judge(std::span<const Game> games) {
    std::vector<GameResult> results(games.size());
    std::vector<std::vector<int32_t>> prompts;
    std::vector<size_t> owner;               // game index of each prompt
    std::vector<std::string> parse_prefixes;  // per prompt
    const int64_t context = model_.config().max_position_embeddings;
    for (size_t g = 0; g < games.size(); ++g) {
        ConJPromptText prompt = render_con_j_prompt(options_.format, games[g].question(), games[g].first(),
                                                    games[g].second());
        std::vector<int32_t> ids = tokenizer_.encode_ids(prompt.text, true);
        results[g].prompt_tokens = int64_t(ids.size());
        results[g].extra["format"] = std::string(con_j_format_name(options_.format));
        if (int64_t(ids.size()) >= context) {
            // Not judged: the model cannot read the whole prompt, and cutting it would change the question.
            results[g].truncated = true;
            results[g].extra["error"] = "prompt of " + std::to_string(ids.size()) +
                                        " tokens does not fit the model's context of " + std::to_string(context);
            continue;
        }
        prompts.push_back(std::move(ids));
        owner.push_back(g);
        parse_prefixes.push_back(std::move(prompt.parse_prefix));
    }
    if (prompts.empty()) return results;

    std::vector<GenerationResult> generated = generator_.generate(prompts, options_.generation);
    for (size_t p = 0; p < prompts.size(); ++p) {
        GameResult& r = results[owner[p]];
        const GenerationResult& gen = generated[p];
        r.raw = tokenizer_.decode(gen.tokens, true);
        r.generated_tokens = int64_t(gen.tokens.size());
        r.seconds = gen.seconds;
        ConJParse parse = parser_.parse(parse_prefixes[p] + r.raw);
        r.verdict = parse.verdict();
        r.rationale = parse.rationale;
        r.extra["parser"] = parse.path;
        if (!parse.soft_key.empty()) r.extra["soft_key"] = parse.soft_key;
        r.extra["stop"] = std::string(stop_reason_name(gen.stop));
    }
    return results;
}

}  // namespace gavel
