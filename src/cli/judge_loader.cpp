#include "cli/judge_loader.hpp"

#include <filesystem>

#include <fmt/format.h>

#include "cli/generation_options.hpp"
#include "cli/model_arg.hpp"
#include "core/error.hpp"
#include "io/checkpoint.hpp"
#include "io/model_config.hpp"
#include "judge/con_j_judge.hpp"
#include "judge/jina_judge.hpp"
#include "models/jina_judge.hpp"
#include "models/qwen2_model.hpp"
#include "text/tokenizer.hpp"

namespace gavel::cli {

namespace fs = std::filesystem;

namespace {

struct JinaParts {
    Checkpoint checkpoint;
    JinaJudgeModel model;
    text::Tokenizer tokenizer;
};

struct ConJParts {
    Qwen2Model model;
    text::Tokenizer tokenizer;
};

LoadedJudge load_jina_judge(const Options& opts, const fs::path& dir, const JinaJudgeConfig& config, ThreadPool& pool) {
    std::optional<fs::path> encoder_dir;
    if (opts.has("--encoder")) encoder_dir = resolve_model_arg(opts.get("--encoder"), {"config.json", "tokenizer.json"});
    JinaEncoderFiles files = find_jina_encoder_files(dir, encoder_dir);
    if (!encoder_dir && (!files.config || !files.tokenizer)) {
        // The released judge keeps only its own weights; the encoder's files live in jina's repo.
        encoder_dir = resolve_model_arg(kDefaultJinaEncoder, {"config.json", "tokenizer.json"});
        files = find_jina_encoder_files(dir, encoder_dir);
    }
    if (!files.config) fail("{}: no jina-embeddings-v3 config.json (give its folder with --encoder)", encoder_dir->string());
    if (!files.tokenizer) fail("{}: no tokenizer.json (give the jina-embeddings-v3 folder with --encoder)", encoder_dir->string());

    JinaEmbeddingsConfig encoder_config =
        parse_jina_embeddings_config(read_json_file(files.config->string()), files.config->string());
    auto checkpoint = Checkpoint::open(dir);
    XlmRobertaEncoder::LoadOptions encoder_options;
    encoder_options.weights = weight_format_option(opts);
    auto model = JinaJudgeModel::load(checkpoint, config, encoder_config, encoder_options);
    auto parts = std::make_shared<JinaParts>(
        JinaParts{std::move(checkpoint), std::move(model), text::Tokenizer::from_file(files.tokenizer->string())});

    JinaJudgeOptions options;
    options.max_tokens = opts.get_int("--max-tokens");
    options.truncate = truncate_mode_from_name(opts.get("--truncate"));
    if (opts.has("--batch")) options.batch_size = size_t(opts.get_int("--batch"));
    options.model_name = opts.get("--model");
    const text::Tokenizer* tokenizer = &parts->tokenizer;
    auto encode = [tokenizer](std::string_view t, bool special) { return tokenizer->encode_ids(t, special); };
    LoadedJudge loaded;
    loaded.judge = std::make_unique<JinaJudgeProtocol>(parts->model, encode, pool, options);
    loaded.description = fmt::format("JinaJudge classifier from {} (encoder files from {})", dir.string(),
                                     files.config->parent_path().string());
    loaded.parts = std::move(parts);
    return loaded;
}

LoadedJudge load_con_j_judge(const Options& opts, const fs::path& dir, ThreadPool& pool) {
    if (!fs::is_regular_file(dir / "tokenizer.json")) fail("{}: no tokenizer.json beside the model", dir.string());
    auto parts = std::make_shared<ConJParts>(
        ConJParts{Qwen2Model::open(dir, weight_format_option(opts)), text::Tokenizer::from_file((dir / "tokenizer.json").string())});
    ConJOptions options = ConJOptions::model_card(read_generation_config(dir), parts->model.config());
    auto format = con_j_format_from_name(opts.get("--format"));
    if (!format) throw UsageError{fmt::format("--format must be one of {}", con_j_format_names())};
    options.format = *format;
    apply_generation_options(opts, options.generation);
    if (opts.has("--batch")) options.batch = size_t(opts.get_int("--batch"));
    options.model_name = opts.get("--model");
    LoadedJudge loaded;
    loaded.judge = std::make_unique<ConJJudge>(parts->model, parts->tokenizer, pool, options);
    loaded.description = fmt::format("Con-J generative judge ({} format, {}) from {}", con_j_format_name(options.format),
                                     options.generation.sampling.describe(), dir.string());
    loaded.parts = std::move(parts);
    return loaded;
}

}  // namespace

void add_judge_options(Options& opts) {
    opts.value("--model", "MODEL",
               "judge model: folder, Hugging Face cache snapshot or hub repo id (org/name[@revision])",
               kDefaultJudgeModel)
        .value("--encoder", "MODEL",
               std::string("JinaJudge: folder or repo id with jina-embeddings-v3's config.json and tokenizer.json "
                           "(default: the judge's own folder, else ") + kDefaultJinaEncoder + ")")
        .value("--weights", "FORMAT", kWeightsHelp, "checkpoint")
        .value("--max-tokens", "N", "JinaJudge: longest prompt in tokens (it was trained on at most 4096)", "4096")
        .value("--truncate", "MODE",
               "JinaJudge, prompts over --max-tokens: 'proportional' shortens question and answers in proportion "
               "to their lengths (never the template tags) and marks the judgment truncated; 'error' stops",
               "proportional")
        .value("--format", "NAME",
               "Con-J prompt format: model-card (the model card's, default), repo-eval, dpo-training, data-sampling",
               "model-card")
        .value("--batch", "N", "sequences per forward pass (default: the judge's own choice)");
    add_precision_options(opts, true);
    add_generation_options(opts);
}

LoadedJudge load_judge(const Options& opts, ThreadPool& pool) {
    apply_precision_options(opts, true);
    const fs::path dir = resolve_model_arg(opts.get("--model"));
    if (!fs::is_directory(dir)) fail("{}: a judge is a model folder (config.json beside the weights)", dir.string());
    ModelConfig config = read_model_config(dir);
    if (auto* jina = std::get_if<JinaJudgeConfig>(&config)) return load_jina_judge(opts, dir, *jina, pool);
    if (std::holds_alternative<Qwen2Config>(config)) return load_con_j_judge(opts, dir, pool);
    fail("{}: {} is an encoder, not a judge: judges are JinaJudge and Qwen2 (Con-J) models", dir.string(),
         architecture_name(architecture_of(config)));
}

}  // namespace gavel::cli
