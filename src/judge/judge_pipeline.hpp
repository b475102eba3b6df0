// Runs a judge over a pairs JSONL file and writes judgments JSONL: order modes, batching,
// progress, resume after a crash or Ctrl-C, and folding the per-order games into one judgment.
#pragma once

#include <atomic>
#include <string>
#include <vector>

#include "judge/judge.hpp"

namespace gavel {

enum class OrderMode { AsIs, Swap, Both };
OrderMode order_mode_from_name(std::string_view name);  // "as-is" | "swap" | "both"

struct PipelineOptions {
    std::string input, output;
    OrderMode order = OrderMode::AsIs;
    size_t batch_pairs = 0;  // pairs handed to the judge per call; 0 = the judge's preference
    size_t limit = 0;        // judge at most this many pairs of the input (0 = all)
    bool overwrite = false;  // start a new output file instead of resuming
    bool progress = true;
};

struct PipelineStats {
    size_t pairs = 0;          // pairs in the input (up to the limit)
    size_t already_done = 0;   // found in the output and skipped (resume)
    size_t judged = 0;         // judged in this run
    size_t parse_failed = 0;   // judged in this run with verdict parse_failed
    bool interrupted = false;  // stopped early by `stop`
    double seconds = 0;
};

// Judges every pair of options.input not already in options.output, appending one flushed line
// per pair in input order. Stops between batches when *stop becomes true (Ctrl-C), leaving a
// valid file. A torn last line from a crash is cut off before resuming.
PipelineStats run_judge_pipeline(Judge& judge, const PipelineOptions& options, const std::atomic<bool>* stop);

// The judgment line for one pair from its games (as-is first, then swap, per the order mode).
Json make_judgment(const Pair& pair, const std::vector<const Game*>& games,
                   const std::vector<const GameResult*>& results, const Judge& judge);

}  // namespace gavel
