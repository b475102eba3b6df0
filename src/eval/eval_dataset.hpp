// The records `gavel eval` scores, read from JSONL (gavel's judgments or any file with a verdict
// field and a reference-label field), with a count of every value that could not be used.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "eval/verdict_reader.hpp"

namespace gavel::eval {

struct EvalOptions {
    std::string pred_field = "verdict";
    std::string label_field = "label";
    std::string category_field = "category";
    std::string games_field = "games";  // gavel's per-order games: [{order, verdict}, ...]
    LabelScheme label_scheme = LabelScheme::ab;
    LabelScheme pred_scheme = LabelScheme::ab;
    std::map<std::string, std::string> label_map;
};

struct EvalRecord {
    Verdict label;    // a class, never failed
    Verdict verdict;  // failed for parse failures and for unknown verdict values
    std::optional<std::string> category;
    // Verdicts (in the pair's own A/B frame) of the game in each order, when games[] has both.
    std::optional<Verdict> as_is, swap;
};

struct EvalDataset {
    std::string path;
    std::vector<EvalRecord> records;  // the records with a known reference label, in file order
    size_t lines = 0;                 // non-empty lines read
    size_t missing_labels = 0;        // label null, absent or parse_failed: record left out
    std::map<std::string, size_t> unknown_labels;    // raw label -> records left out
    std::map<std::string, size_t> unknown_verdicts;  // raw verdict -> records (counted as failures)
    size_t missing_verdicts = 0;                     // verdict null or absent (counted as failures)
    std::map<std::string, size_t> unknown_game_verdicts;  // in games[] (counted as failed games)
    size_t records_with_games = 0;    // records whose games[] held both orders
};

EvalDataset load_eval_dataset(const std::string& path, const EvalOptions& options);

}  // namespace gavel::eval
