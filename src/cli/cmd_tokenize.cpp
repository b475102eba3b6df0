// `gavel tokenize`: runs a tokenizer.json over JSON lines, in order, on all cores. The parity tests
// compare its output with the Hugging Face tokenizers library line by line.
#include <cstdio>
#include <string>
#include <vector>

#include "cli/commands.hpp"
#include "cli/options.hpp"
#include "core/error.hpp"
#include "core/json.hpp"
#include "core/line_reader.hpp"
#include "core/thread_pool.hpp"
#include "text/tokenizer.hpp"

namespace gavel::cli {
namespace {

enum class Mode { Encode, Decode, Normalize, PreTokenize };

struct Job {
    std::string line;
    std::string where;
    std::string output;
};

std::string run_one(const text::Tokenizer& tokenizer, Mode mode, const Job& job, bool add_special_tokens,
                    bool skip_special_tokens, bool offsets) {
    Json in = parse_json(job.line, job.where);
    Json out = Json::object();
    if (mode == Mode::Decode) {
        const Json& ids = require_field(in, "ids", job.where);
        if (!ids.is_array()) fail("{}: field 'ids' must be an array of integers", job.where);
        std::vector<int32_t> values;
        values.reserve(ids.size());
        for (const Json& id : ids) {
            if (!id.is_number_integer() || id.get<int64_t>() < INT32_MIN || id.get<int64_t>() > INT32_MAX)
                fail("{}: field 'ids' must hold 32-bit integers, got {}", job.where, id.dump());
            values.push_back(int32_t(id.get<int64_t>()));
        }
        out["text"] =
            tokenizer.decode(values, optional_bool(in, "skip_special_tokens", skip_special_tokens, job.where));
    } else {
        std::string text = require_string(in, "text", job.where);
        add_special_tokens = optional_bool(in, "add_special_tokens", add_special_tokens, job.where);
        try {
            if (mode == Mode::Normalize) {
                out["normalized"] = tokenizer.normalize(text);
            } else if (mode == Mode::PreTokenize) {
                Json pieces = Json::array();
                for (const auto& [piece, range] : tokenizer.pre_tokenize(text))
                    pieces.push_back(Json::array({piece, Json::array({range.first, range.second})}));
                out["pieces"] = std::move(pieces);
            } else if (offsets) {
                text::Encoding e = tokenizer.encode(text, add_special_tokens);
                out["ids"] = e.ids;
                Json spans = Json::array();
                for (auto [b, e2] : e.offsets) spans.push_back(Json::array({b, e2}));
                out["offsets"] = std::move(spans);
            } else {
                out["ids"] = tokenizer.encode_ids(text, add_special_tokens);
            }
        } catch (const Error& e) {
            fail("{}: {}", job.where, e.what());
        }
    }
    return out.dump(-1, ' ', false, Json::error_handler_t::replace) + "\n";
}

}  // namespace

int run_tokenize(int argc, char** argv) {
    Options opts("tokenize", "Tokenize JSON lines with a Hugging Face tokenizer.json (or decode ids).",
                 "--tokenizer PATH [--add-special-tokens] [--decode] [< lines.jsonl]");
    opts.value("--tokenizer", "PATH", "the tokenizer.json file")
        .value("--input", "FILE", "JSON lines to read ('-' is stdin; .gz works)", "-")
        .flag("--add-special-tokens", "let the post-processor add its special tokens (e.g. <s> ... </s>)")
        .flag("--decode", "read {\"ids\": [...]} lines and write {\"text\": ...}")
        .flag("--skip-special-tokens", "with --decode: leave special tokens out of the text")
        .flag("--offsets", "also write the byte offsets of each token in the input text")
        .value("--stage", "STAGE", "write an intermediate result instead: 'normalize' or 'pre_tokenize'")
        .value("--threads", "N", "worker threads (0: all cores)", "0")
        .epilog(
            "Each input line is {\"text\": \"...\"}; each output line is {\"ids\": [...]}, in input order.\n"
            "A line may override the switches with \"add_special_tokens\" or \"skip_special_tokens\": true/false.\n"
            "Text must be valid UTF-8 (JSON strings always are once parsed); the error names the line.\n"
            "Example: echo '{\"text\": \"Hello\"}' | gavel tokenize --tokenizer tokenizer.json");
    opts.parse(argc, argv);
    if (!opts.has("--tokenizer")) throw UsageError{"--tokenizer PATH is required"};
    Mode mode = opts.has("--decode") ? Mode::Decode : Mode::Encode;
    if (auto stage = opts.get_optional("--stage")) {
        if (mode == Mode::Decode) throw UsageError{"--stage and --decode do not go together"};
        if (*stage == "normalize")
            mode = Mode::Normalize;
        else if (*stage == "pre_tokenize")
            mode = Mode::PreTokenize;
        else
            throw UsageError{"--stage must be 'normalize' or 'pre_tokenize', got '" + *stage + "'"};
    }
    long long threads = opts.get_int("--threads");
    if (threads < 0) throw UsageError{"--threads must not be negative"};

    const text::Tokenizer tokenizer = text::Tokenizer::from_file(opts.get("--tokenizer"));
    ThreadPool pool{static_cast<size_t>(threads)};
    LineReader reader(opts.get("--input"));
    const bool add_special = opts.has("--add-special-tokens");
    const bool skip_special = opts.has("--skip-special-tokens");
    const bool offsets = opts.has("--offsets");

    // Lines are handled in batches so that the workers stay busy and the output stays in order.
    constexpr size_t kBatch = 512;
    std::vector<Job> batch;
    std::string line;
    bool more = true;
    while (more) {
        batch.clear();
        while (batch.size() < kBatch && (more = reader.next(line))) {
            if (line.empty()) continue;
            batch.push_back({std::move(line), reader.where(), {}});
        }
        pool.parallel_for(batch.size(), [&](size_t begin, size_t end) {
            for (size_t i = begin; i < end; ++i)
                batch[i].output = run_one(tokenizer, mode, batch[i], add_special, skip_special, offsets);
        });
        for (const Job& job : batch) std::fwrite(job.output.data(), 1, job.output.size(), stdout);
    }
    if (std::fflush(stdout) != 0) fail("cannot write the output");
    return 0;
}

}  // namespace gavel::cli
