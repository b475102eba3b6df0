// `gavel generate`: continues a prompt with a causal LM (Qwen2 / Qwen2.5 checkpoints), with the sampling
// defaults of the model's generation_config.json unless overridden; optionally dumps the logits of every
// prompt position (the parity tests compare them with llama.cpp's).
#include <cstdio>
#include <fstream>
#include <iostream>
#include <optional>
#include <iterator>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "cli/commands.hpp"
#include "cli/generation_options.hpp"
#include "cli/options.hpp"
#include "core/error.hpp"
#include "core/json.hpp"
#include "engine/generator.hpp"
#include "cli/model_arg.hpp"
#include "text/chat_template.hpp"
#include "text/tokenizer.hpp"

namespace gavel::cli {

namespace {

// Token ids separated by spaces, commas or newlines (a JSON array works too).
std::vector<int32_t> read_ids(const std::string& path) {
    std::ifstream in(path);
    if (!in) fail("{}: cannot open", path);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::vector<int32_t> ids;
    std::string number;
    auto flush = [&] {
        if (number.empty()) return;
        try {
            size_t used = 0;
            long long v = std::stoll(number, &used);
            if (used != number.size() || v < 0 || v > INT32_MAX) throw std::out_of_range(number);
            ids.push_back(int32_t(v));
        } catch (const std::exception&) {
            fail("{}: '{}' is not a token id", path, number);
        }
        number.clear();
    };
    for (char c : text) {
        if (c == ',' || c == '[' || c == ']' || c == ' ' || c == '\n' || c == '\r' || c == '\t')
            flush();
        else
            number += c;
    }
    flush();
    if (ids.empty()) fail("{}: no token ids", path);
    return ids;
}

// A whole file as text; "-" is stdin.
std::string read_text(const std::string& path) {
    if (path == "-") return std::string((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
    std::ifstream in(path, std::ios::binary);
    if (!in) fail("{}: cannot open", path);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// float32 .npy, C order.
void write_npy(const std::string& path, const std::vector<float>& data, size_t rows, size_t cols) {
    std::string header = fmt::format("{{'descr': '<f4', 'fortran_order': False, 'shape': ({}, {}), }}", rows, cols);
    header.append((64 - (10 + header.size() + 1) % 64) % 64, ' ');
    header += '\n';
    std::ofstream out(path, std::ios::binary);
    if (!out) fail("{}: cannot open for writing", path);
    const char magic[8] = {char(0x93), 'N', 'U', 'M', 'P', 'Y', 1, 0};
    out.write(magic, 8);
    const uint16_t len = uint16_t(header.size());
    out.write(reinterpret_cast<const char*>(&len), 2);
    out.write(header.data(), std::streamsize(header.size()));
    out.write(reinterpret_cast<const char*>(data.data()), std::streamsize(data.size() * sizeof(float)));
    if (!out) fail("{}: write failed", path);
}

}  // namespace

int run_generate(int argc, char** argv) {
    Options opts("generate", "Generate a continuation of a prompt with a causal LM (Qwen2 / Qwen2.5).",
                 "--model MODEL (--prompt TEXT | --prompt-file FILE | --prompt-ids FILE) [OPTIONS]");
    opts.value("--model", "MODEL", "model folder, or a Hugging Face repo id (org/name[@revision]) resolved through the hub cache")
        .value("--prompt", "TEXT", "prompt text")
        .value("--prompt-file", "FILE", "prompt text read from a file (- for stdin)")
        .value("--prompt-ids", "FILE", "prompt as token ids (spaces, commas or a JSON array); no tokenizer needed")
        .flag("--chat", "wrap the prompt as a user turn with the model's chat template and open the assistant turn")
        .value("--system", "TEXT", "system prompt for --chat (default: the template's own, if any)")
        .flag("--ignore-eos", "do not stop at eos ids (fixed-length runs)")
        .flag("--json", "print prompt ids, generated ids, text and timings as one JSON object")
        .value("--logits-out", "FILE.npy", "write the logits of every prompt position, float32 [prompt, vocab]")
        .value("--threads", "N", "worker threads (0: all cores)", "0")
        .value("--weights", "FORMAT", kWeightsHelp, "checkpoint")
        .epilog("Sampling defaults come from the model's generation_config.json (as Hugging Face generate()\n"
                "applies them), eos ids from its eos_token_id (else config.json's).");
    add_precision_options(opts, false);
    add_generation_options(opts);
    opts.parse(argc, argv);
    if (!opts.has("--model")) throw UsageError{"--model is required"};
    apply_precision_options(opts, false);
    const int sources = int(opts.has("--prompt")) + int(opts.has("--prompt-file")) + int(opts.has("--prompt-ids"));
    if (sources != 1) throw UsageError{"give the prompt with exactly one of --prompt, --prompt-file, --prompt-ids"};
    if (opts.has("--chat") && opts.has("--prompt-ids")) throw UsageError{"--chat needs a text prompt"};

    const auto path = resolve_model_arg(opts.get("--model"));
    const auto dir = std::filesystem::is_directory(path) ? path : path.parent_path();
    const auto model = Qwen2Model::open(path, weight_format_option(opts));
    GenerationSettings settings = GenerationSettings::from_config(read_generation_config(dir), model.config());
    apply_generation_options(opts, settings);
    settings.ignore_eos = opts.has("--ignore-eos");

    // The tokenizer is needed for text prompts and to print text; --prompt-ids runs without one.
    std::optional<text::Tokenizer> tokenizer;
    if (std::filesystem::exists(dir / "tokenizer.json"))
        tokenizer.emplace(text::Tokenizer::from_file((dir / "tokenizer.json").string()));
    std::vector<std::vector<int32_t>> prompts;
    if (opts.has("--prompt-ids")) {
        prompts.push_back(read_ids(opts.get("--prompt-ids")));
    } else {
        if (!tokenizer) fail("{}: no tokenizer.json: give the prompt as --prompt-ids", dir.string());
        std::string text = opts.has("--prompt") ? opts.get("--prompt") : read_text(opts.get("--prompt-file"));
        if (opts.has("--chat")) {
            TokenizerConfig tc = read_tokenizer_config(dir);
            ChatTemplate chat = tc.chat_template ? ChatTemplate::from_source(*tc.chat_template, (dir / "tokenizer_config.json").string())
                                                 : ChatTemplate::qwen2();
            std::vector<ChatMessage> messages;
            if (opts.has("--system")) messages.push_back({"system", opts.get("--system")});
            messages.push_back({"user", text});
            text = chat.render(messages, true);
        }
        prompts.push_back(tokenizer->encode_ids(text, true));
    }
    ThreadPool pool(size_t(opts.get_int("--threads")));
    Generator generator(model, pool);
    const bool want_logits = opts.has("--logits-out");
    GenerationResult result = generator.generate(prompts, settings, want_logits)[0];
    if (want_logits)
        write_npy(opts.get("--logits-out"), result.prompt_logits, prompts[0].size(), size_t(model.vocab_size()));

    const double decode_seconds = result.seconds - result.prefill_seconds;
    if (opts.has("--json")) {
        OrderedJson out;
        out["prompt_ids"] = prompts[0];
        out["generated_ids"] = result.tokens;
        if (tokenizer) out["text"] = tokenizer->decode(result.tokens, true);
        out["stop"] = stop_reason_name(result.stop);
        out["prompt_tokens"] = prompts[0].size();
        out["generated_tokens"] = result.tokens.size();
        out["prefill_seconds"] = result.prefill_seconds;
        out["decode_seconds"] = decode_seconds;
        out["seconds"] = result.seconds;
        out["sampling"] = settings.sampling.describe();
        std::printf("%s\n", out.dump(-1, ' ', false, Json::error_handler_t::replace).c_str());
    } else if (tokenizer) {
        std::string text = tokenizer->decode(result.tokens, true) + "\n";
        std::fwrite(text.data(), 1, text.size(), stdout);
    } else {
        std::string ids;
        for (int32_t id : result.tokens) ids += fmt::format("{}{}", ids.empty() ? "" : " ", id);
        std::printf("%s\n", ids.c_str());
    }
    return 0;
}

}  // namespace gavel::cli
