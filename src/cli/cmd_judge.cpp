// `gavel judge`: judges a JSONL file of pairs with a classifier (JinaJudge) or generative (Con-J)
// judge, writing one judgment per pair; Ctrl-C stops cleanly and a rerun resumes.
#include <atomic>
#include <csignal>
#include <cstdio>

#include <fmt/format.h>

#include "cli/commands.hpp"
#include "cli/judge_loader.hpp"
#include "cli/options.hpp"
#include "judge/judge_pipeline.hpp"

namespace gavel::cli {

namespace {

// Set by the first Ctrl-C; the pipeline stops after the batch in flight. A signal handler can
// only reach state like this, hence the one global.
std::atomic<bool> g_stop_requested{false};

extern "C" void request_stop(int) {
    g_stop_requested = true;
    std::signal(SIGINT, SIG_DFL);  // a second Ctrl-C ends the process at once
}

}  // namespace

int run_judge(int argc, char** argv) {
    Options opts("judge", "Judge pairs of answers: which of answer_a and answer_b answers the question better?",
                 "--input PAIRS.jsonl --output JUDGMENTS.jsonl [--model MODEL] [OPTIONS]");
    opts.value("--input", "FILE", "pairs, JSON lines {id, question, answer_a, answer_b[, label, category, model_a, "
                                  "model_b]} (.gz works)")
        .value("--output", "FILE", "judgments, JSON lines (docs/judgments.md); an existing file is resumed")
        .value("--order", "MODE", "as-is, swap (answer_b shown first) or both (each pair judged twice)", "as-is")
        .value("--limit", "N", "judge only the first N pairs of the input")
        .flag("--overwrite", "start the output afresh instead of resuming it")
        .value("--threads", "N", "worker threads (0: all cores)", "0");
    add_judge_options(opts);
    opts.epilog(
        "The judge's config.json decides the protocol: JinaJudge (classifier: verdict, probabilities, logits) or a\n"
        "Qwen2 checkpoint such as ZiyiYe/Con-J-Qwen2-7B (generative: rationale and verdict parsed from its JSON).\n"
        "Each judgment is written and flushed as soon as its pair is done; after Ctrl-C or a crash, run the same\n"
        "command again to continue where it stopped.\n\n"
        "examples:\n"
        "  gavel judge --input examples/pairs.jsonl --output judgments.jsonl\n"
        "  gavel judge --model ZiyiYe/Con-J-Qwen2-7B --order both --input pairs.jsonl --output conj.jsonl");
    opts.parse(argc, argv);
    if (!opts.has("--input")) throw UsageError{"--input is required"};
    if (!opts.has("--output")) throw UsageError{"--output is required"};

    PipelineOptions pipeline;
    pipeline.input = opts.get("--input");
    pipeline.output = opts.get("--output");
    pipeline.order = order_mode_from_name(opts.get("--order"));
    if (opts.has("--limit")) pipeline.limit = size_t(opts.get_int("--limit"));
    pipeline.overwrite = opts.has("--overwrite");

    ThreadPool pool(size_t(opts.get_int("--threads")));
    LoadedJudge loaded = load_judge(opts, pool);
    std::fprintf(stderr, "gavel judge: %s, %zu threads\n", loaded.description.c_str(), pool.size());

    g_stop_requested = false;
    auto previous = std::signal(SIGINT, request_stop);
    PipelineStats stats = run_judge_pipeline(*loaded.judge, pipeline, &g_stop_requested);
    std::signal(SIGINT, previous);

    std::string summary = fmt::format("gavel judge: {} judged in {:.1f} s ({:.2f} pairs/s)", stats.judged, stats.seconds,
                                      stats.seconds > 0 ? double(stats.judged) / stats.seconds : 0.0);
    if (stats.already_done) summary += fmt::format(", {} already in the output", stats.already_done);
    if (stats.parse_failed) summary += fmt::format(", {} parse_failed", stats.parse_failed);
    std::fprintf(stderr, "%s -> %s\n", summary.c_str(), pipeline.output.c_str());
    if (stats.interrupted) {
        std::fprintf(stderr, "gavel judge: interrupted; %zu of %zu pairs are in %s: run the same command again to continue\n",
                     stats.already_done + stats.judged, stats.pairs, pipeline.output.c_str());
        return 130;
    }
    return 0;
}

}  // namespace gavel::cli
