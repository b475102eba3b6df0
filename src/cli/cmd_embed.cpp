// gavel embed: mean-pooled sentence embeddings from the jina-embeddings-v3 encoder (a
// jina-embeddings-v3 folder, or the encoder inside a JinaJudge), written as a .npy matrix.
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli/commands.hpp"
#include "cli/judge_loader.hpp"
#include "cli/model_arg.hpp"
#include "cli/options.hpp"
#include "core/error.hpp"
#include "core/json.hpp"
#include "core/line_reader.hpp"
#include "core/progress.hpp"
#include "core/thread_pool.hpp"
#include "engine/classify_batcher.hpp"
#include "io/atomic_file.hpp"
#include "io/checkpoint.hpp"
#include "io/model_config.hpp"
#include "models/jina_judge.hpp"
#include "models/xlm_roberta.hpp"
#include "text/tokenizer.hpp"

namespace gavel::cli {

namespace {

// One input line: a JSON string, {"text": ...}, or {"ids": [...]} (token ids used as given).
struct EmbedInput {
    std::optional<std::string> text;
    std::vector<int32_t> ids;
};

EmbedInput parse_input(const std::string& line, const std::string& where) {
    Json j = parse_json(line, where);
    EmbedInput in;
    if (j.is_string()) {
        in.text = j.get<std::string>();
    } else if (j.is_object() && j.contains("text")) {
        in.text = require_string(j, "text", where);
    } else if (j.is_object() && j.contains("ids")) {
        const Json& ids = j["ids"];
        if (!ids.is_array() || ids.empty()) fail("{}: field 'ids' must be a non-empty array of token ids", where);
        for (const Json& id : ids) {
            if (!id.is_number_integer() || id.get<int64_t>() < 0 || id.get<int64_t>() > INT32_MAX)
                fail("{}: field 'ids' holds {}, not a token id", where, id.dump());
            in.ids.push_back(int32_t(id.get<int64_t>()));
        }
    } else {
        fail("{}: expected a JSON string or an object with \"text\" or \"ids\"", where);
    }
    return in;
}

// .npy version 1.0 header for a little-endian f32 matrix, padded so the data starts at a multiple
// of 64 bytes as numpy writes it.
std::string npy_header(int64_t rows, int64_t cols) {
    std::string dict = fmt::format("{{'descr': '<f4', 'fortran_order': False, 'shape': ({}, {}), }}", rows, cols);
    size_t total = 10 + dict.size() + 1;
    dict.append((64 - total % 64) % 64, ' ');
    dict += '\n';
    std::string header = "\x93NUMPY";
    header += char(1);
    header += char(0);
    header += char(dict.size() & 0xff);
    header += char(dict.size() >> 8);
    return header + dict;
}

}  // namespace

int run_embed(int argc, char** argv) {
    Options opts("embed",
                 "Mean-pooled embeddings from the jina-embeddings-v3 encoder (of a jina-embeddings-v3 folder or "
                 "of a JinaJudge), one row per input line, written as a float32 .npy matrix.",
                 "--model MODEL --input texts.jsonl --output emb.npy [options]");
    opts.value("--model", "MODEL", "jina-embeddings-v3 folder, or a JinaJudge folder (its encoder is used)")
        .value("--encoder", "DIR_OR_ID", "for a JinaJudge: the jina-embeddings-v3 folder or repo id with the encoder's "
                                       "config.json and tokenizer.json (default: beside the judge in MODEL/encoder/, "
                                       "else jinaai/jina-embeddings-v3)")
        .value("--task", "TASK", "merge this task's LoRA adapter (retrieval.query, retrieval.passage, separation, "
                               "classification, text-matching); default: none, the base weights")
        .flag("--no-instruction", "with --task: do not prepend the task's instruction to each text (jina's encode() "
                                "prepends it, e.g. \"Represent the query for retrieving evidence documents: \")")
        .value("--input", "FILE", "JSON lines: a string, {\"text\": ...}, or {\"ids\": [...]} (token ids as given); "
                                "'-' reads stdin")
        .value("--output", "FILE", "the .npy file to write: float32 [inputs, dim]")
        .value("--max-tokens", "N", "longer texts keep their first N-1 tokens and </s> (as the tokenizer's "
                                  "truncation does)", "8194")
        .value("--dim", "N", "keep the first N dimensions (Matryoshka truncation), before --normalize")
        .flag("--normalize", "scale each embedding to unit L2 norm")
        .value("--gelu", "erf|tanh", "GELU form: erf is the model's; tanh reproduces llama.cpp's jina-bert-v3", "erf")
        .value("--batch", "N", "sequences per forward pass (grouped by length)", "8")
        .value("--threads", "N", "worker threads (0: all cores)", "0")
        .value("--weights", "FORMAT", kWeightsHelp, "checkpoint")
        .flag("--quiet", "no progress bar");
    add_precision_options(opts, true);
    opts.parse(argc, argv);
    apply_precision_options(opts, true);
    for (const char* required : {"--model", "--input", "--output"})
        if (!opts.has(required)) throw UsageError{fmt::format("{} is required", required)};

    const auto model_dir = resolve_model_arg(opts.get("--model"));
    // The encoder's config.json and tokenizer.json only: a JinaJudge holds the encoder's weights.
    const std::vector<std::string> encoder_patterns = {"config.json", "tokenizer.json"};
    std::optional<std::filesystem::path> encoder_dir;
    if (auto e = opts.get_optional("--encoder")) encoder_dir = resolve_model_arg(*e, encoder_patterns);
    const ModelConfig model_config = read_model_config(model_dir);
    JinaEmbeddingsConfig config;
    // Found now, or, for a JinaJudge without its encoder's files, taken from jina-embeddings-v3
    // when first needed (token-id input needs no tokenizer).
    std::optional<std::filesystem::path> tokenizer_path;
    bool judge = false;
    if (std::holds_alternative<JinaEmbeddingsConfig>(model_config)) {
        config = std::get<JinaEmbeddingsConfig>(model_config);
        tokenizer_path = (encoder_dir ? *encoder_dir : model_dir) / "tokenizer.json";
    } else if (std::holds_alternative<JinaJudgeConfig>(model_config)) {
        judge = true;
        auto files = find_jina_encoder_files(model_dir, encoder_dir);
        if (!files.config && !encoder_dir)
            files.config = find_jina_encoder_files(model_dir, resolve_model_arg(kDefaultJinaEncoder, encoder_patterns)).config;
        if (!files.config)
            fail("{}: no config.json of the encoder", (encoder_dir ? *encoder_dir : model_dir).string());
        config = std::get<JinaEmbeddingsConfig>(read_model_config(*files.config));
        tokenizer_path = files.tokenizer;
    } else {
        fail("{}: gavel embed needs a jina-embeddings-v3 or JinaJudge model, this is {}", model_dir.string(),
             architecture_name(architecture_of(model_config)));
    }
    auto load_tokenizer = [&] {
        if (!tokenizer_path && judge && !encoder_dir)
            tokenizer_path = find_jina_encoder_files(model_dir, resolve_model_arg(kDefaultJinaEncoder, encoder_patterns)).tokenizer;
        if (!tokenizer_path) fail("{}: no tokenizer.json of the encoder", (encoder_dir ? *encoder_dir : model_dir).string());
        return std::make_unique<text::Tokenizer>(text::Tokenizer::from_file(tokenizer_path->string()));
    };

    XlmRobertaEncoder::LoadOptions load;
    load.task = opts.get_optional("--task");
    const std::string gelu = opts.get("--gelu");
    if (gelu != "erf" && gelu != "tanh") throw UsageError{fmt::format("--gelu must be erf or tanh, not '{}'", gelu)};
    load.gelu = gelu == "tanh" ? GeluKind::Tanh : GeluKind::Erf;
    load.weights = weight_format_option(opts);
    const auto checkpoint = Checkpoint::open(model_dir);
    const auto encoder = XlmRobertaEncoder::load(checkpoint, config, load);

    const long long max_tokens = opts.get_int("--max-tokens");
    if (max_tokens < 2 || max_tokens > config.max_position_embeddings)
        throw UsageError{fmt::format("--max-tokens must be between 2 and max_position_embeddings {}",
                                     config.max_position_embeddings)};
    int64_t dim = config.hidden_size;
    if (opts.has("--dim")) {
        dim = opts.get_int("--dim");
        if (dim < 1 || dim > config.hidden_size)
            throw UsageError{fmt::format("--dim must be between 1 and {}", config.hidden_size)};
    }
    const long long batch_size = opts.get_int("--batch"), threads = opts.get_int("--threads");
    if (batch_size < 1) throw UsageError{"--batch must be at least 1"};
    if (threads < 0) throw UsageError{"--threads must not be negative"};

    std::string instruction;
    if (load.task && !opts.has("--no-instruction")) {
        auto it = config.task_instructions.find(*load.task);
        if (it != config.task_instructions.end()) instruction = it->second;
    }

    // Token ids of every input, in order.
    std::unique_ptr<text::Tokenizer> tokenizer;
    std::vector<std::vector<int32_t>> sequences;
    size_t truncated = 0;
    {
        LineReader reader(opts.get("--input"));
        std::string line;
        while (reader.next(line)) {
            if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
            auto in = parse_input(line, reader.where());
            if (!in.text) {
                for (int32_t id : in.ids)
                    if (id >= config.vocab_size)
                        fail("{}: token id {} is outside the vocabulary of {}", reader.where(), id, config.vocab_size);
                if (int64_t(in.ids.size()) > config.max_position_embeddings)
                    fail("{}: {} token ids, more than max_position_embeddings {}", reader.where(), in.ids.size(),
                         config.max_position_embeddings);
                sequences.push_back(std::move(in.ids));
                continue;
            }
            if (!tokenizer) tokenizer = load_tokenizer();
            auto ids = tokenizer->encode_ids(instruction + *in.text, true);
            if (int64_t(ids.size()) > max_tokens) {
                const int32_t last = ids.back();
                ids.resize(size_t(max_tokens - 1));
                ids.push_back(last);
                ++truncated;
            }
            sequences.push_back(std::move(ids));
        }
    }

    ThreadPool pool{static_cast<size_t>(threads)};
    const std::string output = opts.get("--output");
    AtomicFile out{std::filesystem::path(output)};
    const std::string header = npy_header(int64_t(sequences.size()), dim);
    out.write_at(0, header.data(), header.size());
    std::vector<int64_t> lengths;
    for (const auto& s : sequences) lengths.push_back(int64_t(s.size()));
    Progress progress("embedding", sequences.size(), "texts", !opts.has("--quiet"));
    const auto pad_id = int32_t(config.pad_token_id);
    for (const auto& group : ClassifyBatcher(size_t(batch_size)).plan(lengths)) {
        std::vector<std::vector<int32_t>> members;
        for (size_t i : group) members.push_back(sequences[i]);
        auto pooled = encoder.embed(pool, TokenBatch::pad(members, pad_id));
        for (size_t j = 0; j < group.size(); ++j) {
            std::vector<float> row(pooled.begin() + int64_t(j) * config.hidden_size,
                                   pooled.begin() + int64_t(j) * config.hidden_size + dim);
            if (opts.has("--normalize")) {
                double norm = 0;
                for (float v : row) norm += double(v) * v;
                const float scale = norm > 0 ? float(1.0 / std::sqrt(norm)) : 0.0f;
                for (float& v : row) v *= scale;
            }
            out.write_at(header.size() + uint64_t(group[j]) * uint64_t(dim) * 4, row.data(), row.size() * 4);
        }
        progress.advance(group.size());
    }
    progress.finish();
    out.commit();
    std::fprintf(stderr, "embed: %zu embeddings of %lld dimensions%s written to %s%s\n", sequences.size(),
                 static_cast<long long>(dim), opts.has("--normalize") ? " (unit norm)" : "", output.c_str(),
                 truncated ? fmt::format(" ({} texts truncated to {} tokens)", truncated, max_tokens).c_str() : "");
    return 0;
}

}  // namespace gavel::cli
