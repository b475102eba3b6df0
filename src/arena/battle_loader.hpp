// Reads judgments and battle files into a BattleTable, the way the Arena-Hard-Auto family of
// arenas turns judgments into battles, and counts every game it could not use.
//
// Record kinds, recognised line by line:
//  - Arena-Hard judgments {question_id, model, games: [{score}, {score}]}: game 1 shows the
//    baseline as A, game 2 swaps them; five-level labels, strong ones repeated --weight times.
//  - gavel judgments {id, model_a, model_b, verdict, games: [{order, verdict}]}: one battle per
//    game (verdicts are in the pair's own frame), or one from `verdict` without games.
//  - battles {question_id, model_a, model_b, winner: model_a | model_b | tie | tie (bothbad)},
//    optionally with weight (or answer_len_delta, which the Russian arena's battle files carry).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "arena/answer_lengths.hpp"
#include "arena/battle_table.hpp"
#include "core/json.hpp"

namespace gavel::arena {

struct BattleLoadOptions {
    std::optional<std::string> baseline;  // required by Arena-Hard judgments
    int strong_weight = 3;                // rows per A>>B / B>>A verdict
    // Raw label -> A>>B, A>B, A=B, B>A, B>>A or "drop" (from --label-map).
    std::map<std::string, std::string> label_map;
    // Length control (specs/models.md 2.8): a battle the judged model wins against the baseline
    // weighs 2 * expit(delta / std(delta)), delta = baseline tokens - model tokens on that question.
    const AnswerLengths* answers = nullptr;
    bool length_control = false;
};

struct BattleLoadReport {
    std::vector<std::string> files;
    std::map<std::string, size_t> records_by_kind;  // "arena-hard judgment", "gavel judgment", "battle"
    size_t games = 0;                               // verdicts read (a battle line is one)
    size_t strong_games = 0;                        // A>>B / B>>A verdicts
    std::map<std::string, size_t> dropped_labels;   // raw label -> games dropped as unknown
    std::map<std::string, size_t> mapped_labels;    // raw label -> games read through --label-map
    size_t dropped_by_map = 0;                      // games a --label-map sent to "drop"
};

class BattleLoader {
public:
    BattleLoader(BattleTable& table, BattleLoadReport& report, BattleLoadOptions options);

    // A file, or a directory whose *.jsonl / *.jsonl.gz files are read in file-name order (the
    // order of battles decides which rows a seeded bootstrap draws).
    void load(const std::string& path_or_dir);

private:
    void load_file(const std::string& path);
    void add_arena_hard(const Json& record, const std::string& where);
    void add_gavel_judgment(const Json& record, const std::string& where);
    void add_battle(const Json& record, const std::string& where);
    // One verdict label on a battle stored as (a, b); `mirrored` when the label's A is b (game 2
    // of an Arena-Hard judgment, where the judge saw the model first).
    void add_verdict(const Json* label, uint32_t a, uint32_t b, bool mirrored, const std::string& question);
    void add_rows(uint32_t a, uint32_t b, BattleOutcome outcome, int rows, const std::string& question, double weight = 1.0);
    double length_weight(const std::string& model, const std::string& question);

    BattleTable& table_;
    BattleLoadReport& report_;
    BattleLoadOptions options_;
    std::map<std::string, double> delta_std_;  // per model, for length control
};

// Parses one --label-map argument "RAW=TARGET" (TARGET: A>>B, A>B, A=B, B>A, B>>A or drop). Labels
// may contain '=' themselves, so the split is the one '=' followed by a valid target.
std::pair<std::string, std::string> parse_arena_label_mapping(const std::string& argument);

}  // namespace gavel::arena
