// `gavel bench`: speed of one model on this machine, in the manner of llama.cpp's llama-bench.
// A Qwen2 decoder: prompt processing (prefill of N random tokens into a fresh KV cache) and
// generation (N single-token decode steps after a short prompt), in tokens/s. A jina-embeddings-v3
// encoder or a JinaJudge: seconds for one input of N tokens (encoder, plus the head for a judge).
// Each figure is the mean and sample standard deviation over R timed runs after one warm-up run.
// Also reports peak resident memory (getrusage) and the bytes of the checkpoint's weights.
#include <sys/resource.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "cli/commands.hpp"
#include "cli/judge_loader.hpp"
#include "cli/model_arg.hpp"
#include "cli/options.hpp"
#include "backend/cpu/attention_encoder.hpp"
#include "backend/cpu/matmul.hpp"
#include "core/error.hpp"
#include "core/json.hpp"
#include "core/thread_pool.hpp"
#include "io/checkpoint.hpp"
#include "io/model_config.hpp"
#include "models/jina_judge.hpp"
#include "models/qwen2_model.hpp"
#include "models/xlm_roberta.hpp"

namespace gavel::cli {

namespace {

namespace fs = std::filesystem;

// Tokens of the prompt the decode test continues (not timed), as short as llama-bench's tg test
// (which starts from an empty cache) while still exercising attention over a cache.
constexpr int64_t kDecodePromptTokens = 16;

struct Stat {
    double mean = 0, sd = 0;
};

// Mean and sample standard deviation (0 for a single value).
Stat stat_of(const std::vector<double>& xs) {
    Stat s;
    for (double x : xs) s.mean += x;
    s.mean /= double(xs.size());
    if (xs.size() > 1) {
        double ss = 0;
        for (double x : xs) ss += (x - s.mean) * (x - s.mean);
        s.sd = std::sqrt(ss / double(xs.size() - 1));
    }
    return s;
}

// Runs `once` one time as a warm-up (unless `warmup` is false), then `repetitions` times, and returns
// the seconds of each timed run.
std::vector<double> time_runs(int64_t repetitions, bool warmup, const std::function<void()>& once) {
    if (warmup) once();
    std::vector<double> seconds;
    for (int64_t r = 0; r < repetitions; ++r) {
        auto start = std::chrono::steady_clock::now();
        once();
        seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    }
    return seconds;
}

// Tokens/s of each run processing `tokens` tokens.
Stat rate_of(const std::vector<double>& seconds, int64_t tokens) {
    std::vector<double> rates;
    for (double s : seconds) rates.push_back(double(tokens) / s);
    return stat_of(rates);
}

// Uniform random token ids in [low, high), the same for every run (fixed seed).
std::vector<int32_t> random_tokens(int64_t n, int64_t low, int64_t high, uint32_t seed) {
    std::mt19937 rng(seed);
    std::uniform_int_distribution<int64_t> pick(low, high - 1);
    std::vector<int32_t> ids(static_cast<size_t>(n));
    for (auto& id : ids) id = int32_t(pick(rng));
    return ids;
}

uint64_t peak_rss_bytes() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return uint64_t(usage.ru_maxrss) * 1024;  // Linux reports kilobytes
}

struct BenchResult {
    std::string architecture;
    std::optional<Stat> prefill, decode, encode;  // tok/s, tok/s, seconds
    int64_t prompt_tokens = 0, gen_tokens = 0, encode_tokens = 0;
    uint64_t weight_bytes = 0;
    int64_t parameters = 0;
};

long long positive_option(const Options& opts, const std::string& name) {
    long long v = opts.get_int(name);
    if (v < 1) throw UsageError{fmt::format("{} must be at least 1, got {}", name, v)};
    return v;
}

BenchResult bench_qwen2(const fs::path& path, const Options& opts, ThreadPool& pool, int64_t repetitions, bool warmup) {
    const auto model = Qwen2Model::open(path, weight_format_option(opts));
    const auto& config = model.config();
    BenchResult r;
    r.architecture = std::string(architecture_name(Architecture::Qwen2));
    r.prompt_tokens = positive_option(opts, "--prompt-tokens");
    r.gen_tokens = positive_option(opts, "--gen-tokens");
    if (r.prompt_tokens > config.max_position_embeddings)
        throw UsageError{fmt::format("--prompt-tokens {} is more than the model's max_position_embeddings {}",
                                     r.prompt_tokens, config.max_position_embeddings)};
    if (kDecodePromptTokens + r.gen_tokens > config.max_position_embeddings)
        throw UsageError{fmt::format("--gen-tokens {} plus a {}-token prompt is more than max_position_embeddings {}",
                                     r.gen_tokens, kDecodePromptTokens, config.max_position_embeddings)};
    r.weight_bytes = model.checkpoint().byte_count();
    r.parameters = model.checkpoint().parameter_count();

    // Prompt processing: the whole prompt in one forward pass into an empty cache, logits of the
    // last token only (as a prompt before generation, and as llama-bench's pp test).
    const auto prompt = random_tokens(r.prompt_tokens, 0, config.vocab_size, 1);
    cpu::KvCache prefill_cache = model.new_cache(r.prompt_tokens);
    auto prefill_once = [&] {
        prefill_cache.clear();
        Qwen2Chunk chunk{&prefill_cache, prompt, false};
        auto logits = model.forward(pool, std::span(&chunk, 1));
        if (logits.size() != 1 || logits[0].size() != size_t(config.vocab_size)) fail("bench: prefill returned no logits");
    };
    r.prefill = rate_of(time_runs(repetitions, warmup, prefill_once), r.prompt_tokens);

    // Generation: single-token steps, each feeding a random token (no sampling, as llama-bench's
    // tg test), after an untimed short prompt.
    const auto head = random_tokens(kDecodePromptTokens, 0, config.vocab_size, 2);
    const auto steps = random_tokens(r.gen_tokens, 0, config.vocab_size, 3);
    cpu::KvCache decode_cache = model.new_cache(kDecodePromptTokens + r.gen_tokens);
    std::vector<double> decode_seconds;
    auto decode_run = [&](bool timed) {
        decode_cache.clear();
        Qwen2Chunk first{&decode_cache, head, false};
        model.forward(pool, std::span(&first, 1));
        auto start = std::chrono::steady_clock::now();
        for (int64_t i = 0; i < r.gen_tokens; ++i) {
            Qwen2Chunk step{&decode_cache, std::span(&steps[size_t(i)], 1), false};
            auto logits = model.forward(pool, std::span(&step, 1));
            if (logits.size() != 1 || logits[0].empty()) fail("bench: decode step returned no logits");
        }
        if (timed) decode_seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    };
    if (warmup) decode_run(false);
    for (int64_t i = 0; i < repetitions; ++i) decode_run(true);
    r.decode = rate_of(decode_seconds, r.gen_tokens);
    return r;
}

// jina-embeddings-v3 (`judge` empty) or a JinaJudge: one input of --encode-tokens tokens.
BenchResult bench_jina(const fs::path& dir, const Options& opts, ThreadPool& pool, int64_t repetitions, bool warmup,
                       const std::optional<JinaJudgeConfig>& judge) {
    JinaEmbeddingsConfig config;
    if (judge) {
        std::optional<fs::path> encoder_dir;
        if (auto e = opts.get_optional("--encoder")) encoder_dir = resolve_model_arg(*e, {"config.json"});
        auto files = find_jina_encoder_files(dir, encoder_dir);
        if (!files.config && !encoder_dir)
            files = find_jina_encoder_files(dir, resolve_model_arg(kDefaultJinaEncoder, {"config.json"}));
        if (!files.config) fail("{}: no config.json of the encoder (give its folder with --encoder)", dir.string());
        config = parse_jina_embeddings_config(read_json_file(files.config->string()), files.config->string());
    } else {
        config = std::get<JinaEmbeddingsConfig>(read_model_config(dir));
    }
    BenchResult r;
    r.encode_tokens = positive_option(opts, "--encode-tokens");
    if (r.encode_tokens < 2 || r.encode_tokens > config.max_position_embeddings)
        throw UsageError{fmt::format("--encode-tokens must be between 2 and the encoder's max_position_embeddings {}",
                                     config.max_position_embeddings)};
    const auto checkpoint = Checkpoint::open(dir);
    r.weight_bytes = checkpoint.byte_count();
    r.parameters = checkpoint.parameter_count();

    // <s> random ids </s>, ids above the special tokens (0-3 in XLM-R's vocabulary).
    std::vector<int32_t> ids = random_tokens(r.encode_tokens, std::min<int64_t>(4, config.vocab_size - 1),
                                             config.vocab_size, 4);
    ids.front() = int32_t(config.bos_token_id);
    ids.back() = int32_t(config.eos_token_id);
    const std::vector<std::vector<int32_t>> one{ids};
    const TokenBatch batch = TokenBatch::pad(one, int32_t(config.pad_token_id));

    std::vector<double> seconds;
    if (judge && !opts.has("--encoder-only")) {
        r.architecture = std::string(architecture_name(Architecture::JinaJudge));
        XlmRobertaEncoder::LoadOptions encoder_options;
        encoder_options.weights = weight_format_option(opts);
        const auto model = JinaJudgeModel::load(checkpoint, *judge, config, encoder_options);
        seconds = time_runs(repetitions, warmup, [&] {
            auto logits = model.classify(pool, batch);
            if (logits.size() != 1) fail("bench: the judge returned no logits");
        });
    } else {
        r.architecture = std::string(architecture_name(Architecture::JinaEmbeddings));
        XlmRobertaEncoder::LoadOptions encoder_options;
        encoder_options.weights = weight_format_option(opts);
        const auto encoder = XlmRobertaEncoder::load(checkpoint, config, encoder_options);
        seconds = time_runs(repetitions, warmup, [&] {
            auto hidden = encoder.forward(pool, batch);
            if (hidden.size() != size_t(r.encode_tokens * config.hidden_size)) fail("bench: the encoder returned no states");
        });
    }
    r.encode = stat_of(seconds);
    return r;
}

std::string human_bytes(uint64_t bytes) {
    if (bytes >= (uint64_t(1) << 30)) return fmt::format("{:.2f} GiB", double(bytes) / double(uint64_t(1) << 30));
    return fmt::format("{:.1f} MiB", double(bytes) / double(1 << 20));
}

}  // namespace

