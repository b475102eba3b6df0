// gavel: the one binary. Dispatches to a subcommand and turns every error into one line on
// stderr with a non-zero exit status.
#include <malloc.h>

#include <cstdio>
#include <cstring>
#include <exception>
#include <span>

#include <fmt/format.h>

#include "cli/commands.hpp"
#include "cli/options.hpp"
#include "core/error.hpp"

namespace gavel::cli {
namespace {

constexpr Command kCommands[] = {
    {"judge", "judge pairs of answers (JSONL in, judgments JSONL out; resumable)", run_judge},
    {"demo", "run the whole path offline on tiny generated models (random weights)", run_demo},
    {"eval", "agreement of a judge with reference labels (accuracy, F1, kappa, position bias)", run_eval},
    {"arena", "leaderboard from judgments or battles (Bradley-Terry / Elo, bootstrap CIs)", run_arena},
    {"generate", "generate text with a causal LM (Qwen2 / Qwen2.5 checkpoints)", run_generate},
    {"verdict", "parse raw judge generations into verdicts (e.g. Con-J's JSON)", run_verdict},
    {"embed", "sentence embeddings from the jina-embeddings-v3 encoder (mean pooling, .npy out)", run_embed},
    {"tokenize", "tokenize JSON lines with a tokenizer.json, or decode ids", run_tokenize},
    {"inspect", "show a model's architecture, config, parameter counts and tensors", run_inspect},
    {"download", "download a model from the Hugging Face hub into the shared cache", run_download},
    {"bench", "measure a model's speed here: prefill and decode tok/s, encoder seconds per input", run_bench},
    {"version", "print the version and the CPU features in use", run_version},
    {"make-model", "write a random-weight test model from a seed (real names and shapes)", run_make_model, true},
};

void print_overview() {
    std::string out =
        "usage: gavel COMMAND [OPTIONS]\n\n"
        "gavel runs pairwise LLM judges (which of two answers is better?) from their Hugging Face\n"
        "checkpoints, and turns judgments into agreement metrics and arena leaderboards.\n\ncommands:\n";
    for (const auto& c : kCommands)
        if (!c.developer) out += fmt::format("  {:<12} {}\n", c.name, c.summary);
    bool any_dev = false;
    for (const auto& c : kCommands) {
        if (!c.developer) continue;
        if (!any_dev) out += "\ndeveloper commands:\n";
        any_dev = true;
        out += fmt::format("  {:<12} {}\n", c.name, c.summary);
    }
    out += "\nRun 'gavel COMMAND --help' for the options of one command.\n";
    std::fputs(out.c_str(), stdout);
}

}  // namespace
}  // namespace gavel::cli

int main(int argc, char** argv) {
    using namespace gavel::cli;
    // A forward pass allocates its activations (tens of MB per thousand tokens) and frees them at
    // the end. By default glibc hands such blocks back to the kernel, so every pass page-faults and
    // zero-fills them again (5% of a JinaJudge pair). Serve blocks up to glibc's largest mmap
    // threshold (32 MiB) from the heap, and keep up to 1 GiB of freed heap for the next pass.
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TRIM_THRESHOLD, 1 << 30);
    if (argc < 2 || std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0 ||
        std::strcmp(argv[1], "help") == 0) {
        print_overview();
        return argc < 2 ? 2 : 0;
    }
    if (std::strcmp(argv[1], "--version") == 0) return run_version(1, argv + 1);
    for (const auto& c : kCommands) {
        if (c.name != argv[1]) continue;
        try {
            return c.run(argc - 1, argv + 1);
        } catch (const HelpShown&) {
            return 0;
        } catch (const UsageError& e) {
            std::fprintf(stderr, "gavel %s: %s (see 'gavel %s --help')\n", argv[1], e.message.c_str(), argv[1]);
            return 2;
        } catch (const gavel::Error& e) {
            std::fprintf(stderr, "gavel %s: error: %s\n", argv[1], e.what());
            return 1;
        } catch (const std::bad_alloc&) {
            std::fprintf(stderr, "gavel %s: error: out of memory\n", argv[1]);
            return 1;
        } catch (const std::exception& e) {
            std::fprintf(stderr, "gavel %s: error: %s\n", argv[1], e.what());
            return 1;
        }
    }
    std::fprintf(stderr, "gavel: unknown command '%s' (see 'gavel --help')\n", argv[1]);
    return 2;
}