int run_bench(int argc, char** argv) {
    Options opts("bench",
                 "Measure a model's speed on this machine, as llama-bench does: prompt processing and generation "
                 "tokens/s for a Qwen2 decoder; seconds per input for a jina-embeddings-v3 encoder or a JinaJudge. "
                 "Random token ids; each figure is mean ± sd over R runs after one warm-up run.",
                 "--model MODEL [OPTIONS]");
    opts.value("--model", "MODEL", "model folder, or a Hugging Face repo id (org/name[@revision])")
        .value("--prompt-tokens", "N", "Qwen2: tokens of the prompt-processing test (one prefill, fresh KV cache)", "512")
        .value("--gen-tokens", "N", "Qwen2: single-token decode steps of the generation test (after a 16-token prompt)",
               "128")
        .value("--encode-tokens", "N", "jina-embeddings-v3 / JinaJudge: tokens of the one input", "512")
        .flag("--encoder-only", "JinaJudge: time its encoder alone (as llama.cpp's jina-embeddings-v3), without the head")
        .value("--encoder", "DIR_OR_ID", "JinaJudge: folder or repo id with the encoder's config.json (default: "
                                       "MODEL/encoder/, else jinaai/jina-embeddings-v3)")
        .value("--threads", "N", "worker threads (0: all cores)", "0")
        .value("--repetitions", "R", "timed runs of each test, after one warm-up run", "5")
        .flag("--no-warmup", "skip the warm-up run (as llama-bench's --no-warmup)")
        .value("--weights", "FORMAT", kWeightsHelp, "checkpoint");
    add_precision_options(opts, true);
    opts.flag("--json", "print one JSON object instead of the table")
        .epilog("JSON keys: model, architecture, threads, repetitions, warmup, matmul, attention, weights, kernels (the\n"
                "instruction set the products run on: amx, avx512, avx2 or sse2; GAVEL_CPU=avx512|avx2|generic caps it),\n"
                "prompt_tokens, gen_tokens, encode_tokens, prefill_tok_s, prefill_tok_s_sd, decode_tok_s, decode_tok_s_sd, encode_s, encode_s_sd (null where\n"
                "the test does not apply), peak_rss_bytes (getrusage ru_maxrss), weight_bytes, parameters.");
    opts.parse(argc, argv);
    if (!opts.has("--model")) throw UsageError{"--model is required"};
    const long long threads = opts.get_int("--threads");
    if (threads < 0) throw UsageError{"--threads must not be negative"};
    const int64_t repetitions = positive_option(opts, "--repetitions");
    const bool warmup = !opts.has("--no-warmup");
    const auto [matmul, attention] = apply_precision_options(opts, true);

    const fs::path path = resolve_model_arg(opts.get("--model"));
    const fs::path dir = fs::is_directory(path) ? path : path.parent_path();
    const ModelConfig config = read_model_config(dir);
    ThreadPool pool(static_cast<size_t>(threads));
    BenchResult r;
    if (std::holds_alternative<Qwen2Config>(config)) r = bench_qwen2(path, opts, pool, repetitions, warmup);
    else if (auto* judge = std::get_if<JinaJudgeConfig>(&config)) r = bench_jina(dir, opts, pool, repetitions, warmup, *judge);
    else r = bench_jina(dir, opts, pool, repetitions, warmup, std::nullopt);
    const uint64_t peak_rss = peak_rss_bytes();
    const char* kernels = cpu::matmul_isa_name(cpu::matmul_isa());

    if (opts.has("--json")) {
        OrderedJson out;
        out["model"] = opts.get("--model");
        out["architecture"] = r.architecture;
        out["threads"] = pool.size();
        out["repetitions"] = repetitions;
        out["warmup"] = warmup;
        out["matmul"] = matmul;
        out["attention"] = attention;
        out["weights"] = opts.get("--weights");
        out["kernels"] = kernels;
        auto put = [&](const char* key, const std::optional<Stat>& s, int64_t tokens, const char* tokens_key) {
            out[tokens_key] = s ? OrderedJson(tokens) : OrderedJson(nullptr);
            out[key] = s ? OrderedJson(s->mean) : OrderedJson(nullptr);
            out[std::string(key) + "_sd"] = s ? OrderedJson(s->sd) : OrderedJson(nullptr);
        };
        put("prefill_tok_s", r.prefill, r.prompt_tokens, "prompt_tokens");
        put("decode_tok_s", r.decode, r.gen_tokens, "gen_tokens");
        put("encode_s", r.encode, r.encode_tokens, "encode_tokens");
        out["peak_rss_bytes"] = peak_rss;
        out["weight_bytes"] = r.weight_bytes;
        out["parameters"] = r.parameters;
        std::printf("%s\n", out.dump().c_str());
        return 0;
    }
    std::string table = fmt::format("{} ({}), {} threads, {} run{}{}, {} kernels\n", opts.get("--model"),
                                    r.architecture, pool.size(), repetitions, repetitions == 1 ? "" : "s",
                                    warmup ? " after a warm-up" : ", no warm-up", kernels);
    table += fmt::format("  {:<14} {:>12}   {:<10} {}\n", "test", "mean", "± sd", "unit");
    if (r.prefill)
        table += fmt::format("  {:<14} {:>12.2f} ± {:<10.2f} tok/s\n", fmt::format("pp{}", r.prompt_tokens), r.prefill->mean,
                             r.prefill->sd);
    if (r.decode)
        table += fmt::format("  {:<14} {:>12.2f} ± {:<10.2f} tok/s\n", fmt::format("tg{}", r.gen_tokens), r.decode->mean,
                             r.decode->sd);
    if (r.encode)
        table += fmt::format("  {:<14} {:>12.4f} ± {:<10.4f} s\n", fmt::format("encode{}", r.encode_tokens), r.encode->mean,
                             r.encode->sd);
    table += fmt::format("  weights {} ({} parameters), peak resident memory {}\n", human_bytes(r.weight_bytes),
                         r.parameters, human_bytes(peak_rss));
    std::fputs(table.c_str(), stdout);
    return 0;
}

}  // namespace gavel::cli
